/*
 * dispatch_exec.c - each queue's executor as dispatch knows it (loop thread
 * only): a small table, queue name -> the canonical text of its executor
 * (lib/proto_exec.c, as queues.executor stores it), holding only the
 * queues that are not local.  Fed at start-up from the recovered queues
 * (dispatch_exec_start) and by each committed queue_set that sets an
 * executor (dispatch_queue_exec, from dispatch_queue.c); read where a
 * claimed job is routed (dispatch_exec_is_slurm).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proto.h"
#include "util.h"
#include "dispatch_int.h"

struct dispatch_exec_ent {
	char *queue;
	char *text;            /* canonical text, never NULL */
	int slurm;             /* the text names Slurm */
};

struct dispatch_exec {
	struct dispatch_exec_ent *v;   /* by name */
	size_t n, cap;
};

/* The index of queue in the table, or where it would go (*found 0). */
static size_t
dispatch_exec_find(const struct dispatch_exec *t, const char *queue,
    int *found)
{
	size_t lo = 0, hi = t != NULL ? t->n : 0, mid;
	int c;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(queue, t->v[mid].queue)) == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* The scheduler's view: a Slurm queue is external (sched.h), its jobs take
 * no worker slot. */
static int
dispatch_exec_sched(struct dispatch *s, const char *queue, int slurm)
{
	struct sched_queue *q = sched_queue_get(s->sched, queue, slurm);

	if (q == NULL)
		return slurm ? JOBQ_ENOMEM : 0;
	sched_queue_set_external(q, slurm);
	return 0;
}

/* Sets (text non-NULL, "") or removes queue's entry; 0 or JOBQ_ENOMEM. */
static int
dispatch_exec_put(struct dispatch *s, const char *queue, const char *text)
{
	struct dispatch_exec *t = s->exec;
	struct dispatch_exec_ent e;
	struct proto_exec *pe;
	size_t i;
	int found;

	if (t == NULL) {
		if (text == NULL || text[0] == '\0')
			return 0;
		if ((t = calloc(1, sizeof *t)) == NULL)
			return JOBQ_ENOMEM;
		s->exec = t;
	}
	JQ_ASSERT(t != NULL);
	i = dispatch_exec_find(t, queue, &found);
	if (text == NULL || text[0] == '\0') {
		if (!found)
			return 0;
		(void)dispatch_exec_sched(s, queue, 0);
		free(t->v[i].queue);
		free(t->v[i].text);
		memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof *t->v);
		t->n--;
		return 0;
	}
	memset(&e, 0, sizeof e);
	if ((pe = malloc(sizeof *pe)) == NULL ||
	    (e.text = strdup(text)) == NULL) {
		free(pe);
		return JOBQ_ENOMEM;
	}
	if (proto_exec_parse(text, pe) != 0)
		log_warnx("queue %s: its stored executor is not valid, the "
		    "queue is taken for a local one: %.200s", queue, text);
	else
		e.slurm = pe->slurm;
	free(pe);
	if (dispatch_exec_sched(s, queue, e.slurm) < 0) {
		free(e.text);
		return JOBQ_ENOMEM;
	}
	if (found) {
		JQ_ASSERT(t->v != NULL && i < t->n);
		free(t->v[i].text);
		t->v[i].text = e.text;
		t->v[i].slurm = e.slurm;
		return 0;
	}
	if ((e.queue = strdup(queue)) == NULL ||
	    util_grow(&t->v, &t->cap, t->n + 1, sizeof *t->v) != 0) {
		free(e.queue);
		free(e.text);
		return JOBQ_ENOMEM;
	}
	memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof *t->v);
	t->v[i] = e;
	t->n++;
	return 0;
}

int
dispatch_exec_start(struct dispatch *s, const struct store_recovery *rec)
{
	size_t i;
	int rv;

	for (i = 0; i < rec->nqueues; i++)
		if (rec->queues[i].executor != NULL &&
		    (rv = dispatch_exec_put(s, rec->queues[i].name,
		    rec->queues[i].executor)) < 0)
			return rv;
	return 0;
}

void
dispatch_queue_exec(struct dispatch *s, const char *queue,
    const char *exec_text)
{
	if (dispatch_exec_put(s, queue, exec_text) < 0)
		fatalx("out of memory");
}

const char *
dispatch_exec_text(const struct dispatch *s, const char *queue)
{
	size_t i;
	int found;

	i = dispatch_exec_find(s->exec, queue, &found);
	return found ? s->exec->v[i].text : NULL;
}

int
dispatch_exec_is_slurm(const struct dispatch *s, const char *queue)
{
	size_t i;
	int found;

	i = dispatch_exec_find(s->exec, queue, &found);
	return found && s->exec->v[i].slurm;
}

void
dispatch_exec_free(struct dispatch *s)
{
	struct dispatch_exec *t = s->exec;
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->v[i].queue);
		free(t->v[i].text);
	}
	free(t->v);
	free(t);
	s->exec = NULL;
}
