#!/usr/bin/env bash
# ids-crash.sh - ids are never given twice across kill -9 (schema 8: a
# commit no longer writes the id counter; a purge keeps it in meta before it
# deletes the rows with the highest ids).  Rounds: submit, let the jobs end,
# purge them all (the newest-finished, highest ids among them), kill -9 at
# once or with submits in flight, restart: every new id is greater than
# every id ever acknowledged (or seen in the table), and the database is
# consistent.
# shellcheck source=lib.sh
. "${TESTLIB:-$(dirname "$0")/lib.sh}"

[ -x "$ITEST_LIB" ] || fail "ITEST_LIB ($ITEST_LIB) is not executable"
command -v sqlite3 >/dev/null || skip "no sqlite3"
: >"$T/acked.all"

max_acked() { sort -n "$T/acked.all" | tail -n 1; }
# ack ID...: records acknowledged ids; each must exceed every earlier one.
ack() {
	local id m
	for id in "$@"; do
		m=$(max_acked)
		[ -z "$m" ] || [ "$id" -gt "$m" ] ||
			fail "id $id given after id $m was acknowledged (round $round)"
		echo "$id" >>"$T/acked.all"
	done
}
consistent() {
	assert_eq "$(sql "PRAGMA integrity_check")" ok "integrity_check (round $round)"
	# a submit in flight at the kill may have committed unacknowledged:
	# its id counts as given too
	local m
	m=$(sql "SELECT max(id) FROM jobs")
	if [ -n "$m" ] && [ "$m" -gt "$(max_acked)" ]; then echo "$m" >>"$T/acked.all"; fi
	[ -z "$(sql "SELECT id FROM jobs GROUP BY id HAVING count(*) > 1")" ] ||
		fail "duplicate ids (round $round)"
}

round=0
start_daemon
for round in 1 2 3 4; do
	ids=()
	for i in 1 2 3; do ids+=("$(submit -- true)"); done
	ack "${ids[@]}"
	for id in "${ids[@]}"; do wait_ended "$id"; done
	case $round in
	1)	# kill -9 right after a purge of everything ended (the newest)
		assert_rc 0 "purge (round $round)" q purge
		kill9_daemon ;;
	2)	# a purge, then submits in flight at the kill
		assert_rc 0 "purge (round $round)" q purge
		mkdir -p "$T/acked$round"
		"$ITEST_LIB" storm "$SOCK" 2 "$T/acked$round" 200 >/dev/null 2>"$T/storm.err" &
		storm_pid=$!
		EXTRA_PIDS=$storm_pid
		some() { [ "$(cat "$T/acked$round"/acked.* 2>/dev/null | wc -l)" -ge 20 ]; }
		wait_for 30 "20 acknowledged submits" some
		kill9_daemon
		wait "$storm_pid"
		EXTRA_PIDS=
		sort -n "$T/acked$round"/acked.* | while read -r id; do echo "$id"; done >"$T/storm.ids"
		m=$(max_acked)
		while read -r id; do
			[ "$id" -gt "$m" ] || fail "storm id $id not above $m (round $round)"
		done <"$T/storm.ids"
		cat "$T/storm.ids" >>"$T/acked.all" ;;
	3)	# everything ended (the storm's jobs too), all purged: the
		# table is empty at the restart, only the kept counter knows
		all_ended() { [ "$(sql "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')")" = 0 ]; }
		wait_for 60 "every job to end" all_ended
		assert_rc 0 "purge (round $round)" q purge
		assert_eq "$(sql "SELECT count(*) FROM jobs")" 0 "rows after the purge (round $round)"
		kill9_daemon ;;
	4)	# a clean stop after a purge
		assert_rc 0 "purge (round $round)" q purge
		stop_daemon ;;
	esac
	consistent
	start_daemon
	id=$(submit -- true)
	ack "$id"
	wait_ended "$id"
done
consistent
stop_daemon
log "ids acknowledged: $(wc -l <"$T/acked.all"), highest $(max_acked)"
