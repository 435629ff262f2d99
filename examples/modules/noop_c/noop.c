// noop does nothing: the smallest C task.
//
//	clang --target=wasm32-wasi -O2 -Wl,--strip-all -o noop_c.wasm examples/modules/noop_c/noop.c
int main(void) { return 0; }
