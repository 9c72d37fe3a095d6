#!/bin/bash
# The engine alone, per protocol (issue 15): records one capture of each
# workload with --save-raw (wrk vs nginx, client side and server side;
# pgbench -S extended and simple; mariadb-slap; redis-benchmark -P 16 and
# -P 1; h2load vs nghttpd), then replays each to /dev/null ROUNDS times and
# prints the minimum CPU time (user + sys), MB/s of capture and events/s.
# With BASE=<binary> (an older build) the two binaries are replayed
# interleaved, same captures, same minutes: the before/after figures.
# With INSTR=1, also the instructions of one replay of each (valgrind's
# callgrind, "I refs"): exact and the same on a busy machine, where the
# CPU times above move by 15 %; start-up (~20 M) included.
# Private servers on loopback, removed at the end. Reports, never gates.
# Usage: sudo [BASE=/path/to/old/adi-profiler] bash bench/replays.sh
set -uo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
DUR=${DUR:-2}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
for t in wrk nginx h2load nghttpd redis-server redis-benchmark pgbench mariadbd; do
	command -v "$t" >/dev/null || { echo "missing $t (sudo sh scripts/install-deps.sh --test; apt-get install wrk)"; exit 1; }
done
[ "${INSTR:-0}" = 1 ] && ! command -v valgrind >/dev/null && { echo "INSTR=1 needs valgrind (apt-get install valgrind)"; exit 1; }
cmake -S . -B build >/dev/null && cmake --build build -j"$(nproc)" --target adi-profiler >/dev/null || exit 1
W=$(mktemp -d /tmp/adi-replays.XXXXXX)
chown postgres "$W"
cleanup() { kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
cp build/adi-profiler "$W/new"
[ -n "${BASE:-}" ] && cp "$BASE" "$W/old"
ADI="$W/new"
port() { echo $((20000 + RANDOM % 20000)); }
wait_port() { for _ in $(seq 200); do (echo > /dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
rec() { local name=$1; shift; "$ADI" run --save-raw "$W/$name.raw" --format json -o /dev/null -- "$@" >/dev/null 2>&1; }

echo "== recording (${DUR}s each)"
# nginx makes its temp paths its worker's (mode 700): in a directory of
# their own (nginx-site.sh), not $W, which PostgreSQL's user must enter
P=$(port)
. bench/nginx-site.sh
nginx_site "$W" "$P"
nginx -c "$W/nginx.conf" -p "$W" & NG=$!; wait_port "$P"
rec http-client wrk -t1 -c8 -d"${DUR}s" "http://127.0.0.1:$P/index.html"
kill $NG; wait $NG 2>/dev/null
"$ADI" run --save-raw "$W/http-server.raw" --format json -o /dev/null -- nginx -c "$W/nginx.conf" -p "$W" >/dev/null 2>&1 & AP=$!
wait_port "$P"; sleep 0.3
wrk -t1 -c8 -d"${DUR}s" "http://127.0.0.1:$P/index.html" >/dev/null 2>&1
kill -INT $AP; sleep 0.3; kill -INT $AP 2>/dev/null; wait $AP 2>/dev/null

PGPORT=$(port)
runuser -u postgres -- "$PGBIN/initdb" -D "$W/pg" -U postgres --auth=trust >/dev/null
runuser -u postgres -- "$PGBIN/postgres" -D "$W/pg" -p "$PGPORT" -k "$W" \
	-c listen_addresses=127.0.0.1 -c fsync=off >"$W/pg.log" 2>&1 & PGPID=$!
for _ in $(seq 100); do pg_isready -q -h 127.0.0.1 -p "$PGPORT" && break; sleep 0.1; done
export PGHOST=127.0.0.1 PGPORT PGUSER=postgres PGDATABASE=postgres
pgbench -i -q -s 2 >/dev/null 2>&1
rec pg-extended pgbench -S -n -M extended -c4 -j2 -T"$DUR"
rec pg-simple pgbench -S -n -c4 -j2 -T"$DUR"
kill $PGPID; wait $PGPID 2>/dev/null

MYPORT=$(port)
mariadb-install-db --no-defaults --datadir="$W/my" --user=root \
	--auth-root-authentication-method=normal --skip-test-db >/dev/null 2>&1
mariadbd --no-defaults --datadir="$W/my" --user=root --socket="$W/my.sock" --port="$MYPORT" \
	--bind-address=127.0.0.1 --skip-log-bin --log-error="$W/my.log" >/dev/null 2>&1 & MYPID=$!
for _ in $(seq 100); do [ -S "$W/my.sock" ] && break; sleep 0.1; done
sleep 0.3
rec mysql mariadb-slap --no-defaults -uroot -h127.0.0.1 -P"$MYPORT" --protocol=TCP \
	--concurrency=4 --iterations=5 --number-of-queries=20000 --auto-generate-sql \
	--auto-generate-sql-add-autoincrement --auto-generate-sql-load-type=key
kill $MYPID; wait $MYPID 2>/dev/null

RP=$(port)
redis-server --port "$RP" --bind 127.0.0.1 --save "" --appendonly no >/dev/null 2>&1 & RS=$!
wait_port "$RP"
rec redis-pipelined redis-benchmark -h 127.0.0.1 -p "$RP" -n 100000 -t set,get -c 8 -P 16 -q
rec redis redis-benchmark -h 127.0.0.1 -p "$RP" -n 50000 -t set,get -c 8 -q
kill $RS; wait $RS 2>/dev/null

HP=$(port)
nghttpd --no-tls -d "$W/www" "$HP" >/dev/null 2>&1 & NH=$!
wait_port "$HP"
rec http2 h2load -n 100000 -c 10 -m 10 "http://127.0.0.1:$HP/index.html"
kill $NH; wait $NH 2>/dev/null

# CPU seconds (user + sys) of one replay to /dev/null
cpu() { /usr/bin/time -f "%U %S" -o "$W/t" "$1" replay --format json -o /dev/null "$2" >/dev/null 2>&1
	awk '{print $1 + $2}' "$W/t"; }
min() { printf "%s\n" "$@" | sort -g | head -1; }

echo "== replays to /dev/null, one core, min CPU of $ROUNDS${BASE:+ (interleaved with BASE)}"
printf "  %-16s %9s %9s %10s %12s" capture MB events "CPU s" "MB/s"
[ -n "${BASE:-}" ] && printf " %12s %8s" "BASE MB/s" "speed-up"
echo
for c in http-client http-server http2 pg-extended pg-simple mysql redis redis-pipelined; do
	f="$W/$c.raw"
	[ -s "$f" ] || { printf "  %-16s (no capture)\n" "$c"; continue; }
	"$ADI" replay --format json -o /dev/null "$f" >/dev/null 2>&1 # warm the page cache
	ev=$("$ADI" replay --format json -o - "$f" 2>/dev/null | wc -l)
	declare -a N=() O=()
	for _ in $(seq "$ROUNDS"); do
		N+=("$(cpu "$W/new" "$f")")
		[ -n "${BASE:-}" ] && O+=("$(cpu "$W/old" "$f")")
	done
	mb=$(echo "$(stat -c %s "$f") / 1000000" | bc -l)
	n=$(min "${N[@]}")
	printf "  %-16s %9.1f %9d %10.2f %12.0f" "$c" "$mb" "$ev" "$n" "$(echo "$mb / ($n + 0.001)" | bc -l)"
	if [ -n "${BASE:-}" ]; then
		o=$(min "${O[@]}")
		printf " %12.0f %7.2fx" "$(echo "$mb / ($o + 0.001)" | bc -l)" "$(echo "($o + 0.001) / ($n + 0.001)" | bc -l)"
	fi
	echo
	if [ "${INSTR:-0}" = 1 ]; then
		for b in new ${BASE:+old}; do
			i=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$W/$b" replay --format json \
				-o /dev/null "$f" 2>&1 | awk '/I +refs/ {gsub(",", "", $NF); print $NF}')
			printf "  %-16s %s: %s instructions, %.0f per event\n" "" "$b" "$i" \
				"$(echo "${i:-0} / $ev" | bc -l)"
		done
	fi
done
