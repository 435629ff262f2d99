#!/bin/sh
# Build every example task module into OUTDIR (default: examples/modules/out).
#
#   examples/modules/build.sh OUTDIR
#
# Go tasks (examples/modules/<name>/main.go) are built with GOOS=wasip1 GOARCH=wasm.
# C tasks (examples/modules/<name>_c/*.c) are built with clang --target=wasm32-wasi; the Debian
# packages clang, lld, wasi-libc and libclang-rt-14-dev-wasm32 are installed with apt-get when
# clang cannot build for wasm32-wasi yet (needs root; idempotent and non-interactive).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/out"}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# ensure_wasi_clang installs the C toolchain for wasm32-wasi if it is missing.
ensure_wasi_clang() {
	if wasi_clang_works; then
		return 0
	fi
	echo "build.sh: installing clang, lld, wasi-libc, libclang-rt-14-dev-wasm32 with apt-get" >&2
	if [ "$(id -u)" -ne 0 ]; then
		echo "build.sh: need root to install them; run: sudo apt-get install -y clang lld wasi-libc libclang-rt-14-dev-wasm32" >&2
		exit 1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		clang lld wasi-libc libclang-rt-14-dev-wasm32 >/dev/null
	if ! wasi_clang_works; then
		echo "build.sh: clang still cannot build for wasm32-wasi after installing the packages" >&2
		exit 1
	fi
}

wasi_clang_works() {
	command -v clang >/dev/null 2>&1 || return 1
	probe=$(mktemp -d)
	printf 'int main(void){return 0;}\n' >"$probe/p.c"
	if clang --target=wasm32-wasi -O2 -o "$probe/p.wasm" "$probe/p.c" >/dev/null 2>&1; then
		rm -rf "$probe"
		return 0
	fi
	rm -rf "$probe"
	return 1
}

# Go tasks: every directory with a main.go.
for dir in "$here"/*/; do
	name=$(basename "$dir")
	[ -f "$dir/main.go" ] || continue
	echo "go    $name -> $out/$name.wasm"
	(cd "$dir" && GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 go build -trimpath -o "$out/$name.wasm" .)
done

# C tasks: every directory named *_c holds one program.
for dir in "$here"/*_c/; do
	[ -d "$dir" ] || continue
	ensure_wasi_clang
	name=$(basename "$dir")
	echo "c     $name -> $out/$name.wasm"
	clang --target=wasm32-wasi -O2 -Wall -Werror -Wl,--strip-all \
		-o "$out/$name.wasm" "$dir"/*.c
done
