#!/bin/sh
# Builds the example DAGs' task modules from src/*.c into this folder. The .wasm files are
# committed (each is about 30 KB) so the examples load from a fresh clone without a C compiler.
#
#   examples/dags/modules/build.sh      (or: make example-modules)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
"$here/../../../.ci/install-deps.sh" wasm
for src in "$here"/src/*.c; do
	name=$(basename "$src" .c)
	clang --target=wasm32-wasi --sysroot=/usr -Os -Wall -Werror -Wl,--strip-all -o "$here/$name.wasm" "$src"
	echo "built $name.wasm ($(wc -c <"$here/$name.wasm") bytes)"
done
