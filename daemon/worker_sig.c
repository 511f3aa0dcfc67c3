/*
 * worker_sig.c - the worker's signal dispositions, so that a job's vfork
 * child resets only the few the worker changed instead of all 64.
 *
 * A disposition set to "ignore" survives execve (handlers do not, but one
 * could run in the vfork child, in the worker's memory, once the child
 * empties its mask).  jobqd may be started with signals ignored and the
 * worker inherits them.  So at start-up (worker_sig_init) the worker sets
 * every signal it inherited as ignored or handled back to default, once;
 * afterwards it changes dispositions only through worker_sig_set, which
 * records the signal.  The child (worker_sig_child_reset) then resets the
 * recorded signals alone.  A process that never called worker_sig_init
 * (the unit tests' callers of worker_spawn) gets the full reset of every
 * signal in the child, as before.
 *
 * glibc reserves the real-time signals 32..SIGRTMIN-1 for itself and
 * refuses sigaction() on them; they are read and reset with the raw
 * system call, and only when inherited as ignored (glibc's own handler,
 * if it installed one, is libc's business and does not survive execve).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <sys/syscall.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "worker_int.h"

struct worker_sig_ksa {
	void (*handler)(int);
	unsigned long flags;	/* cppcheck-suppress unusedStructMember */
	void (*restorer)(void);	/* cppcheck-suppress unusedStructMember */
	uint64_t mask;
};

static int worker_sig_ready;		/* worker_sig_init has run */
static uint64_t worker_sig_changed;	/* bit sig-1: set by worker_sig_set */

static void
worker_sig_raw_reset(int sig, int only_ignored)
{
	struct worker_sig_ksa ksa, old;

	memset(&ksa, 0, sizeof ksa);
	memset(&old, 0, sizeof old);
	if (only_ignored) {
		if (syscall(SYS_rt_sigaction, sig, NULL, &old,
		    sizeof old.mask) == -1 || old.handler != SIG_IGN)
			return;
	}
	ksa.handler = SIG_DFL;
	(void)syscall(SYS_rt_sigaction, sig, &ksa, NULL, sizeof ksa.mask);
}

void
worker_sig_init(void)
{
	struct sigaction sa, old;
	int sig;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < SIGRTMIN && sig < 32; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (sigaction(sig, NULL, &old) == 0 &&
		    old.sa_handler != SIG_DFL)
			(void)sigaction(sig, &sa, NULL);
	}
	for (sig = 32; sig < SIGRTMIN; sig++)
		worker_sig_raw_reset(sig, 1);
	for (sig = SIGRTMIN; sig < NSIG; sig++)
		if (sigaction(sig, NULL, &old) == 0 &&
		    old.sa_handler != SIG_DFL)
			(void)sigaction(sig, &sa, NULL);
	worker_sig_changed = 0;
	worker_sig_ready = 1;
}

int
worker_sig_set(int sig, void (*handler)(int))
{
	if (sig < 1 || sig > 64)
		return -1;
	worker_sig_changed |= (uint64_t)1 << (sig - 1);
	return signal(sig, handler) == SIG_ERR ? -1 : 0;
}

/* In the vfork child, every signal blocked: async-signal-safe. */
void
worker_sig_child_reset(void)
{
	struct sigaction sa;
	int sig;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	if (worker_sig_ready) {
		for (sig = 1; sig <= 64; sig++)
			if (worker_sig_changed & ((uint64_t)1 << (sig - 1)))
				(void)sigaction(sig, &sa, NULL);
		return;
	}
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &sa, NULL); /* EINVAL for libc's */
	for (sig = 32; sig < SIGRTMIN; sig++)
		worker_sig_raw_reset(sig, 0);
}
