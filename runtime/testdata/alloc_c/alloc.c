// Allocates 1 MiB blocks until malloc fails, then exits 1: a C module running out of memory.
// Built (from the repository root) with:
//
//	clang --target=wasm32-wasi -O2 -Wl,--strip-all -o runtime/testdata/alloc_c/alloc.wasm runtime/testdata/alloc_c/alloc.c
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// The blocks are chained from a volatile head so that the compiler keeps every allocation.
static void *volatile head;

int main(void) {
	for (int mib = 0;; mib++) {
		void **p = malloc(1 << 20);
		if (p == NULL) {
			fprintf(stderr, "malloc failed after %d MiB\n", mib);
			return 1;
		}
		memset(p, 1, 1 << 20);
		*p = head;
		head = p;
	}
}
