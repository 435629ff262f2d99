// xcom_write: writes XComs as files in /xcom, one per KEY=VALUE argument. A file named
// return_value is the task's return value.
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
	for (int i = 1; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq) {
			fprintf(stderr, "argument %d (%s) is not KEY=VALUE\n", i, argv[i]);
			return 1;
		}
		*eq = 0;
		char path[512];
		snprintf(path, sizeof path, "/xcom/%s", argv[i]);
		FILE *f = fopen(path, "w");
		if (!f) {
			perror(path);
			return 1;
		}
		fputs(eq + 1, f);
		fclose(f);
		printf("pushed XCom %s\n", argv[i]);
	}
	return 0;
}
