// flaky: fails until its try number (WASMFLOW_TRY_NUMBER) reaches the first argument
// (default 3), then succeeds: a task that needs its retries.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
	int need = argc > 1 ? atoi(argv[1]) : 3;
	const char *t = getenv("WASMFLOW_TRY_NUMBER");
	int try_number = t ? atoi(t) : 1;
	if (try_number < need) {
		fprintf(stderr, "try %d of the %d this task needs: failing on purpose\n", try_number, need);
		return 1;
	}
	printf("try %d: success\n", try_number);
	return 0;
}
