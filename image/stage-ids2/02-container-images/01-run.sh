#!/bin/bash -e
# The stack's container images, saved by image/build.sh with `docker save` (arm64), go into
# the image; ids2-firstboot.service loads them, so a box with no internet still starts its stack.

install -d -m 755 "${ROOTFS_DIR}/var/lib/ids2/images"
for archive in files/images/*.tar; do
	if [ -f "${archive}" ]; then
		install -m 644 "${archive}" "${ROOTFS_DIR}/var/lib/ids2/images/"
	fi
done
