/*
 * stamp.c - the program whose start bench/latency.c times: it writes
 * CLOCK_MONOTONIC (ns, 8 bytes) into the FIFO named by its argument as the
 * first thing in main() and exits.  Kept tiny (libc only) so its own
 * loading is the same small constant in every path measured.
 *
 *   stamp FIFO
 */
#include <fcntl.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec ts;
	int64_t ns;
	int fd;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	if (argc < 2 || (fd = open(argv[1], O_WRONLY)) < 0)
		return 1;
	if (write(fd, &ns, sizeof ns) != sizeof ns)
		return 1;
	return 0;
}
