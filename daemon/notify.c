/*
 * notify.c - jobqd's side of the systemd service protocol (notify.h):
 * the $NOTIFY_SOCKET datagrams, the STATUS= line and the watchdog.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "dispatch.h"
#include "log.h"
#include "notify.h"
#include "store.h"
#include "util.h"

/* STATUS= is looked at (and sent if it changed) this often. */
#define NOTIFY_STATUS_MS 1000

static struct {
	int fd;                       /* -1: no $NOTIFY_SOCKET */
	struct sockaddr_un sa;
	socklen_t salen;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int send_failed;              /* the last send failed (logged once) */
	uint64_t wd_usec;             /* 0: no watchdog */
	uv_timer_t wd_timer, status_timer;
	int timers_init;
	int held;                     /* pings withheld (store not moving) */
	struct store *store;          /* NULL once stopping */
	struct dispatch *disp;
	char status[128];             /* the STATUS= last sent */
} notify = { .fd = -1 };

/* A decimal number of all digits (no sign, no blank), > 0; 0 or -1. */
static int
notify_number(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v == 0)
		return -1;
	*out = v;
	return 0;
}

/* $NOTIFY_SOCKET: an absolute path or @ABSTRACT; 0 or -1 (err). */
static int
notify_socket(const char *path, char *err, size_t errlen)
{
	size_t len = strlen(path);

	if (path[0] != '/' && path[0] != '@') {
		snprintf(err, errlen, "NOTIFY_SOCKET: \"%.200s\" is neither an "
		    "absolute path nor an abstract socket name (@NAME)", path);
		return -1;
	}
	if (len >= sizeof notify.sa.sun_path || len < 2) {
		snprintf(err, errlen, "NOTIFY_SOCKET: \"%.200s\": %s", path,
		    len < 2 ? "no name" : "too long for a Unix socket address");
		return -1;
	}
	memset(&notify.sa, 0, sizeof notify.sa);
	notify.sa.sun_family = AF_UNIX;
	memcpy(notify.sa.sun_path, path, len);
	if (path[0] == '@')
		notify.sa.sun_path[0] = '\0';
	notify.salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    len);
	memcpy(notify.path, path, len + 1);
	if ((notify.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(err, errlen, "NOTIFY_SOCKET: socket: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* $WATCHDOG_USEC and $WATCHDOG_PID; 0 or -1 (err). */
static int
notify_watchdog_env(const char *usec, const char *pid, char *err,
    size_t errlen)
{
	uint64_t u, p;

	if (usec == NULL)
		return 0;
	if (notify_number(usec, &u) != 0) {
		snprintf(err, errlen, "WATCHDOG_USEC: \"%.100s\" is not a "
		    "positive number of microseconds", usec);
		return -1;
	}
	if (pid != NULL && notify_number(pid, &p) != 0) {
		snprintf(err, errlen, "WATCHDOG_PID: \"%.100s\" is not a "
		    "process id", pid);
		return -1;
	}
	if (pid != NULL && p != (uint64_t)getpid()) {
		log_debug("WATCHDOG_PID %s is not ours: no watchdog", pid);
		return 0;
	}
	notify.wd_usec = u;
	return 0;
}

int
notify_init(char *err, size_t errlen)
{
	const char *path = getenv("NOTIFY_SOCKET");
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	int rv = 0;

	if (path != NULL && path[0] != '\0')
		rv = notify_socket(path, err, errlen);
	if (rv == 0 && notify.fd >= 0)
		rv = notify_watchdog_env(usec, pid, err, errlen);
	else if (rv == 0 && usec != NULL)
		log_debug("WATCHDOG_USEC without NOTIFY_SOCKET: no watchdog");
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return rv;
}

uint64_t
notify_watchdog_usec(void)
{
	return notify.wd_usec;
}

/* One datagram; a failure is logged when it follows a success. */
static void
notify_send(const char *msg)
{
	if (notify.fd < 0)
		return;
	if (sendto(notify.fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT,
	    (struct sockaddr *)&notify.sa, notify.salen) < 0) {
		if (!notify.send_failed)
			log_warn("NOTIFY_SOCKET %s: cannot send \"%.40s\"",
			    notify.path, msg);
		notify.send_failed = 1;
		return;
	}
	if (notify.send_failed)
		log_info("NOTIFY_SOCKET %s: sending again", notify.path);
	notify.send_failed = 0;
}

/* The STATUS= line of the counts now, into buf. */
static void
notify_status_text(char *buf, size_t len)
{
	struct dispatch_counts c;

	dispatch_counts(notify.disp, &c);
	snprintf(buf, len, "%zu queued, %zu running, %d of %d workers busy",
	    c.queued, c.running, c.busy, c.workers);
}

/* Every NOTIFY_STATUS_MS: STATUS= if the counts changed. */
static void
notify_status_cb(uv_timer_t *t)
{
	char now[sizeof notify.status], msg[sizeof now + 8];

	(void)t;
	if (notify.disp == NULL)
		return;
	notify_status_text(now, sizeof now);
	if (strcmp(now, notify.status) == 0)
		return;
	memcpy(notify.status, now, sizeof now);
	snprintf(msg, sizeof msg, "STATUS=%s", now);
	notify_send(msg);
}

/*
 * Every half interval: WATCHDOG=1, unless the store thread has been on
 * one batch for longer than the interval.  That this runs at all shows
 * the loop turns.
 */
static void
notify_watchdog_cb(uv_timer_t *t)
{
	int64_t busy, limit = (int64_t)(notify.wd_usec / 1000);

	(void)t;
	busy = notify.store != NULL ?
	    store_busy_ms(notify.store, util_mono_ms()) : 0;
	if (busy > limit) {
		if (!notify.held)
			log_warnx("watchdog: the store thread has been on one "
			    "batch for %" PRId64 " ms (over the watchdog "
			    "interval, %" PRId64 " ms): WATCHDOG=1 withheld, "
			    "systemd will restart jobqd unless it moves on",
			    busy, limit);
		notify.held = 1;
		return;
	}
	if (notify.held)
		log_info("watchdog: the store thread moves again: "
		    "WATCHDOG=1 resumed");
	notify.held = 0;
	notify_send("WATCHDOG=1");
}

void
notify_ready(uv_loop_t *loop, struct store *store, struct dispatch *disp)
{
	char msg[sizeof notify.status + 32];
	uint64_t half;

	if (notify.fd < 0)
		return;
	notify.store = store;
	notify.disp = disp;
	notify_status_text(notify.status, sizeof notify.status);
	snprintf(msg, sizeof msg, "READY=1\nSTATUS=%s", notify.status);
	notify_send(msg);

	if (uv_timer_init(loop, &notify.status_timer) != 0 ||
	    uv_timer_init(loop, &notify.wd_timer) != 0)
		fatalx("notify: uv_timer_init failed");
	notify.timers_init = 1;
	uv_unref((uv_handle_t *)&notify.status_timer);
	uv_unref((uv_handle_t *)&notify.wd_timer);
	uv_timer_start(&notify.status_timer, notify_status_cb,
	    NOTIFY_STATUS_MS, NOTIFY_STATUS_MS);
	if (notify.wd_usec == 0)
		return;
	half = notify.wd_usec / 2000;
	if (half < 1)
		half = 1;
	uv_timer_start(&notify.wd_timer, notify_watchdog_cb, half, half);
	log_info("watchdog: WATCHDOG=1 every %" PRIu64 " ms (interval %"
	    PRIu64 " ms) while the loop and the store thread make progress",
	    half, notify.wd_usec / 1000);
}

void
notify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	if (notify.fd < 0)
		return;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		fatal("clock_gettime");
	snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
	    (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
	notify_send(msg);
}

void
notify_reloaded(void)
{
	notify_send("READY=1");
}

void
notify_stopping(void)
{
	notify.store = NULL;
	notify.disp = NULL;
	if (notify.timers_init)
		uv_timer_stop(&notify.status_timer);
	notify_send("STOPPING=1\nSTATUS=stopping");
}

void
notify_close(void)
{
	if (notify.timers_init) {
		uv_close((uv_handle_t *)&notify.status_timer, NULL);
		uv_close((uv_handle_t *)&notify.wd_timer, NULL);
		notify.timers_init = 0;
	}
	if (notify.fd >= 0)
		(void)close(notify.fd);
	notify.fd = -1;
}
