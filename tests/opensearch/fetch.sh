#!/bin/sh
# Fetch OpenSearch's minimal runnable distribution (the one its own plugins test against)
# from Maven Central into a cache keyed by version, unpack it once, and print its home.
# Usage: fetch.sh [VERSION]. The cache is $IDS2_OPENSEARCH_CACHE, else ~/.cache/ids2/opensearch.
set -eu

version="${1:-2.19.6}"
cache="${IDS2_OPENSEARCH_CACHE:-$HOME/.cache/ids2/opensearch}/$version"
home="$cache/opensearch-$version"

if [ ! -x "$home/bin/opensearch" ]; then
    mkdir -p "$cache"
    download="$cache/download"
    rm -rf "$download" "$home.partial"
    if ! mvn -q -B dependency:copy \
        "-Dartifact=org.opensearch.distribution.integ-test-zip:opensearch:$version:zip" \
        "-DoutputDirectory=$download" >"$cache/mvn.log" 2>&1; then
        echo "cannot fetch OpenSearch $version with mvn (Maven Central): see $cache/mvn.log" >&2
        exit 1
    fi
    mkdir "$home.partial"
    unzip -q "$download/opensearch-$version.zip" -d "$home.partial"
    # The zip holds one directory, opensearch-VERSION: rename it into place only once whole.
    mv "$home.partial/opensearch-$version" "$home"
    rm -rf "$home.partial" "$download"
fi
echo "$home"
