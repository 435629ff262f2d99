// sleep: sleeps for the number of seconds given as its first argument (fractions allowed),
// then prints "slept". With execution_timeout shorter than that, the try fails as timed out.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
	double secs = argc > 1 ? atof(argv[1]) : 1;
	struct timespec ts = {(time_t)secs, (long)((secs - (time_t)secs) * 1e9)};
	nanosleep(&ts, NULL);
	printf("slept %.3fs\n", secs);
	return 0;
}
