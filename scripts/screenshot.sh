#!/bin/sh
# Photograph what people see in headless Chromium (Debian's `chromium` package): the CAIO's
# HTML report, or the main pages of the catalog site.
#
#   scripts/screenshot.sh report [REGISTRY] [OUT.png] [WxH]  (report.png, 1280x2400)
#   scripts/screenshot.sh site [REGISTRY] [OUT_DIR] [WxH]    (docs, 1400x1000)
#
# REGISTRY defaults to a fresh `aireg init --example` demo in a temporary folder. `report`
# writes its HTML beside the PNG (OUT.html); `site` writes site-index.png, site-search.png
# (the index searched for "copilot"), site-can-i-use.png, site-tool.png and
# site-overlaps.png. Chromium runs with networking features off and a throw-away profile.
set -eu

what=${1:-}
case "$what" in report|site) shift ;; *) sed -n '5,6p' "$0" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")/.." && pwd)
aireg=${AIREG:-"$here/.venv/bin/aireg"}
[ -x "$aireg" ] || aireg=aireg
registry=${1:-}
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

shoot() {  # shoot OUT.png URL WIDTHxHEIGHT
    "$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --hide-scrollbars --user-data-dir="$tmp/profile" \
        --screenshot="$1" --window-size="$(echo "$3" | tr x ,)" "$2" 2>"$tmp/chromium.log" \
        || { cat "$tmp/chromium.log" >&2; exit 1; }
    echo "Wrote $1"
}

if [ "$what" = report ]; then
    out=${2:-report.png}
    html="${out%.png}.html"
    "$aireg" --registry "$registry" report --format html -o "$html" >/dev/null
    case "$html" in /*) url="file://$html" ;; *) url="file://$(pwd)/$html" ;; esac
    shoot "$out" "$url" "${3:-1280x2400}"
else
    out=${2:-docs}
    size=${3:-1400x1000}
    "$aireg" --registry "$registry" site -o "$tmp/site" >/dev/null
    mkdir -p "$out"
    shoot "$out/site-index.png" "file://$tmp/site/index.html" "$size"
    shoot "$out/site-search.png" "file://$tmp/site/index.html#q=copilot" "$size"
    shoot "$out/site-can-i-use.png" "file://$tmp/site/can-i-use.html" "$size"
    shoot "$out/site-tool.png" "file://$tmp/site/tools/interview-summaries.html" 1400x2100
    shoot "$out/site-overlaps.png" "file://$tmp/site/overlaps.html" "$size"
fi
