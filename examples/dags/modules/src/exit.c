// exit: ends with the exit code given as its first argument (0 success, 1 failed, 99 skipped,
// 100 sensor not met), after printing a line that says so.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
	int code = argc > 1 ? atoi(argv[1]) : 0;
	fprintf(code ? stderr : stdout, "%s: exiting with code %d\n", argv[0], code);
	return code;
}
