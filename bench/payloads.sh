#!/bin/bash
# Whole payloads (issue 22): what handing every socket call over whole costs
# against cutting each call at 16 KiB, on a download-heavy workload: N
# downloads of a 5 MiB file over one connection, HTTP/1.1 (curl from nginx,
# sendfile off so the bytes go through write(2)) and HTTP/2 (h2load from
# nghttpd --no-tls). Server and client are both traced (one adi-profiler
# run over a shell that starts both), so every byte crosses the ring twice.
# Per configuration (untraced, then --capture-bytes LIMIT for each LIMIT),
# rounds interleaved, medians printed: the workload's wall time and CPU
# (server + client: the BPF programs run in their syscalls, so the kernel
# side's cost is here), adi-profiler's own CPU (its total rusage minus the
# workload's), records produced / dropped, the bytes delivered through the
# ring (from a --save-raw run of the same workload; MB/s over the median
# wall time), and what was decoded:
# responses with their exact size, incomplete ones. Reports, never gates.
# Usage: sudo bash bench/payloads.sh   (N=100 ROUNDS=3 LIMITS="16384 1048576 4194304")
set -uo pipefail
cd "$(dirname "$0")/.."
N=${N:-100}
ROUNDS=${ROUNDS:-3}
LIMITS=${LIMITS:-"16384 1048576 4194304"}
SIZE=$((5 * 1024 * 1024))
for t in nginx curl nghttpd h2load; do
	command -v $t >/dev/null || { echo "needs $t"; exit 1; }
done
[ -n "${ADI_BIN:-}" ] || { cmake -S . -B build >/dev/null && cmake --build build -j"$(nproc)" --target adi-profiler >/dev/null || exit 1; }
W=$(mktemp -d /tmp/adi-payload-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$W"' EXIT
cp "${ADI_BIN:-build/adi-profiler}" "$W/adi"
mkdir -p "$W/www" "$W/tmp"
head -c $SIZE /dev/urandom > "$W/www/big.bin"
P1=$((20000 + RANDOM % 20000)); P2=$((P1 + 1))
cat > "$W/nginx.conf" <<CONF
daemon off; master_process off; worker_processes 1;
error_log $W/error.log; pid $W/nginx.pid;
events { worker_connections 64; }
http { access_log off; sendfile off; keepalive_requests 100000;
  default_type application/octet-stream;
  client_body_temp_path $W/tmp; proxy_temp_path $W/tmp; fastcgi_temp_path $W/tmp;
  uwsgi_temp_path $W/tmp; scgi_temp_path $W/tmp;
  server { listen 127.0.0.1:$P1; root $W/www; } }
CONF
URLS=$(for i in $(seq "$N"); do printf 'http://127.0.0.1:%s/big.bin ' "$P1"; done)
# the workloads: server in the background, the client, the server stopped
WL_h1="nginx -c $W/nginx.conf -p $W & S=\$!; until (echo >/dev/tcp/127.0.0.1/$P1) 2>/dev/null; do sleep 0.05; done; curl -s $URLS >/dev/null; kill \$S; wait"
WL_h2="nghttpd --no-tls -d $W/www $P2 >/dev/null 2>&1 & S=\$!; until (echo >/dev/tcp/127.0.0.1/$P2) 2>/dev/null; do sleep 0.05; done; h2load -n $N -c 1 -m 1 http://127.0.0.1:$P2/big.bin >/dev/null; kill \$S; wait"

# run WL (h1|h2) with config C (untraced or a limit); prints
# "wall cpu adi_cpu produced dropped exact/responses incomplete"
one() {
	local wl=$1 c=$2 cmd
	eval "cmd=\$WL_$wl"
	if [ "$c" = untraced ]; then
		/usr/bin/time -f "%e %U %S" -o "$W/in.txt" bash -c "$cmd"
		read -r e u s < "$W/in.txt"
		echo "$e $(echo "$u + $s" | bc) - - - - -"
		return
	fi
	/usr/bin/time -f "%U %S" -o "$W/out.txt" "$W/adi" run --format json -o "$W/t.jsonl" \
		--capture-bytes "$c" -- /usr/bin/time -f "%e %U %S" -o "$W/in.txt" bash -c "$cmd"
	read -r e u s < "$W/in.txt"
	read -r au as < "$W/out.txt"
	python3 - "$W/t.jsonl" "$e" "$u" "$s" "$au" "$as" "$SIZE" <<'PY'
import json, sys
path, e, u, s, au, as_, size = sys.argv[1:]
ev = [json.loads(l) for l in open(path)]
req = [x for x in ev if x["kind"] == "http_request" and x.get("url") == "/big.bin"]
exact = sum(1 for x in req if x.get("resp_bytes") == int(size))
inc = sum(1 for x in req if x.get("incomplete"))
rec = ev[-1]["records"]
cpu = float(u) + float(s)
print(e, round(cpu, 2), round(float(au) + float(as_) - cpu, 2), rec["produced"], rec["dropped"],
      "%d/%d" % (exact, len(req)), inc)
PY
}

# bytes through the ring: what a --save-raw run writes (the raw events,
# about the size of the ring's records), counted by wc through a pipe; the
# ring is 1 GiB for that run so that saving (slower than decoding) drops
# nothing
ring() {
	local wl=$1 c=$2 cmd
	eval "cmd=\$WL_$wl"
	"$W/adi" run --format json -o /dev/null --save-raw >(wc -c > "$W/r.txt") \
		--ringbuf-bytes 1073741824 --capture-bytes "$c" -- bash -c "$cmd"
	sleep 0.5 # wc's last word
	cat "$W/r.txt"
}

med() { printf "%s\n" "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }

for wl in h1 h2; do
	[ $wl = h1 ] && echo "== HTTP/1.1: curl fetches a 5 MiB file $N times from nginx (sendfile off), both traced; $ROUNDS rounds" \
		|| echo "== HTTP/2: h2load -n $N -c 1 -m 1 fetches a 5 MiB file from nghttpd --no-tls, both traced; $ROUNDS rounds"
	declare -A WALL CPU ADI LAST
	for r in $(seq "$ROUNDS"); do
		for c in untraced $LIMITS; do
			read -r e cpu acpu prod drop exact inc < <(one $wl "$c")
			WALL[$c]+="$e "; CPU[$c]+="$cpu "; ADI[$c]+="$acpu "
			LAST[$c]="$prod $drop $exact $inc"
		done
	done
	for c in untraced $LIMITS; do
		read -r prod drop exact inc <<< "${LAST[$c]}"
		# shellcheck disable=SC2086
		w=$(med ${WALL[$c]}); cp=$(med ${CPU[$c]})
		if [ "$c" = untraced ]; then
			printf "  %-22s wall %6.2f s  workload CPU %6.2f s\n" "untraced" "$w" "$cp"
			continue
		fi
		bytes=$(ring $wl "$c")
		# shellcheck disable=SC2086
		printf "  %-22s wall %6.2f s  workload CPU %6.2f s  adi-profiler CPU %6.2f s  records %s, dropped %s  ring %.0f MB (%.0f MB/s)  responses of the exact size %s (client and server side), incomplete %s\n" \
			"--capture-bytes $c" "$w" "$cp" "$(med ${ADI[$c]})" "$prod" "$drop" \
			"$(echo "$bytes / 1000000" | bc -l)" "$(echo "$bytes / 1000000 / $w" | bc -l)" "$exact" "$inc"
	done
	unset WALL CPU ADI LAST
done
