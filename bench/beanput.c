/*
 * beanput.c - reference for bench.sh's "durable submits" row: acknowledged
 * puts per second into beanstalkd (run by bench.sh with -f0: an fsync after
 * every write, its most durable setting).
 *
 *   beanput PORT K N     (K connections on 127.0.0.1:PORT, N puts in all)
 *
 * K threads, each with its own TCP connection, put N small jobs between
 * them, each put waiting for its "INSERTED id" reply before the next (as a
 * jobq client waits for its submit's acknowledgement).  Times first put to
 * last acknowledgement.  Prints "put K N SECONDS RATE".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct thr {
	int port;
	long n;
	int err;
};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *putter(void *p)
{
	struct thr *t = p;
	struct sockaddr_in sa;
	char buf[256];
	/* a job body about the size of a small jobq submit's argv */
	static const char put[] = "put 0 0 60 9\r\n/bin/true\r\n";
	int fd, one = 1;

	t->err = 1;
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return NULL;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)t->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
		goto out;
	for (long i = 0; i < t->n; i++) {
		size_t got = 0;

		if (write(fd, put, sizeof put - 1) != (ssize_t)(sizeof put - 1))
			goto out;
		/* one reply line per put: read up to its \r\n */
		for (;;) {
			ssize_t r = read(fd, buf + got, sizeof buf - 1 - got);

			if (r <= 0)
				goto out;
			got += (size_t)r;
			buf[got] = '\0';
			if (strstr(buf, "\r\n") != NULL)
				break;
			if (got >= sizeof buf - 1)
				goto out;
		}
		if (strncmp(buf, "INSERTED ", 9) != 0) {
			fprintf(stderr, "beanput: %s", buf);
			goto out;
		}
	}
	t->err = 0;
out:
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct thr *t;
	pthread_t *th;
	int port, k;
	long n;
	double t0, el;

	if (argc != 4) {
		fprintf(stderr, "usage: beanput PORT K N\n");
		return 2;
	}
	port = atoi(argv[1]);
	k = atoi(argv[2]);
	n = atol(argv[3]);
	if (k < 1 || n < k)
		return 2;
	t = calloc((size_t)k, sizeof *t);
	th = calloc((size_t)k, sizeof *th);
	if (t == NULL || th == NULL)
		return 1;
	t0 = mono();
	for (int i = 0; i < k; i++) {
		t[i].port = port;
		t[i].n = n / k + (i < n % k);
		if (pthread_create(&th[i], NULL, putter, &t[i]) != 0)
			return 1;
	}
	for (int i = 0; i < k; i++)
		pthread_join(th[i], NULL);
	el = mono() - t0;
	for (int i = 0; i < k; i++)
		if (t[i].err) {
			fprintf(stderr, "beanput: connection %d failed\n", i);
			return 1;
		}
	printf("put %d %ld %.3f %.0f\n", k, n, el, n / el);
	return 0;
}
