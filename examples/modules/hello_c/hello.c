// hello is an example task in C, to show that tasks are language-agnostic: it greets its
// arguments, reads its context from the WASMFLOW_* environment, logs through the wasmflow host
// module, and leaves an XCom as a file in /xcom.
//
//	clang --target=wasm32-wasi -O2 -Wl,--strip-all -o hello_c.wasm examples/modules/hello_c/hello.c
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// The wasmflow host module's log(ptr, len); see runtime.HostModuleName for the whole ABI.
__attribute__((import_module("wasmflow"), import_name("log"))) void wasmflow_log(const char *msg, int len);

static const char *env(const char *name) {
	const char *v = getenv(name);
	return v ? v : "";
}

int main(int argc, char **argv) {
	printf("hello from C: task %s of dag %s, run %s, try %s, ds %s\n", argv[0], env("WASMFLOW_DAG_ID"),
	       env("WASMFLOW_RUN_ID"), env("WASMFLOW_TRY_NUMBER"), env("WASMFLOW_DS"));
	for (int i = 1; i < argc; i++) printf("hello, %s\n", argv[i]);

	const char *msg = "hello_c: logged through the wasmflow host module";
	wasmflow_log(msg, (int)strlen(msg));

	FILE *f = fopen("/xcom/greeting", "w");
	if (!f) {
		perror("/xcom/greeting");
		return 1;
	}
	fprintf(f, "hello from C, %d argument(s)", argc - 1);
	fclose(f);
	printf("greeted %d\n", argc - 1);
	return 0;
}
