#!/bin/sh
# Binaries of a Debian 13 trixie package for the tests on any Debian machine:
#   trixie-binaries.sh PACKAGE PATH...   (each PATH as inside the .deb, e.g. usr/bin/amtool)
# The .deb is downloaded by apt from Debian's signed trixie archive into a cache of its own
# (this machine's apt sources and state are untouched) and the named files are installed
# in one directory under their own names. Prints that directory. Raspberry Pi OS trixie
# users run these versions, newer than bookworm's: docker-compose (Compose v2) and
# prometheus-alertmanager (0.28, which has Microsoft Teams' workflow receiver).
set -eu

package="$1"
shift
cache="${IDS2_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ids2-tests}/trixie/$package"
bin="$cache/bin"
complete=true
for path in "$@"; do
    [ -x "$bin/$(basename "$path")" ] || complete=false
done
if $complete; then
    echo "$bin"
    exit 0
fi
arch=$(dpkg --print-architecture)
apt_dir="$cache/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial"
echo "deb http://deb.debian.org/debian trixie main" > "$apt_dir/sources.list"
options="-o Dir::Etc::SourceList=$apt_dir/sources.list -o Dir::Etc::SourceParts=/dev/null
    -o Dir::State::Lists=$apt_dir/lists -o Dir::Cache=$apt_dir
    -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Architecture=$arch
    -o APT::Sandbox::User=root -q"
# shellcheck disable=SC2086 # the options are split on purpose; cache paths have no spaces
if ! apt-get $options update >"$apt_dir/log" 2>&1 \
    || ! (cd "$apt_dir" && apt-get $options download "$package" >>"$apt_dir/log" 2>&1); then
    echo "cannot download trixie's $package from deb.debian.org (see $apt_dir/log)" >&2
    exit 1
fi
unpacked="$apt_dir/unpacked"
rm -rf "$unpacked" "$bin.tmp"
dpkg-deb -x "$apt_dir/${package}"_*.deb "$unpacked"
mkdir -p "$bin.tmp"
for path in "$@"; do
    install -m 0755 "$unpacked/$path" "$bin.tmp/$(basename "$path")"
done
rm -rf "$unpacked" "$apt_dir/${package}"_*.deb "$bin"
mv "$bin.tmp" "$bin"
echo "$bin"
