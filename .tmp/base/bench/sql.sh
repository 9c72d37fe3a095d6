#!/bin/bash
# SQL figures (issue 4): `pgbench -S` transactions/s untraced vs traced by
# adi-profiler with full Postgres decoding, as a ratio from the same run
# (rounds interleaved), queries seen vs executed and drops; then the engine
# alone replaying saved captures of Postgres (pgbench) and MySQL
# (mariadb-slap) traffic (MB/s and queries/s on one core). Private servers
# on loopback ports, started and removed here. Reports, never gates.
# Usage: sudo bash bench/sql.sh
set -uo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
DUR=${DUR:-5}
CLIENTS=${CLIENTS:-4}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
# the binary of this checkout, built (incrementally) every time
cmake -S . -B build >/dev/null && cmake --build build -j"$(nproc)" --target adi-profiler >/dev/null || exit 1
W=$(mktemp -d /tmp/adi-sql-bench.XXXXXX)
chown postgres "$W"
cleanup() {
	[ -n "${PGPID:-}" ] && kill "$PGPID" 2>/dev/null
	[ -n "${MYPID:-}" ] && kill "$MYPID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
cp build/adi-profiler "$W/adi"
PGPORT=$((20000 + RANDOM % 20000))
MYPORT=$((PGPORT + 1))

runuser -u postgres -- "$PGBIN/initdb" -D "$W/pg" -U postgres --auth=trust >/dev/null
runuser -u postgres -- "$PGBIN/postgres" -D "$W/pg" -p "$PGPORT" -k "$W" \
	-c listen_addresses=127.0.0.1 -c fsync=off >"$W/pg.log" 2>&1 &
PGPID=$!
for _ in $(seq 100); do pg_isready -q -h 127.0.0.1 -p "$PGPORT" && break; sleep 0.1; done
export PGHOST=127.0.0.1 PGPORT PGUSER=postgres PGDATABASE=postgres
pgbench -i -q -s 2 >/dev/null 2>&1 || { echo "pgbench -i failed"; cat "$W/pg.log"; exit 1; }

# transactions/s and the number of transactions of one pgbench run
tps() { "$@" > "$W/pgb.txt" 2>&1
	awk '/^tps/ {t=$3} /number of transactions actually processed/ {split($NF,a,"/"); n=a[1]} END {print t, n}' "$W/pgb.txt"; }

echo "== pgbench -S -n -c$CLIENTS -j2 -T$DUR (simple protocol, scale 2), $ROUNDS rounds"
declare -a U T
for r in $(seq "$ROUNDS"); do
	read -r u _ < <(tps pgbench -S -n -c"$CLIENTS" -j2 -T"$DUR")
	read -r t n < <(tps "$W/adi" run --format json -o "$W/trace.jsonl" -- \
		pgbench -S -n -c"$CLIENTS" -j2 -T"$DUR")
	seen=$(grep -c '"sql":"SELECT abalance FROM pgbench_accounts WHERE aid = ' "$W/trace.jsonl")
	dropped=$(tail -1 "$W/trace.jsonl" | grep -o '"dropped":[0-9]*' | head -1 | cut -d: -f2)
	U+=("$u"); T+=("$t")
	printf "  round %d: untraced %.0f tps; traced %.0f tps (x%.2f); queries executed %s, seen %s, dropped %s\n" \
		"$r" "$u" "$t" "$(echo "$t / $u" | bc -l)" "$n" "$seen" "$dropped"
done
med() { printf "%s\n" "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
mu=$(med "${U[@]}"); mt=$(med "${T[@]}")
printf "  median: untraced %.0f tps, traced %.0f tps, ratio %.2f\n" "$mu" "$mt" "$(echo "$mt / $mu" | bc -l)"

echo "== pgbench -S -M prepared (extended protocol: Bind/Execute of a named statement)"
read -r u _ < <(tps pgbench -S -n -M prepared -c"$CLIENTS" -j2 -T"$DUR")
read -r t n < <(tps "$W/adi" run --format json -o "$W/trace.jsonl" -- \
	pgbench -S -n -M prepared -c"$CLIENTS" -j2 -T"$DUR")
seen=$(grep -c '"sql":"SELECT abalance FROM pgbench_accounts WHERE aid = \$1;"' "$W/trace.jsonl")
printf "  untraced %.0f tps; traced %.0f tps (x%.2f); queries executed %s, seen %s\n" \
	"$u" "$t" "$(echo "$t / $u" | bc -l)" "$n" "$seen"

# one replay's MB/s and queries/s
replay() { local raw=$1 bytes start end secs q
	bytes=$(stat -c %s "$raw")
	"$W/adi" replay --format json -o /dev/null "$raw" >/dev/null 2>&1 # warm the page cache
	start=$(date +%s.%N)
	"$W/adi" replay --format json -o "$W/replay.jsonl" "$raw"
	end=$(date +%s.%N)
	q=$(grep -c '"kind":"sql_query"' "$W/replay.jsonl")
	secs=$(echo "$end - $start" | bc -l)
	printf "  capture %.1f MB, %d queries; replay %.2f s: %.0f MB/s, %.0f queries/s\n" \
		"$(echo "$bytes / 1000000" | bc -l)" "$q" "$secs" \
		"$(echo "$bytes / 1000000 / $secs" | bc -l)" "$(echo "$q / $secs" | bc -l)"; }

echo "== engine alone: replay of saved captures (one core)"
"$W/adi" run --save-raw "$W/pg.raw" --format json -o /dev/null -- \
	pgbench -S -n -M extended -c"$CLIENTS" -j2 -T2 >/dev/null 2>&1
printf "  postgres (pgbench -M extended):"; replay "$W/pg.raw"

mariadb-install-db --no-defaults --datadir="$W/my" --user=root \
	--auth-root-authentication-method=normal --skip-test-db >/dev/null 2>&1
mariadbd --no-defaults --datadir="$W/my" --user=root --socket="$W/my.sock" --port="$MYPORT" \
	--bind-address=127.0.0.1 --skip-log-bin --log-error="$W/my.log" >/dev/null 2>&1 &
MYPID=$!
for _ in $(seq 100); do [ -S "$W/my.sock" ] && break; sleep 0.1; done
sleep 0.3
"$W/adi" run --save-raw "$W/my.raw" --format json -o /dev/null -- \
	mariadb-slap --no-defaults -uroot -h127.0.0.1 -P"$MYPORT" --protocol=TCP --concurrency=4 \
	--iterations=5 --number-of-queries=20000 --auto-generate-sql \
	--auto-generate-sql-add-autoincrement --auto-generate-sql-load-type=key >/dev/null 2>&1
printf "  mysql (mariadb-slap, primary-key reads):"; replay "$W/my.raw"
