#!/bin/sh
# Runs in the QEMU guest after ids2-firstboot and ids2.target: prints what the first boot did
# as IDS2T key=value lines on the serial console, then powers the guest off.
report() {
	printf 'IDS2T %s=%s\n' "$1" "$2"
}
yes_no() {
	if "$@"; then echo yes; else echo no; fi
}
config_value() {
	/opt/venvs/ids2/bin/python -c "import yaml; print(yaml.safe_load(open('/etc/ids2/config.yaml'))$1)"
}

for _ in $(seq 1 600); do
	systemctl is-active --quiet ids2-resource.service ids2-metrics.service && break
	sleep 1
done
report firstboot_result "$(systemctl show -P Result ids2-firstboot.service)"
report firstboot_exit "$(systemctl show -P ExecMainStatus ids2-firstboot.service)"
report home_networks "$(config_value "['sensor']['home_networks']")"
report boot_file_left "$(yes_no test -e /boot/firmware/ids2.yaml)"
report rejected_kept "$(yes_no test -e /boot/firmware/ids2.yaml.rejected)"
report errors_file "$(tr '\n' ' ' </boot/firmware/ids2.yaml.errors.txt 2>/dev/null)"
report secrets_mode "$(stat -c %a /etc/ids2/secrets.yaml)"
report secrets_has_password "$(yes_no grep -q '^opensearch_password: s3cret-from-boot$' /etc/ids2/secrets.yaml)"
report config_has_password "$(yes_no grep -q s3cret /etc/ids2/config.yaml)"
report motd_banner "$(yes_no grep -q '^ids2 sensor ' /etc/motd)"
report stand_in_image "$(docker image inspect --format '{{.Id}}' localhost/ids2-stand-in:1 2>&1)"
report images_left "$(find /var/lib/ids2/images -name '*.tar' | wc -l)"
report status_first_boot "$(/opt/venvs/ids2/bin/ids2 status | sed -n 's/^first boot *//p')"
for unit in ids2-resource ids2-connectivity ids2-metrics ids2-verify; do
	report "state_${unit#ids2-}" "$(systemctl is-active "${unit}.service")"
done
report finished yes
systemctl poweroff
