#!/usr/bin/env bash
# Profiles of volleyd's end-to-end path, and the PGO comparison. Postfix's smtp-source
# injects MESSAGES messages of SIZE bytes over SESSIONS reused sessions into volleyd,
# which commits each to its spool (fsync before 250) and relays it to smtp-sink; all on
# 127.0.0.1.
#
#   perf/profile.sh profile   CPU, heap and mutex profiles of one run into perf/out/
#                             (cpu.pprof, heap.pprof, mutex.pprof, top.txt)
#   perf/profile.sh compare   the same load into a volleyd built without PGO and one
#                             built with cmd/volleyd/default.pgo, alternating, ROUNDS
#                             rounds each; volleyd CPU per message and msgs/s per build
#
# Settings through the environment: MESSAGES (default 100000), SESSIONS (20), SIZE
# (4096), ROUNDS (3), IO_ENGINE (auto). Needs smtp-source and smtp-sink (Debian package
# postfix); as root smtp-sink drops to nobody.
set -euo pipefail
export LC_ALL=C

MODE=${1:-profile}
MESSAGES=${MESSAGES:-100000}
SESSIONS=${SESSIONS:-20}
SIZE=${SIZE:-4096}
ROUNDS=${ROUNDS:-3}
IO_ENGINE=${IO_ENGINE:-auto}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=perf/out
export PATH="$PATH:/usr/sbin:/usr/lib/postfix/sbin"
export GOFLAGS=-ldflags=-checklinkname=0

die() {
	printf 'profile.sh: %s\n' "$*" >&2
	exit 1
}
log() { printf '==> %s\n' "$*" >&2; }
for cmd in go smtp-source smtp-sink; do
	command -v "$cmd" >/dev/null 2>&1 || die "$cmd not found (smtp-source, smtp-sink: Debian package postfix)"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/volley-profile.XXXXXX")
SINK_PID=""
VOLLEYD_PID=""
cleanup() {
	local rc=$?
	set +e
	[ -z "$VOLLEYD_PID" ] || kill -KILL "$VOLLEYD_PID" 2>/dev/null
	[ -z "$SINK_PID" ] || kill "$SINK_PID" 2>/dev/null
	wait 2>/dev/null
	if [ "$rc" -ne 0 ]; then
		tail -n 20 "$TMP"/volleyd*.log 2>/dev/null >&2
	fi
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT

# port prints a free loopback port below the ephemeral range.
port() {
	local p hex
	while :; do
		p=$((20000 + RANDOM % 12000))
		hex=$(printf '%04X' "$p")
		grep -qE "^ *[0-9]+: [0-9A-F]+:$hex " /proc/net/tcp 2>/dev/null || break
	done
	echo "$p"
}

wait_port() {
	local deadline=$((SECONDS + 30))
	until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
		[ "$SECONDS" -lt "$deadline" ] || die "nothing listens on 127.0.0.1:$1 after 30 s"
		sleep 0.1
	done
}

# sink_count prints how many messages the counting sink has taken (its stdout is a run
# of "\rsess=N quit=N mesg=N" lines).
sink_count() {
	local n
	n=$(tail -c 256 "$TMP/sink.out" 2>/dev/null | tr '\r' '\n' | sed -n 's/.*mesg=\([0-9][0-9]*\).*/\1/p' | tail -n 1) || true
	echo "${n:-0}"
}

# cpu_ticks PID prints a process's utime and stime in clock ticks.
cpu_ticks() { awk '{ print $14, $15 }' "/proc/$1/stat"; }

SINK_PORT=$(port)
smtp-sink -c -u nobody "127.0.0.1:$SINK_PORT" 1024 >"$TMP/sink.out" 2>&1 &
SINK_PID=$!
wait_port "$SINK_PORT"

# run BINARY NAME [volleyd flags...]: one round into a fresh spool; sets SECS (until the
# sink has every message), CPU and USERCPU (volleyd's CPU seconds in all and in user space,
# read before it stops: PGO can only change the user part).
run() {
	local bin=$1 name=$2 before start end t0 t1 u0 s0 u1 s1 vport dns
	shift 2
	vport=$(port)
	dns=$(port)
	rm -rf "$TMP/spool"
	sed -e "s|@PORT@|$vport|" -e "s|@SPOOL@|$TMP/spool|" -e "s|@IO_ENGINE@|$IO_ENGINE|" \
		-e "s|@DNS_PORT@|$dns|" -e "s|@SINK_PORT@|$SINK_PORT|" bench/inject/volley.conf.in >"$TMP/volley.conf"
	"$bin" --config "$TMP/volley.conf" "$@" >"$TMP/volleyd-$name.log" 2>&1 &
	VOLLEYD_PID=$!
	wait_port "$vport"
	before=$(sink_count)
	t0=$(cpu_ticks "$VOLLEYD_PID")
	start=$EPOCHREALTIME
	smtp-source -d -s "$SESSIONS" -l "$SIZE" -m "$MESSAGES" -f bench@source.bench.test \
		-t rcpt@sink.bench.test "127.0.0.1:$vport" || die "smtp-source into volleyd ($name) failed"
	local deadline=$((SECONDS + 300))
	while [ "$(sink_count)" -lt $((before + MESSAGES)) ]; do
		[ "$SECONDS" -lt "$deadline" ] || die "volleyd ($name) delivered $(($(sink_count) - before)) of $MESSAGES in 300 s"
		sleep 0.05
	done
	end=$EPOCHREALTIME
	t1=$(cpu_ticks "$VOLLEYD_PID")
	kill -TERM "$VOLLEYD_PID"
	wait "$VOLLEYD_PID" || die "volleyd ($name) exited with status $?"
	VOLLEYD_PID=""
	SECS=$(awk "BEGIN { printf \"%.3f\", $end - $start }")
	read -r u0 s0 <<<"$t0"
	read -r u1 s1 <<<"$t1"
	CPU=$(awk "BEGIN { printf \"%.3f\", ($u1 + $s1 - $u0 - $s0) / $(getconf CLK_TCK) }")
	USERCPU=$(awk "BEGIN { printf \"%.3f\", ($u1 - $u0) / $(getconf CLK_TCK) }")
}

case $MODE in
profile)
	mkdir -p "$OUT"
	go build -o "$TMP/volleyd" ./cmd/volleyd
	log "profiling volleyd: $MESSAGES messages of $SIZE bytes over $SESSIONS sessions"
	run "$TMP/volleyd" profile --cpuprofile "$OUT/cpu.pprof" --memprofile "$OUT/heap.pprof" \
		--mutexprofile "$OUT/mutex.pprof"
	{
		echo "# volleyd $(git rev-parse --short HEAD), $(date -u '+%Y-%m-%d %H:%M UTC'), $MESSAGES x $SIZE B, $SESSIONS sessions"
		echo "# end to end $SECS s ($(awk "BEGIN { printf \"%.0f\", $MESSAGES / $SECS }") msgs/s), volleyd CPU $CPU s"
		echo
		go tool pprof -top -nodecount=40 "$TMP/volleyd" "$OUT/cpu.pprof" 2>/dev/null
		echo
		go tool pprof -top -cum -nodecount=40 "$TMP/volleyd" "$OUT/cpu.pprof" 2>/dev/null
		echo
		go tool pprof -top -sample_index=alloc_space -nodecount=25 "$TMP/volleyd" "$OUT/heap.pprof" 2>/dev/null
		echo
		go tool pprof -top -nodecount=15 "$TMP/volleyd" "$OUT/mutex.pprof" 2>/dev/null
	} >"$OUT/top.txt"
	log "wrote $OUT/cpu.pprof, heap.pprof, mutex.pprof and top.txt (end to end $SECS s, CPU $CPU s)"
	log "make pgo copies $OUT/cpu.pprof to cmd/volleyd/default.pgo"
	;;
compare)
	[ -f cmd/volleyd/default.pgo ] || die "no cmd/volleyd/default.pgo (make profile pgo)"
	go build -pgo=off -o "$TMP/volleyd-nopgo" ./cmd/volleyd
	go build -pgo=cmd/volleyd/default.pgo -o "$TMP/volleyd-pgo" ./cmd/volleyd
	declare -A secs cpu user
	for r in $(seq 1 "$ROUNDS"); do
		for b in nopgo pgo; do
			run "$TMP/volleyd-$b" "$b"
			secs[$b]+="$SECS "
			cpu[$b]+="$CPU "
			user[$b]+="$USERCPU "
			log "round $r $b: $SECS s, volleyd CPU $CPU s (user $USERCPU s)"
		done
	done
	median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
	echo "| build | msgs/s (median of $ROUNDS) | volleyd CPU us/msg (median) | of which user | rounds: s / CPU s / user s |"
	echo "|---|---:|---:|---:|---|"
	for b in nopgo pgo; do
		# shellcheck disable=SC2086 # the lists are space-separated numbers
		med_s=$(median ${secs[$b]})
		# shellcheck disable=SC2086
		med_c=$(median ${cpu[$b]})
		# shellcheck disable=SC2086
		med_u=$(median ${user[$b]})
		printf '| %s | %.0f | %.1f | %.1f | %s/ %s/ %s|\n' "$b" "$(awk "BEGIN { print $MESSAGES / $med_s }")" \
			"$(awk "BEGIN { print $med_c * 1e6 / $MESSAGES }")" "$(awk "BEGIN { print $med_u * 1e6 / $MESSAGES }")" \
			"${secs[$b]}" "${cpu[$b]}" "${user[$b]}"
	done
	;;
*) die "unknown mode $MODE (profile or compare)" ;;
esac
