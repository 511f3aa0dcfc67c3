/*
 * notify.h - jobqd as a systemd service: the sd_notify(3) protocol without
 * libsystemd.  One datagram per message to $NOTIFY_SOCKET: READY=1 (with
 * the first STATUS=), STATUS= when the counts change (at most once a
 * second), RELOADING=1 + MONOTONIC_USEC= and READY=1 around a SIGHUP
 * reload, STOPPING=1; and the watchdog ($WATCHDOG_USEC, WatchdogSec=):
 * WATCHDOG=1 every half interval, sent from the loop (a stuck loop sends
 * nothing) and only while the store thread makes progress (store_busy_ms:
 * a batch that has run for longer than the interval, a COMMIT whose fsync
 * does not return, withholds the pings, so that systemd restarts jobqd).
 *
 * Everything here runs on the loop thread (notify_init before the loop).
 * Without $NOTIFY_SOCKET every call is a no-op.
 */
#ifndef JOBQD_NOTIFY_H
#define JOBQD_NOTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct store;
struct dispatch;

/*
 * Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID and removes them
 * from the environment (the workers and jobs never see them).  The
 * watchdog is on when WATCHDOG_USEC is set and WATCHDOG_PID, if set, is
 * our pid.  Returns 0, or -1 with a message in err for a malformed value
 * (start-up).
 */
int notify_init(char *err, size_t errlen);

/* The watchdog interval (µs), 0 when there is none. */
uint64_t notify_watchdog_usec(void);

/* READY=1 with the first STATUS=, then the STATUS= and watchdog timers
 * on loop, which read store's progress and disp's counts until
 * notify_stopping(). */
void notify_ready(uv_loop_t *loop, struct store *store,
    struct dispatch *disp);

/* RELOADING=1 with MONOTONIC_USEC= (before a SIGHUP reload); READY=1
 * after it, whatever its outcome. */
void notify_reloading(void);
void notify_reloaded(void);

/* STOPPING=1.  From then on no STATUS=, and the store and dispatch are
 * not read any more (they are being closed): the watchdog pings go on as
 * long as the loop turns. */
void notify_stopping(void);

/* Closes the timers (at the end of the stop, for uv_loop_close). */
void notify_close(void);

#endif
