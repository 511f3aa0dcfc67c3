/*
 * check_slurm_text.c - unit tests of daemon/slurm_text.c: the batch script
 * (run by /bin/sh and bash with argv = printf '%s\0' ARGS..., so the bytes
 * each argument reaches exec with come back: quotes, newlines, CR LF, $, *,
 * leading dashes, empty strings, 64 KiB), the names and their near misses,
 * every sbatch option, --res to --gres, sbatch's answer, every state word,
 * squeue output captured from a real Slurm 22.05 cluster plus garbage,
 * truncation and overlong fields, sacct's, every row of the end mapping
 * and the scancel argv.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "slurm_text.h"

#define INST "0123abcd"

/* ---- helpers ---- */

static size_t
vlen(char *const *v)
{
	size_t n = 0;

	while (v[n] != NULL)
		n++;
	return n;
}

/* argv equals the NULL-terminated list want. */
static void
argv_eq(char **argv, const char *const *want)
{
	size_t i;

	ck_assert_ptr_nonnull(argv);
	for (i = 0; want[i] != NULL; i++) {
		ck_assert_ptr_nonnull(argv[i]);
		ck_assert_str_eq(argv[i], want[i]);
	}
	ck_assert_ptr_null(argv[i]);
}

/* Runs SHELL FILE with PATH=path; returns its stdout (malloc'd, *len) and
 * its wait status in *st. */
static char *
run_script(const char *shell, const char *file, const char *path,
    size_t *len, int *st)
{
	char *buf = NULL, *nb;
	size_t cap = 0, n = 0;
	ssize_t r;
	int p[2];
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char *env[2];
		char pathenv[4096];

		snprintf(pathenv, sizeof(pathenv), "PATH=%s", path);
		env[0] = pathenv;
		env[1] = NULL;
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execle(shell, shell, file, (char *)NULL, env);
		_exit(126);
	}
	close(p[1]);
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			ck_assert_ptr_nonnull(nb);
			buf = nb;
		}
		r = read(p[0], buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		ck_assert_int_ge(r, 0);
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, st, 0), pid);
	*len = n;
	return buf;
}

static const char *const shells[] = { "/bin/sh", "/bin/bash", "/bin/dash" };

/*
 * The script of argv[0] = cmd, "%s\0", args... run by each shell prints
 * every arg followed by a NUL: compares with what was given.
 */
static void
roundtrip(const char *cmd, const char *path, char *const *args, size_t nargs)
{
	char tmpl[] = "/tmp/check_slurm_text.XXXXXX";
	char **argv, *script, *out, *want, *w;
	size_t i, wlen = 0, olen, s;
	int fd, st;

	argv = calloc(nargs + 2, sizeof(*argv));
	ck_assert_ptr_nonnull(argv);
	argv[0] = (char *)cmd;
	argv[1] = (char *)"%s\\0";
	for (i = 0; i < nargs; i++) {
		argv[i + 2] = args[i];
		wlen += strlen(args[i]) + 1;
	}
	script = slurm_text_script(argv, nargs + 2, 42, 3);
	ck_assert_ptr_nonnull(script);
	ck_assert_ptr_null(strstr(script, "\r\n"));
	ck_assert(strncmp(script, "#!/bin/sh\n# jobq job 42, attempt 3\n",
	    35) == 0);
	fd = mkstemp(tmpl);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, script, strlen(script)),
	    (ssize_t)strlen(script));
	close(fd);
	want = malloc(wlen + 1);
	ck_assert_ptr_nonnull(want);
	for (w = want, i = 0; i < nargs; i++) {
		memcpy(w, args[i], strlen(args[i]) + 1);
		w += strlen(args[i]) + 1;
	}
	for (s = 0; s < sizeof(shells) / sizeof(shells[0]); s++) {
		if (access(shells[s], X_OK) != 0)
			continue;
		out = run_script(shells[s], tmpl, path, &olen, &st);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "%s: status %d", shells[s], st);
		ck_assert_msg(olen == wlen && memcmp(out, want, wlen) == 0,
		    "%s: %zu bytes back, %zu sent", shells[s], olen, wlen);
		free(out);
	}
	unlink(tmpl);
	free(want);
	free(script);
	free(argv);
}

/* ---- the script ---- */

START_TEST(test_script_text)
{
	char *argv[] = { (char *)"echo", (char *)"a b", (char *)"it's", NULL };
	char *argv2[] = { (char *)"-x", (char *)"y", NULL };
	char *argv3[] = { (char *)"a\r\nb\r", (char *)"\r", (char *)"\n",
	    NULL };
	char *s;

	s = slurm_text_script(argv, 3, 42, 3);
	ck_assert_str_eq(s, "#!/bin/sh\n# jobq job 42, attempt 3\n"
	    "exec 'echo' 'a b' 'it'\\''s'\n");
	free(s);
	s = slurm_text_script(argv2, 2, 7, 1);
	ck_assert_str_eq(s, "#!/bin/sh\n# jobq job 7, attempt 1\n"
	    "set -- '-x' 'y'\nif (exec -- true) 2>/dev/null; then exec -- "
	    "\"$@\"; fi\nexec \"$@\"\n");
	free(s);
	s = slurm_text_script(argv3, 3, 1, 1);
	ck_assert_str_eq(s, "#!/bin/sh\n# jobq job 1, attempt 1\n"
	    "exec 'a\r''\nb\r' '\r' '\n'\n");
	free(s);
	ck_assert_ptr_null(slurm_text_script(argv, 0, 1, 1));
	ck_assert_ptr_null(slurm_text_script(NULL, 1, 1, 1));
	argv[1] = NULL;
	ck_assert_ptr_null(slurm_text_script(argv, 3, 1, 1));
}
END_TEST

START_TEST(test_script_roundtrip)
{
	char *args[] = {
		(char *)"plain", (char *)"", (char *)"two words",
		(char *)"'", (char *)"''", (char *)"it's \"quoted\"",
		(char *)"a\nb", (char *)"\n", (char *)"x\r\ny", (char *)"\r\n",
		(char *)"\r", (char *)"$HOME ${PATH} $(id) `id`",
		(char *)"*", (char *)"?[a]", (char *)"-n", (char *)"--",
		(char *)"-e", (char *)"  lead and trail  ", (char *)"\\",
		(char *)"\\n", (char *)"#SBATCH --wrap=x", (char *)"\t",
		(char *)"\xff\xfe\x80 bytes", (char *)";&|<>()", (char *)"~",
		(char *)"%s %d %%", (char *)"\x01\x1b[0m",
	};

	roundtrip("/usr/bin/printf", "/usr/bin:/bin", args,
	    sizeof(args) / sizeof(args[0]));
}
END_TEST

START_TEST(test_script_big)
{
	char *big = malloc(65537), *args[3];
	size_t i;

	ck_assert_ptr_nonnull(big);
	for (i = 0; i < 65536; i++)
		big[i] = "a'\n\r b$\\"[i % 8];
	big[65536] = '\0';
	args[0] = big;
	args[1] = (char *)"";
	args[2] = big + 65535;
	roundtrip("/usr/bin/printf", "/usr/bin:/bin", args, 3);
	free(big);
}
END_TEST

/* argv[0] starting with '-': a command of that name found in PATH. */
START_TEST(test_script_dash_cmd)
{
	char dir[] = "/tmp/check_slurm_text.d.XXXXXX", link[256],
	    path[512];
	char *args[] = { (char *)"-n", (char *)"--", (char *)"x y" };

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(link, sizeof(link), "%s/-jobqprintf", dir);
	ck_assert_int_eq(symlink("/usr/bin/printf", link), 0);
	snprintf(path, sizeof(path), "%s:/usr/bin:/bin", dir);
	roundtrip("-jobqprintf", path, args, 3);
	unlink(link);
	rmdir(dir);
}
END_TEST

/* ---- names ---- */

START_TEST(test_name)
{
	char b[SLURM_TEXT_NAME_MAX], tiny[10];
	int64_t id;
	int a;

	ck_assert_int_eq(slurm_text_name(b, sizeof(b), INST, 5, 1), 0);
	ck_assert_str_eq(b, "jobq.0123abcd.5.1");
	ck_assert_int_eq(slurm_text_name_parse(b, INST, &id, &a), 0);
	ck_assert_int_eq(id, 5);
	ck_assert_int_eq(a, 1);
	ck_assert_int_eq(slurm_text_name(b, sizeof(b), INST, INT64_MAX,
	    INT32_MAX), 0);
	ck_assert_str_eq(b, "jobq.0123abcd.9223372036854775807.2147483647");
	ck_assert_int_eq(slurm_text_name_parse(b, INST, &id, &a), 0);
	ck_assert(id == INT64_MAX && a == INT32_MAX);

	ck_assert_int_eq(slurm_text_name(tiny, sizeof(tiny), INST, 5, 1),
	    JOBQ_EINVAL);
	ck_assert_str_eq(tiny, "");
	ck_assert_int_eq(slurm_text_name(b, sizeof(b), INST, 0, 1),
	    JOBQ_EINVAL);
	ck_assert_int_eq(slurm_text_name(b, sizeof(b), INST, 1, 0),
	    JOBQ_EINVAL);
	ck_assert_int_eq(slurm_text_name(b, sizeof(b), "0123ABCD", 1, 1),
	    JOBQ_EINVAL);
	ck_assert_int_eq(slurm_text_name(b, sizeof(b), "0123abc", 1, 1),
	    JOBQ_EINVAL);
	ck_assert_int_eq(slurm_text_name(b, sizeof(b), "0123abcde", 1, 1),
	    JOBQ_EINVAL);
	ck_assert_int_eq(slurm_text_name(b, sizeof(b), "0123abcg", 1, 1),
	    JOBQ_EINVAL);
	ck_assert_int_eq(slurm_text_name(b, sizeof(b), NULL, 1, 1),
	    JOBQ_EINVAL);
	ck_assert(slurm_text_instance_ok(INST));
	ck_assert(!slurm_text_instance_ok(""));
}
END_TEST

START_TEST(test_name_near_misses)
{
	static const char *const bad[] = {
		"jobq.0123abcd.5.1x", "jobq.0123abcd.5", "jobq.0123abcd.05.1",
		"jobq.0123abcd.5.01", "jobq.0123abcd.-5.1", "jobq.0123abcd.+5.1",
		"jobq.0123abcd.5.1.", "jobq.0123abcd.5.1 ", " jobq.0123abcd.5.1",
		"jobq.0123abce.5.1", "Jobq.0123abcd.5.1", "xjobq.0123abcd.5.1",
		"jobq.0123ABCD.5.1", "jobq.0123abcd..1", "jobq.0123abcd.5.",
		"jobq.0123abcd.0.1", "jobq.0123abcd.5.0", "jobq.0123abcd.5.-1",
		"jobq.0123abcd.9223372036854775808.1",
		"jobq.0123abcd.99999999999999999999.1",
		"jobq.0123abcd.5.2147483648", "jobq.0123abcd.5.1\n",
		"jobq.0123abcd5.1", "jobq.0123abc.5.1", "jobq.0123abcdd.5.1",
		"jobq..5.1", "jobq", "", "jobq.0123abcd.5.1;x",
		"jobq.x.3.1",
	};
	int64_t id = -7;
	int a = -7;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(slurm_text_name_parse(bad[i], INST, &id, &a) ==
		    -1, "accepted \"%s\"", bad[i]);
	ck_assert(id == -7 && a == -7);
	ck_assert_int_eq(slurm_text_name_parse(NULL, INST, &id, &a), -1);
	ck_assert_int_eq(slurm_text_name_parse("jobq.0123abcd.5.1", "0123abc",
	    &id, &a), -1);
	ck_assert_int_eq(slurm_text_name_parse("jobq.0123abcd.5.1", NULL,
	    &id, &a), -1);
}
END_TEST

/* ---- sbatch ---- */

START_TEST(test_sbatch_minimal)
{
	struct slurm_text_submit s;
	char **argv;
	static const char *const want[] = {
		"/usr/bin/sbatch", "--parsable", "--job-name=jobq.0123abcd.12.2",
		"--export=ALL", "--chdir=/home/u/dir with space",
		"--output=/var/lib/jobq/logs/1000/12.out",
		"--error=/var/lib/jobq/logs/1000/12.err", "--open-mode=append",
		NULL,
	};

	memset(&s, 0, sizeof(s));
	s.sbatch = "/usr/bin/sbatch";
	s.instance = INST;
	s.job_id = 12;
	s.attempt = 2;
	s.cwd = "/home/u/dir with space";
	s.out_path = "/var/lib/jobq/logs/1000/12.out";
	s.err_path = "/var/lib/jobq/logs/1000/12.err";
	s.slots = 1;
	argv = slurm_text_sbatch_argv(&s);
	argv_eq(argv, want);
	free(argv);
	s.instance = "nothex!!";
	ck_assert_ptr_null(slurm_text_sbatch_argv(&s));
	s.instance = INST;
	s.attempt = 0;
	ck_assert_ptr_null(slurm_text_sbatch_argv(&s));
}
END_TEST

START_TEST(test_sbatch_full)
{
	struct slurm_text_submit s;
	struct proto_exec *e = calloc(1, sizeof(*e));
	char **argv;
	static const char *const want[] = {
		"sbatch", "--parsable", "--job-name=jobq.0123abcd.1.1",
		"--export=ALL", "--chdir=/w%d", "--output=/l/100%%/1.out",
		"--error=/l/%%j%%%%.err", "--open-mode=append",
		"--partition=gpu.big", "--account=proj-1", "--time=2",
		"--cpus-per-task=4", "--gres=gpu:2,license:1", "--mem=4G",
		"--exclusive", "--constraint=a|b c", NULL,
	};

	ck_assert_ptr_nonnull(e);
	e->slurm = 1;
	strcpy(e->partition, "gpu.big");
	strcpy(e->account, "proj-1");
	strcpy(e->opts[0], "mem=4G");
	strcpy(e->opts[1], "exclusive");
	strcpy(e->opts[2], "constraint=a|b c");
	e->nopts = 3;
	memset(&s, 0, sizeof(s));
	s.instance = INST;
	s.job_id = 1;
	s.attempt = 1;
	s.cwd = "/w%d";                 /* --chdir has no patterns */
	s.out_path = "/l/100%/1.out";
	s.err_path = "/l/%j%%.err";
	s.exec = e;
	s.timeout_ms = 60001;
	s.slots = 4;
	s.gres = "gpu:2,license:1";
	argv = slurm_text_sbatch_argv(&s);
	argv_eq(argv, want);
	free(argv);

	/* --time rounds up, at least 1; none for 0 */
	s.exec = NULL;
	s.gres = "";
	s.slots = 0;
	s.timeout_ms = 1;
	argv = slurm_text_sbatch_argv(&s);
	ck_assert_uint_eq(vlen(argv), 9);
	ck_assert_str_eq(argv[8], "--time=1");
	free(argv);
	s.timeout_ms = 120000;
	argv = slurm_text_sbatch_argv(&s);
	ck_assert_str_eq(argv[8], "--time=2");
	free(argv);
	s.timeout_ms = 0;
	argv = slurm_text_sbatch_argv(&s);
	ck_assert_uint_eq(vlen(argv), 8);
	free(argv);

	/* a local exec, empty partition/account, all 32 opts */
	memset(e, 0, sizeof(*e));
	for (e->nopts = 0; e->nopts < PROTO_MAX_EXEC_OPTS; e->nopts++)
		snprintf(e->opts[e->nopts], sizeof(e->opts[0]), "o%zu=%s",
		    e->nopts, e->nopts == 0 ? "" : "v");
	s.exec = e;
	argv = slurm_text_sbatch_argv(&s);
	ck_assert_uint_eq(vlen(argv), 8 + PROTO_MAX_EXEC_OPTS);
	ck_assert_str_eq(argv[8], "--o0=");
	ck_assert_str_eq(argv[8 + 31], "--o31=v");
	free(argv);
	/* a forged count or an unterminated opt is not read past */
	e->nopts = 1000;
	memset(e->opts[5], 'k', sizeof(e->opts[5]));
	argv = slurm_text_sbatch_argv(&s);
	ck_assert_uint_eq(vlen(argv), 8 + PROTO_MAX_EXEC_OPTS - 1);
	free(argv);
	free(e);
}
END_TEST

START_TEST(test_gres)
{
	static const char *const bad[] = {
		"gpu", "gpu=", "gpu=0", "gpu=00", "=2", "gpu=2,", ",gpu=2",
		"gpu=2,,x=1", "2pu=1", "gpu=1x", "gpu=1234567890", "gp-u=1",
		"gpu=-1", "gpu = 1", "gpu:1",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=1",
	};
	char *g;
	size_t i;

	g = slurm_text_gres("gpu=2,license=1");
	ck_assert_str_eq(g, "gpu:2,license:1");
	free(g);
	g = slurm_text_gres("gpu=02,L_2=123456789");
	ck_assert_str_eq(g, "gpu:2,L_2:123456789");
	free(g);
	g = slurm_text_gres("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=1");
	ck_assert_str_eq(g, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:1");
	free(g);
	ck_assert_ptr_null(slurm_text_gres(NULL));
	ck_assert_ptr_null(slurm_text_gres(""));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(slurm_text_gres(bad[i]) == NULL, "accepted %s",
		    bad[i]);
}
END_TEST

START_TEST(test_parse_sbatch)
{
	static const char *const bad[] = {
		"", "\n", "abc\n", "-1\n", "0\n", "12 \n", " 12\n", "12\n3",
		"12\n\n", "12;a b\n", "99999999999999999999\n", "12x\n",
		"012\n", "12;jq\nx",
	};
	int64_t id = -1;
	size_t i;

	ck_assert_int_eq(slurm_text_parse_sbatch("123\n", &id), 0);
	ck_assert_int_eq(id, 123);
	ck_assert_int_eq(slurm_text_parse_sbatch("7", &id), 0);
	ck_assert_int_eq(id, 7);
	ck_assert_int_eq(slurm_text_parse_sbatch("4294967295;jq\n", &id), 0);
	ck_assert_int_eq(id, 4294967295LL);
	ck_assert_int_eq(slurm_text_parse_sbatch("8;\n", &id), 0);
	ck_assert_int_eq(id, 8);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(slurm_text_parse_sbatch(bad[i], &id) ==
		    JOBQ_EPROTO, "accepted \"%s\"", bad[i]);
	ck_assert_int_eq(slurm_text_parse_sbatch(NULL, &id), JOBQ_EPROTO);
	ck_assert_int_eq(id, 8);
}
END_TEST

/* ---- states ---- */

START_TEST(test_states)
{
	static const struct {
		const char *w;
		enum slurm_state st;
	} t[] = {
		{ "PENDING", SLURM_ST_PENDING }, { "PD", SLURM_ST_PENDING },
		{ "REQUEUED", SLURM_ST_PENDING }, { "RQ", SLURM_ST_PENDING },
		{ "REQUEUE_HOLD", SLURM_ST_PENDING }, { "RH", SLURM_ST_PENDING },
		{ "REQUEUE_FED", SLURM_ST_PENDING }, { "RF", SLURM_ST_PENDING },
		{ "RESV_DEL_HOLD", SLURM_ST_PENDING }, { "RD", SLURM_ST_PENDING },
		{ "RUNNING", SLURM_ST_RUNNING }, { "R", SLURM_ST_RUNNING },
		{ "CONFIGURING", SLURM_ST_RUNNING }, { "CF", SLURM_ST_RUNNING },
		{ "COMPLETING", SLURM_ST_RUNNING }, { "CG", SLURM_ST_RUNNING },
		{ "SUSPENDED", SLURM_ST_RUNNING }, { "S", SLURM_ST_RUNNING },
		{ "STOPPED", SLURM_ST_RUNNING }, { "ST", SLURM_ST_RUNNING },
		{ "RESIZING", SLURM_ST_RUNNING }, { "RS", SLURM_ST_RUNNING },
		{ "SIGNALING", SLURM_ST_RUNNING }, { "SI", SLURM_ST_RUNNING },
		{ "STAGE_OUT", SLURM_ST_RUNNING }, { "SO", SLURM_ST_RUNNING },
		{ "COMPLETED", SLURM_ST_COMPLETED }, { "CD", SLURM_ST_COMPLETED },
		{ "FAILED", SLURM_ST_FAILED }, { "F", SLURM_ST_FAILED },
		{ "CANCELLED", SLURM_ST_CANCELLED }, { "CA", SLURM_ST_CANCELLED },
		{ "CANCELLED by 0", SLURM_ST_CANCELLED },
		{ "CANCELLED by 1000", SLURM_ST_CANCELLED },
		{ "TIMEOUT", SLURM_ST_TIMEOUT }, { "TO", SLURM_ST_TIMEOUT },
		{ "NODE_FAIL", SLURM_ST_NODE_FAIL }, { "NF", SLURM_ST_NODE_FAIL },
		{ "PREEMPTED", SLURM_ST_PREEMPTED }, { "PR", SLURM_ST_PREEMPTED },
		{ "OUT_OF_MEMORY", SLURM_ST_OUT_OF_MEMORY },
		{ "OOM", SLURM_ST_OUT_OF_MEMORY },
		{ "BOOT_FAIL", SLURM_ST_BOOT_FAIL }, { "BF", SLURM_ST_BOOT_FAIL },
		{ "DEADLINE", SLURM_ST_DEADLINE }, { "DL", SLURM_ST_DEADLINE },
		{ "REVOKED", SLURM_ST_OTHER_END }, { "RV", SLURM_ST_OTHER_END },
		{ "SPECIAL_EXIT", SLURM_ST_OTHER_END },
		{ "SE", SLURM_ST_OTHER_END },
		{ "RUNNING+", SLURM_ST_RUNNING },
		{ "", SLURM_ST_UNKNOWN }, { "running", SLURM_ST_UNKNOWN },
		{ "RUNNINGX", SLURM_ST_UNKNOWN }, { "RUN", SLURM_ST_UNKNOWN },
		{ "RUNNING+x", SLURM_ST_UNKNOWN }, { " RUNNING", SLURM_ST_UNKNOWN },
		{ "BOGUS", SLURM_ST_UNKNOWN }, { "P", SLURM_ST_UNKNOWN },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ck_assert_msg(slurm_text_state(t[i].w) == t[i].st,
		    "\"%s\": %d", t[i].w, (int)slurm_text_state(t[i].w));
	ck_assert_int_eq(slurm_text_state(NULL), SLURM_ST_UNKNOWN);
	ck_assert_str_eq(slurm_text_state_name(SLURM_ST_PENDING), "PENDING");
	ck_assert_str_eq(slurm_text_state_name(SLURM_ST_OUT_OF_MEMORY),
	    "OUT_OF_MEMORY");
	ck_assert_str_eq(slurm_text_state_name(SLURM_ST_OTHER_END),
	    "OTHER_END");
	ck_assert_str_eq(slurm_text_state_name(SLURM_ST_UNKNOWN), "UNKNOWN");
	ck_assert_ptr_null(slurm_text_state_name(SLURM_ST_UNKNOWN + 1));
	ck_assert_ptr_null(slurm_text_state_name((enum slurm_state)-1));
	/* every state name but OTHER_END and UNKNOWN reads back */
	for (i = 0; i < SLURM_ST_OTHER_END; i++)
		ck_assert_int_eq(slurm_text_state(slurm_text_state_name(
		    (enum slurm_state)i)), (int)i);
}
END_TEST

/* ---- squeue ---- */

START_TEST(test_squeue_argv)
{
	static const char *const want[] = {
		"/opt/slurm/bin/squeue", "-a", "-h", "-t", "all", "-O",
		"JobID:|,Name:|,State:|,Reason:|,exit_code:|,NodeList:|", NULL,
	};
	char **argv = slurm_text_squeue_argv("/opt/slurm/bin/squeue");

	argv_eq(argv, want);
	free(argv);
}
END_TEST

/*
 * Captured from `squeue -a -h -t all -O <that format>` on Slurm 22.05.8
 * (jobs submitted by hand with these names; 10 has a 300-byte name, 11
 * "name with|pipe"), then reordered; a foreign instance's lines kept.
 */
static const char squeue_real[] =
    "3|jobq.x.3.1|CANCELLED|None|15|vm|\n"
    "8|jobq.0123abcd.8.1|CANCELLED|JobHeldUser|0||\n"
    "4|jobq.0123abcd.123456789012.7|COMPLETED|None|0|vm|\n"
    "10|xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    "xxxxxxxxxxxxxxxx|PENDING|Priority|0||\n"
    "11|name with|pipe|COMPLETED|None|0|vm|\n"
    "1|jobq.x.1.1|FAILED|NonZeroExitCode|768|vm|\n"
    "5|jobq.0123abcd.5.1|FAILED|NonZeroExitCode|768|vm|\n"
    "6|jobq.0123abcd.6.1|FAILED|JobLaunchFailure|15|vm|\n"
    "9|jobq.0123abcd.9.1|FAILED|JobLaunchFailure|9|vm|\n"
    "13|jobq.0123abcd.21.1|FAILED|JobLaunchFailure|4021|vm|\n"
    "7|jobq.0123abcd.7.2|TIMEOUT|TimeLimit|15|vm|\n"
    "16|jobq.0123abcd.30.1|PENDING|Resources|0||\n"
    "17|jobq.0123abcd.31.1|RUNNING|None|0|vm|\n";

START_TEST(test_squeue_real)
{
	struct slurm_text_job *v;
	size_t n, bad, i;
	static const struct {
		int64_t sid, id;
		int att;
		enum slurm_state st;
		const char *reason;
		int status;
		const char *nodes;
	} want[] = {
		{ 8, 8, 1, SLURM_ST_CANCELLED, "JobHeldUser", 0, "" },
		{ 4, 123456789012LL, 7, SLURM_ST_COMPLETED, "None", 0, "vm" },
		{ 5, 5, 1, SLURM_ST_FAILED, "NonZeroExitCode", 768, "vm" },
		{ 6, 6, 1, SLURM_ST_FAILED, "JobLaunchFailure", 15, "vm" },
		{ 9, 9, 1, SLURM_ST_FAILED, "JobLaunchFailure", 9, "vm" },
		{ 13, 21, 1, SLURM_ST_FAILED, "JobLaunchFailure", 4021, "vm" },
		{ 7, 7, 2, SLURM_ST_TIMEOUT, "TimeLimit", 15, "vm" },
		{ 16, 30, 1, SLURM_ST_PENDING, "Resources", 0, "" },
		{ 17, 31, 1, SLURM_ST_RUNNING, "None", 0, "vm" },
	};

	ck_assert_int_eq(slurm_text_parse_squeue(squeue_real,
	    sizeof(squeue_real) - 1, INST, &v, &n, &bad), 0);
	ck_assert_uint_eq(bad, 0);
	ck_assert_uint_eq(n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(v[i].slurm_id, want[i].sid);
		ck_assert_int_eq(v[i].job_id, want[i].id);
		ck_assert_int_eq(v[i].attempt, want[i].att);
		ck_assert_int_eq(v[i].state, want[i].st);
		ck_assert_str_eq(v[i].state_word,
		    slurm_text_state_name(want[i].st));
		ck_assert_str_eq(v[i].reason, want[i].reason);
		ck_assert_int_eq(v[i].status, want[i].status);
		ck_assert_str_eq(v[i].nodes, want[i].nodes);
	}
	free(v);
	/* another instance sees none of them, "x" is not an instance */
	ck_assert_int_eq(slurm_text_parse_squeue(squeue_real,
	    sizeof(squeue_real) - 1, "0123abce", &v, &n, &bad), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(v);
	ck_assert_uint_eq(bad, 0);
	/* empty output */
	ck_assert_int_eq(slurm_text_parse_squeue("", 0, INST, &v, &n, &bad),
	    0);
	ck_assert(n == 0 && v == NULL && bad == 0);
	ck_assert_int_eq(slurm_text_parse_squeue(NULL, 0, INST, &v, &n, &bad),
	    0);
	ck_assert(n == 0 && v == NULL && bad == 0);
}
END_TEST

/* Every prefix of the real output parses: the whole lines as they are, the
 * cut one skipped as bad (squeue ends every field with '|'). */
START_TEST(test_squeue_truncated)
{
	struct slurm_text_job *v, *full;
	size_t n, bad, len, i, nfull, prev = 0;

	ck_assert_int_eq(slurm_text_parse_squeue(squeue_real,
	    sizeof(squeue_real) - 1, INST, &full, &nfull, &bad), 0);
	for (len = 0; len < sizeof(squeue_real); len++) {
		ck_assert_int_eq(slurm_text_parse_squeue(squeue_real, len,
		    INST, &v, &n, &bad), 0);
		ck_assert_uint_le(bad, 1);
		ck_assert_uint_ge(n, prev);
		ck_assert_uint_le(n, nfull);
		for (i = 0; i < n; i++)
			ck_assert(memcmp(&v[i], &full[i], sizeof(v[i])) == 0);
		/* a cut line of ours is bad unless cut at its end */
		for (i = len; i > 0 && squeue_real[i - 1] != '\n'; i--)
			;
		if (len > i && squeue_real[len] != '\n' &&
		    memmem(squeue_real + i, (size_t)(strchr(squeue_real + i,
		    '\n') - squeue_real) - i, INST, 8) != NULL)
			ck_assert_uint_eq(bad, 1);
		prev = n;
		free(v);
	}
	ck_assert_uint_eq(prev, nfull);
	free(full);
}
END_TEST

START_TEST(test_squeue_garbage)
{
	static const char text[] =
	    "\n"
	    "garbage\n"                                       /* bad */
	    "12|jobq.0123abcd.1.1|RUNNING|None|0|vm\n"       /* bad: no '|' */
	    "12|jobq.0123abcd.1.1|RUNNING|None|0|\n"         /* bad: 5 */
	    "x|jobq.0123abcd.2.1|RUNNING|None|0|vm|\n"       /* bad id */
	    "0|jobq.0123abcd.2.1|RUNNING|None|0|vm|\n"       /* bad id */
	    "-3|jobq.0123abcd.2.1|RUNNING|None|0|vm|\n"      /* bad id */
	    "99999999999999999999|jobq.0123abcd.2.1|RUNNING|None|0|vm|\n"
	    "x|someone else|RUNNING|None|0|vm|\n"            /* not ours */
	    "|||||\n"                                         /* bad */
	    "||||||\n"                                        /* not ours */
	    "21|jobq.0123abcd.3.1|WEIRD_NEW|None|x|vm|\n"    /* unknown */
	    "22|jobq.0123abcd.4.1|RUNNING|None|-1||\n"
	    "23|jobq.0123abcd.5.1|R|None|99999999999999999999|n[1-3]|\n"
	    "24|jobq.0123abcd.6.1|\x01RUN\x7f|a|0|b|\n"
	    "25|jobq.0123abcd.7.1|RUNNING|None|0|vm|";          /* no \n */
	static const char nul[] =
	    "26|jobq.0123abcd.8.1|RUNNING|None|0|vm|\n"
	    "27|jobq.0123abcd.9.1|RUN\0NG|None|0|vm|\n"        /* bad */
	    "28|jobq.0123abcd.10.1|RUNNING|None|0|vm|\n";
	struct slurm_text_job *v;
	size_t n, bad;

	ck_assert_int_eq(slurm_text_parse_squeue(text, sizeof(text) - 1, INST,
	    &v, &n, &bad), 0);
	ck_assert_uint_eq(bad, 8);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(v[0].slurm_id, 21);
	ck_assert_int_eq(v[0].state, SLURM_ST_UNKNOWN);
	ck_assert_str_eq(v[0].state_word, "WEIRD_NEW");
	ck_assert_int_eq(v[0].status, -1);
	ck_assert_int_eq(v[1].status, -1);
	ck_assert_str_eq(v[1].nodes, "");
	ck_assert_int_eq(v[2].state, SLURM_ST_RUNNING);
	ck_assert_int_eq(v[2].status, -1);
	ck_assert_str_eq(v[2].nodes, "n[1-3]");
	ck_assert_str_eq(v[3].state_word, "?RUN?");
	ck_assert_int_eq(v[3].state, SLURM_ST_UNKNOWN);
	ck_assert_int_eq(v[4].slurm_id, 25);
	ck_assert_int_eq(v[4].job_id, 7);
	free(v);

	ck_assert_int_eq(slurm_text_parse_squeue(nul, sizeof(nul) - 1, INST,
	    &v, &n, &bad), 0);
	ck_assert_uint_eq(bad, 1);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(v[0].slurm_id, 26);
	ck_assert_int_eq(v[1].slurm_id, 28);
	free(v);
}
END_TEST

START_TEST(test_squeue_long_fields)
{
	char *text, *p;
	struct slurm_text_job *v;
	size_t n, bad, i, len = 0;

	text = malloc(1 << 20);
	ck_assert_ptr_nonnull(text);
	p = text;
	p += sprintf(p, "31|jobq.0123abcd.1.1|");
	for (i = 0; i < 100; i++)
		*p++ = 'S';
	*p++ = '|';
	for (i = 0; i < 5000; i++)
		*p++ = 'r';
	p += sprintf(p, "|0|");
	for (i = 0; i < 200000; i++)
		*p++ = "n,"[i % 2];
	p += sprintf(p, "|\n");
	/* many lines: the vector grows */
	for (i = 0; i < 1000; i++)
		p += sprintf(p, "%zu|jobq.0123abcd.%zu.1|RUNNING|None|0|vm|\n",
		    100 + i, 1 + i);
	len = (size_t)(p - text);
	ck_assert_int_eq(slurm_text_parse_squeue(text, len, INST, &v, &n,
	    &bad), 0);
	ck_assert_uint_eq(bad, 0);
	ck_assert_uint_eq(n, 1001);
	ck_assert_uint_eq(strlen(v[0].state_word), sizeof(v[0].state_word) - 1);
	ck_assert_int_eq(v[0].state, SLURM_ST_UNKNOWN);
	ck_assert_uint_eq(strlen(v[0].reason), sizeof(v[0].reason) - 1);
	ck_assert_uint_eq(strlen(v[0].nodes), sizeof(v[0].nodes) - 1);
	ck_assert_int_eq(v[1000].slurm_id, 1099);
	ck_assert_int_eq(v[1000].job_id, 1000);
	free(v);
	free(text);
}
END_TEST

/* ---- sacct ---- */

START_TEST(test_sacct)
{
	static const int64_t ids[] = { 5, 12, 4294967295LL };
	static const char *const want[] = {
		"sacct", "-n", "-P", "-X", "-j", "5,12,4294967295", "-o",
		"JobIDRaw,JobName%200,State,ExitCode,NodeList", NULL,
	};
	static const char text[] =
	    "5|jobq.0123abcd.5.1|FAILED|3:0|vm\n"
	    "6|jobq.0123abcd.6.1|CANCELLED by 0|0:15|node[01-02]\n"
	    "7|jobq.0123abcd.7.2|TIMEOUT|0:0|vm\n"
	    "8|jobq.0123abcd.8.1|CANCELLED by 1000|0:0|None assigned\n"
	    "9|jobq.0123abcd.9.1|COMPLETED|0:0|vm\n"
	    "10|jobq.0123abcd.10.1|OUT_OF_MEMORY|0:125|vm\n"
	    "11|jobq.0123abcd.11.1|FAILED|x:0|vm\n"
	    "12|jobq.0123abcd.12.1|FAILED|256:0|vm\n"
	    "13|jobq.x.1.1|COMPLETED|0:0|vm\n"
	    "14|name|with|bars|COMPLETED|0:0|vm\n"
	    "15|jobq.0123abcd.15.1|FAILED|15:53|vm\n"
	    "bad line\n"
	    "16|jobq.0123abcd.16.1|FAILED|1:0\n";          /* bad: 4 fields */
	struct slurm_text_job *v;
	char **argv;
	size_t n, bad;

	argv = slurm_text_sacct_argv(NULL, ids, 3);
	argv_eq(argv, want);
	free(argv);
	ck_assert_ptr_null(slurm_text_sacct_argv("sacct", ids, 0));
	ck_assert_ptr_null(slurm_text_sacct_argv("sacct", NULL, 1));

	ck_assert_int_eq(slurm_text_parse_sacct(text, sizeof(text) - 1, INST,
	    &v, &n, &bad), 0);
	ck_assert_uint_eq(bad, 2);
	ck_assert_uint_eq(n, 9);
	ck_assert_int_eq(v[0].status, 768);
	ck_assert_int_eq(v[0].state, SLURM_ST_FAILED);
	ck_assert_str_eq(v[0].reason, "");
	ck_assert_int_eq(v[1].state, SLURM_ST_CANCELLED);
	ck_assert_str_eq(v[1].state_word, "CANCELLED by 0");
	ck_assert_int_eq(v[1].status, 15);
	ck_assert_str_eq(v[1].nodes, "node[01-02]");
	ck_assert_int_eq(v[2].state, SLURM_ST_TIMEOUT);
	ck_assert_int_eq(v[2].attempt, 2);
	ck_assert_str_eq(v[3].nodes, "");
	ck_assert_int_eq(v[3].status, 0);
	ck_assert_int_eq(v[4].state, SLURM_ST_COMPLETED);
	ck_assert_int_eq(v[5].state, SLURM_ST_OUT_OF_MEMORY);
	ck_assert_int_eq(v[5].status, 125);
	ck_assert_int_eq(v[6].status, -1);
	ck_assert_int_eq(v[7].status, -1);       /* 256: not a code */
	ck_assert_int_eq(v[8].status, 15 << 8 | 53);
	free(v);
}
END_TEST

/* ---- scancel ---- */

START_TEST(test_scancel)
{
	static const int64_t ids[] = { 7, 4294967295LL };
	static const char *const want[] = { "scancel", "7", "4294967295",
	    NULL };
	static const char *const want_sig[] = { "/s/scancel", "--signal=15",
	    "--full", "7", NULL };
	char **argv;

	argv = slurm_text_scancel_argv(NULL, ids, 2);
	argv_eq(argv, want);
	free(argv);
	argv = slurm_text_scancel_signal_argv("/s/scancel", SIGTERM, ids, 1);
	argv_eq(argv, want_sig);
	free(argv);
	ck_assert_ptr_null(slurm_text_scancel_argv("scancel", ids, 0));
	ck_assert_ptr_null(slurm_text_scancel_argv("scancel", NULL, 2));
	ck_assert_ptr_null(slurm_text_scancel_signal_argv("scancel", 0, ids,
	    1));
	ck_assert_ptr_null(slurm_text_scancel_signal_argv("scancel", 65, ids,
	    1));
}
END_TEST

/* ---- the end mapping ---- */

static void
end_of(enum slurm_state st, const char *reason, int status,
    const char *nodes, struct slurm_text_end *e)
{
	struct slurm_text_job j;

	memset(&j, 0, sizeof(j));
	j.slurm_id = 1;
	j.job_id = 1;
	j.attempt = 1;
	j.state = st;
	snprintf(j.state_word, sizeof(j.state_word), "%s",
	    st == SLURM_ST_OTHER_END ? "SPECIAL_EXIT" :
	    slurm_text_state_name(st));
	snprintf(j.reason, sizeof(j.reason), "%s", reason);
	j.status = status;
	snprintf(j.nodes, sizeof(j.nodes), "%s", nodes);
	memset(e, 0x55, sizeof(*e));
	slurm_text_end(&j, e);
}

#define END_IS(e, end, evv, code, sg, msg) do {				\
	ck_assert_int_eq((e).ended, (end));				\
	if (end) {							\
		ck_assert_int_eq((e).ev, (evv));			\
		ck_assert_int_eq((e).exit_code, (code));		\
		ck_assert_int_eq((e).sig, (sg));			\
		ck_assert_str_eq((e).message, (msg));			\
	}								\
} while (0)

START_TEST(test_end)
{
	struct slurm_text_end e;

	end_of(SLURM_ST_PENDING, "Priority", 0, "", &e);
	END_IS(e, 0, 0, 0, 0, "");
	end_of(SLURM_ST_RUNNING, "None", 0, "vm", &e);
	END_IS(e, 0, 0, 0, 0, "");
	end_of(SLURM_ST_UNKNOWN, "None", 0, "vm", &e);
	END_IS(e, 0, 0, 0, 0, "");

	end_of(SLURM_ST_COMPLETED, "None", 0, "vm", &e);
	END_IS(e, 1, JOB_EV_EXITED, 0, 0, "");

	/* FAILED: the status decides */
	end_of(SLURM_ST_FAILED, "NonZeroExitCode", 768, "vm", &e);
	END_IS(e, 1, JOB_EV_EXITED, 3, 0, "");
	end_of(SLURM_ST_FAILED, "NonZeroExitCode", 255 << 8, "vm", &e);
	END_IS(e, 1, JOB_EV_EXITED, 255, 0, "");
	end_of(SLURM_ST_FAILED, "JobLaunchFailure", 15, "vm", &e);
	END_IS(e, 1, JOB_EV_SIGNALED, -1, 15, "");
	end_of(SLURM_ST_FAILED, "JobLaunchFailure", 0x80 | 11, "vm", &e);
	END_IS(e, 1, JOB_EV_SIGNALED, -1, 11, "");
	end_of(SLURM_ST_FAILED, "JobLaunchFailure", 4021, "vm", &e);
	END_IS(e, 1, JOB_EV_SPAWN_FAILED, -1, 0,
	    "Slurm: FAILED (JobLaunchFailure) on vm");
	end_of(SLURM_ST_FAILED, "None", 0, "", &e);
	END_IS(e, 1, JOB_EV_SPAWN_FAILED, -1, 0, "Slurm: FAILED");
	end_of(SLURM_ST_FAILED, "", -1, "n1", &e);
	END_IS(e, 1, JOB_EV_SPAWN_FAILED, -1, 0, "Slurm: FAILED on n1");
	end_of(SLURM_ST_FAILED, "", 0x7f, "", &e);      /* "stopped" */
	END_IS(e, 1, JOB_EV_SPAWN_FAILED, -1, 0, "Slurm: FAILED");
	end_of(SLURM_ST_FAILED, "", 0x10000, "", &e);
	END_IS(e, 1, JOB_EV_SPAWN_FAILED, -1, 0, "Slurm: FAILED");

	end_of(SLURM_ST_CANCELLED, "None", 15, "vm", &e);
	END_IS(e, 1, JOB_EV_SIGNALED, -1, SIGTERM, "Slurm: CANCELLED");
	end_of(SLURM_ST_CANCELLED, "None", 9, "vm", &e);
	END_IS(e, 1, JOB_EV_SIGNALED, -1, SIGKILL, "Slurm: CANCELLED");
	end_of(SLURM_ST_CANCELLED, "JobHeldUser", 0, "", &e);
	END_IS(e, 1, JOB_EV_SIGNALED, -1, SIGTERM, "Slurm: CANCELLED");

	end_of(SLURM_ST_TIMEOUT, "TimeLimit", 15, "vm", &e);
	END_IS(e, 1, JOB_EV_TIMEOUT, -1, 0, "Slurm: TIMEOUT");
	end_of(SLURM_ST_DEADLINE, "", 0, "", &e);
	END_IS(e, 1, JOB_EV_TIMEOUT, -1, 0, "Slurm: DEADLINE");

	end_of(SLURM_ST_NODE_FAIL, "", 0, "node01", &e);
	END_IS(e, 1, JOB_EV_WORKER_LOST, -1, 0, "Slurm: NODE_FAIL on node01");
	end_of(SLURM_ST_BOOT_FAIL, "", 0, "", &e);
	END_IS(e, 1, JOB_EV_WORKER_LOST, -1, 0, "Slurm: BOOT_FAIL");
	end_of(SLURM_ST_PREEMPTED, "", 0, "n[1-2]", &e);
	END_IS(e, 1, JOB_EV_WORKER_LOST, -1, 0, "Slurm: PREEMPTED on n[1-2]");

	end_of(SLURM_ST_OUT_OF_MEMORY, "", 0, "vm", &e);
	END_IS(e, 1, JOB_EV_SIGNALED, -1, SIGKILL, "Slurm: OUT_OF_MEMORY");

	end_of(SLURM_ST_OTHER_END, "", 0, "vm", &e);
	END_IS(e, 1, JOB_EV_WORKER_LOST, -1, 0, "Slurm: SPECIAL_EXIT");
}
END_TEST

/* The long fields fit the message (truncated, terminated). */
START_TEST(test_end_long)
{
	struct slurm_text_job j;
	struct slurm_text_end e;

	memset(&j, 'z', sizeof(j));
	j.state = SLURM_ST_FAILED;
	j.status = -1;
	j.reason[sizeof(j.reason) - 1] = '\0';
	j.nodes[sizeof(j.nodes) - 1] = '\0';
	j.state_word[sizeof(j.state_word) - 1] = '\0';
	slurm_text_end(&j, &e);
	ck_assert_int_eq(e.ev, JOB_EV_SPAWN_FAILED);
	ck_assert_uint_eq(strlen(e.message), sizeof(e.message) - 1);
	j.state = SLURM_ST_OTHER_END;
	slurm_text_end(&j, &e);
	ck_assert_uint_eq(strlen(e.message), strlen("Slurm: ") + 31);
}
END_TEST

static Suite *
check_slurm_text_suite(void)
{
	Suite *s = suite_create("slurm_text");
	TCase *tc = tcase_create("text");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_script_text);
	tcase_add_test(tc, test_script_roundtrip);
	tcase_add_test(tc, test_script_big);
	tcase_add_test(tc, test_script_dash_cmd);
	tcase_add_test(tc, test_name);
	tcase_add_test(tc, test_name_near_misses);
	tcase_add_test(tc, test_sbatch_minimal);
	tcase_add_test(tc, test_sbatch_full);
	tcase_add_test(tc, test_gres);
	tcase_add_test(tc, test_parse_sbatch);
	tcase_add_test(tc, test_states);
	tcase_add_test(tc, test_squeue_argv);
	tcase_add_test(tc, test_squeue_real);
	tcase_add_test(tc, test_squeue_truncated);
	tcase_add_test(tc, test_squeue_garbage);
	tcase_add_test(tc, test_squeue_long_fields);
	tcase_add_test(tc, test_sacct);
	tcase_add_test(tc, test_scancel);
	tcase_add_test(tc, test_end);
	tcase_add_test(tc, test_end_long);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(check_slurm_text_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
