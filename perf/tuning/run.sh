#!/usr/bin/env bash
# The measurements behind perf/TUNING.md, rerunnable. Each case prints what it measured;
# TUNING.md quotes those lines with the date and the machine.
#
#   perf/tuning/run.sh [CASE...]      (default: every case, in this order)
#
# Cases:
#   memlock   io_uring rings under RLIMIT_MEMLOCK: root, unprivileged, the bytes one
#             ring of volleyd's size takes, volleyd itself with too many shards
#   fallback  volleyd where io_uring_setup is refused (io-engine auto and io_uring)
#   nofile    Go raising the soft RLIMIT_NOFILE; descriptors per connection; volleyd
#             with fewer descriptors than connections
#   backlog   1,000 simultaneous connects against a stalled listener with backlog 128
#             and 4096, then 1,000 and 3,000 against volleyd with somaxconn 128 and 4096
#   ports     ip_local_port_range cut to 100 ports: per destination, per source
#             address with and without IP_BIND_ADDRESS_NO_PORT
#   timewait  TIME_WAIT sockets: a churn of short connections, tcp_tw_reuse 0 and 1,
#             and which side volleyd's outbound connections leave them on
#   sockmem   socket buffer memory of idle and busy SMTP connections
#   fsync     fdatasync latency of the disk holding SPOOL_DIR (default: a temporary
#             directory under TMPDIR or /tmp), and dd oflag=dsync
#   inject    volleyd's injection rate, 1 and 20 sessions, spool on that disk and on
#             tmpfs (/dev/shm), and the fdatasync calls per message with
#             sync-msg-create yes and no
#   memory    volleyd's idle memory by shards; with 100,000 queued messages, and after
#             a restart under GOGC and GOMEMLIMIT settings
#
# Needs root (private network namespaces with unshare -n, setpriv, prlimit), Go, and for
# sockmem, timewait, inject and memory Postfix's smtp-source and smtp-sink (Debian
# package postfix). Everything runs on 127.0.0.0/8 inside private network namespaces:
# the net.* sysctls the cases set exist only there and vanish with them, so nothing on
# the host changes. Process limits are set per process with prlimit. The machine-wide
# sysctls (kernel.io_uring_disabled, fs.*, vm.*) are only read. Temporary files go
# under TMPDIR (default /tmp) and are removed at the end (KEEP_TMP=1 keeps them).
set -euo pipefail
export LC_ALL=C
export GOFLAGS="${GOFLAGS:--ldflags=-checklinkname=0}"
export PATH="$PATH:/usr/sbin:/sbin"

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
NOBODY=65534 # setpriv --reuid: an unprivileged user without CAP_IPC_LOCK
VPORT=42525  # volleyd's SMTP listener inside the namespaces
SPORT=42526  # a sink or test listener
DEADPORT=42599 # nothing listens here: delivery fails, mail stays queued

die() { echo "run.sh: $*" >&2; exit 1; }
say() { printf '%s\n' "$*"; }
hdr() { printf '\n## %s\n' "$*"; }

# stop PID...: ends processes this script started, by id, and waits for them.
stop() {
	local p
	for p in "$@"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

# netns_cleanup ends every background job of this shell still running, by id, and
# removes the tmpfs directory of the inject case.
netns_cleanup() {
	local j
	for j in $(jobs -p); do
		kill "$j" 2>/dev/null || true
	done
	[ -z "${SHM:-}" ] || rm -rf "$SHM"
}

# conf FILE SPOOL PORT [LINE...]: a volleyd config: SMTP on 127.0.0.1:VPORT, the spool in
# SPOOL, every domain delivered to 127.0.0.1:PORT, the LINEs added to <domain *>.
conf() {
	local file=$1 spool=$2 hosts=$3
	shift 3
	{
		printf 'smtp-listener 127.0.0.1:%s\nhttp-mgmt-port 0\n<spool %s>\n</spool>\n' "$VPORT" "$spool"
		printf 'name-server 127.0.0.1:1\ntotal-max-smtp-in 20000\n'
		printf '<source 127.0.0.1>\n    always-allow-relaying yes\n</source>\n'
		printf '<domain *>\n    smtp-hosts [127.0.0.1]:%s\n    use-dane no\n' "$hosts"
		for l in "$@"; do printf '    %s\n' "$l"; done
		printf '</domain>\n'
	} >"$file"
}

# start_volleyd CONF LOG [PREFIX...]: starts volleyd (optionally under a wrapper
# command) and waits until it listens; sets VPID.
start_volleyd() {
	local c=$1 log=$2
	shift 2
	: >"$log" # empty before starting: the wait below reads it
	"$@" "$W/volleyd" --config "$c" 2>"$log" &
	VPID=$!
	for _ in $(seq 100); do
		grep -q "listening on" "$log" 2>/dev/null && return 0
		kill -0 "$VPID" 2>/dev/null || { cat "$log" >&2; return 1; }
		sleep 0.05
	done
	die "volleyd did not start (see $log)"
}

# nstat_get COUNTER: an absolute kernel counter of this namespace.
nstat_get() { nstat -az "$1" | awk -v k="$1" '$1 == k { print $2 }'; }

# innetns CASE [VAR=VALUE...]: runs netns_CASE in a fresh private network namespace
# (with its own loopback and net.* sysctls), with the variables set.
innetns() { env "${@:2}" unshare -n "$HERE/run.sh" --netns "$1"; }

case_memlock() {
	hdr "memlock: io_uring rings under RLIMIT_MEMLOCK (kernel $(uname -r))"
	local m=$W/uringmem
	local nobody8m=(setpriv "--reuid=$NOBODY" "--regid=$NOBODY" --clear-groups prlimit --memlock=8388608:8388608)
	say "root (CAP_IPC_LOCK), memlock 0:"
	prlimit --memlock=0:0 "$m" -rings 8 || true
	sleep 0.5
	say "uid $NOBODY (no CAP_IPC_LOCK), memlock 0:"
	setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups prlimit --memlock=0:0 "$m" -rings 8 || true
	sleep 0.5
	say "uid $NOBODY, memlock 8 MiB, asking for 64 rings:"
	setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups prlimit --memlock=8388608:8388608 "$m" -rings 64 || true
	# The smallest memlock (in 4 KiB steps) that holds one ring, then one ring and its
	# buffer ring. The kernel frees a ring's charge after the process exits,
	# asynchronously: wait between tries.
	local what flags lo hi mid
	for what in ring ring+bufring; do
		flags="-bufring 0"
		[ "$what" = ring+bufring ] && flags="-bufring 1024"
		lo=0 hi=1024
		while [ $((hi - lo)) -gt 4 ]; do
			mid=$(((lo + hi) / 8))
			mid=$((mid * 4)) # the midpoint, rounded down to a page
			sleep 0.5
			# shellcheck disable=SC2086
			if setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups prlimit --memlock=$((mid * 1024)):$((mid * 1024)) "$m" -rings 1 $flags >/dev/null; then
				hi=$mid
			else
				lo=$mid
			fi
		done
		say "smallest memlock for one $what (4096 entries): ${hi} KiB"
	done
	sleep 0.5
	say "the charge outlives the process: 19 rings at 8 MiB, exit, wait, 19 rings again; rings the second process got in 10 tries:"
	local d got
	for d in 0 0.05 0.5; do
		got=""
		for _ in $(seq 10); do
			"${nobody8m[@]}" "$m" -rings 19 >/dev/null || true
			sleep $d
			got="$got $( ("${nobody8m[@]}" "$m" -rings 19 || true) | grep -o 'rings_made=[0-9]*' | cut -d= -f2)"
			sleep 1
		done
		say "  wait ${d} s:$got"
	done
	say "the limit is per user: two processes of uid $NOBODY at once, 12 rings each, 8 MiB each:"
	setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups prlimit --memlock=8388608:8388608 "$m" -rings 12 -hold 2s &
	local p=$!
	sleep 0.5
	setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups prlimit --memlock=8388608:8388608 "$m" -rings 12 || true
	wait $p || true
	sleep 0.5
	innetns memlock_volleyd
}

netns_memlock_volleyd() {
	local c=$W/memlock.conf shards
	for shards in 18 20; do
		rm -rf "$W/spool-memlock"
		mkdir "$W/spool-memlock"
		chown $NOBODY:$NOBODY "$W/spool-memlock"
		conf "$c" "$W/spool-memlock" $DEADPORT
		printf 'shards %s\n' $shards >>"$c"
		say "volleyd, $shards shards, uid $NOBODY, memlock 8 MiB:"
		if setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups prlimit --memlock=8388608:8388608 \
			timeout 3 "$W/volleyd" --config "$c" 2>&1 | grep -E 'shards|volleyd:' | sed 's/^time=[^ ]* //'; then :; fi
		sleep 0.5
	done
}

case_fallback() {
	hdr "fallback: io_uring_setup refused with EPERM (seccomp, as io_uring_disabled does)"
	say "kernel.io_uring_disabled here: $(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null || echo absent), io_uring_group: $(cat /proc/sys/kernel/io_uring_group 2>/dev/null || echo absent)"
	innetns fallback
}

netns_fallback() {
	local c=$W/fallback.conf
	rm -rf "$W/spool-fallback"
	conf "$c" "$W/spool-fallback" $DEADPORT
	say "io-engine auto:"
	start_volleyd "$c" "$W/fallback.log" "$W/nouring"
	grep -E 'io engine' "$W/fallback.log" | sed 's/^time=[^ ]* //'
	"$W/connburst" burst -addr 127.0.0.1:$VPORT -n 100
	stop "$VPID"
	say "io-engine io_uring:"
	printf 'io-engine io_uring\n' >>"$c"
	timeout 5 "$W/nouring" "$W/volleyd" --config "$c" 2>&1 | grep -v level=INFO || true
}

case_nofile() {
	hdr "nofile: descriptors"
	say "fs.nr_open=$(cat /proc/sys/fs/nr_open) fs.file-max=$(cat /proc/sys/fs/file-max) (file-nr: $(cat /proc/sys/fs/file-nr))"
	innetns nofile
}

netns_nofile() {
	local c=$W/nofile.conf hard
	rm -rf "$W/spool-nofile"
	conf "$c" "$W/spool-nofile" $DEADPORT
	hard=$(ulimit -Hn)
	say "volleyd started with RLIMIT_NOFILE 1024:$hard (soft:hard) runs with:"
	start_volleyd "$c" "$W/nofile.log" prlimit --nofile=1024:"$hard"
	grep 'Max open files' "/proc/$VPID/limits"
	say "descriptors idle: $(find "/proc/$VPID/fd" -mindepth 1 | wc -l)"
	"$W/connburst" burst -addr 127.0.0.1:$VPORT -n 2000 -hold 3s &
	local b=$!
	sleep 2
	say "descriptors with 2,000 connections open: $(find "/proc/$VPID/fd" -mindepth 1 | wc -l)"
	wait $b
	stop "$VPID"
	say "volleyd with RLIMIT_NOFILE 512:512, 1,000 connections held open at once (10 s timeout):"
	start_volleyd "$c" "$W/nofile512.log" prlimit --nofile=512:512
	"$W/connburst" burst -addr 127.0.0.1:$VPORT -n 1000 -hold 1s -timeout 10s
	stop "$VPID"
	say "log lines about accept failures in those 10 s: $(grep -c 'accept' "$W/nofile512.log")"
	grep -m1 'accept' "$W/nofile512.log" | sed 's/^time=[^ ]* //'
}

case_backlog() {
	hdr "backlog: accept queue (net.core.somaxconn caps the listen(2) backlog)"
	local bl
	for bl in 128 4096; do
		innetns backlog_stalled BACKLOG=$bl
	done
	say "(volleyd: three runs of each size)"
	for bl in 128 4096; do
		innetns backlog_volleyd SOMAXCONN=$bl
	done
}

netns_backlog_stalled() {
	say "listener with backlog $BACKLOG that accepts only after 3 s, 1,000 simultaneous connects:"
	"$W/connburst" listen -addr 127.0.0.1:$SPORT -backlog "$BACKLOG" -accept-after 3s >/dev/null &
	local l=$!
	sleep 0.3
	"$W/connburst" burst -addr 127.0.0.1:$SPORT -n 1000
	say "TcpExtListenOverflows=$(nstat_get TcpExtListenOverflows) TcpExtSyncookiesSent=$(nstat_get TcpExtSyncookiesSent)"
	stop $l
}

netns_backlog_volleyd() {
	local c=$W/backlog.conf n
	sysctl -qw net.core.somaxconn="$SOMAXCONN"
	rm -rf "$W/spool-backlog"
	conf "$c" "$W/spool-backlog" $DEADPORT
	start_volleyd "$c" "$W/backlog.log"
	local shards
	shards=$(grep -o '[0-9]* shards' "$W/backlog.log" | head -1)
	for n in 1000 1000 1000 3000 3000 3000; do
		local before
		before=$(nstat_get TcpExtListenOverflows)
		say "volleyd ($shards), somaxconn $SOMAXCONN, $n simultaneous connects:"
		"$W/connburst" burst -addr 127.0.0.1:$VPORT -n $n
		say "TcpExtListenOverflows +$(($(nstat_get TcpExtListenOverflows) - before))"
		sleep 1
	done
	stop "$VPID"
}

case_ports() {
	hdr "ports: net.ipv4.ip_local_port_range cut to 40000-40099 (100 ports) in the namespace"
	local p
	for p in a b c d; do
		innetns ports PORTCASE=$p
	done
}

netns_ports() {
	sysctl -qw net.ipv4.ip_local_port_range="40000 40099"
	"$W/connburst" listen -addr 127.0.0.1:$SPORT >/dev/null &
	local l1=$!
	"$W/connburst" listen -addr 127.0.0.2:$SPORT >/dev/null &
	local l2=$! b
	sleep 0.3
	case $PORTCASE in
	a)
		say "(a) 150 connections at once to one destination (no bind):"
		"$W/connburst" burst -addr 127.0.0.1:$SPORT -n 150 -hold 1s -timeout 5s
		;;
	b)
		say "(b) 100 to 127.0.0.1 and 100 to 127.0.0.2 at once (no bind):"
		"$W/connburst" burst -addr 127.0.0.1:$SPORT -n 100 -hold 2s -timeout 5s &
		b=$!
		"$W/connburst" burst -addr 127.0.0.2:$SPORT -n 100 -hold 2s -timeout 5s
		wait $b
		;;
	c)
		say "(c) the same from source 127.0.0.9, bind(2) with port 0:"
		"$W/connburst" burst -addr 127.0.0.1:$SPORT -src 127.0.0.9 -n 100 -hold 2s -timeout 5s &
		b=$!
		sleep 0.5
		"$W/connburst" burst -addr 127.0.0.2:$SPORT -src 127.0.0.9 -n 100 -hold 2s -timeout 5s
		wait $b
		;;
	d)
		say "(d) the same from source 127.0.0.9 with IP_BIND_ADDRESS_NO_PORT (what volleyd does):"
		"$W/connburst" burst -addr 127.0.0.1:$SPORT -src 127.0.0.9 -noport -n 100 -hold 2s -timeout 5s &
		b=$!
		sleep 0.5
		"$W/connburst" burst -addr 127.0.0.2:$SPORT -src 127.0.0.9 -noport -n 100 -hold 2s -timeout 5s
		wait $b
		;;
	esac
	stop $l1 $l2
}

tw_count() { ss -tan state time-wait "$@" | tail -n +2 | wc -l; }

case_timewait() {
	hdr "timewait: TIME_WAIT sockets"
	say "host: tcp_tw_reuse=$(sysctl -n net.ipv4.tcp_tw_reuse) tcp_tw_reuse_delay=$(sysctl -n net.ipv4.tcp_tw_reuse_delay 2>/dev/null || echo absent) tcp_max_tw_buckets=$(sysctl -n net.ipv4.tcp_max_tw_buckets) tcp_fin_timeout=$(sysctl -n net.ipv4.tcp_fin_timeout)"
	innetns timewait_churn
	local r
	for r in 0 1; do
		innetns timewait_reuse TWREUSE=$r
	done
	innetns timewait_volleyd
}

netns_timewait_churn() {
	"$W/connburst" listen -addr 127.0.0.1:$SPORT >/dev/null &
	local l=$!
	sleep 0.3
	say "1,000 short connections one after another, the client closing first:"
	"$W/connburst" churn -addr 127.0.0.1:$SPORT -n 1000
	say "TIME_WAIT sockets afterwards: $(tw_count), on the client side: $(tw_count '( dport = :'$SPORT' )')"
	say "their timer: $(ss -tano state time-wait | sed -n 2p | grep -o 'timer:([^)]*)')"
	stop $l
}

netns_timewait_reuse() {
	sysctl -qw net.ipv4.ip_local_port_range="40000 40099" net.ipv4.tcp_tw_reuse="$TWREUSE"
	"$W/connburst" listen -addr 127.0.0.1:$SPORT >/dev/null &
	local l=$!
	sleep 0.3
	say "tcp_tw_reuse=$TWREUSE, 100 local ports, 1,000 short connections (client closes first), for at most 20 s:"
	"$W/connburst" churn -addr 127.0.0.1:$SPORT -n 1000 -timeout 5s -for 20s
	stop $l
}

netns_timewait_volleyd() {
	command -v smtp-sink >/dev/null || { say "timewait volleyd: smtp-sink not found, skipped"; return; }
	local c=$W/tw.conf s
	rm -rf "$W/spool-tw"
	conf "$c" "$W/spool-tw" $SPORT "max-msg-per-connection 1"
	smtp-sink -u postfix 127.0.0.1:$SPORT 1000 >/dev/null &
	s=$!
	start_volleyd "$c" "$W/tw.log"
	say "volleyd relaying 1,000 messages to smtp-sink with max-msg-per-connection 1:"
	smtp-source -s 20 -m 1000 -l 1024 -f a@x.test -t b@example.test 127.0.0.1:$VPORT
	sleep 3
	say "TIME_WAIT on volleyd's side (to port $SPORT): $(tw_count '( dport = :'$SPORT' )'), on the receiver's side (from port $SPORT): $(tw_count '( sport = :'$SPORT' )')"
	stop "$VPID" $s
}

case_sockmem() {
	hdr "sockmem: socket buffer memory (ss -tm skmem: r = receive queue bytes, rb = receive buffer limit, t/tb the same for send)"
	say "host: tcp_rmem=$(sysctl -n net.ipv4.tcp_rmem | tr '\t' ' ') tcp_wmem=$(sysctl -n net.ipv4.tcp_wmem | tr '\t' ' ') tcp_mem=$(sysctl -n net.ipv4.tcp_mem | tr '\t' ' ')"
	command -v smtp-source >/dev/null || { say "smtp-source not found, skipped"; return; }
	innetns sockmem
}

netns_sockmem() {
	local c=$W/sockmem.conf s b p
	rm -rf "$W/spool-sockmem"
	conf "$c" "$W/spool-sockmem" $SPORT
	smtp-sink -u postfix 127.0.0.1:$SPORT 1000 >/dev/null &
	s=$!
	start_volleyd "$c" "$W/sockmem.log"
	"$W/connburst" burst -addr 127.0.0.1:$VPORT -n 1000 -hold 3s >/dev/null &
	b=$!
	sleep 1.5
	say "1,000 idle inbound connections, skmem counts:"
	ss -tmn state established "( sport = :$VPORT )" | grep -o 'skmem:([^)]*)' | sed 's/,w.*//' | sort | uniq -c
	wait $b
	say "20 sessions injecting 4 KB messages, inbound sockets sampled every 0.1 s for 3 s (the largest of the samples):"
	smtp-source -d -s 20 -m 40000 -l 4096 -f a@x.test -t b@example.test 127.0.0.1:$VPORT &
	p=$!
	sleep 0.5
	for _ in $(seq 30); do
		ss -tmn state established "( sport = :$VPORT )" | grep -o 'skmem:([^)]*)' |
			sed 's/skmem:(r\([0-9]*\),rb\([0-9]*\),t\([0-9]*\),tb\([0-9]*\),.*/\1 \2 \3 \4/'
		echo sample
		sleep 0.1
	done | awk '$1 == "sample" { if (r > maxr) maxr = r; if (t > maxt) maxt = t; r = 0; t = 0; next }
		{ r += $1; t += $3; if ($1 > mr) mr = $1; if ($3 > mt) mt = $3 }
		END { printf "receive queues: total at most %d bytes, one socket at most %d; send queues: total at most %d, one socket at most %d\n", maxr, mr, maxt, mt }'
	wait $p
	stop "$VPID" $s
}

case_fsync() {
	local dir=${SPOOL_DIR:-$W/fsync}
	mkdir -p "$dir"
	hdr "fsync: $(findmnt -n -o SOURCE,FSTYPE,OPTIONS -T "$dir" | cut -c1-80)"
	local dev
	dev=/sys/block/$(basename "$(findmnt -n -o SOURCE -T "$dir")")/queue
	say "block device: rotational=$(cat "$dev/rotational" 2>/dev/null || echo ?) write_cache=$(cat "$dev/write_cache" 2>/dev/null || echo ?)"
	for _ in 1 2 3; do
		"$W/fsynclat" -dir "$dir" -n 2000
	done
	say "dd if=/dev/zero bs=4k count=1000 oflag=dsync:"
	for _ in 1 2; do
		dd if=/dev/zero of="$dir/dd.tmp" bs=4k count=1000 oflag=dsync 2>&1 | tail -1
	done
	rm -f "$dir/dd.tmp"
	say "for comparison, tmpfs (/dev/shm):"
	"$W/fsynclat" -dir /dev/shm -n 2000
}

case_inject() {
	hdr "inject: volleyd's injection rate with sync-msg-create yes (4 KB messages, smtp-source -d)"
	command -v smtp-source >/dev/null || { say "smtp-source not found, skipped"; return; }
	innetns inject
}

netns_inject() {
	local c=$W/inject.conf s where sessions m spool t0 t1
	SHM=$(mktemp -d /dev/shm/volley-tuning.XXXXXX)
	smtp-sink -u postfix 127.0.0.1:$SPORT 1000 >/dev/null &
	s=$!
	for _ in $(seq "${REPEAT:-2}"); do
		for where in disk tmpfs; do
			for sessions in 1 20; do
				spool=$W/spool-inject
				[ $where = tmpfs ] && spool=$SHM/spool
				rm -rf "$W/spool-inject" "$SHM/spool"
				conf "$c" "$spool" $SPORT
				m=2000
				[ $sessions = 20 ] && m=10000
				start_volleyd "$c" "$W/inject.log"
				t0=$EPOCHREALTIME
				smtp-source -d -s $sessions -m $m -l 4096 -f a@x.test -t b@example.test 127.0.0.1:$VPORT
				t1=$EPOCHREALTIME
				stop "$VPID"
				awk -v w=$where -v s=$sessions -v m=$m -v a="$t0" -v b="$t1" \
					'BEGIN { printf "spool on %s, %d sessions, %d messages: %.2f s, %.0f msgs/s\n", w, s, m, b - a, m / (b - a) }'
			done
		done
	done
	local sync
	for sync in yes no; do
		say "fdatasync and fsync calls, 10,000 messages over 20 sessions, spool on disk, sync-msg-create $sync (strace -f --seccomp-bpf -c):"
		rm -rf "$W/spool-inject"
		conf "$c" "$W/spool-inject" $SPORT
		printf 'sync-msg-create %s\n' $sync >>"$c"
		start_volleyd "$c" "$W/inject.log" strace -f --seccomp-bpf -e trace=fdatasync,fsync -c -o "$W/strace.out"
		smtp-source -d -s 20 -m 10000 -l 4096 -f a@x.test -t b@example.test 127.0.0.1:$VPORT
		# VPID is strace's: stop volleyd, its child, so strace writes the summary and exits.
		kill "$(cat "/proc/$VPID/task/$VPID/children")"
		wait "$VPID" || true
		grep -E 'fdatasync|fsync' "$W/strace.out" || true
	done
	stop $s
}

case_memory() {
	hdr "memory: 100,000 queued 1 KB messages (delivery to a closed port, so they stay queued)"
	command -v smtp-source >/dev/null || { say "smtp-source not found, skipped"; return; }
	say "transparent_hugepage: $(cat /sys/kernel/mm/transparent_hugepage/enabled)"
	innetns memory
}

rss() { awk '/^VmRSS|^VmHWM/ { printf "%s %d MiB  ", $1, $2 / 1024 }' "/proc/$1/status"; echo; }

# live: the heap after the last GC in a gctrace log ("A->B->C MB": C is live).
live() { grep '^gc ' "$1" | tail -1 | grep -o '[0-9]*->[0-9]*->[0-9]* MB, [0-9]* MB goal'; }

netns_memory() {
	local c=$W/memory.conf env engine shards
	say "idle, empty spool, by io-engine and shards:"
	for engine in io_uring epoll; do
		for shards in 1 2 8; do
			rm -rf "$W/spool-memory"
			conf "$c" "$W/spool-memory" $DEADPORT
			printf 'io-engine %s\nshards %s\n' $engine $shards >>"$c"
			start_volleyd "$c" "$W/memory.log"
			sleep 1
			say "  $engine, $shards shards: $(rss "$VPID")"
			stop "$VPID"
		done
	done
	rm -rf "$W/spool-memory"
	conf "$c" "$W/spool-memory" $DEADPORT
	start_volleyd "$c" "$W/memory.log" env GODEBUG=gctrace=1
	say "idle, empty spool: $(rss "$VPID")"
	smtp-source -d -s 20 -m 100000 -l 1024 -f a@x.test -t b@example.test 127.0.0.1:$VPORT
	sleep 5
	say "after injecting 100,000: $(rss "$VPID") last GC: $(live "$W/memory.log")"
	stop "$VPID"
	say "spool on disk: $(du -sh "$W/spool-memory" | cut -f1)"
	for env in "GOGC=100" "GOGC=50" "GOGC=off GOMEMLIMIT=128MiB" "GOMEMLIMIT=128MiB"; do
		# shellcheck disable=SC2086
		start_volleyd "$c" "$W/memory2.log" env GODEBUG=gctrace=1 $env
		sleep 5
		say "restarted with $env: $(grep -o 'queued from the spool in [0-9.a-z]*' "$W/memory2.log"); $(rss "$VPID") GCs: $(grep -c '^gc ' "$W/memory2.log") last: $(live "$W/memory2.log")"
		stop "$VPID"
	done
}

if [ "${1:-}" = --netns ]; then
	# Whatever a case leaves running when it fails is stopped with the namespace.
	trap netns_cleanup EXIT
	ip link set lo up
	"netns_$2"
	exit
fi

[ "$(id -u)" = 0 ] || die "needs root (unshare -n, setpriv, prlimit)"
for cmd in go unshare setpriv prlimit ss nstat ip; do
	command -v "$cmd" >/dev/null 2>&1 || die "$cmd not found"
done
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(memlock fallback nofile backlog ports timewait sockmem fsync inject memory)

W=$(mktemp -d "${TMPDIR:-/tmp}/volley-tuning.XXXXXX")
export W
chmod 755 "$W" # the unprivileged memlock cases run binaries from here
cleanup() {
	if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
(
	cd "$REPO"
	go build -o "$W/volleyd" ./cmd/volleyd
	for t in uringmem connburst fsynclat nouring; do
		go build -o "$W/$t" "./perf/tuning/$t.go"
	done
)
say "# perf/tuning/run.sh $(date -u +%Y-%m-%dT%H:%MZ), kernel $(uname -r), $(nproc) CPUs, $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')"
for c in "${cases[@]}"; do
	declare -F "case_$c" >/dev/null || die "unknown case $c"
	"case_$c"
done
