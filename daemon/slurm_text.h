/*
 * slurm_text.h - the text jobqd exchanges with a Slurm controller (issue 13,
 * the slurm executor): the batch script of a run, the argv of sbatch,
 * squeue, sacct and scancel, the parsing of their answers, and what a
 * Slurm job's record means for jobq (the state mapping: a table at the top
 * of slurm_text.c).  Pure code (slurm_text.c): no I/O, no clock, no
 * globals.  slurm.c runs the commands, dispatch_slurm.c acts on the
 * results.
 *
 * Names in Slurm: "jobq.INSTANCE.ID.ATTEMPT", INSTANCE 8 lowercase hex
 * characters that identify one jobqd state dir, ID and ATTEMPT decimal
 * without sign or leading zero (ID >= 1, ATTEMPT >= 1).
 *
 * Every parser takes (bytes, length) and trusts nothing in them: NULs,
 * overlong fields and lines, missing fields, numbers out of range.
 */
#ifndef JOBQD_SLURM_TEXT_H
#define JOBQD_SLURM_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "job.h"

#ifndef PROTO_MAX_EXEC_OPTS
/* Until lib/proto.h has it (lib/proto_exec.c): a queue's executor. */
struct proto_exec {
	int slurm;
	char partition[64];
	char account[64];
	char opts[32][256];
	size_t nopts;
};
#define PROTO_MAX_EXEC_OPTS 32
#endif

#define SLURM_TEXT_INSTANCE_LEN 8      /* hex characters of an instance */
#define SLURM_TEXT_NAME_MAX     64     /* a name's bytes, NUL included */

/*
 * The batch script of a run, given to sbatch on its standard input:
 *   #!/bin/sh
 *   # jobq job ID, attempt N
 *   exec 'arg0' 'arg1' ...
 * Every argument single-quoted ('\'' for a quote), so argv reaches exec
 * byte for byte; a CR followed by a LF is written '\r''\n' (sbatch refuses
 * a script holding "\r\n").  The exec line is the first line that is not a
 * comment, so no argument is ever read as an #SBATCH directive.  An argv[0]
 * starting with '-' (which bash's exec would take for an option and dash's
 * does not skip "--" before) is run as
 *   set -- 'arg0' ...
 *   if (exec -- true) 2>/dev/null; then exec -- "$@"; fi
 *   exec "$@"
 * argc >= 1 (else NULL).  Returns a malloc'd string, NULL on ENOMEM.
 */
char *slurm_text_script(char *const *argv, size_t argc, int64_t job_id,
    int attempt);

/* "jobq.INSTANCE.ID.ATTEMPT" into buf.  0, or JOBQ_EINVAL for a bad
 * instance, id < 1, attempt < 1 or a buf too small. */
int slurm_text_name(char *buf, size_t len, const char *instance, int64_t id,
    int attempt);
/* 0 and *id, *attempt when name is exactly one of this instance's names
 * (the form above, nothing before or after), else -1. */
int slurm_text_name_parse(const char *name, const char *instance,
    int64_t *id, int *attempt);
/* 1 when s is a valid instance: 8 lowercase hex characters. */
int slurm_text_instance_ok(const char *s);

struct slurm_text_submit {
	const char *sbatch;          /* argv[0] */
	const char *instance;
	int64_t job_id;
	int attempt;
	const char *cwd;             /* --chdir=CWD */
	const char *out_path, *err_path;  /* --output=, --error= (both always
	                                 given, '%' written "%%"; a backslash
	                                 would turn Slurm's patterns off and be
	                                 removed: jobqd's paths have none), and
	                                 --open-mode=append */
	const struct proto_exec *exec;  /* --partition=, --account= when
	                                 non-empty; each opt "K=V" -> "--K=V",
	                                 "K" -> "--K"; NULL: none */
	int64_t timeout_ms;          /* > 0: --time=MINUTES, rounded up, >= 1 */
	int slots;                   /* > 1: --cpus-per-task=N */
	const char *gres;            /* NULL/"" none, else --gres=GRES */
};

/*
 * sbatch's argv, NULL-terminated, in one malloc'd block (free() it once):
 *   SBATCH --parsable --job-name=NAME --export=ALL --chdir=CWD
 *     --output=OUT --error=ERR --open-mode=append [--partition=P]
 *     [--account=A] [--time=M] [--cpus-per-task=N] [--gres=G] [--OPT...]
 * The script goes on stdin (no file argument).  The queue's opts come last,
 * so they win over jobq's --partition/--account/--time/--cpus-per-task/
 * --gres (the keys jobq must set itself are refused by proto_exec).
 * NULL on ENOMEM or a bad instance, id or attempt.
 */
char **slurm_text_sbatch_argv(const struct slurm_text_submit *s);

/* jobq's --res spec "NAME=COUNT[,NAME=COUNT...]" as a --gres value
 * "NAME:COUNT[,...]"; malloc'd.  NULL when spec is NULL or "", malformed
 * (never for a spec jobqd accepted), or on ENOMEM. */
char *slurm_text_gres(const char *res_spec);

/* sbatch --parsable's answer "ID\n" or "ID;CLUSTER\n" (NUL-terminated; the
 * newline optional, nothing after it).  0 and *slurm_id (>= 1), or
 * JOBQ_EPROTO. */
int slurm_text_parse_sbatch(const char *out, int64_t *slurm_id);

enum slurm_state {
	SLURM_ST_PENDING,     /* not started (or requeued): not ended */
	SLURM_ST_RUNNING,     /* has its allocation: not ended */
	SLURM_ST_COMPLETED,
	SLURM_ST_FAILED,
	SLURM_ST_CANCELLED,
	SLURM_ST_TIMEOUT,
	SLURM_ST_NODE_FAIL,
	SLURM_ST_PREEMPTED,
	SLURM_ST_OUT_OF_MEMORY,
	SLURM_ST_BOOT_FAIL,
	SLURM_ST_DEADLINE,
	SLURM_ST_OTHER_END,   /* ended otherwise: REVOKED, SPECIAL_EXIT */
	SLURM_ST_UNKNOWN      /* a word this code does not know */
};

/* A state word as squeue (long or compact form) or sacct ("CANCELLED by
 * 1000", "RUNNING+") writes it -> the state; the table at the top of
 * slurm_text.c.  NULL or unknown: SLURM_ST_UNKNOWN. */
enum slurm_state slurm_text_state(const char *word);
/* "PENDING", ..., "OTHER_END", "UNKNOWN"; NULL when out of range. */
const char *slurm_text_state_name(enum slurm_state st);

struct slurm_text_job {
	int64_t slurm_id;
	int64_t job_id;
	int attempt;                 /* from the name */
	enum slurm_state state;
	char state_word[32];         /* as Slurm wrote it (truncated) */
	char reason[64];             /* squeue's Reason, "" from sacct */
	int status;                  /* the raw wait status (squeue exit_code:
	                                768 = exit 3, 15 = signal 15; sacct's
	                                "CODE:SIG" converted), -1 unknown;
	                                Slurm also puts its own error codes
	                                there (4021): see slurm_text_end */
	char nodes[128];             /* "" none (truncated) */
};

/* squeue's argv: SQUEUE -a -h -t all
 *   -O JobID:|,Name:|,State:|,Reason:|,exit_code:|,NodeList:|
 * (no width: the fields are not truncated, each ends with '|').  One
 * malloc'd block, NULL-terminated; NULL on ENOMEM. */
char **slurm_text_squeue_argv(const char *squeue);
/*
 * Parses that output (len bytes): keeps the lines of this instance's jobs
 * (by name) into *v (malloc'd, NULL when *n is 0; free() it), in the order
 * read.  A line that cannot be read (too few fields, no '|' at its end, a
 * NUL, a bad JobID of one of our names) is skipped and counted in *nbad;
 * empty lines and other jobs are skipped silently; overlong fields are
 * truncated, control bytes in them written '?'.  0 or JOBQ_ENOMEM
 * (*v NULL, *n 0).
 */
int slurm_text_parse_squeue(const char *out, size_t len, const char *instance,
    struct slurm_text_job **v, size_t *n, size_t *nbad);

/* sacct for jobs squeue no longer lists (needs accounting):
 *   SACCT -n -P -X -j ID,ID,... -o JobIDRaw,JobName%200,State,ExitCode,NodeList
 * n >= 1 (else NULL).  One malloc'd block; NULL on ENOMEM. */
char **slurm_text_sacct_argv(const char *sacct, const int64_t *ids, size_t n);
/* Parses that output as slurm_text_parse_squeue does; reason is "",
 * status from ExitCode "CODE:SIG" (SIG != 0: signaled SIG, else exited
 * CODE), nodes "" for "None assigned". */
int slurm_text_parse_sacct(const char *out, size_t len, const char *instance,
    struct slurm_text_job **v, size_t *n, size_t *nbad);

/* scancel's argv to cancel jobs: SCANCEL ID... (n >= 1, else NULL).  Slurm
 * then sends SIGCONT and SIGTERM to every step and the batch script, and
 * SIGKILL KillWait seconds later; the job ends CANCELLED. */
char **slurm_text_scancel_argv(const char *scancel, const int64_t *ids,
    size_t n);
/* scancel's argv to send signal sig (1..64) to the batch script, its
 * children and every step without cancelling the job (its state changes
 * only when the job ends of it): SCANCEL --signal=SIG --full ID...
 * NULL on ENOMEM, n 0 or a bad signal. */
char **slurm_text_scancel_signal_argv(const char *scancel, int sig,
    const int64_t *ids, size_t n);

/* What a job's Slurm record means for jobq. */
struct slurm_text_end {
	int ended;                   /* 0: still pending or running in Slurm
	                                (or a state word not known: see the
	                                table) */
	enum job_event ev;           /* JOB_EV_EXITED, JOB_EV_SIGNALED,
	                                JOB_EV_TIMEOUT, JOB_EV_SPAWN_FAILED,
	                                JOB_EV_WORKER_LOST */
	int exit_code;               /* EXITED: the code, else -1 */
	int sig;                     /* SIGNALED: the signal, else 0 */
	char message[160];           /* "Slurm: NODE_FAIL on node01", "" for
	                                a plain exit */
};

/* The mapping of the table at the top of slurm_text.c. */
void slurm_text_end(const struct slurm_text_job *sj,
    struct slurm_text_end *out);

#endif
