# shellcheck shell=bash
# complete-lib.sh - what the shell completion tests (completion-*.sh)
# share: the options of each jobq command and of jobqd as the C sources
# define them, the commands and global options from `jobq --help`, a real
# jobqd with queues and jobs to complete, and set comparison.  Sourced after
# lib.sh, never run.

# The source tree: lib.sh lives in its tests/integration.
SRC=$(cd "$(dirname "${TESTLIB:-$0}")/../.." && pwd) || exit 99
COMPLETIONS=$SRC/completions
[ -f "$COMPLETIONS/jobq.bash" ] || fail "no completions/ in $SRC"

# src_opts CMD: the options of `jobq CMD` from client/*.c, one a line,
# "--name=" for one that takes an argument, "--name" or "-x" for one that
# does not: the struct option tables and getopt_long short options of the
# function cmd_CMD and its helpers cmd_CMD_* (an optional argument, as in
# --color[=WHEN], counts as none; submit's table is in
# cmd_submit_args), or --json, -h, --help for a command parsed by
# cmd_json_opts.  src_opts jobqd: jobqd's, from daemon/options.c.  Read
# once for all into $T/opts/.
src_opts() {
	if [ ! -d "$T/opts" ]; then
		mkdir "$T/opts" || fail "mkdir $T/opts"
		python3 - "$SRC" "$T/opts" <<'EOF' || fail "cannot read the options from the sources"
import glob, re, sys
src, dest = sys.argv[1], sys.argv[2]
def put(cmd, out):
    if not out:
        sys.exit("no options found for " + cmd)
    with open(dest + "/" + cmd, "w") as f:
        f.write("\n".join(sorted(out)) + "\n")
text = open(src + "/daemon/options.c").read()
table = text[text.index("options_table[] = {"):]
table = table[:table.index("\n};")]
out = set()
for m in re.finditer(r'\{ "([a-z-]+)", (\'(.)\'|0), OPTIONS_([A-Z]+)', table):
    arg = m.group(4) not in ("HELP", "VERSION")
    out.add("--" + m.group(1) + ("=" if arg else ""))
    if m.group(3):
        out.add("-" + m.group(3) + ("=" if arg else ""))
put("jobqd", out)
bodies = {}
for f in glob.glob(src + "/client/cmd*.c"):
    text = open(f).read()
    for m in re.finditer(r'^cmd_([a-z]+)(_[a-z_]+)?\([^)]*\)\n\{\n(.*?)^\}', text, re.M | re.S):
        bodies[m.group(1)] = bodies.get(m.group(1), "") + m.group(3)
for cmd, body in bodies.items():
    out = set()
    if "cmd_json_opts(" in body:
        out |= {"--json", "--help", "-h"}
    for m in re.finditer(r'\{ "([a-z-]+)",\s*(no|required|optional)_argument', body):
        out.add("--" + m.group(1) + ("=" if m.group(2) == "required" else ""))
    if "CMD_OPTS_COMMON" in body:
        out |= {"--json", "--help"}
    for m in re.finditer(r'getopt_long\(argc, [a-z]+, "\+?:?([^"]*)"', body):
        s = m.group(1)
        for i, c in enumerate(s):
            if c != ":":
                out.add("-" + c + ("=" if s[i + 1:i + 2] == ":" else ""))
    if out:
        put(cmd, out)
EOF
	fi
	[ -s "$T/opts/$1" ] || fail "no options of $1 found in the sources"
	cat "$T/opts/$1"
}

# src_opt_names CMD: src_opts without the "=" marks.
src_opt_names() { src_opts "$1" | sed 's/=$//'; }

# The commands `jobq --help` lists, and its global options.
HELP_COMMANDS=$("$JOBQ" --help | sed -n '/^Commands:/,/^$/p' |
	awk 'NF > 1 { print $1 }') || fail "jobq --help"
HELP_GLOBAL_OPTS=$("$JOBQ" --help | sed -n '/^Global options/,/^$/p' |
	grep -oE '(^|[ ,])--?[a-zA-Z][a-z-]*' | tr -d ' ,') || fail "jobq --help"
help_commands() { printf '%s\n' "$HELP_COMMANDS"; }
help_global_opts() { printf '%s\n' "$HELP_GLOBAL_OPTS"; }

# same_set DESCRIPTION EXPECTED ACTUAL: both newline-separated lists hold
# the same words (order and repeats aside).
same_set() {
	local want got
	want=$(printf '%s\n' "$2" | sed '/^$/d' | sort -u)
	got=$(printf '%s\n' "$3" | sed '/^$/d' | sort -u)
	[ "$want" = "$got" ] || fail "$1: expected [$(echo $want)], got [$(echo $got)]"
}

# has_all DESCRIPTION ACTUAL WORD...: each WORD is a line of ACTUAL.
has_all() {
	local what=$1 got=$2 w
	shift 2
	for w; do
		grep -qxF -- "$w" <<<"$got" || fail "$what: [$w] missing from [$(echo $got)]"
	done
}

# has_none DESCRIPTION ACTUAL WORD...: no WORD is a line of ACTUAL.
has_none() {
	local what=$1 got=$2 w
	shift 2
	for w; do
		grep -qxF -- "$w" <<<"$got" && fail "$what: [$w] offered: [$(echo $got)]"
	done
	return 0
}

# setup_jobs: starts jobqd and gives it something to complete: the queues
# alpha (parallel 2), beta.x and the paused gamma-1 (QUEUES: the names
# `jobq --json queue list` gives); 205 jobs held in gamma-1 (OLDEST and
# NEWEST their first and last id); then DONE, a job that succeeded, HELD, a
# job queued in gamma-1, and ARR, an array of twelve tasks that ended
# (ARR_TASKS their A.I: ARR.1 and ARR.10 both).  The newest 200 jobs, those
# offered (REFS), are the last 186 of the 205 and the 14 after them.
setup_jobs() {
	start_daemon
	q queue set alpha --parallel 2 >/dev/null || fail "queue set alpha"
	q queue set beta.x --parallel 0 >/dev/null || fail "queue set beta.x"
	q queue pause gamma-1 >/dev/null || fail "queue pause gamma-1"
	python3 -c 'print("\n".join(["{\"argv\":[\"true\"],\"queue\":\"gamma-1\"}"] * 205))' \
		>"$T/batch.jsonl"
	q submit --batch "$T/batch.jsonl" >"$T/batch.ids" || fail "submit --batch"
	assert_eq "$(wc -l <"$T/batch.ids")" 205 "ids printed by submit --batch"
	OLDEST=$(head -n 1 "$T/batch.ids")
	NEWEST=$(tail -n 1 "$T/batch.ids")
	DONE=$(submit --queue alpha -- true)
	wait_ended "$DONE"
	HELD=$(submit --queue gamma-1 -- true)
	ARR=$(submit --array 1-12 -- true)
	wait_ended "$ARR"
	ARR_TASKS=$(seq -f "$ARR.%g" 1 12)
	QUEUES=$(q --json queue list | python3 -c '
import json, sys
print("\n".join(x["name"] for x in json.load(sys.stdin)))') ||
		fail "jobq --json queue list"
	has_all "queues jobqd lists" "$QUEUES" alpha beta.x gamma-1 default
	# REFS: what `jobq show ` offers: the ids of the newest 200 jobs and of
	# the arrays of their tasks.
	REFS=$(q --json list --limit 200 | python3 -c '
import json, sys
a = json.load(sys.stdin)
assert len(a) == 200, "list --limit 200 gave %d jobs" % len(a)
ids = {j["id"] for j in a} | {j["array_id"] for j in a if j.get("array_id")}
print("\n".join(str(i) for i in sorted(ids)))') || fail "jobq --json list --limit 200"
	has_all "the newest 200 jobs" "$REFS" "$DONE" "$HELD" "$ARR" "$NEWEST"
	has_none "the newest 200 jobs" "$REFS" "$OLDEST"
}

# mute_start: a Unix socket at $T/mute whose listener accepts nothing and
# never answers (MUTE: its pid, killed by the exit trap if need be);
# mute_stop ends it.
mute_start() {
	python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(64)
time.sleep(600)' "$T/mute" &
	MUTE=$!
	EXTRA_PIDS=$MUTE
	sock_there() { [ -S "$T/mute" ]; }
	wait_for 10 "the socket of the mute listener" sock_there
}
mute_stop() {
	kill "$MUTE"
	wait "$MUTE" 2>/dev/null
	EXTRA_PIDS=
}

# mute_cutoff_check: with the test's comp (completion of a command line)
# and $J (jobq on a socket nobody serves): `show` completes to nothing
# with no jobqd and with the mute one, and the mute one is asked (>= 1.9 s)
# but cut off after 2 s.
mute_cutoff_check() {
	local s base ms
	s=$(now_ms)
	same_set "show with no jobqd" "" "$(comp "$J show ")"
	base=$(($(now_ms) - s))
	s=$(now_ms)
	same_set "show with a mute jobqd" "" "$(comp "$JOBQ -s $T/mute show ")"
	ms=$(($(now_ms) - s))
	[ "$ms" -ge 1900 ] || fail "show with a mute jobqd took $ms ms: was jobq asked at all?"
	[ "$ms" -lt $((base + 4000 * SLOW)) ] ||
		fail "show with a mute jobqd took $ms ms, not cut off after 2 s (no jobqd: $base ms)"
}
