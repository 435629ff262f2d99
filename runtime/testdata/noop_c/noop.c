// The smallest C task, for the per-try overhead benchmark. Built (from the repository root,
// with Debian's clang lld wasi-libc libclang-rt-14-dev-wasm32) with:
//
//	clang --target=wasm32-wasi -O2 -Wl,--strip-all -o runtime/testdata/noop_c/noop.wasm runtime/testdata/noop_c/noop.c
int main(void) { return 0; }
