#!/usr/bin/env bash
# A screenshot of a report page in headless Chromium, for the docs (Debian: apt-get install chromium).
#   bash scripts/screenshot_report.sh runs/.../best-step=000448.report/report.html docs/images/fau_report.png [HEIGHT]
# Chromium runs with no network and a fresh profile; the picture is the page's top HEIGHT pixels (default 2600).
set -euo pipefail
page=$(realpath "$1")
out=$(realpath -m "$2")
height=${3:-2600}
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$profile" \
  --window-size=1400,"$height" --screenshot="$out" "file://$page" 2>/dev/null
echo "screenshot: $out"
