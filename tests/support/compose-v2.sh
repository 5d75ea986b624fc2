#!/bin/sh
# Trixie's docker-compose (Compose v2, a static Go binary) for the tests on any Debian
# machine: downloaded by apt from Debian's signed trixie archive into a cache of its own
# (this machine's apt sources and state are untouched) and unpacked. Prints its path.
# Compose v1 is what bookworm installs; Raspberry Pi OS trixie users run this one.
set -eu

cache="${IDS2_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ids2-tests}/compose-v2"
binary="$cache/docker-compose"
if [ -x "$binary" ]; then
    echo "$binary"
    exit 0
fi
arch=$(dpkg --print-architecture)
apt_dir="$cache/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial"
echo "deb http://deb.debian.org/debian trixie main" > "$apt_dir/sources.list"
set -- -o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir" \
    -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Architecture="$arch" \
    -o APT::Sandbox::User=root -q
if ! apt-get "$@" update >"$apt_dir/log" 2>&1 \
    || ! (cd "$apt_dir" && apt-get "$@" download docker-compose >>"$apt_dir/log" 2>&1); then
    echo "cannot download trixie's docker-compose from deb.debian.org (see $apt_dir/log)" >&2
    exit 1
fi
unpacked="$apt_dir/unpacked"
rm -rf "$unpacked"
dpkg-deb -x "$apt_dir"/docker-compose_*.deb "$unpacked"
install -m 0755 "$unpacked/usr/libexec/docker/cli-plugins/docker-compose" "$binary.tmp"
rm -rf "$unpacked" "$apt_dir"/docker-compose_*.deb
mv "$binary.tmp" "$binary"
echo "$binary"
