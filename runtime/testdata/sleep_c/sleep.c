// Sleeps 5 s, then exits 0: a C module (WASI poll_oneoff from nanosleep) whose sleep the
// execution_timeout must end, and that must not be reported as a success after its deadline.
// Built (from the repository root, with Debian's clang lld wasi-libc libclang-rt-14-dev-wasm32) with:
//
//	clang --target=wasm32-wasi -O2 -Wl,--strip-all -o runtime/testdata/sleep_c/sleep.wasm runtime/testdata/sleep_c/sleep.c
#include <stdio.h>
#include <time.h>

int main(void) {
	struct timespec ts = {5, 0};
	nanosleep(&ts, NULL);
	printf("slept\n");
	return 0;
}
