/*
 * worker_spec.c - a RUN message's job spec, read by the worker: inline
 * after the message, or (WIRE_F_SHM) in a POSIX shared memory object that
 * the daemon wrote, which is mapped, unpacked and unlinked at once.  Never
 * trusts the daemon's sizes: the message's length, spec_len and the
 * object's size must agree before anything is read.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "jobq.h"
#include "log.h"
#include "wire.h"
#include "worker_int.h"

/* Upper bound for a spec in shared memory (the daemon's limit is lower). */
#define WORKER_SPEC_SHM_MAX ((uint64_t)1 << 30)

/* Unpacks a spec; returns 0 or the errno to report (EINVAL: malformed). */
static int
worker_spec_unpack(const char *buf, size_t len, struct wire_spec *spec)
{
	switch (wire_spec_unpack(buf, len, spec)) {
	case 0:
		return 0;
	case JOBQ_ENOMEM:
		return ENOMEM;
	default:
		return EINVAL;
	}
}

/* Maps, unpacks and unlinks a spec in shared memory; returns 0 or the
 * errno to report. */
static int
worker_spec_shm(const struct wire_msg *m, struct wire_spec *spec)
{
	struct stat st;
	char name[WIRE_SHM_NAME_MAX];
	void *p;
	int fd, r;

	if (memchr(m->shm_name, '\0', sizeof m->shm_name) == NULL ||
	    m->shm_name[0] != '/' || strchr(m->shm_name + 1, '/') != NULL) {
		log_warnx("RUN: bad shm name");
		return EINVAL;
	}
	memcpy(name, m->shm_name, sizeof name);
	if ((fd = shm_open(name, O_RDONLY | O_CLOEXEC, 0)) == -1) {
		r = errno;
		log_warn("shm_open %s", name);
		return r;
	}
	/* Unlink at once: the object lives on while mapped, and nothing is
	 * left behind whatever happens next. */
	if (shm_unlink(name) == -1 && errno != ENOENT)
		log_warn("shm_unlink %s", name);
	if (fstat(fd, &st) == -1) {
		r = errno;
		log_warn("fstat %s", name);
		close(fd);
		return r;
	}
	if (m->spec_len == 0 || m->spec_len > WORKER_SPEC_SHM_MAX ||
	    st.st_size < 0 || (uint64_t)st.st_size != m->spec_len) {
		log_warnx("RUN: shm %s is %lld bytes, spec_len %llu", name,
		    (long long)st.st_size, (unsigned long long)m->spec_len);
		close(fd);
		return EINVAL;
	}
	p = mmap(NULL, (size_t)m->spec_len, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		r = errno;
		log_warn("mmap %s", name);
		close(fd);
		return r;
	}
	r = worker_spec_unpack(p, (size_t)m->spec_len, spec);
	if (munmap(p, (size_t)m->spec_len) == -1)
		log_warn("munmap %s", name);
	if (close(fd) == -1)
		log_warn("close %s", name);
	return r;
}

/* The spec of a RUN of n bytes, inline or in shared memory; returns 0 or
 * the errno to report. */
int
worker_spec_read(const struct wire_msg *m, size_t n, struct wire_spec *spec)
{
	memset(spec, 0, sizeof *spec);	/* empty on every failure path */
	if (m->flags & WIRE_F_SHM) {
		if (n != sizeof *m) {
			log_warnx("RUN (shm): message is %zu bytes", n);
			return EINVAL;
		}
		return worker_spec_shm(m, spec);
	}
	if (m->spec_len != n - sizeof *m) {
		log_warnx("RUN: spec_len %llu but %zu bytes follow",
		    (unsigned long long)m->spec_len, n - sizeof *m);
		return EINVAL;
	}
	return worker_spec_unpack((const char *)m + sizeof *m, (size_t)m->spec_len,
	    spec);
}
