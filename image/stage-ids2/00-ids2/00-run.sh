#!/bin/bash -e
# Build files/ids2.deb when image/build.sh was not given one: in a throwaway copy of the
# previous stage's root (arm64, trixie), so the package's Python is the image's Python and
# no build tool stays in the image.

if [ -f files/ids2.deb ]; then
	exit 0
fi
BUILD_ROOT="${STAGE_WORK_DIR}/deb-build"
rm -rf "${BUILD_ROOT}"
mkdir -p "${BUILD_ROOT}"
rsync -aHAXx --exclude var/cache/apt/archives "${PREV_ROOTFS_DIR}/" "${BUILD_ROOT}/"
install -d -m 755 "${BUILD_ROOT}/usr/src/ids2"
tar -C "${BUILD_ROOT}/usr/src/ids2" -xf files/ids2-src.tar

ROOTFS_DIR="${BUILD_ROOT}" on_chroot <<- EOF
	apt-get -o Acquire::Retries=3 install -y --no-install-recommends \
		build-essential debhelper dh-virtualenv dh-python python3-dev python3-venv python3-setuptools
	cd /usr/src/ids2
	dpkg-buildpackage -us -uc -b
EOF
install -m 644 "${BUILD_ROOT}"/usr/src/ids2_*_arm64.deb files/ids2.deb
unmount "${BUILD_ROOT}"
rm -rf "${BUILD_ROOT}"
