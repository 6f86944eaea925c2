#!/bin/sh
# Build a registry's catalog site and photograph its main pages in headless Chromium
# (Debian's `chromium` package), so a person can look at what everyone in the company sees.
#
#   scripts/screenshot_site.sh [REGISTRY] [OUT_DIR] [WIDTHxHEIGHT]
#
# REGISTRY defaults to a fresh `aireg init --example` demo in a temporary folder; OUT_DIR
# defaults to docs; the window defaults to 1400x1000. Writes site-index.png,
# site-search.png (the index searched for "copilot"), site-can-i-use.png, site-tool.png
# and site-overlaps.png. Chromium runs with networking features off and a throw-away profile.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
aireg=${AIREG:-"$here/.venv/bin/aireg"}
[ -x "$aireg" ] || aireg=aireg
registry=${1:-}
out=${2:-docs}
size=${3:-1400x1000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

chrome=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$chrome" ]; then
    echo "chromium is not installed; install it (Debian: apt-get install -y chromium)." >&2
    exit 3
fi
if [ -z "$registry" ]; then
    registry="$tmp/demo"
    "$aireg" init "$registry" --org Acme --example >/dev/null
fi
"$aireg" --registry "$registry" site -o "$tmp/site" >/dev/null
mkdir -p "$out"

shot() {  # shot NAME PAGE [WIDTHxHEIGHT]
    "$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --hide-scrollbars --user-data-dir="$tmp/profile" \
        --screenshot="$out/$1.png" --window-size="$(echo "${3:-$size}" | tr x ,)" \
        "file://$tmp/site/$2" 2>"$tmp/chromium.log" || { cat "$tmp/chromium.log" >&2; exit 1; }
    echo "Wrote $out/$1.png"
}
shot site-index index.html
shot site-search "index.html#q=copilot"
shot site-can-i-use can-i-use.html
shot site-tool tools/interview-summaries.html 1400x2100
shot site-overlaps overlaps.html
