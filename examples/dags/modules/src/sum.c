// sum: prints the sum of its integer arguments; the sum becomes the return_value XCom.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
	long long total = 0;
	for (int i = 1; i < argc; i++) {
		char *end;
		long long v = strtoll(argv[i], &end, 10);
		if (*argv[i] == 0 || *end != 0) {
			fprintf(stderr, "argument %d (%s) is not a whole number\n", i, argv[i]);
			return 1;
		}
		total += v;
	}
	printf("%lld\n", total);
	return 0;
}
