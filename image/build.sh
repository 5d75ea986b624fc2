#!/bin/bash
# `make image`: the ids2 Raspberry Pi 5 image, built by pi-gen at a pinned commit.
# Output: build/image/pi-gen/deploy/image_DATE-ids2-VERSION-pi5.img.xz (see README).
# Environment: IDS2_DEB (a ready arm64 trixie .deb; otherwise the stage builds it),
# IDS2_SSH_PUBKEY (an authorized_keys line: key-only SSH), PI_GEN_SOURCE (a local pi-gen clone).
set -euo pipefail

PI_GEN_URL="https://github.com/RPi-Distro/pi-gen.git"
# pi-gen's arm64 branch (Raspberry Pi OS trixie, 64-bit) as of 2026-06-16.
PI_GEN_COMMIT="ca8aeed0ae300c2a89f55ce9617d5f96a27e99e5"
RPI_ARCHIVE="http://archive.raspberrypi.com/debian/dists/trixie/InRelease"

ROOT_DIR="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${ROOT_DIR}/build/image"
PI_GEN="${WORK}/pi-gen"
STAGE="${PI_GEN}/stage-ids2"

fail() {
	echo "make image: $*" >&2
	exit 1
}

need() {
	command -v "$1" >/dev/null 2>&1 || fail "needs $1 ($2)"
}

need git "apt install git"
need curl "apt install curl"
if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
	BUILDER=docker
elif [ "$(id -u)" = 0 ]; then
	BUILDER=native
	if [ "$(dpkg --print-architecture 2>/dev/null)" != arm64 ] &&
		! [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
		fail "an $(uname -m) host needs qemu-user-binfmt for arm64 (apt install qemu-user-binfmt)"
	fi
else
	fail "needs a running Docker engine (pi-gen's build-docker.sh), or root for pi-gen's build.sh"
fi
curl_proxy=()
[ -n "${APT_PROXY:-}" ] && curl_proxy=(--proxy "${APT_PROXY}")
curl --silent --fail --head --max-time 20 "${curl_proxy[@]}" "${RPI_ARCHIVE}" >/dev/null ||
	fail "cannot reach the Raspberry Pi archive (${RPI_ARCHIVE}); pi-gen installs Raspberry Pi OS from it"

echo "make image: pi-gen ${PI_GEN_COMMIT} (${BUILDER} build)"
rm -rf "${PI_GEN}"
mkdir -p "${WORK}"
git clone --quiet "${PI_GEN_SOURCE:-${PI_GEN_URL}}" "${PI_GEN}"
git -C "${PI_GEN}" checkout --quiet "${PI_GEN_COMMIT}"

# Our stage inside the checkout (build-docker.sh copies only the checkout into its container);
# stage2 stays a step of the build but exports no image of its own.
cp -a "${ROOT_DIR}/image/stage-ids2" "${STAGE}"
touch "${PI_GEN}/stage2/SKIP_IMAGES"
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' "${ROOT_DIR}/pyproject.toml")"
{
	printf 'IDS2_VERSION=%q\n' "${VERSION}"
	[ -n "${IDS2_SSH_PUBKEY:-}" ] && printf 'IDS2_SSH_PUBKEY=%q\n' "${IDS2_SSH_PUBKEY}"
	cat "${ROOT_DIR}/image/config"
} >"${PI_GEN}/config"

if [ -n "${IDS2_DEB:-}" ]; then
	case "${IDS2_DEB}" in
	*_arm64.deb) install -D -m 644 "${IDS2_DEB}" "${STAGE}/00-ids2/files/ids2.deb" ;;
	*) fail "IDS2_DEB must be an arm64 package (ids2_VERSION_arm64.deb), got ${IDS2_DEB}" ;;
	esac
else
	mkdir -p "${STAGE}/00-ids2/files"
	(cd "${ROOT_DIR}" && git ls-files -co --exclude-standard | tar -cf "${STAGE}/00-ids2/files/ids2-src.tar" -T -)
fi

# The stack's images for arm64, saved so a box without internet still starts its stack.
mkdir -p "${STAGE}/02-container-images/files/images"
if [ "${BUILDER}" = docker ]; then
	sed -n 's/^ *image: *//p' "${ROOT_DIR}/stack/docker-compose.yml" | while read -r image; do
		name="$(basename "${image}" | tr ':' '_')"
		docker pull --quiet --platform linux/arm64 "${image}" >/dev/null
		docker save --output "${STAGE}/02-container-images/files/images/${name}.tar" "${image}"
	done
else
	echo "make image: no Docker engine: the stack's images are pulled at the first deploy" >&2
fi

cd "${PI_GEN}"
if [ "${BUILDER}" = docker ]; then
	./build-docker.sh
else
	./build.sh
fi
ls -l "${PI_GEN}/deploy"
