// Uses the wasmflow host module from C: pushes an XCom, pulls one (growing its buffer when the
// host says it is too small), and logs through the host. Built (from the repository root) with:
//
//	clang --target=wasm32-wasi -O2 -Wl,--strip-all -o runtime/testdata/host_c/host.wasm runtime/testdata/host_c/host.c
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WASMFLOW(name) __attribute__((import_module("wasmflow"), import_name(#name)))

WASMFLOW(xcom_push) int xcom_push(const char *key, int key_len, const char *val, int val_len);
WASMFLOW(xcom_pull) int xcom_pull(const char *task, int task_len, const char *key, int key_len, char *buf, int buf_cap);
WASMFLOW(log) void wasmflow_log(const char *msg, int len);

int main(int argc, char **argv) {
	const char *task = argc > 1 ? argv[1] : "extract";
	int cap = 4;
	char *buf = malloc(cap);
	int n = xcom_pull(task, strlen(task), "return_value", 12, buf, cap);
	if (n <= -2) { /* too small: the value is -(n+1) bytes */
		cap = -(n + 1);
		buf = realloc(buf, cap);
		n = xcom_pull(task, strlen(task), "return_value", 12, buf, cap);
	}
	if (n < 0) {
		printf("no xcom from %s\n", task);
		return 1;
	}
	printf("pulled %d bytes: %.*s\n", n, n > 20 ? 20 : n, buf);
	const char *msg = "hello from C through the host";
	wasmflow_log(msg, strlen(msg));
	char out[64];
	int len = snprintf(out, sizeof out, "C saw %d bytes", n);
	if (xcom_push("from_c", 6, out, len) != 0) return 1;
	if (xcom_push("bad/key", 7, out, len) != -1) return 1;
	return 0;
}
