#!/bin/sh
# Installs the Debian packages a part of wasmflow's build or tests needs, only when missing.
# Idempotent and non-interactive; needs root (or sudo) the first time.
#
#   .ci/install-deps.sh wasm      clang + wasi-libc, to build the C task modules
#   .ci/install-deps.sh net       iproute2 + jq, for .ci/netns-cluster.sh (make test-cluster)
#   .ci/install-deps.sh browser   headless Chromium + a font, for the browser tests (e2e/)
#   .ci/install-deps.sh desktop   GTK 3 + WebKitGTK 4.1 headers (cgo) and pkg-config, to build the Wails window
#   .ci/install-deps.sh display   Xvfb + ImageMagick + xdotool, to start the window without a display, press its keys and screenshot it
#   .ci/install-deps.sh postgres  PostgreSQL server binaries (initdb, pg_ctl), started by the tests themselves
#
# Go itself (1.26) is expected on PATH; modules come from the Go module proxy.
set -eu

need=""
for group in "$@"; do
	case "$group" in
	wasm) pkgs="clang lld wasi-libc libclang-rt-14-dev-wasm32" ;;
	net) pkgs="iproute2 jq" ;;
	browser) pkgs="chromium fonts-dejavu-core" ;;
	desktop) pkgs="gcc pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev" ;;
	display) pkgs="xvfb xauth imagemagick x11-utils xdotool fonts-dejavu-core" ;;
	postgres) pkgs="postgresql" ;;
	*) echo "install-deps.sh: unknown group '$group' (known: wasm, net, browser, desktop, display, postgres)" >&2; exit 2 ;;
	esac
	for p in $pkgs; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need="$need $p"
	done
done
[ -z "$need" ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || { echo "install-deps.sh: need root to install:$need" >&2; exit 1; }
	sudo=sudo
fi
echo "install-deps.sh: installing$need" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $need >/dev/null
