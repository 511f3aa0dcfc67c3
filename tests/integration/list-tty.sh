#!/usr/bin/env bash
# list-tty.sh - `jobq list` as a person sees it on a terminal and as a
# program reads it from a pipe.  The terminal is a real pseudo-terminal
# (script(1)) of a given size.
#   terminal: the newest 50 jobs, newest first, a footer with the number
#   that match in all (jobqd's count), no line wider than the terminal in
#   display cells (CJK names take two) at 40, 80 and 200 columns, columns
#   aligned past a CJK name, states in colour unless NO_COLOR / TERM=dumb /
#   --color=never, relative times; --all, --limit.
#   pipe: every job, oldest first, absolute times, no colour, no footer;
#   --color=always forces colour.
#   filters and order: --state with commas and repeated, --user, --sort,
#   --reverse, -o; bad values are usage errors (2).
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

command -v script >/dev/null || skip "no script(1) (util-linux)"
command -v python3 >/dev/null || skip "no python3"

WORKERS=2
start_daemon

# tty COLS CMD...: runs CMD in a pseudo-terminal COLS wide (stdout a tty),
# output without the CRs the terminal adds.
tty_run() {
	local cols=$1 cmd
	shift
	printf -v cmd '%q ' "$@"
	TERM=${TERM_OVERRIDE:-xterm} script -qec "stty cols $cols rows 60; $cmd" /dev/null | tr -d '\r'
}
jl() { tty_run "${COLS:-80}" env ${ENVS:-} "$JOBQ" -s "$SOCK" list "$@"; }

# --- jobs: 57 plain, a failure, a CJK name, an array of 3, another user's,
# a delayed one --------------------------------------------------------------
for i in $(seq 1 57); do printf '{"argv":["true"]}\n'; done >"$T/batch"
ids=$(q submit --batch "$T/batch") || fail "batch submit"
fid=$(submit -- sh -c 'exit 3')
cjk=$(submit --name 中文名字测试 -- echo 你好世界)
arr=$(submit --array 1-3 -- true)
nob=$(submit --user nobody -- true) || fail "submit --user nobody"
for j in $ids $fid $cjk $nob; do wait_ended "$j"; done
q wait "$arr" >/dev/null || true
del=$(submit --delay 1h -- true)
total=$(q --json list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$total" -ge 64 ] || fail "only $total jobs listed"
maxid=$(q --json list | python3 -c 'import json,sys; print(max(j["id"] for j in json.load(sys.stdin)))')

# check_lines FILE WIDTH: no line wider than WIDTH display cells
check_lines() {
	python3 - "$1" "$2" <<'PY' || fail "$(cat "$1")"
import re, sys, unicodedata
w = int(sys.argv[2])
def cells(s):
    n = 0
    for ch in s:
        if unicodedata.combining(ch): continue
        n += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return n
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    line = re.sub(r"\x1b\[[0-9;]*m", "", line.rstrip("\n"))
    if cells(line) > w:
        print("line of %d cells at width %d: %r" % (cells(line), w, line)); sys.exit(1)
PY
}

# --- the terminal view ------------------------------------------------------
for c in 40 80 200; do
	COLS=$c jl >"$T/tty$c" || fail "list on a $c-column terminal"
	check_lines "$T/tty$c" "$c"
	head -1 "$T/tty$c" | grep '^ *ID  STATE\|^ *ID  TASK  STATE' >/dev/null || fail "header at $c: $(head -1 "$T/tty$c")"
	# 50 jobs, a header and the footer
	assert_eq "$(nlines "$T/tty$c")" 52 "lines on a $c-column terminal"
	tail -1 "$T/tty$c" | grep -F "(50 of $total jobs shown" >/dev/null ||
		fail "footer at $c: $(tail -1 "$T/tty$c")"
	[ "$c" = 40 ] || tail -1 "$T/tty$c" | grep -F "; --all or --limit N for more)" >/dev/null ||
		fail "footer's hint at $c: $(tail -1 "$T/tty$c")"
	first=$(sed -n 2p "$T/tty$c" | sed 's/\x1b\[[0-9;]*m//g' | awk '{print $1}')
	assert_eq "$first" "$maxid" "first job on a terminal (newest first)"
done
grep -q $'\e\\[32msucceeded\e\\[0m' "$T/tty80" || fail "no colour for succeeded: $(sed -n 3p "$T/tty80" | cat -v)"
grep -q $'\e\\[1;31mfailed' "$T/tty80" || fail "no colour for failed"
grep -q "queued (in 59m)" "$T/tty200" || fail "the delayed job's relative start: $(grep " $del " "$T/tty200")"
COLS=200 jl -o id,submitted,command --limit 3 >"$T/rel"
grep -Eq '^ *[0-9]+  ([0-9]+s ago|now) ' "$T/rel" || fail "relative submit time on a terminal: $(cat "$T/rel")"
grep -qF "(3 of $total jobs shown" "$T/rel" || fail "--limit 3 footer: $(tail -1 "$T/rel")"
COLS=80 jl --all >"$T/all"
assert_eq "$(nlines "$T/all")" $((total + 1)) "--all on a terminal: every job and the header"
check_lines "$T/all" 80
# past a CJK name the next column starts at the same cell on every line
COLS=80 jl -o id,name,state --all >"$T/cjk"
python3 - "$T/cjk" <<'PY' || fail "columns after a CJK name: $(grep -n . "$T/cjk" | head -5)"
import re, sys, unicodedata
def cells(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
pos = set()
for line in open(sys.argv[1], encoding="utf-8"):
    line = re.sub(r"\x1b\[[0-9;]*m", "", line.rstrip("\n"))
    if not line or line.startswith("("): continue
    m = re.search(r"(STATE|queued|succeeded|failed)", line)
    pos.add(cells(line[:m.start()]))
if "中文名字测试" not in open(sys.argv[1], encoding="utf-8").read(): sys.exit("no CJK name")
if len(pos) != 1: sys.exit("STATE starts at cells %s" % sorted(pos))
PY
for e in "NO_COLOR=1" "TERM=dumb"; do
	ENVS=$e COLS=80 jl >"$T/nc" || fail "list with $e"
	grep -q $'\e' "$T/nc" && fail "colour with $e"
done
COLS=80 jl --color=never | grep $'\e' >/dev/null && fail "colour with --color=never"
# --json on a terminal: every job, oldest first, no colour
tty_run 80 "$JOBQ" -s "$SOCK" --json list >"$T/tjson"
python3 -c '
import json, sys
v = json.load(open(sys.argv[1])); ids = [j["id"] for j in v]
if len(v) != int(sys.argv[2]) or ids != sorted(ids): sys.exit("--json on a terminal: %d jobs, order %s" % (len(v), ids[:5]))
' "$T/tjson" "$total" || fail "json on a tty"

# --- the pipe view ----------------------------------------------------------
q list >"$T/pipe" || fail "list into a pipe"
grep -q $'\e' "$T/pipe" && fail "colour in a pipe"
assert_eq "$(nlines "$T/pipe")" $((total + 1)) "lines in a pipe (every job and the header)"
awk 'NR > 1 { print $1 }' "$T/pipe" >"$T/pids"
sort -n "$T/pids" | cmp -s - "$T/pids" || fail "a pipe lists oldest first"
grep -Eq '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}' "$T/pipe" || fail "absolute times in a pipe"
grep -q "jobs shown" "$T/pipe" && fail "a footer in a pipe"
grep -q "queued until" "$T/pipe" || fail "the delayed job in a pipe: $(grep "^ *$del " "$T/pipe")"
q list --color=always | grep $'\e\\[32msucceeded' >/dev/null || fail "--color=always in a pipe"

# --- filters and order --------------------------------------------------------
cnt() { q --json list "$@" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
ns=$(cnt --state succeeded); nf=$(cnt --state failed); nq=$(cnt --state queued)
assert_eq "$nf" 1 "failed jobs"
assert_eq "$nq" 1 "queued jobs"
assert_eq "$(cnt --state succeeded,failed)" $((ns + nf)) "--state succeeded,failed"
assert_eq "$(cnt --state queued --state failed)" 2 "--state queued --state failed"
COLS=80 jl --state queued,failed >"$T/qf"
assert_eq "$(nlines "$T/qf")" 3 "--state queued,failed on a terminal (no footer: all shown)"
q list --user nobody -o id >"$T/nob"
assert_eq "$(awk 'NR > 1' "$T/nob")" "$nob" "--user nobody"
q list --user 0 -o id | grep -x " *$nob" >/dev/null && fail "--user 0 lists nobody's job"
q list -o id,state --sort state >"$T/bystate"
awk 'NR > 1 { print $2 }' "$T/bystate" >"$T/st"
LC_ALL=C sort -c "$T/st" || fail "--sort state: $(uniq "$T/st" | tr '\n' ' ')"
q list -o id --sort id --reverse | awk 'NR > 1' >"$T/rev"
sort -rn "$T/rev" | cmp -s - "$T/rev" || fail "--sort id --reverse"
assert_eq "$(q list -o ID,exit,Command --state failed | tail -1 | awk '{$1=$1; print}')" \
	"$fid 3 sh -c 'exit 3'" "-o id,exit,command of the failed job"
q list -o task --array "$arr" | awk 'NR > 1 { print $1 }' | sort >"$T/tasks"
assert_eq "$(tr '\n' ' ' <"$T/tasks")" "$arr.1 $arr.2 $arr.3 " "-o task of an array"

# --- bad values ---------------------------------------------------------------
assert_rc 2 "--state bogus" q list --state queued,bogus
assert_rc 2 "-o bogus" q list -o id,bogus
assert_rc 2 "--all with --limit" q list --all --limit 3
assert_rc 2 "--user nosuchuser" q list --user no-such-user-jobq
assert_rc 2 "--sort command" q list --sort command
assert_rc 2 "--color=sometimes" q list --color=sometimes
q list --state bogus 2>"$T/err"
grep -q "invalid state 'bogus'" "$T/err" || fail "message for --state bogus: $(cat "$T/err")"
log "ok"
