#!/usr/bin/env bash
# scripts/render-png.sh IN.svg|IN.html OUT.png [WIDTHxHEIGHT]: render a plot (or any page) to PNG
# with headless Chromium, to look at the SVGs of docs/bench/ as a reader's browser draws them.
# For an SVG the window is the size its root element declares (width="…" height="…"), unless
# WIDTHxHEIGHT is given; an HTML page defaults to 1280x800. CHROMIUM=… picks the browser binary.
set -euo pipefail

usage() {
    echo "usage: $0 IN.svg|IN.html OUT.png [WIDTHxHEIGHT]" >&2
    exit 2
}
[ $# -ge 2 ] && [ $# -le 3 ] || usage
in=$1
out=$2
size=${3:-}

chromium=${CHROMIUM:-}
if [ -z "$chromium" ]; then
    for c in chromium chromium-browser google-chrome; do
        if command -v "$c" > /dev/null 2>&1; then
            chromium=$(command -v "$c")
            break
        fi
    done
fi
if [ -z "$chromium" ] || ! [ -x "$chromium" ]; then
    echo "error: render-png.sh needs Chromium (Debian: apt-get install chromium), or CHROMIUM=/path/to/chrome" >&2
    exit 1
fi
[ -f "$in" ] || { echo "error: $in: no such file" >&2; exit 1; }

if [ -z "$size" ]; then
    case "$in" in
    *.svg)
        # the root element's width and height, in px (plotters writes plain numbers)
        root=$(tr '\n' ' ' < "$in" | grep -o '<svg[^>]*>' | head -n 1 || true)
        w=$(printf '%s' "$root" | sed -n 's/.*[[:space:]]width="\([0-9.]*\)\(px\)\{0,1\}".*/\1/p')
        h=$(printf '%s' "$root" | sed -n 's/.*[[:space:]]height="\([0-9.]*\)\(px\)\{0,1\}".*/\1/p')
        if [ -z "$w" ] || [ -z "$h" ]; then
            echo "error: $in: no numeric width/height on the <svg> root element; give WIDTHxHEIGHT" >&2
            exit 1
        fi
        size="${w%.*}x${h%.*}"
        ;;
    *) size=1280x800 ;;
    esac
fi
case "$size" in
[0-9]*x[0-9]*) ;;
*) echo "error: size $size is not WIDTHxHEIGHT" >&2; exit 2 ;;
esac

abs_in=$(realpath "$in")
mkdir -p "$(dirname "$out")"
abs_out=$(realpath -m "$out")
profile=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$profile" "$log"' EXIT
rm -f "$abs_out"
if ! "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars --window-size="${size/x/,}" \
    --screenshot="$abs_out" "file://$abs_in" > "$log" 2>&1 || ! [ -s "$abs_out" ]; then
    echo "error: $chromium failed to render $in to $out; its output:" >&2
    tail -n 20 "$log" >&2
    exit 1
fi
echo "$out ($size)"
