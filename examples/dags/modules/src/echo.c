// echo: prints its arguments on one line, then stdin if any. Its last stdout line becomes the
// task's return_value XCom, so `args: ['["a", "b"]']` makes it a module branch too.
#include <stdio.h>

int main(int argc, char **argv) {
	for (int i = 1; i < argc; i++) printf(i > 1 ? " %s" : "%s", argv[i]);
	if (argc > 1) printf("\n");
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) fwrite(buf, 1, n, stdout);
	return 0;
}
