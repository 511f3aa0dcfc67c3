#!/bin/bash
# tests/fuzz/run.sh - coverage-guided fuzzing (libFuzzer + ASan + UBSan) of
# the code that takes untrusted bytes: the protocol codec lib/proto*.c
# (frames, requests and replies from a peer), daemon/wire.c (job specs a
# worker reads), daemon/cron.c (cron expressions a client sends, and the
# next-fire algorithm on what parses) with daemon/cron_zone.c (TZif files)
# daemon/slurm_text.c (what squeue, sacct and sbatch answer; the batch
# script's quoting) and store_row_strv_parse in daemon/store_row.c (the
# argv and env columns as a claim reads them).  Not part of `make check`.
#
#   tests/fuzz/run.sh [proto] [wire] [cron] [slurm] [strv]   (default: all five)
#
# FUZZ_SECONDS   seconds per target (default 60)
# FUZZ_DIR       build dir, corpus and crash artifacts
#                (default ${TMPDIR:-/tmp}/jobq-fuzz; the corpus is kept and
#                grows across runs)
# CC             clang (default clang)
# tests/fuzz/TARGET.dict, when present, is passed as -dict.
#
# Needs clang and its compiler-rt (Debian: clang libclang-rt-14-dev, which
# are installed with apt-get when missing and running as root) and
# libcjson-dev.  Prints each target's final coverage and exec/s line; exits
# non-zero if a target crashed, leaked or broke an invariant (the input is
# saved as $FUZZ_DIR/crash-*; replay with $FUZZ_DIR/fuzz_TARGET FILE).
set -euo pipefail
export LC_ALL=C   # ${#s} counts bytes

src=$(cd "$(dirname "$0")/../.." && pwd)
out=${FUZZ_DIR:-${TMPDIR:-/tmp}/jobq-fuzz}
secs=${FUZZ_SECONDS:-60}
cc=${CC:-clang}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(proto wire cron slurm strv)
for t in "${targets[@]}"; do
	case $t in proto|wire|cron|slurm|strv) ;; *) echo "run.sh: unknown target $t" >&2; exit 2;; esac
done

if ! command -v "$cc" >/dev/null ||
   ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){return 0;}' |
     "$cc" -fsanitize=fuzzer,address -x c - -o /dev/null 2>/dev/null; then
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
		apt-get update -q && DEBIAN_FRONTEND=noninteractive \
		    apt-get install -y -q clang libclang-rt-14-dev
	else
		echo "run.sh: need clang with libFuzzer (apt-get install clang libclang-rt-14-dev)" >&2
		exit 2
	fi
fi

# The version is written in one place: AC_INIT in configure.ac.
version=$(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' "$src/configure.ac")
[ -n "$version" ] || { echo "run.sh: no version in $src/configure.ac" >&2; exit 2; }

mkdir -p "$out"
cat > "$out/config.h" <<H
#define _GNU_SOURCE 1
#define HAVE_CONFIG_H 1
#define PACKAGE_VERSION "$version"
/* what Makefile.am passes with -D; the paths do not matter to a decoder */
#define RUNSTATEDIR "/run"
#define LOCALSTATEDIR "/var"
#define SYSCONFDIR "/etc"
H
sed "s/@PACKAGE_VERSION@/$version/" "$src/lib/jobq_version.h.in" > "$out/jobq_version.h"
cflags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-I"$out" -I"$src/lib" -iquote "$src/daemon" -I"$src/tests")
# (daemon/ by -iquote: its sched.h would hide the system's from pthread.h)

build() {
	case $1 in
	proto)
		"$cc" "${cflags[@]}" $(pkg-config --cflags libcjson) \
		    -o "$out/fuzz_proto" "$src/tests/fuzz/fuzz_proto.c" \
		    "$src/tests/proto_cmp.c" "$src"/lib/proto*.c \
		    "$src/lib/errors.c" "$src/lib/paths.c" \
		    $(pkg-config --libs libcjson) ;;
	wire)
		"$cc" "${cflags[@]}" $(pkg-config --cflags libcjson) \
		    -o "$out/fuzz_wire" \
		    "$src/tests/fuzz/fuzz_wire.c" "$src/daemon/wire.c" \
		    "$src/lib/util.c" "$src"/lib/proto*.c "$src/lib/errors.c" \
		    "$src/lib/paths.c" $(pkg-config --libs libcjson) ;;
	cron)
		"$cc" "${cflags[@]}" -o "$out/fuzz_cron" \
		    "$src/tests/fuzz/fuzz_cron.c" "$src/daemon/cron.c" \
		    "$src/daemon/cron_zone.c" ;;
	slurm)
		"$cc" "${cflags[@]}" $(pkg-config --cflags libcjson) \
		    -o "$out/fuzz_slurm" "$src/tests/fuzz/fuzz_slurm.c" \
		    "$src/daemon/slurm_text.c" ;;
	strv)
		"$cc" "${cflags[@]}" $(pkg-config --cflags libcjson sqlite3) \
		    -o "$out/fuzz_strv" "$src/tests/fuzz/fuzz_strv.c" \
		    "$src/daemon/store_row.c" "$src/daemon/log.c" \
		    "$src/lib/util.c" "$src"/lib/proto*.c "$src/lib/errors.c" \
		    "$src/lib/paths.c" $(pkg-config --libs libcjson sqlite3) ;;
	esac
}

# frame FILE JSON...: one file holding each JSON text as a frame.
frame() {
	local f=$1 j n
	shift
	: > "$f"
	for j in "$@"; do
		n=${#j}
		printf "\\x$(printf %02x $((n >> 24 & 255)))\\x$(printf %02x $((n >> 16 & 255)))\\x$(printf %02x $((n >> 8 & 255)))\\x$(printf %02x $((n & 255)))" >> "$f"
		printf '%s' "$j" >> "$f"
	done
}

# le32 N: N as 4 little-endian bytes.
le32() {
	printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))\\x$(printf %02x $(($1 >> 24 & 255)))"
}

# spec FILE CWD DIR OUT ERR FLAGS LIMIT NARGV ARGV... ENV...: a packed spec
# (see wire.h; LIMIT below 2^32) without an identity (the ident block:
# flags 0, uid 0, the primary group, umask 022), without resource limits, or
# with those in
# $RLIMITS: "SET V0 .. V5 N [RESOURCE CUR MAX]..." (values below 2^32).
spec() {
	local f=$1 cwd=$2 dir=$3 o=$4 e=$5 flags=$6 limit=$7 argc=$8 s v i=0
	shift 8
	{
		printf JQS2
		le32 "$argc"
		le32 $(($# - argc))
		le32 "$flags"
		le32 "$limit"
		le32 0
		for s in "$cwd" "$dir" "$o" "$e" "$@"; do
			le32 ${#s}
			printf '%s' "$s"
		done
		# the ident block: flags, uid, gid, umask
		le32 0
		le32 0
		le32 4294967295
		le32 18
		# the limits block: set, 6 x 64-bit values, n, n x (res, cur, max)
		for v in ${RLIMITS:-0 0 0 0 0 0 0 0}; do
			le32 "$v"
			# after set: the values (1..6), then cur and max of each
			# base limit are 64-bit; set, n and resource are 32-bit
			if [ "$i" -ge 1 ] && [ "$i" -le 6 ]; then
				le32 0
			elif [ "$i" -ge 8 ] && [ $(((i - 8) % 3)) -ne 0 ]; then
				le32 0
			fi
			i=$((i + 1))
		done
	} > "$f"
}

seed_proto() {
	local d=$1
	local job='{"id":7,"state":"failed","name":"nightly","queue":"batch","argv":["sh","-c","exit 3"],"cwd":"/tmp","owner_uid":1000,"exit_code":3,"signal":null,"submitted_at":1700000000000,"started_at":1700000000100,"finished_at":1700000000200,"attempts":2,"max_retries":1,"reason":"exit_code","message":null,"pid":null}'
	frame "$d/hello" '{"op":"hello","version":1}'
	frame "$d/submit" '{"op":"submit","argv":["make","-C","/src"],"env":["LANG=C","PATH=/usr/bin:/bin"],"cwd":"/home/u","name":"build","queue":"batch.1","retries":2}'
	frame "$d/submit-min" '{"op":"submit","argv":["true"],"env":[],"cwd":"/"}'
	frame "$d/job-reply" "{\"ok\":true,\"job\":$job}"
	frame "$d/job" "$job"
	frame "$d/list-reply" "{\"ok\":true,\"jobs\":[$job]}"
	frame "$d/error-reply" '{"ok":false,"error":{"code":"not_found","message":"no job 9"}}'
	frame "$d/logs-reply" '{"ok":true,"data":"aGVsbG8gZnJvbSBqb2JxCg==","offset":19,"eof":true}'
	frame "$d/requests" '{"op":"ping"}' '{"op":"show","id":1}' \
	    '{"op":"wait","id":3,"timeout_ms":5000}' '{"op":"cancel","id":9007199254740993}'
	# one request of every op, as libjobq sends them
	frame "$d/op-hello" '{"op":"hello","version":1,"client":"libjobq/'"$version"'"}'
	frame "$d/op-ping" '{"op":"ping"}'
	frame "$d/op-submit" '{"op":"submit","argv":["sh","-c","exit 3"],"env":["K=V"],"cwd":"/","queue":"q","priority":-5,"not_before":1700000000000,"timeout_ms":60000,"kill_grace_ms":1000,"retry_delay_ms":500,"labels":["team=infra"],"deps":[{"id":4,"mode":"notok"},{"id":5}],"array":{"first":0,"step":2,"count":10,"throttle":3}}'
	frame "$d/op-submit-limits" '{"op":"submit","argv":["true"],"env":[],"cwd":"/","limits":{"mem":1073741824,"cpu_time":3600,"nofile":1024,"nproc":100,"core":0,"nice":-5,"cpus":1500}}'
	frame "$d/op-submit-unique" '{"op":"submit","argv":["true"],"env":[],"cwd":"/","unique_key":"nightly"}'
	frame "$d/op-get" '{"op":"get","id":7}' '{"op":"get","id":7,"index":3}' '{"op":"get","id":7,"array":true}'
	frame "$d/op-list" '{"op":"list","state":"failed","queue":"batch","name":"n","limit":10,"array_id":7,"labels":["a=1","b=2"]}'
	frame "$d/op-cancel" '{"op":"cancel","id":7,"array":true}'
	frame "$d/op-wait" '{"op":"wait","id":7,"index":2,"timeout_ms":-1}'
	frame "$d/op-logs" '{"op":"logs","id":7,"stream":"stderr","offset":4096,"max":1048576}'
	frame "$d/op-priority" '{"op":"priority","id":7,"priority":1000000}'
	frame "$d/op-retry" '{"op":"retry","id":7,"index":0}'
	frame "$d/op-purge" '{"op":"purge","older_than_ms":604800000,"state":"succeeded"}'
	frame "$d/op-queue-set" '{"op":"queue_set","queue":"batch","parallel":2,"paused":false}'
	frame "$d/op-queue-list" '{"op":"queue_list"}'
	frame "$d/op-stats" '{"op":"stats"}'
	frame "$d/op-watch" '{"op":"watch","ids":[1,2,9007199254740992]}' '{"op":"watch"}'
	# replies
	frame "$d/hello-reply" '{"ok":true,"version":1,"server":"jobqd '"$version"'"}'
	frame "$d/ping-reply" '{"ok":true,"version":"'"$version"'","protocol":1,"pid":812,"uptime_ms":192000,"workers":4,"queued":3,"active":5}'
	frame "$d/submit-reply" '{"ok":true,"id":40,"tasks":[41,50]}' '{"ok":true,"id":9,"existing":true}'
	frame "$d/logs-reply2" '{"ok":true,"data":"aGk=","offset":0,"size":2,"done":true}'
	frame "$d/purge-reply" '{"ok":true,"purged":12}'
	frame "$d/queues-reply" '{"ok":true,"queues":[{"name":"batch","parallel":2,"paused":true,"counts":{"queued":1,"running":2}}]}'
	frame "$d/array-reply" '{"ok":true,"array":{"id":40,"first":0,"step":2,"count":10,"throttle":3,"counts":{"queued":10}}}'
	frame "$d/event" '{"event":"state","id":41,"state":"queued","time":1700000000000,"queue":"q","attempts":1,"not_before":1700000005000,"array_id":40,"array_index":2}'
	printf '%s' '{"op":"submit","argv":["a\u00e9\"\\"],"env":["K=V=W"],"cwd":"/x"}' > "$d/bare"
}

seed_wire() {
	local d=$1
	spec "$d/simple" /tmp /var/lib/jobq/logs 1.out 1.err 1 1073741824 \
	    2 echo hello LANG=C PATH=/usr/bin
	spec "$d/noenv" / "" o e 0 0 1 true
	spec "$d/empty" "" "" "" "" 0 0 0
	spec "$d/odd" /home/u /l x y 2 4096 3 "" "a b" $'tab\there' 'K=' '=V'
	RLIMITS="63 1073741824 60 64 100 0 5 1 12 409600 819200" \
	    spec "$d/limits" / "" o e 0 0 1 true
}

seed_cron() {
	local d=$1
	printf '%s' '*/15 9-17 * * mon-fri' > "$d/workdays"
	printf '%s' '0 0 29 2 1' > "$d/leap-or-monday"
	printf '%s' '0 0 31 2 *' > "$d/never"
	printf '%s' '5,10-20/3,50/4 */6 1-31/2 jan-jun/2 1,3-7' > "$d/lists"
	printf '%s' '@weekly' > "$d/weekly"
	printf '%s' ' 30	2 * * sun-sat' > "$d/blanks"
	printf '%s' '0 0 */10,15 * *,2' > "$d/star-list"
	# zone files (fuzz_cron reads an input starting with TZif as one)
	local z
	for z in America/New_York Australia/Lord_Howe Europe/Dublin UTC; do
		[ ! -f "/usr/share/zoneinfo/$z" ] ||
			cp "/usr/share/zoneinfo/$z" "$d/zone-${z//\//-}"
	done
}

seed_slurm() {
	local d=$1
	# squeue -a -h -t all -O JobID:|,Name:|,State:|,Reason:|,exit_code:|,NodeList:|
	# (Slurm 22.05)
	printf '%s\n' '3|jobq.x.3.1|CANCELLED|None|15|vm|' \
	    '8|jobq.0123abcd.8.1|CANCELLED|JobHeldUser|0||' \
	    '4|jobq.0123abcd.123456789012.7|COMPLETED|None|0|vm|' \
	    '11|name with|pipe|COMPLETED|None|0|vm|' \
	    '5|jobq.0123abcd.5.1|FAILED|NonZeroExitCode|768|vm|' \
	    '9|jobq.0123abcd.9.1|FAILED|JobLaunchFailure|9|vm|' \
	    '13|jobq.0123abcd.21.1|FAILED|JobLaunchFailure|4021|vm|' \
	    '7|jobq.0123abcd.7.2|TIMEOUT|TimeLimit|15|vm|' \
	    '16|jobq.0123abcd.30.1|PENDING|Resources|0||' \
	    '17|jobq.0123abcd.31.1|RUNNING|None|0|n[01-02]|' > "$d/squeue"
	# sacct -n -P -X -o JobIDRaw,JobName%200,State,ExitCode,NodeList
	printf '%s\n' '5|jobq.0123abcd.5.1|FAILED|3:0|vm' \
	    '6|jobq.0123abcd.6.1|CANCELLED by 0|0:15|node[01-02]' \
	    '8|jobq.0123abcd.8.1|CANCELLED by 1000|0:0|None assigned' \
	    '10|jobq.0123abcd.10.1|OUT_OF_MEMORY|0:125|vm' > "$d/sacct"
	printf '123;cluster\n' > "$d/sbatch"
	printf 'gpu=2,license=1' > "$d/gres"
	printf -- "-x\0it's\0a\r\nb\0" > "$d/argv"
}

seed_strv() {
	local d=$1
	printf '%s' '["/bin/sh","-c","echo \"$HOME\" \\ done"]' > "$d/argv"
	printf '%s' '["LANG=C.UTF-8","PATH=/usr/bin:/bin","X=\u00e9\ud83d\ude00\t"]' > "$d/env"
	printf '%s' ' [ ] ' > "$d/empty"
	printf '%s' '["a\/b","\b\f\n\r"]' > "$d/escapes"
}

status=0
summary=()
for t in "${targets[@]}"; do
	echo "== fuzz_$t: building"
	build "$t"
	mkdir -p "$out/corpus-$t" "$out/seeds-$t"
	"seed_$t" "$out/seeds-$t"
	echo "== fuzz_$t: running ${secs}s (log: $out/fuzz_$t.log)"
	dict=()
	[ ! -f "$src/tests/fuzz/$t.dict" ] || dict=(-dict="$src/tests/fuzz/$t.dict")
	rc=0
	(cd "$out" && ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
	    "./fuzz_$t" -max_total_time="$secs" -print_final_stats=1 \
	    -artifact_prefix="$out/" "corpus-$t" "seeds-$t") \
	    > "$out/fuzz_$t.log" 2>&1 || rc=$?
	final=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|REDUCE|NEW|INITED)' "$out/fuzz_$t.log" | tail -1 || true)
	execs=$(grep -E '^stat::number_of_executed_units' "$out/fuzz_$t.log" | awk '{print $2}' || true)
	echo "$final"
	grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' "$out/fuzz_$t.log" || true
	if [ "$rc" -ne 0 ]; then
		echo "== fuzz_$t: FAILED (exit $rc); the report:"
		grep -E -A40 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|invariant failed' "$out/fuzz_$t.log" | head -60
		ls -1 "$out"/crash-* "$out"/leak-* "$out"/timeout-* "$out"/oom-* 2>/dev/null || true
		status=1
		summary+=("fuzz_$t: FAILED")
	else
		summary+=("fuzz_$t: ok, ${execs:-?} execs, $(sed -nE 's/.*(cov: [0-9]+ ft: [0-9]+).*/\1/p' <<<"$final")")
	fi
done
printf '%s\n' "${summary[@]}"
exit $status
