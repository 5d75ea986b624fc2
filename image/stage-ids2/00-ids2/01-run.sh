#!/bin/bash -e
# Install the ids2 package with apt (its dependencies from the archive) and enable the sensor.
# image/build.sh puts the arm64 package in files/ids2.deb, or 00-run.sh builds it in pi-gen's
# own arm64 trixie root, so that it matches the image's Python.

install -d -m 755 "${ROOTFS_DIR}/var/tmp/ids2-image"
install -m 644 files/ids2.deb "${ROOTFS_DIR}/var/tmp/ids2-image/ids2.deb"

on_chroot <<- EOF
	apt-get -o Acquire::Retries=3 install -y /var/tmp/ids2-image/ids2.deb
	rm -rf /var/tmp/ids2-image
	systemctl enable ids2.target ids2-firstboot.service
EOF
