#!/usr/bin/env bash
# Injection benchmark: how fast volleyd takes mail in, next to Postfix's smtpd and next to
# the wire, in one run on one machine. Postfix's smtp-source sends the same load to:
#
#   1. smtp-sink, which throws the mail away: the wire limit of this machine;
#   2. a private Postfix instance's smtpd, relaying to a second smtp-sink;
#   3. volleyd with a fresh spool, relaying to that second sink too (when the build
#      delivers at all).
#
# Postfix and volleyd both answer 250 only once the message is fsynced (Postfix's cleanup
# syncs the queue file; volleyd group-commits to its Pebble spool), so when smtp-source
# returns, every message is on disk: that is the inject time. The end-to-end time runs
# until the second sink has counted every message. Prints a Markdown table and writes it to
# bench/out/inject.md. It is a measurement, not a gate: it exits 0 whether or not the
# targets are met, and non-zero only when something failed to run. Needs root (Postfix's
# master). See bench/inject/README.md.
#
#   bench/inject/run.sh [--messages N] [--sessions N] [--size BYTES] [--repeat N] [--out FILE]
#
# or the same through MESSAGES, SESSIONS, SIZE, REPEAT, OUT; also IO_ENGINE (volleyd's
# io-engine: auto, io_uring or epoll), DRAIN_TIMEOUT (seconds a server may take to deliver
# a round to the sink) and KEEP_TMP=1 (keep the temporary directory and its logs).
set -euo pipefail
export LC_ALL=C # one decimal separator for EPOCHREALTIME, awk and printf

MESSAGES=${MESSAGES:-20000}
SESSIONS=${SESSIONS:-20}
SIZE=${SIZE:-4096}
REPEAT=${REPEAT:-1}
OUT=${OUT:-} # default: bench/out/inject.md in the repository
IO_ENGINE=${IO_ENGINE:-auto}
DRAIN_TIMEOUT=${DRAIN_TIMEOUT:-600}
KEEP_TMP=${KEEP_TMP:-0}

# The targets of the benchmark issue.
TARGET_RATIO=10   # volleyd at least 10x Postfix's smtpd
TARGET_WIRE=60    # volleyd at least 60% of the wire
TARGET_E2E_RATIO=10  # end to end: volleyd at least 10x Postfix relaying the same load
TARGET_E2E_WIRE=40   # end to end: volleyd at least 40% of the wire

FROM=bench@source.bench.test
TO=rcpt@sink.bench.test

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
	case $1 in
	-m | --messages) MESSAGES=${2:?$1 needs a value}; shift 2 ;;
	-s | --sessions) SESSIONS=${2:?$1 needs a value}; shift 2 ;;
	-l | --size) SIZE=${2:?$1 needs a value}; shift 2 ;;
	-r | --repeat) REPEAT=${2:?$1 needs a value}; shift 2 ;;
	-o | --out) OUT=${2:?$1 needs a value}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
for v in MESSAGES SESSIONS SIZE REPEAT DRAIN_TIMEOUT; do
	case ${!v} in '' | *[!0-9]* | 0) echo "run.sh: $v must be a positive integer, not '${!v}'" >&2; exit 2 ;; esac
done

# The repository root, so the script runs from anywhere (make runs it from the root). A
# relative --out is taken from where the script was started.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
case $OUT in
'') OUT=$ROOT/bench/out/inject.md ;;
/*) ;;
*) OUT=$PWD/$OUT ;;
esac
cd "$ROOT"
HERE=bench/inject
# Postfix's tools live in /usr/sbin, which a non-login PATH may lack.
export PATH="$PATH:/usr/sbin:/usr/lib/postfix/sbin"
# See the Makefile: the io_uring dependency needs link-name checking off.
export GOFLAGS=-ldflags=-checklinkname=0

log() { printf '==> %s\n' "$*" >&2; }
die() {
	printf 'run.sh: %s\n' "$*" >&2
	exit 1
}

# now prints the wall clock in seconds with microseconds; EPOCHREALTIME saves a fork.
now() {
	if [ -n "${EPOCHREALTIME:-}" ]; then
		printf '%s\n' "$EPOCHREALTIME"
	else
		date +%s.%N
	fi
}

# calc evaluates an awk expression; bc is not on every machine.
calc() { awk "BEGIN { printf $1 }"; }

# grouped prints an integer with thousands separators: 12345 -> 12,345.
grouped() { printf '%s\n' "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta'; }

# ---------------------------------------------------------------------------------------
# Preconditions.

[ "$(id -u)" = 0 ] || die "needs root: a private Postfix instance's master runs as root"
for cmd in go smtp-source smtp-sink postfix postconf findmnt; do
	command -v "$cmd" >/dev/null 2>&1 || die "$cmd not found (smtp-source, smtp-sink and postfix: Debian package postfix)"
done
getent passwd postfix >/dev/null || die "no postfix user (the Debian package postfix creates it)"
getent group postdrop >/dev/null || die "no postdrop group (the Debian package postfix creates it)"
getent passwd nobody >/dev/null || die "no nobody user (smtp-sink drops root privileges to it)"

# ---------------------------------------------------------------------------------------
# Temporary directory and cleanup. Everything the run creates lives under TMP; the EXIT
# trap stops what was started (by process id) and removes it, also after a failure.

TMP=$(mktemp -d "${TMPDIR:-/tmp}/volley-bench-inject.XXXXXX")
# Postfix's daemons run as the postfix user and must reach their queue under TMP.
chmod 755 "$TMP"

SOURCE_PID=""
WIRE_SINK_PID=""
RELAY_SINK_PID=""
VOLLEYD_PID=""
PF="" # the private Postfix instance's directory, once it has been started

postfix_stop() {
	local pid="" i
	[ -n "$PF" ] || return 0
	if [ -r "$PF/queue/pid/master.pid" ]; then
		pid=$(tr -dc 0-9 <"$PF/queue/pid/master.pid")
	fi
	postfix -c "$PF/conf" stop >>"$TMP/postfix-ctl.log" 2>&1 || true
	# postfix stop only signals the master; wait for it so its queue can be removed.
	if [ -n "$pid" ]; then
		for i in $(seq 1 150); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			log "Postfix master $pid did not stop in 15 s; killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	PF=""
}

# volleyd_stop sends SIGTERM, waits (bounded) and returns volleyd's exit status.
volleyd_stop() {
	local pid=$VOLLEYD_PID rc=0 i
	[ -n "$pid" ] || return 0
	VOLLEYD_PID=""
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 300); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "volleyd $pid did not stop in 30 s after SIGTERM; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || rc=$?
	return "$rc"
}

kill_pid() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

cleanup() {
	local rc=$? f
	set +e
	trap - EXIT INT TERM
	kill_pid "$SOURCE_PID"
	volleyd_stop
	postfix_stop
	kill_pid "$WIRE_SINK_PID"
	kill_pid "$RELAY_SINK_PID"
	if [ "$rc" -ne 0 ]; then
		# Show what the servers said before the evidence is removed.
		for f in "$TMP"/postfix/maillog "$TMP"/postfix-ctl.log "$TMP"/volley/volleyd.*.log; do
			[ -s "$f" ] || continue
			printf '\n--- last lines of %s ---\n' "$f" >&2
			tail -n 20 "$f" >&2
		done
	fi
	if [ "$KEEP_TMP" = 1 ]; then
		log "kept $TMP"
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------
# Ports and processes.

# free_port sets FREE_PORT to a loopback TCP port that no socket uses, below the ephemeral
# range (32768-60999 on Linux) so that no client connection takes it meanwhile, and never
# one this run has handed out before.
USED_PORTS=" "
free_port() {
	local port hex i
	for i in $(seq 1 500); do
		port=$((20000 + RANDOM % 12000))
		case $USED_PORTS in *" $port "*) continue ;; esac
		hex=$(printf '%04X' "$port")
		# Local address is the second field of /proc/net/tcp: 0100007F:PORT in hex.
		if ! grep -qE "^ *[0-9]+: [0-9A-F]+:$hex " /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
			USED_PORTS+="$port "
			FREE_PORT=$port
			return 0
		fi
	done
	die "no free port found in 20000-31999"
}

# wait_port PORT PID NAME waits until 127.0.0.1:PORT accepts a connection, at most 30 s;
# it fails early when PID (if not empty) has exited.
wait_port() {
	local port=$1 pid=$2 name=$3 deadline=$((SECONDS + 30))
	until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			die "$name exited before listening on 127.0.0.1:$port"
		fi
		[ "$SECONDS" -lt "$deadline" ] || die "$name is not listening on 127.0.0.1:$port after 30 s"
		sleep 0.1
	done
}

# start_sink PORT OUTFILE [OPTIONS...] starts smtp-sink and sets SINK_PID. smtp-sink
# refuses to run as root without -u; it drops to nobody after binding.
start_sink() {
	local port=$1 out=$2
	shift 2
	smtp-sink "$@" -u nobody "127.0.0.1:$port" 1024 >"$out" 2>&1 &
	SINK_PID=$!
	wait_port "$port" "$SINK_PID" "smtp-sink"
}

# sink_alive PID NAME OUTFILE fails the run when a sink has exited, with its exit status
# (128+N: killed by signal N) and the end of its output. Checked before every measurement,
# so that a sink gone missing is not reported as a refused connection.
sink_alive() {
	local pid=$1 name=$2 out=$3 rc=0
	kill -0 "$pid" 2>/dev/null && return 0
	wait "$pid" 2>/dev/null || rc=$?
	# Reaped: the EXIT trap must not signal that process id again.
	[ "$pid" != "$WIRE_SINK_PID" ] || WIRE_SINK_PID=""
	[ "$pid" != "$RELAY_SINK_PID" ] || RELAY_SINK_PID=""
	tail -c 300 "$out" 2>/dev/null | tr '\r' '\n' | tail -n 3 >&2
	die "$name (pid $pid) has exited with status $rc"
}

# sink_count FILE prints the message count of an smtp-sink started with -c: its stdout
# is a run of "\rsess=N quit=N mesg=N" lines, one per event, so the last one counts.
sink_count() {
	local n
	n=$(tail -c 256 "$1" 2>/dev/null | tr '\r' '\n' | sed -n 's/.*mesg=\([0-9][0-9]*\).*/\1/p' | tail -n 1) || true
	printf '%s\n' "${n:-0}"
}

# run_source PORT NAME sends the load to 127.0.0.1:PORT and sets SOURCE_START (the wall
# clock when it began) and ELAPSED (seconds until smtp-source returned). smtp-source exits
# non-zero on any refused command or reply other than success (it is fatal on the first),
# so a clean exit with nothing on stderr means every message was acknowledged with 250.
run_source() {
	local port=$1 name=$2 end rc=0
	SOURCE_START=$(now)
	# In the background and waited for, so that a signal runs the EXIT trap at once
	# rather than after smtp-source has finished.
	smtp-source -d -s "$SESSIONS" -l "$SIZE" -m "$MESSAGES" -f "$FROM" -t "$TO" \
		"127.0.0.1:$port" >"$TMP/source.out" 2>"$TMP/source.err" &
	SOURCE_PID=$!
	wait "$SOURCE_PID" || rc=$?
	end=$(now)
	SOURCE_PID=""
	if [ "$rc" -ne 0 ] || [ -s "$TMP/source.err" ] || [ -s "$TMP/source.out" ]; then
		cat "$TMP/source.out" "$TMP/source.err" >&2
		die "smtp-source into $name failed (exit status $rc)"
	fi
	ELAPSED=$(calc "\"%.3f\", $end - $SOURCE_START")
}

# ---------------------------------------------------------------------------------------
# 1. The wire: smtp-sink acknowledges each message as soon as it has read it.

WIRE_TIMES=()

wire_start() {
	free_port
	WIRE_PORT=$FREE_PORT
	# No -c here: the wire sink should do nothing but read and answer.
	start_sink "$WIRE_PORT" "$TMP/wire-sink.out"
	WIRE_SINK_PID=$SINK_PID
}

wire_run() {
	sink_alive "$WIRE_SINK_PID" "smtp-sink (wire)" "$TMP/wire-sink.out"
	run_source "$WIRE_PORT" "smtp-sink"
	WIRE_TIMES+=("$ELAPSED")
	log "wire round $1: $ELAPSED s"
}

# ---------------------------------------------------------------------------------------
# 2. The relay sink: a second smtp-sink, with -c so that it counts what it receives (its
# stdout is a run of "\rsess=N quit=N mesg=N" lines). Postfix relays everything to it, and
# so does volleyd when the build delivers; the end-to-end time of a round is when this
# sink has counted all of the round's messages.

relay_sink_start() {
	free_port
	RELAY_SINK_PORT=$FREE_PORT
	start_sink "$RELAY_SINK_PORT" "$TMP/relay-sink.out" -c
	RELAY_SINK_PID=$SINK_PID
}

# relayed prints how many messages the relay sink has counted so far.
relayed() { sink_count "$TMP/relay-sink.out"; }

# wait_relayed NAME BEFORE waits until the relay sink has counted MESSAGES more than
# BEFORE and sets E2E to the seconds since SOURCE_START. When nothing at all has arrived
# NO_DELIVERY_WAIT seconds after injection ended, it sets E2E to "" (a server that does
# not deliver). It fails when delivery stops making progress for a minute, or is not done
# after DRAIN_TIMEOUT seconds.
NO_DELIVERY_WAIT=10
wait_relayed() {
	local name=$1 before=$2 target=$(($2 + MESSAGES)) n last=-1 progress=$SECONDS
	local deadline=$((SECONDS + DRAIN_TIMEOUT)) quiet=$((SECONDS + NO_DELIVERY_WAIT))
	E2E=""
	while n=$(relayed) && [ "$n" -lt "$target" ]; do
		if [ "$n" -ne "$last" ]; then
			last=$n
			progress=$SECONDS
		fi
		if [ "$n" -eq "$before" ] && [ "$SECONDS" -ge "$quiet" ]; then
			return 0
		fi
		[ $((SECONDS - progress)) -lt 60 ] ||
			die "$name has delivered $((n - before)) of $MESSAGES to the sink and nothing more for a minute"
		[ "$SECONDS" -lt "$deadline" ] ||
			die "$name delivered $((n - before)) of $MESSAGES to the sink in $DRAIN_TIMEOUT s"
		sleep 0.1
	done
	E2E=$(calc "\"%.3f\", $(now) - $SOURCE_START")
}

# ---------------------------------------------------------------------------------------
# 3. A private Postfix instance: smtpd on a free loopback port, relaying everything to
# the relay sink. Its config, queue, data and log live under TMP; the system's Postfix is
# not touched. As root, `postfix -c DIR start|stop` needs no alternate_config_directories.

PF_TIMES=()
PF_E2E_TIMES=()

postfix_start() {
	local dir=$TMP/postfix
	free_port
	PF_PORT=$FREE_PORT
	mkdir -p "$dir/conf" "$dir/queue" "$dir/data"
	chown postfix "$dir/data"
	sed -e "s|@DIR@|$dir|g" -e "s|@SINK_PORT@|$RELAY_SINK_PORT|g" "$HERE/main.cf.in" >"$dir/conf/main.cf"
	sed -e "s|@SMTPD_ADDR@|127.0.0.1:$PF_PORT|g" "$HERE/master.cf.in" >"$dir/conf/master.cf"
	PF=$dir # from here on the EXIT trap stops it
	PF_LOG=$dir/maillog # kept after the stop, for the latency
	postfix -c "$dir/conf" start >>"$TMP/postfix-ctl.log" 2>&1 || die "postfix -c $dir/conf start failed"
	wait_port "$PF_PORT" "" "Postfix smtpd"
	PF_VERSION=$(postconf -c "$dir/conf" -h mail_version)
}

# postfix_queued prints how many messages the instance's queue holds.
postfix_queued() {
	local q=$PF/queue
	find "$q/maildrop" "$q/incoming" "$q/active" "$q/deferred" "$q/hold" -type f 2>/dev/null | wc -l
}

postfix_run() {
	local before deadline n
	sink_alive "$RELAY_SINK_PID" "smtp-sink (relay)" "$TMP/relay-sink.out"
	before=$(relayed)
	run_source "$PF_PORT" "Postfix smtpd"
	PF_TIMES+=("$ELAPSED")
	wait_relayed "Postfix" "$before"
	[ -n "$E2E" ] || die "Postfix delivered nothing to the sink in $NO_DELIVERY_WAIT s"
	PF_E2E_TIMES+=("$E2E")
	# Before the next measurement: the queue is empty, and nothing was bounced or deferred
	# (a bounce would reach the sink too and be counted as a delivery).
	deadline=$((SECONDS + 60))
	until [ "$(postfix_queued)" -eq 0 ]; do
		[ "$SECONDS" -lt "$deadline" ] || die "Postfix's queue still holds $(postfix_queued) messages a minute after the sink got the run"
		sleep 0.1
	done
	n=$(grep -cE 'status=(bounced|deferred)' "$PF/maillog" 2>/dev/null) || true
	[ "${n:-0}" -eq 0 ] || die "Postfix bounced or deferred $n messages (see its maillog)"
	log "Postfix round $1: injected in ${PF_TIMES[-1]} s, at the sink after $E2E s"
}

# ---------------------------------------------------------------------------------------
# 4. volleyd: built from this tree, started on a fresh spool for every round, routing all
# mail to the relay sink (smtp-hosts) and DNS to a loopback port where nothing answers, so
# nothing leaves 127.0.0.1 whatever the build does. A build that delivers is measured like
# Postfix (inject and end to end); one that does not (nothing reaches the sink) only for
# injection. Stopped with SIGTERM, after which its spool is counted: every 250 was a
# durable message, so it must hold each message not delivered.

VOL_TIMES=()
VOL_E2E_TIMES=()
VOL_ENGINE=""
VOL_LEFT=0 # messages delivered but still in a spool after the stop, over all rounds

volley_build() {
	mkdir -p "$TMP/volley"
	go build -o "$TMP/volleyd" ./cmd/volleyd
	# spoolcount is a small reader of the spool (build-ignored, so built by file name).
	go build -o "$TMP/spoolcount" "./$HERE/spoolcount.go"
}

volley_run() {
	local i=$1 port dns conf spool vlog before counted msgs rcpts rc=0
	free_port
	port=$FREE_PORT
	free_port
	dns=$FREE_PORT
	conf=$TMP/volley/volley.$i.conf
	spool=$TMP/volley/spool.$i
	vlog=$TMP/volley/volleyd.$i.log
	sed -e "s|@PORT@|$port|g" -e "s|@SPOOL@|$spool|g" -e "s|@IO_ENGINE@|$IO_ENGINE|g" \
		-e "s|@SINK_PORT@|$RELAY_SINK_PORT|g" -e "s|@DNS_PORT@|$dns|g" \
		"$HERE/volley.conf.in" >"$conf"
	"$TMP/volleyd" --config "$conf" >"$vlog" 2>&1 &
	VOLLEYD_PID=$!
	wait_port "$port" "$VOLLEYD_PID" "volleyd"
	sink_alive "$RELAY_SINK_PID" "smtp-sink (relay)" "$TMP/relay-sink.out"
	before=$(relayed)
	run_source "$port" "volleyd"
	VOL_TIMES+=("$ELAPSED")
	wait_relayed "volleyd" "$before"
	if [ -n "$E2E" ]; then
		VOL_E2E_TIMES+=("$E2E")
		# The sink counts a message when it has read it, before its 250 reaches volleyd:
		# give the last replies and their spool updates a moment before the stop.
		sleep 1
	fi
	volleyd_stop || rc=$?
	[ "$rc" -eq 0 ] || die "volleyd exited with status $rc after SIGTERM"
	# volleyd logs its queued-to-delivered quantiles at exit; the last round's are kept.
	VOL_LATENCY=$(sed -n 's/.*queued to delivered p50 \([^,]*\), p99 \([^" ]*\).*/p50 \1, p99 \2/p' "$vlog" | tail -n 1)
	counted=$("$TMP/spoolcount" "$spool")
	read -r msgs rcpts <<<"$counted"
	[ "$msgs" = "$rcpts" ] || die "volleyd's spool holds $msgs messages with $rcpts recipients, want one each"
	if [ -z "$E2E" ]; then
		[ "$msgs" -eq "$MESSAGES" ] ||
			die "volleyd delivered nothing, and its spool holds $msgs messages, want $MESSAGES"
		log "volleyd round $i: injected in $ELAPSED s, delivered nothing, spool holds all $msgs messages"
	else
		# Delivered (at least once) to the sink, every one; any left in the spool is a
		# delivery whose outcome was not recorded before the stop.
		VOL_LEFT=$((VOL_LEFT + msgs))
		log "volleyd round $i: injected in $ELAPSED s, at the sink after $E2E s, $msgs left in the spool"
	fi
	[ -n "$VOL_ENGINE" ] || VOL_ENGINE=$(sed -n 's/.*msg="io engine: \([^"]*\)".*/\1/p' "$vlog" | head -n 1)
	rm -rf "$spool" # a spool per round: keep the disk use of long repeats flat
}

# ---------------------------------------------------------------------------------------
# The run. Each round measures all three, one after the other, so that whatever else the
# machine does meanwhile is spread over them alike; the best round of each counts.

log "building volleyd"
volley_build
log "starting the sinks and the private Postfix instance"
wire_start
relay_sink_start
postfix_start
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
# settle lets the disk go quiet before a measurement, so that one server's writeback (a
# removed spool, Postfix's queue files) is not charged to the next one.
settle() {
	sync
	sleep 1
}
for i in $(seq 1 "$REPEAT"); do
	settle
	wire_run "$i"
	settle
	postfix_run "$i"
	settle
	volley_run "$i"
done
postfix_stop
kill_pid "$WIRE_SINK_PID"
WIRE_SINK_PID=""
kill_pid "$RELAY_SINK_PID"
RELAY_SINK_PID=""

# ---------------------------------------------------------------------------------------
# Report.

best() { printf '%s\n' "$@" | sort -g | head -n 1; }

# postfix_latency prints p50 and p99 of delay= over every message Postfix sent in the run.
postfix_latency() {
	sed -n 's/.* delay=\([0-9.]*\),.*status=sent.*/\1/p' "$PF_LOG" 2>/dev/null | sort -g |
		awk '{ v[NR] = $1 } END { if (NR == 0) { print "not logged"; exit }
			i50 = int(NR * 0.50 + 0.999); i99 = int(NR * 0.99 + 0.999)
			printf "p50 %ss, p99 %ss", v[i50], v[i99] }'
}
list() { printf '%s\n' "$*" | sed 's/ /, /g'; }
rate() { calc "\"%.0f\", $MESSAGES / $1"; }
# (The comparison is parenthesized: in awk's printf, a bare > is an output redirection.)
verdict() { if [ "$(calc "\"%d\", ($1 >= $2)")" = 1 ]; then echo PASS; else echo BELOW; fi; }

WIRE_BEST=$(best "${WIRE_TIMES[@]}")
PF_BEST=$(best "${PF_TIMES[@]}")
PF_E2E_BEST=$(best "${PF_E2E_TIMES[@]}")
VOL_BEST=$(best "${VOL_TIMES[@]}")
WIRE_RATE=$(rate "$WIRE_BEST")
PF_RATE=$(rate "$PF_BEST")
PF_E2E_RATE=$(rate "$PF_E2E_BEST")
VOL_RATE=$(rate "$VOL_BEST")
RATIO=$(calc "\"%.1f\", $VOL_RATE / $PF_RATE")
WIRE_PCT=$(calc "\"%.0f\", 100 * $VOL_RATE / $WIRE_RATE")
RATIO_VERDICT=$(verdict "$RATIO" "$TARGET_RATIO")
WIRE_VERDICT=$(verdict "$WIRE_PCT" "$TARGET_WIRE")
if [ ${#VOL_E2E_TIMES[@]} -gt 0 ]; then
	VOL_E2E_BEST=$(best "${VOL_E2E_TIMES[@]}")
	VOL_E2E_RATE=$(rate "$VOL_E2E_BEST")
	VOL_ROW="volleyd, relaying to smtp-sink | group-committed fsync to the spool | $VOL_BEST | $(grouped "$VOL_RATE") | $VOL_E2E_BEST | $(grouped "$VOL_E2E_RATE")"
else
	VOL_ROW="volleyd (this build delivers nothing) | group-committed fsync to the spool | $VOL_BEST | $(grouped "$VOL_RATE") | - | -"
fi

CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
FS=$(findmnt -no FSTYPE -T "$TMP" 2>/dev/null || echo unknown)
REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then REV="$REV (with uncommitted changes)"; fi

mkdir -p "$(dirname "$OUT")"
{
	echo "## Injection: volleyd, Postfix smtpd and the wire"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) CPUs (${CPU:-unknown CPU}), Linux $(uname -r), load average $LOAD_AT_START at the start."
	echo "Load: \`smtp-source -d -s $SESSIONS -l $SIZE -m $MESSAGES\` ($MESSAGES messages of $SIZE bytes over $SESSIONS reused sessions, one recipient each),"
	echo "best of $REPEAT round(s). Postfix $PF_VERSION; volleyd $REV, $(go env GOVERSION), io engine ${VOL_ENGINE:-unknown}; queue and spool on $FS."
	echo
	echo "| server | answers 250 after | inject s | inject msgs/s | end-to-end s | end-to-end msgs/s |"
	echo "|---|---|---:|---:|---:|---:|"
	echo "| wire: smtp-sink | reading the message | $WIRE_BEST | $(grouped "$WIRE_RATE") | - | - |"
	echo "| Postfix smtpd, relaying to smtp-sink | fsync of the queue file | $PF_BEST | $(grouped "$PF_RATE") | $PF_E2E_BEST | $(grouped "$PF_E2E_RATE") |"
	echo "| $VOL_ROW |"
	echo
	echo "| target (injection) | measured | |"
	echo "|---|---:|---|"
	echo "| volleyd >= ${TARGET_RATIO}x Postfix smtpd | ${RATIO}x | $RATIO_VERDICT |"
	echo "| volleyd >= ${TARGET_WIRE}% of the wire | ${WIRE_PCT}% | $WIRE_VERDICT |"
	if [ ${#VOL_E2E_TIMES[@]} -gt 0 ]; then
		E2E_RATIO=$(calc "\"%.1f\", $VOL_E2E_RATE / $PF_E2E_RATE")
		E2E_PCT=$(calc "\"%.0f\", 100 * $VOL_E2E_RATE / $WIRE_RATE")
		echo
		echo "| target (end to end, the outbound issue) | measured | |"
		echo "|---|---:|---|"
		echo "| volleyd >= ${TARGET_E2E_RATIO}x Postfix relaying | ${E2E_RATIO}x | $(verdict "$E2E_RATIO" "$TARGET_E2E_RATIO") |"
		echo "| volleyd >= ${TARGET_E2E_WIRE}% of the wire | ${E2E_PCT}% | $(verdict "$E2E_PCT" "$TARGET_E2E_WIRE") |"
		echo
		echo "Queued to delivered: volleyd ${VOL_LATENCY:-not logged}; Postfix $(postfix_latency) (its maillog's delay=, seconds)."
		if [ "$VOL_LEFT" -gt 0 ]; then
			echo "After the stop, volleyd's spools still held $VOL_LEFT message(s) the sink had received (outcome not recorded before the stop)."
		fi
	fi
	if [ "$REPEAT" -gt 1 ]; then
		echo
		echo "Every round, inject seconds: wire $(list "${WIRE_TIMES[@]}"); Postfix $(list "${PF_TIMES[@]}")" \
			"(end to end $(list "${PF_E2E_TIMES[@]}")); volleyd $(list "${VOL_TIMES[@]}")" \
			"$([ ${#VOL_E2E_TIMES[@]} -eq 0 ] || echo "(end to end $(list "${VOL_E2E_TIMES[@]}"))")."
	fi
} >"$TMP/report.md"
cp "$TMP/report.md" "$OUT"
cat "$TMP/report.md"
log "written to $OUT"
