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

# debian/control wants debhelper >= 13.23 (units in /usr/lib/systemd/system, on bookworm
# too): bookworm has 13.11, its backports the newer one.
installed_debhelper=$(dpkg-query -W -f='${Version}' debhelper 2>/dev/null || echo 0)
dpkg --compare-versions "$installed_debhelper" ge 13.23~ || missing="$missing debhelper"

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
    [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64 \
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
apt-get install -y -q --no-install-recommends $backports suricata suricata-update debhelper
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
enable_arm64_emulation
