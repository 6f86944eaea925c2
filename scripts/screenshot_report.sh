#!/bin/sh
# Render a registry's HTML report and photograph it in headless Chromium (Debian's
# `chromium` package), so a person can look at what the CAIO will see.
#
#   scripts/screenshot_report.sh [REGISTRY] [OUT.png] [WIDTHxHEIGHT]
#
# REGISTRY defaults to a fresh `aireg init --example` demo in a temporary folder; OUT.png
# defaults to report.png; the window defaults to 1280x2400. The HTML is written beside the
# PNG (OUT.html). Chromium runs with networking features off and a throw-away profile.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
aireg=${AIREG:-"$here/.venv/bin/aireg"}
[ -x "$aireg" ] || aireg=aireg
registry=${1:-}
out=${2:-report.png}
size=${3:-1280x2400}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

chrome=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$chrome" ]; then
    echo "chromium is not installed; install it (Debian: apt-get install -y chromium)." >&2
    exit 3
fi
if [ -z "$registry" ]; then
    registry="$tmp/demo"
    "$aireg" init "$registry" --example >/dev/null
fi

html="${out%.png}.html"
"$aireg" --registry "$registry" report --format html -o "$html" >/dev/null
case "$html" in /*) url="file://$html" ;; *) url="file://$(pwd)/$html" ;; esac

"$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$tmp/profile" \
    --screenshot="$out" --window-size="$(echo "$size" | tr x ,)" "$url" 2>"$tmp/chromium.log" \
    || { cat "$tmp/chromium.log" >&2; exit 1; }
echo "Wrote $out (from $html)."
