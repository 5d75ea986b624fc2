#!/bin/bash -e
# Like every pi-gen stage after stage0: start from a copy of the previous stage's root.

if [ ! -d "${ROOTFS_DIR}" ]; then
	copy_previous
fi
