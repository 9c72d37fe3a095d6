#!/bin/bash
# peers.sh - what tracing a server costs with adi-profiler next to its peers,
# in ONE run with rounds interleaved: nginx (wrk), redis-server
# (redis-benchmark) and PostgreSQL (pgbench -S), each untraced and traced
# by one tracer at a time attached to the SERVER only: adi-profiler (full
# decoding; --capture-bytes 0), tcpdump -w (copies every packet, decodes
# nothing), bpftrace counting the syscalls adi-profiler hooks, strace -f.
# Per (workload, tracer): requests/s, the ratio to the same round's untraced
# run, the CPU per request of the tracer, the server and the client; for
# adi-profiler the requests it saw against those sent, and its drops. Then
# the latency a tracer adds at a fixed rate (bench/paced.c against nginx).
# Medians of ROUNDS rounds. Reports, never gates: exit 0 unless a tool
# failed to start or run. Figures and method: bench/README.md, "Peers".
# Usage: sudo bash bench/peers.sh   (env: ROUNDS DUR CONNS RATE REDIS_N
#        STRACE_DIV PG_SCALE TCPDUMP_BUF WORKLOADS TRACERS PACED_TRACERS ADI_BIN)
set -uo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
DUR=${DUR:-5}
CONNS=${CONNS:-8}
RATE=${RATE:-5000}            # paced.c requests/s
REDIS_N=${REDIS_N:-$((DUR * 30000))} # per test (SET, GET): 2-5 s each untraced here
STRACE_DIV=${STRACE_DIV:-20}  # redis under strace runs REDIS_N / this (its speed)
PG_SCALE=${PG_SCALE:-2}
TCPDUMP_BUF=${TCPDUMP_BUF:-65536} # KiB of tcpdump's kernel buffer: adi-profiler's ring is 64 MiB
WORKLOADS=${WORKLOADS:-"nginx redis pg"}
TRACERS=${TRACERS:-"none adi adi0 tcpdump bpftrace strace"}
PACED_TRACERS=${PACED_TRACERS-"none adi tcpdump"}  # empty: no latency part
T_START=$SECONDS

[ "$(id -u)" = 0 ] || { echo "peers.sh: run as root (eBPF, tcpdump, strace -p)"; exit 1; }

# ---- tools (Debian packages), the profiler of this checkout, paced.c
pkgs=()
need() { command -v "$1" >/dev/null || pkgs+=("$2"); }
need wrk wrk; need nginx nginx; need redis-server redis-server; need redis-benchmark redis-tools
need pgbench postgresql-client; need tcpdump tcpdump; need bpftrace bpftrace; need strace strace
need bc bc; need cc gcc; need cmake cmake; [ -x /usr/bin/time ] || pkgs+=(time)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || pkgs+=(postgresql)
if [ ${#pkgs[@]} -gt 0 ]; then
	echo "== installing: ${pkgs[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null ||
		{ echo "peers.sh: apt-get install ${pkgs[*]} failed"; exit 1; }
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
if [ -z "${ADI_BIN:-}" ]; then
	cmake -S . -B build >/dev/null && cmake --build build -j2 --target adi-profiler >/dev/null ||
		{ echo "peers.sh: building adi-profiler failed"; exit 1; }
	ADI_BIN=build/adi-profiler
fi

W=$(mktemp -d /tmp/adi-peers.XXXXXX)
chmod 755 "$W"; chown postgres "$W"   # initdb runs as postgres
NG_PID=; RD_PID=; PG_PID=; TR_PID=
cleanup() {
	[ -n "$TR_PID" ] && kill -INT "$TR_PID" 2>/dev/null && sleep 0.5 && kill -KILL "$TR_PID" 2>/dev/null
	[ -n "$NG_PID" ] && kill "$NG_PID" 2>/dev/null
	[ -n "$RD_PID" ] && kill "$RD_PID" 2>/dev/null
	[ -n "$PG_PID" ] && kill -INT "$PG_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cp "$ADI_BIN" "$W/adi"            # a concurrent rebuild cannot swap it mid-run
cc -O2 -Wall -Wextra -Werror -o "$W/paced" bench/paced.c || { echo "peers.sh: paced.c failed to build"; exit 1; }
FAILED=0
fail() { echo "  !! $*"; FAILED=1; }   # a tool did not start or run: exit 1
note() { echo "  ** $*"; NOTES+=("$*"); } # an anomaly worth reading: reported only
NOTES=()

# a loopback port nobody listens on
free_port() { local p; while :; do p=$((20000 + RANDOM % 30000))
	(echo > /dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo $p; return; }; done; }
port_up() { for _ in $(seq 200); do (echo > /dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; return 1; }
# wait until FILE holds PATTERN (a tracer says it is ready), at most $3 s
wait_for() { local i; for i in $(seq $(($3 * 20))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done; return 1; }
TCK=$(getconf CLK_TCK)
# CPU ticks (user + sys) of one process, all its threads
cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# CPU ticks of a server: the process, its reaped children (PostgreSQL's
# backends, one per connection) and its live children
tree_cpu() { local s=0 p
	for p in "$1" $(pgrep -P "$1"); do
		s=$((s + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done; echo $s; }
# the tracer's CPU settles: its ticks stop growing (a backlog is drained)
settle() { local a b; a=$(cpu_of "$1")
	for _ in $(seq 15); do sleep 0.2; b=$(cpu_of "$1"); [ "$a" = "$b" ] && break; a=$b; done; }
calc() { echo "$*" | bc -l; }
us_per() { calc "$1 * 1000000 / $TCK / $2"; } # ticks, requests -> us per request
med() { printf "%s\n" "$@" | grep -v '^$' | sort -g |
	awk '{a[NR]=$1} END {if (!NR) print "nan"; else print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
# other tracers on the machine inflate every figure, the baseline included
# (names and counts, e.g. "adi-profiler x2"; ours excluded)
others() { ps -eo pid=,comm= | awk -v me="${TR_PID:-0}" \
	'$2 ~ /^(adi-profiler|strace|bpftrace|perf|tcpdump|ltrace)$/ && $1 != me {n[$2]++}
	END {for (k in n) printf "%s x%d ", k, n[k]}'; }

# ---- servers, started once, up for the whole run
NG_PORT=$(free_port)
. bench/nginx-site.sh
nginx_site "$W" "$NG_PORT"
if [[ " $WORKLOADS $PACED_TRACERS " == *" nginx "* || -n "$PACED_TRACERS" ]]; then
	nginx -c "$W/nginx.conf" -p "$W" & NG_PID=$!
	port_up "$NG_PORT" || { echo "peers.sh: nginx did not start"; cat "$W/nginx-error.log"; exit 1; }
fi
RD_PORT=$(free_port)
if [[ " $WORKLOADS " == *" redis "* ]]; then
	redis-server --port "$RD_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
		--dir "$W" --logfile "$W/redis.log" & RD_PID=$!
	port_up "$RD_PORT" || { echo "peers.sh: redis-server did not start"; exit 1; }
fi
rcli() { redis-cli -h 127.0.0.1 -p "$RD_PORT" "$@"; }
PG_PORT=$(free_port)
export PGHOST=127.0.0.1 PGPORT=$PG_PORT PGUSER=postgres PGDATABASE=postgres
if [[ " $WORKLOADS " == *" pg "* ]]; then
	runuser -u postgres -- "$PGBIN/initdb" -D "$W/pg" -U postgres --auth=trust >/dev/null ||
		{ echo "peers.sh: initdb failed"; exit 1; }
	runuser -u postgres -- "$PGBIN/postgres" -D "$W/pg" -p "$PG_PORT" -k "$W" \
		-c listen_addresses=127.0.0.1 -c fsync=off >"$W/pg.log" 2>&1 &
	for _ in $(seq 100); do pg_isready -q && break; sleep 0.1; done
	PG_PID=$(head -1 "$W/pg/postmaster.pid" 2>/dev/null)
	[ -n "$PG_PID" ] && pgbench -i -q -s "$PG_SCALE" >/dev/null 2>&1 ||
		{ echo "peers.sh: postgres or pgbench -i failed"; cat "$W/pg.log"; exit 1; }
fi

# ---- one load run on workload $1: sets RPS (requests/s), NREQ (requests)
# and CSEC (the client's CPU seconds: a tracer's kernel work on the packets
# the client sends, tcpdump's copy included, runs on the client's time)
CLI="/usr/bin/time -f %U+%S -o $W/ctime"
load() {
	local n
	case $1 in
	nginx)
		$CLI wrk -t1 -c"$CONNS" -d"${DUR}s" "http://127.0.0.1:$NG_PORT/index.html" > "$W/load.txt" 2>&1
		read -r RPS NREQ < <(awk '/Requests\/sec/ {r=$2} /requests in/ {n=$1} END {print r+0, n+0}' "$W/load.txt") ;;
	redis)
		n=$REDIS_N; [ "$2" = strace ] && n=$((REDIS_N / STRACE_DIV))
		$CLI redis-benchmark -h 127.0.0.1 -p "$RD_PORT" -c "$CONNS" -n "$n" -t set,get --csv > "$W/load.txt" 2>&1
		# both tests' requests over both tests' time
		RPS=$(awk -F'"' '$2 == "SET" {s=$4} $2 == "GET" {g=$4} END {if (s > 0 && g > 0) print 2 / (1/s + 1/g); else print 0}' "$W/load.txt")
		NREQ=$((2 * n)) ;;
	pg)
		$CLI pgbench -n -S -c "$CONNS" -T "$DUR" > "$W/load.txt" 2>&1
		read -r RPS NREQ < <(awk '/^tps/ {t=$3} /number of transactions actually processed/ {split($NF,a,"/"); n=a[1]} END {print t+0, n+0}' "$W/load.txt") ;;
	paced)
		$CLI "$W/paced" -p "$NG_PORT" -u /index.html -r "$RATE" -d "$DUR" -c "$CONNS" > "$W/load.txt" 2>&1
		PACED=$(cat "$W/load.txt")
		RPS=$(sed -n 's/.*achieved_rps=\([0-9.]*\).*/\1/p' "$W/load.txt"); RPS=${RPS:-0}
		NREQ=$(sed -n 's/.* done=\([0-9]*\).*/\1/p' "$W/load.txt"); NREQ=${NREQ:-0} ;;
	esac
	CSEC=$(tail -1 "$W/ctime" | bc -l 2>/dev/null); CSEC=${CSEC:-0}
	[ "${NREQ:-0}" -gt 0 ] 2>/dev/null || { fail "$1 load produced no requests: $(tail -3 "$W/load.txt" | tr '\n' ' ')"; NREQ=0; RPS=0; }
}

# ---- the tracers: start $1 on server pid $2 (port $3); sets TR_PID
# bpftrace counts what adi-profiler's kernel side hooks (bpf/*.h): the I/O,
# file and socket syscalls at sys_exit, close at sys_enter, and follows forks
BT_SYSCALLS="read write pread64 pwrite64 readv writev preadv pwritev preadv2 pwritev2 sendto recvfrom
sendmsg recvmsg sendmmsg recvmmsg sendfile64 copy_file_range splice open creat openat openat2 unlink
unlinkat rename renameat renameat2 mkdir mkdirat rmdir truncate ftruncate chmod fchmod fchmodat fchmodat2
chown fchown lchown fchownat link linkat symlink symlinkat chdir fchdir socket connect accept accept4
shutdown getsockopt dup dup2 dup3 fcntl close_range pipe pipe2"
bt_script() { local pred="" p probes=""
	for p in "$1" $(pgrep -P "$1"); do pred+="pid == $p || "; done
	for p in $BT_SYSCALLS; do
		[ -d "/sys/kernel/tracing/events/syscalls/sys_exit_$p" ] && probes+="tracepoint:syscalls:sys_exit_$p,"
	done
	cat <<BT
BEGIN { printf("ready\n"); }
tracepoint:sched:sched_process_fork /${pred}@t[args->parent_pid]/ { @t[args->child_pid] = 1; }
${probes}tracepoint:syscalls:sys_enter_close /${pred}@t[pid]/ { @n[probe] = count(); }
END { clear(@t); }
BT
}
tracer_start() {
	local t=$1 spid=$2 port=$3 p
	: > "$W/tracer.err"
	case $t in
	none) TR_PID=; return 0 ;;
	adi|adi0)
		"$W/adi" attach --pid "$spid" --format json -o "$W/trace.jsonl" \
			$([ "$t" = adi0 ] && echo --capture-bytes 0) 2> "$W/tracer.err" & TR_PID=$!
		wait_for "$W/tracer.err" "attached to" 60 ;;
	tcpdump)
		tcpdump -i lo -Z root -B "$TCPDUMP_BUF" -w "$W/cap.pcap" port "$port" 2> "$W/tracer.err" & TR_PID=$!
		wait_for "$W/tracer.err" "listening on" 30 ;;
	bpftrace)
		bt_script "$spid" > "$W/count.bt"
		bpftrace "$W/count.bt" > "$W/tracer.err" 2>&1 & TR_PID=$!
		wait_for "$W/tracer.err" "^ready" 120 ;;
	strace)
		local args=()
		for p in "$spid" $(pgrep -P "$spid"); do args+=(-p "$p"); done
		strace -f "${args[@]}" -s 4096 -o "$W/strace.out" 2> "$W/tracer.err" & TR_PID=$!
		wait_for "$W/tracer.err" "attached" 30 ;;
	esac || { fail "$t did not start on pid $spid: $(head -c 300 "$W/tracer.err" | tr '\n' ' ')"
		kill -KILL "$TR_PID" 2>/dev/null; wait "$TR_PID" 2>/dev/null; TR_PID=; return 1; }
	sleep 0.3
}
# bpftrace 0.17 sometimes misses a SIGINT that lands just before it
# blocks in epoll_wait (seen here: 2 samples in 63 hung until killed, their
# counts lost); a second one ends it, so it gets one every 2 s
tracer_stop() {
	local i
	[ -n "$TR_PID" ] || return 0
	kill -INT "$TR_PID" 2>/dev/null
	for i in $(seq 600); do
		kill -0 "$TR_PID" 2>/dev/null || break
		[ "$1" = bpftrace ] && [ $((i % 20)) = 0 ] && kill -INT "$TR_PID" 2>/dev/null
		sleep 0.1
	done
	kill -KILL "$TR_PID" 2>/dev/null
	wait "$TR_PID" 2>/dev/null
	TR_PID=
}

# ---- what each sample's tracer saw; sets NOTE
tracer_check() {
	local wl=$1 t=$2 sent=$3 r=$4 seen dropped
	NOTE=
	case $t in
	adi|adi0)
		dropped=$(tail -1 "$W/trace.jsonl" 2>/dev/null | grep -o '"dropped":[0-9]*' | head -1 | cut -d: -f2)
		if [ "$t" = adi ]; then
			case $wl in
			nginx|paced) seen=$(grep -c '"kind":"http_request"' "$W/trace.jsonl") ;;
			redis) seen=$(grep -c '"kind":"redis_command","[^}]*"command":"\(SET\|GET\)"' "$W/trace.jsonl") ;;
			pg) seen=$(grep -c '"sql":"SELECT abalance FROM pgbench_accounts WHERE aid = ' "$W/trace.jsonl") ;;
			esac
			NOTE="sent $sent, seen $seen, dropped ${dropped:-?}"
			SEEN[$wl]+="$seen/$sent "
		else
			NOTE="dropped ${dropped:-?}"
		fi
		DROPS[$wl,$t]+="${dropped:-?} "
		[ "${dropped:-x}" = 0 ] || note "$wl $t round $r: trace_summary dropped=${dropped:-missing}"
		rm -f "$W/trace.jsonl" ;;
	tcpdump)
		dropped=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "$W/tracer.err")
		NOTE="packets $(sed -n 's/^\([0-9]*\) packets\{0,1\} captured.*/\1/p' "$W/tracer.err"), dropped by kernel ${dropped:-?}, pcap $(($(stat -c %s "$W/cap.pcap" 2>/dev/null || echo 0) / 1000000)) MB"
		DROPS[$wl,$t]+="${dropped:-?} "
		rm -f "$W/cap.pcap" ;;
	bpftrace)
		seen=$(awk -F': ' '/^@n\[/ {s += $2} END {print s + 0}' "$W/tracer.err")
		[ "$seen" -gt 0 ] || note "$wl bpftrace round $r: no counts printed"
		NOTE="hooked syscalls counted $seen ($(calc "$seen / $sent" | xargs printf %.1f) per request)" ;;
	strace)
		NOTE="strace lines $(wc -l < "$W/strace.out" 2>/dev/null || echo 0)"
		rm -f "$W/strace.out" ;;
	esac
}

# ---- one sample: workload $1 (server pid $2, port $3) under tracer $4
OVERLAP=0 SAMPLES=0
declare -A RPSL RPSR RATIO TCPU SCPU CCPU ALL SEEN DROPS LAT
sample() {
	local wl=$1 spid=$2 port=$3 t=$4 r=$5 c0 c1 s0 s1 tus sus cus ov
	ov=$(others)
	[ -n "$ov" ] && OVERLAP=$((OVERLAP + 1))
	tracer_start "$t" "$spid" "$port" || return 0
	[ -n "$TR_PID" ] && c0=$(cpu_of "$TR_PID") || c0=0
	s0=$(tree_cpu "$spid")
	[ "$wl" = redis ] && rcli config resetstat >/dev/null
	load "$wl" "$t"
	local sent=$NREQ
	[ "$wl" = redis ] && sent=$(rcli info commandstats | awk -F'[:=,]' '/^cmdstat_(set|get):/ {n += $3} END {print n + 0}')
	[ "$wl" = pg ] && sleep 0.3 # the backends exit and are reaped
	if [ -n "$TR_PID" ]; then settle "$TR_PID"; c1=$(cpu_of "$TR_PID"); else sleep 0.2; c1=0; fi
	s1=$(tree_cpu "$spid")
	tracer_stop "$t"
	local ov2; ov2=$(others)
	[ -z "$ov" ] && [ -n "$ov2" ] && OVERLAP=$((OVERLAP + 1))
	[ "$ov2" = "$ov" ] || ov="${ov:+before: ${ov% }; }after: ${ov2:-none}"
	[ "$NREQ" -gt 0 ] || return 0
	tus=$(us_per $((c1 - c0)) "$NREQ"); sus=$(us_per $((s1 - s0)) "$NREQ")
	tracer_check "$wl" "$t" "$sent" "$r"
	SAMPLES=$((SAMPLES + 1))
	RPSR[$wl,$t,$r]=$RPS
	cus=$(calc "$CSEC * 1000000 / $NREQ")
	RPSL[$wl,$t]+="$RPS "; TCPU[$wl,$t]+="$tus "; SCPU[$wl,$t]+="$sus "; CCPU[$wl,$t]+="$cus "
	ALL[$wl,$t]+="$(calc "$tus + $sus + $cus") "
	[ "$wl" = paced ] && LAT[$t]+="$PACED"$'\n'
	printf "  %-6s %-9s %8.0f req/s  us/req: server %5.1f client %5.1f tracer %6.2f  %s%s\n" "$wl" "$t" "$RPS" \
		"$sus" "$cus" "$tus" "$NOTE" "${ov:+  [other tracers: ${ov% }]}"
	[ "$wl" = paced ] && echo "         $PACED"
	return 0
}
# the ratios, once a round's baseline is known
ratios() { local wl=$1 r=$2 t b=${RPSR[$1,none,$2]:-0}; shift 2
	for t in "$@"; do
		[ "$t" = none ] || [ -z "${RPSR[$wl,$t,$r]:-}" ] || [ "$b" = 0 ] && continue
		RATIO[$wl,$t]+="$(calc "${RPSR[$wl,$t,$r]} / $b") "
	done; }
# a list rotated by $1 places: drift on the host lands on every tracer alike
rotate() { local k=$1; shift; local a=("$@") n=$#; local i
	for ((i = 0; i < n; i++)); do printf "%s " "${a[$(((i + k) % n))]}"; done; }

echo "== peers.sh: $(date -u '+%F %T UTC')"
echo "commit:   $(git rev-parse --short HEAD) ($(git status --porcelain --untracked-files=no | wc -l) files changed in the work tree)"
echo "binary:   $ADI_BIN, sha256 $(sha256sum "$W/adi" | cut -c1-12)"
echo "kernel:   $(uname -r); cpus: $(nproc); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tools:    $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2); $(redis-server --version | cut -d' ' -f1-3);" \
	"$("$PGBIN/postgres" --version); $(tcpdump --version 2>&1 | head -1); $(bpftrace --version); $(strace -V | head -1)"
echo "loads:    wrk -t1 -c$CONNS -d${DUR}s (~816-byte file, nginx 1 worker, keep-alive); redis-benchmark -c $CONNS -n $REDIS_N" \
	"-t set,get (strace: -n $((REDIS_N / STRACE_DIV))); pgbench -n -S -c $CONNS -T $DUR (scale $PG_SCALE);" \
	"paced -r $RATE -d $DUR -c $CONNS; tcpdump -B $TCPDUMP_BUF"
echo "servers:  nginx pid ${NG_PID:-} :$NG_PORT; redis pid ${RD_PID:-} :$RD_PORT; postgres pid ${PG_PID:-} :$PG_PORT"
echo "rounds:   $ROUNDS (interleaved, tracer order rotated each round; medians reported)"
echo "others:   $(others) ${OTHERS_NOTE:-}"

spid_of() { case $1 in nginx|paced) echo "$NG_PID" ;; redis) echo "$RD_PID" ;; pg) echo "$PG_PID" ;; esac; }
port_of() { case $1 in nginx|paced) echo "$NG_PORT" ;; redis) echo "$RD_PORT" ;; pg) echo "$PG_PORT" ;; esac; }
for r in $(seq "$ROUNDS"); do
	echo "== round $r of $ROUNDS"
	for wl in $WORKLOADS; do
		for t in $(rotate $((r - 1)) $TRACERS); do
			sample "$wl" "$(spid_of "$wl")" "$(port_of "$wl")" "$t" "$r"
		done
		ratios "$wl" "$r" $TRACERS
	done
	if [ -n "$PACED_TRACERS" ]; then
		for t in $(rotate $((r - 1)) $PACED_TRACERS); do
			sample paced "$NG_PID" "$NG_PORT" "$t" "$r"
		done
	fi
done

# ---- tables
name() { case $1 in none) echo "untraced" ;; adi) echo "adi-profiler (full decoding)" ;;
	adi0) echo "adi-profiler --capture-bytes 0" ;; tcpdump) echo "tcpdump -w" ;;
	bpftrace) echo "bpftrace (count hooked syscalls)" ;; strace) echo "strace -f -s 4096" ;; esac; }
fmt() { [ "$1" = nan ] && echo "-" || printf "$2" "$1"; }
echo
echo "== results: medians of $ROUNDS interleaved rounds (ratio = traced / untraced req/s of the same round)"
echo
printf "| tracer on the server |"; for wl in $WORKLOADS; do printf " %s req/s ratio |" "$wl"; done
printf " tracer CPU per request, us (%s) |\n" "$(echo $WORKLOADS | sed 's/ / \/ /g')"
printf "|---|"; for wl in $WORKLOADS; do printf -- "---|"; done; printf -- "---|\n"
for t in $TRACERS; do
	printf "| %s |" "$(name "$t")"
	for wl in $WORKLOADS; do
		rps=$(med ${RPSL[$wl,$t]:-})
		if [ "$t" = none ]; then printf " %s/s |" "$(fmt "$rps" %.0f)"
		else printf " **%s** (%s/s) |" "$(fmt "$(med ${RATIO[$wl,$t]:-})" %.2f)" "$(fmt "$rps" %.0f)"; fi
	done
	cpu=""
	for wl in $WORKLOADS; do cpu+="$(fmt "$(med ${TCPU[$wl,$t]:-})" %.2f) / "; done
	[ "$t" = none ] && cpu="-" || cpu=${cpu% / }
	printf " %s |\n" "$cpu"
done
echo
echo "CPU per request, us: server (the process and its children) / client (the load generator) / tracer,"
echo "and in brackets what the three add together over the untraced run (medians). A tracer's kernel side"
echo "runs on the time of the process whose syscall or packet it handles: the server's, and for tcpdump"
echo "also the client's (every packet on lo is copied once, in the sender's context)."
echo
printf "| tracer on the server |"; for wl in $WORKLOADS; do printf " %s |" "$wl"; done; echo
printf "|---|"; for wl in $WORKLOADS; do printf -- "---|"; done; echo
for t in $TRACERS; do
	printf "| %s |" "$(name "$t")"
	for wl in $WORKLOADS; do
		printf " %s / %s / %s" "$(fmt "$(med ${SCPU[$wl,$t]:-})" %.1f)" "$(fmt "$(med ${CCPU[$wl,$t]:-})" %.1f)" \
			"$(fmt "$(med ${TCPU[$wl,$t]:-})" %.1f)"
		a=$(med ${ALL[$wl,$t]:-}); b=$(med ${ALL[$wl,none]:-})
		[ "$t" = none ] || { [ "$a" = nan ] || [ "$b" = nan ] || printf " (%+.1f)" "$(calc "$a - $b")"; }
		printf " |"
	done; echo
done
echo
echo "adi-profiler (full): requests seen / sent per round, and drops (trace_summary):"
for wl in $WORKLOADS; do
	echo "  $wl: seen/sent ${SEEN[$wl]:-none}; dropped: full: ${DROPS[$wl,adi]:-?}; --capture-bytes 0: ${DROPS[$wl,adi0]:-?}; tcpdump dropped by kernel ${DROPS[$wl,tcpdump]:-?}"
done
[ -n "$PACED_TRACERS" ] && echo "  paced: seen/sent ${SEEN[paced]:-none}; dropped ${DROPS[paced,adi]:-?}; tcpdump dropped by kernel ${DROPS[paced,tcpdump]:-?}"
if [ -n "$PACED_TRACERS" ]; then
	echo
	echo "Fixed rate: paced -r $RATE -d $DUR -c $CONNS against nginx (latency from each request's due time"
	echo "to its last response byte; medians over rounds of each percentile):"
	echo
	echo "| tracer on nginx | p50 us | p90 us | p99 us | p99.9 us | max us | tracer CPU us/req | errors |"
	echo "|---|---|---|---|---|---|---|---|"
	for t in $PACED_TRACERS; do
		printf "| %s |" "$(name "$t")"
		for k in p50_us p90_us p99_us p999_us max_us; do
			printf " %s |" "$(fmt "$(med $(printf "%s" "${LAT[$t]:-}" | sed -n "s/.* $k=\([0-9.]*\).*/\1/p"))" %.0f)"
		done
		printf " %s |" "$( [ "$t" = none ] && echo - || fmt "$(med ${TCPU[paced,$t]:-})" %.2f)"
		printf " %s |\n" "$(printf "%s" "${LAT[$t]:-}" | sed -n 's/.* errors=\([0-9]*\).*/\1/p' | paste -sd+ | bc)"
	done
fi
echo
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg); samples that overlapped another tracer: $OVERLAP of $SAMPLES; total time $((SECONDS - T_START)) s"
[ ${#NOTES[@]} = 0 ] || { echo "anomalies (reported, not failures):"; printf "  %s\n" "${NOTES[@]}"; }
[ "$FAILED" = 0 ] || echo "== some tool failed to start or run (marked !! above): exit 1"
exit "$FAILED"
