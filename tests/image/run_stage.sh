#!/bin/bash
# A stand-in for pi-gen's build.sh, for one stage: the step semantics pi-gen's README documents
# (prerun.sh, then each sub-stage's NN-debconf, NN-packages-nr, NN-packages, executable
# NN-run.sh and NN-run-chroot.sh in order) and the helpers its steps use (on_chroot,
# copy_previous, unmount, log), run against a root file system the test made.
# Usage: run_stage.sh STAGE_DIR WORK_DIR PREV_ROOTFS_DIR
set -euo pipefail

STAGE_DIR="$(realpath "$1")"
STAGE_WORK_DIR="$(realpath "$2")/$(basename "${STAGE_DIR}")"
ROOTFS_DIR="${STAGE_WORK_DIR}/rootfs"
PREV_ROOTFS_DIR="$(realpath "$3")"
export STAGE_DIR STAGE_WORK_DIR ROOTFS_DIR PREV_ROOTFS_DIR
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8

log() {
	echo "[pi-gen stand-in] $*"
}

copy_previous() {
	mkdir -p "${ROOTFS_DIR}"
	rsync -aHAXx --exclude var/cache/apt/archives "${PREV_ROOTFS_DIR}/" "${ROOTFS_DIR}/"
}

unmount() {
	findmnt -rn -o TARGET | awk -v prefix="$(realpath "$1")" 'index($0, prefix) == 1' |
		sort -r | xargs -r umount -l
}

on_chroot() {
	local target
	for target in proc sys dev dev/pts run tmp; do
		if ! mountpoint -q "${ROOTFS_DIR}/${target}"; then
			case "${target}" in
			proc) mount -t proc proc "${ROOTFS_DIR}/proc" ;;
			run | tmp) mount -t tmpfs tmpfs "${ROOTFS_DIR}/${target}" ;;
			*) mount --bind "/${target}" "${ROOTFS_DIR}/${target}" ;;
			esac
		fi
	done
	chroot "${ROOTFS_DIR}" /bin/bash -e "$@"
}
export -f log copy_previous unmount on_chroot

trap 'unmount "${STAGE_WORK_DIR}"' EXIT
mkdir -p "${STAGE_WORK_DIR}"
cd "${STAGE_DIR}"
if [ -x prerun.sh ]; then
	./prerun.sh
fi
for SUB_STAGE_DIR in "${STAGE_DIR}"/*; do
	if [ ! -d "${SUB_STAGE_DIR}" ] || [ -f "${SUB_STAGE_DIR}/SKIP" ]; then
		continue
	fi
	log "Begin ${SUB_STAGE_DIR}"
	cd "${SUB_STAGE_DIR}"
	for i in $(seq -w 0 99); do
		if [ -f "${i}-debconf" ]; then
			on_chroot -c "debconf-set-selections" <"${i}-debconf"
		fi
		for list in "${i}-packages-nr" "${i}-packages"; do
			[ -f "${list}" ] || continue
			packages="$(sed -e 's/#.*//' "${list}" | xargs)"
			options=()
			[ "${list}" = "${i}-packages-nr" ] && options=(--no-install-recommends)
			if [ -n "${packages}" ]; then
				# shellcheck disable=SC2086 # one word per package, as pi-gen does
				on_chroot -c "apt-get update -q && apt-get install -y ${options[*]:-} ${packages}"
			fi
		done
		if [ -x "${i}-run.sh" ]; then
			log "Begin ${SUB_STAGE_DIR}/${i}-run.sh"
			"./${i}-run.sh"
		fi
		if [ -f "${i}-run-chroot.sh" ]; then
			on_chroot <"${i}-run-chroot.sh"
		fi
	done
	unmount "${ROOTFS_DIR}"
done
log "End ${STAGE_DIR}"
