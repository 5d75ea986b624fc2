#!/bin/sh
# Install the Debian packages that ids2's tests and tools need, once; run as root.
# On Debian 12 Suricata 7 comes from bookworm-backports; on Pi OS / Debian trixie from main.
set -eu

packages="make git python3 python3-venv python3-dev gcc suricata suricata-update
prometheus prometheus-alertmanager redis-server iproute2 ethtool tcpreplay shellcheck lintian dh-virtualenv debhelper
devscripts build-essential dh-python python3-setuptools systemd
debootstrap qemu-system-x86 qemu-system-arm qemu-user-static binfmt-support e2fsprogs
dosfstools mtools rsync podman runc netavark aardvark-dns iptables busybox-static
docker-compose curl iputils-ping mmdebstrap zstd jq"

missing=""
for package in $packages; do
    dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q '^install ok installed$' \
        || missing="$missing $package"
done

# A package older than `version` counts as missing (bookworm-backports has the newer one).
require_version() {
    installed=$(dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo 0)
    dpkg --compare-versions "$installed" ge "$2" || missing="$missing $1"
}
# debian/control wants debhelper >= 13.23 (units in /usr/lib/systemd/system, on bookworm
# too): bookworm has 13.11.
require_version debhelper 13.23~
# QEMU 10 (trixie's) runs trixie's arm64 programs about 8 times as fast as bookworm's 7.2
# (measured: a perl loop took 50 s on 7.2, 6 s on 10); its system emulators come along,
# since the packages share qemu-system-common.
require_version qemu-user-static 1:10~

# The opt-in arm64 suite runs arm64 programs in a chroot: binfmt_misc must be mounted and
# qemu-user-static's entry registered. binfmt-support does that at boot where systemd runs
# the machine; in a container or a CI job nobody has, so it is done here, on every run.
enable_arm64_emulation() {
    [ "$(id -u)" = 0 ] || return 0
    if [ ! -e /proc/sys/fs/binfmt_misc/register ] \
        && ! mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null; then
        echo "binfmt_misc cannot be mounted here: the opt-in arm64 suite will skip" >&2
        return 0
    fi
    # QEMU 10 describes its entry in systemd-binfmt's format only. An entry registered by an
    # older QEMU (no O flag) is replaced: with the F flag the kernel keeps the interpreter it
    # opened at registration, so it would go on running the old QEMU. A current entry is left
    # alone, as arm64 programs may be starting through it right now.
    entry=/proc/sys/fs/binfmt_misc/qemu-aarch64
    conf=/usr/lib/binfmt.d/qemu-aarch64.conf
    wanted=$(sed 's/.*://' "$conf" | fold -w1 | sort | tr -d '\n')
    have=$(sed -n 's/^flags: //p' "$entry" 2>/dev/null | fold -w1 | sort | tr -d '\n')
    [ "$have" = "$wanted" ] && return 0
    if [ -e "$entry" ]; then { echo -1 > "$entry"; } 2>/dev/null || true; fi
    /usr/lib/systemd/systemd-binfmt "$conf" \
        || echo "qemu-aarch64 cannot be registered: the opt-in arm64 suite will skip" >&2
}

if [ -z "$missing" ]; then
    enable_arm64_emulation
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages:$missing; run as root (sudo make test) to install them" >&2
    exit 1
fi

# shellcheck source=/dev/null
. /etc/os-release
export DEBIAN_FRONTEND=noninteractive
if [ "${VERSION_CODENAME:-}" = bookworm ] && ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        > /etc/apt/sources.list.d/bookworm-backports.sources
fi
apt-get update -q
# Services installed here must not start by themselves: tests start what they need.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT
backports=""
[ "${VERSION_CODENAME:-}" = bookworm ] && backports="-t bookworm-backports"
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt-get install -y -q --no-install-recommends $backports suricata suricata-update debhelper \
    qemu-user-static qemu-system-x86 qemu-system-arm
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
enable_arm64_emulation
