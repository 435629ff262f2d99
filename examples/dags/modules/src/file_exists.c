// file_exists: a module sensor. Exit 0 (condition met) when the file named by its first
// argument exists in the task's mounts, else exit 100 (not yet: poke again later).
#include <stdio.h>

int main(int argc, char **argv) {
	if (argc < 2) {
		fprintf(stderr, "usage: file_exists PATH\n");
		return 1;
	}
	FILE *f = fopen(argv[1], "r");
	if (!f) {
		printf("%s not there yet\n", argv[1]);
		return 100;
	}
	fclose(f);
	printf("%s found\n", argv[1]);
	return 0;
}
