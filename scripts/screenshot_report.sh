#!/usr/bin/env bash
# Render a vqsr-cnn HTML report in headless Chromium, save a PNG, and fail on any sign of a broken page.
#
#   scripts/screenshot_report.sh report.html report.png [width] [height] [dom.html]
#
# Checks (exit 1 on failure): the page references no http(s) resource (it must be self-contained); the
# browser logged no console message (our pages log nothing, so any line is an error or an uncaught
# exception); the inline script ran to its end (it sets <body data-js="ok">); the PNG was written.
# With a fifth argument, the DOM as the browser holds it after the script ran (--dump-dom) is kept there.
# Network is blocked (--host-resolver-rules) so a stray remote reference cannot be fetched either.
# Needs Debian's `chromium` (apt-get install -y chromium) or $CHROMIUM pointing at a Chrome binary.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 report.html out.png [width=1280] [height=2400] [dom.html]" >&2
  exit 2
fi
html=$(realpath "$1")
png=$(realpath -m "$2")
width=${3:-1280}
height=${4:-2400}
dom_out=${5:-}
chrome=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}
if [ -z "$chrome" ]; then
  echo "$0: no chromium found: apt-get install -y chromium, or set CHROMIUM=/path/to/chrome" >&2
  exit 2
fi
[ -f "$html" ] || { echo "$0: $html: no such file" >&2; exit 2; }

if grep -Eq '(src|href)=["'"'"']?https?:' "$html"; then
  echo "$0: $html references a remote resource; reports must be self-contained" >&2
  exit 1
fi

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --user-data-dir="$profile" --hide-scrollbars
       --host-resolver-rules="MAP * ~NOTFOUND" --enable-logging=stderr --v=0)

rm -f "$png"
timeout 120 "$chrome" "${flags[@]}" --window-size="$width,$height" --screenshot="$png" "file://$html" \
  >"$profile/shot.out" 2>"$profile/shot.err" || true
timeout 120 "$chrome" "${flags[@]}" --dump-dom "file://$html" >"$profile/dom.html" 2>"$profile/dom.err" || true

status=0
if grep -h "CONSOLE" "$profile/shot.err" "$profile/dom.err" >"$profile/console.txt"; then
  echo "$0: console messages while rendering $html:" >&2
  cat "$profile/console.txt" >&2
  status=1
fi
if ! grep -q 'data-js="ok"' "$profile/dom.html"; then
  echo "$0: the page's inline script did not finish (no data-js=\"ok\" on <body>)" >&2
  status=1
fi
if [ ! -s "$png" ]; then
  echo "$0: no screenshot written; chromium said:" >&2
  grep -v -i dbus "$profile/shot.err" | tail -5 >&2
  status=1
fi
if [ -n "$dom_out" ]; then cp "$profile/dom.html" "$dom_out"; fi
[ "$status" -eq 0 ] && echo "ok: $png (${width}x${height}), no console messages, script ran"
exit "$status"
