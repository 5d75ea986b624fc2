#!/bin/sh
# Fetch OpenSearch's minimal runnable distribution (the one its own plugins test against)
# from Maven Central into a cache keyed by version, unpack it once, and print its home.
# Usage: fetch.sh [VERSION [PLUGIN:PLUGIN_VERSION ...]], e.g. fetch.sh 2.19.4
# opensearch-security:2.19.4.0: each plugin zip (org.opensearch.plugin) is fetched too and
# installed with bin/opensearch-plugin into a home of its own, keyed by version and plugins.
# The cache is $IDS2_OPENSEARCH_CACHE, else ~/.cache/ids2/opensearch. Installing a plugin
# needs a JDK: $JAVA_HOME, else the java on PATH.
set -eu

version="${1:-2.19.6}"
[ $# -gt 0 ] && shift
key="$version"
for plugin in "$@"; do key="$key+${plugin%%:*}-${plugin#*:}"; done
cache="${IDS2_OPENSEARCH_CACHE:-$HOME/.cache/ids2/opensearch}/$key"
home="$cache/opensearch-$version"

copy() {  # copy GROUP:ARTIFACT:VERSION (a zip) into $download, or fail with one line
    if ! mvn -q -B dependency:copy "-Dartifact=$1:zip" "-DoutputDirectory=$download" \
        >>"$cache/mvn.log" 2>&1; then
        echo "cannot fetch $1 (zip) with mvn from Maven Central: see $cache/mvn.log" >&2
        exit 1
    fi
}

if [ ! -x "$home/bin/opensearch" ]; then
    mkdir -p "$cache"
    download="$cache/download"
    rm -rf "$download" "$home.partial" "$cache/mvn.log"
    copy "org.opensearch.distribution.integ-test-zip:opensearch:$version"
    for plugin in "$@"; do copy "org.opensearch.plugin:$plugin"; done
    mkdir "$home.partial"
    unzip -q "$download/opensearch-$version.zip" -d "$home.partial"
    if [ $# -gt 0 ] && [ -z "${JAVA_HOME:-}" ]; then
        JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
        export JAVA_HOME
    fi
    for plugin in "$@"; do
        zip="$download/${plugin%%:*}-${plugin#*:}.zip"
        if ! "$home.partial/opensearch-$version/bin/opensearch-plugin" install --batch \
            "file:$zip" >>"$cache/install.log" 2>&1; then
            echo "cannot install $plugin into OpenSearch $version: see $cache/install.log" >&2
            exit 1
        fi
    done
    # The zip holds one directory, opensearch-VERSION: rename it into place only once whole.
    mv "$home.partial/opensearch-$version" "$home"
    rm -rf "$home.partial" "$download"
fi
echo "$home"
