#!/bin/bash
# Replay speed of the cache and broker decoders (issue 20): for each
# protocol a private server on loopback and a load written here (pipelined
# requests on one connection, so the capture is mostly protocol bytes), the
# client traced with --save-raw; then the engine alone replays that capture
# to /dev/null on one core, min CPU (user + sys) of ROUNDS runs: MB/s of
# capture and events/s. Reports, never gates.
# Usage: sudo bash bench/brokers.sh [memcached|memcached-bin|nats|mqtt|amqp|kafka ...]   (default: all)
#        ADI_BIN=... to use another build; N=... requests per capture
set -uo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
N=${N:-50000}
BIN=${ADI_BIN:-build/adi-profiler}
[ -n "${ADI_BIN:-}" ] || { cmake -S . -B build >/dev/null && cmake --build build -j"$(nproc)" --target adi-profiler >/dev/null; }
W=$(mktemp -d /tmp/adi-brokers-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
cp "$BIN" "$W/adi"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }

# replay NAME KIND: min CPU of ROUNDS replays of $W/NAME.raw; prints the figures
replay() {
	local cap=$W/$1.raw kind=$2 best="" bytes events
	bytes=$(stat -c %s "$cap")
	"$W/adi" replay --format json -o "$W/$1.jsonl" "$cap"
	events=$(grep -c "\"kind\":\"$kind\"" "$W/$1.jsonl")
	for _ in $(seq "$ROUNDS"); do
		t=$( { /usr/bin/time -f "%U %S" taskset -c 0 "$W/adi" replay --format json -o /dev/null "$cap" ; } 2>&1 |
			tail -1 | awk '{print $1 + $2}')
		best=$(echo "$t $best" | awk '{print ($2 == "" || $1 < $2) ? $1 : $2}')
	done
	printf "%-14s capture %6.1f MB, %7d %s; replay CPU %.2f s: %5.0f MB/s, %7.0f events/s\n" \
		"$1" "$(echo "$bytes / 1000000" | bc -l)" "$events" "$kind" "$best" \
		"$(echo "$bytes / 1000000 / $best" | bc -l)" "$(echo "$events / $best" | bc -l)"
}

# memcached: N sets then N gets (text: 16 per write; binary: getkq x15 +
# getk per write), values of 32 bytes
MC_LOAD=$(cat <<'EOF'
import socket, struct, sys
port, n, binary = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
s = socket.create_connection(("127.0.0.1", port))
v = b"v" * 32
def drain(want, count=1):
    got = b""
    while got.count(want) < count:
        got += s.recv(1 << 20)
def bhdr(op, key, ext=b"", val=b"", opaque=0):
    return struct.pack(">BBHBBHIIQ", 0x80, op, len(key), len(ext), 0, 0,
                       len(ext) + len(key) + len(val), opaque, 0) + ext + key + val
for base in range(0, n, 16):
    if binary:
        s.sendall(b"".join(bhdr(0x11, b"key:%d" % (base + i), struct.pack(">II", 0, 0), v)
                           for i in range(15)) + bhdr(0x0a, b"", opaque=1))
        drain(struct.pack(">I", 1) + b"\0" * 8)
    else:
        s.sendall(b"".join(b"set key:%d 0 0 32\r\n%s\r\n" % (base + i, v) for i in range(16)))
        drain(b"STORED\r\n", 16)
for base in range(0, n, 16):
    if binary:
        s.sendall(b"".join(bhdr(0x0d, b"key:%d" % (base + i)) for i in range(15)) +
                  bhdr(0x0c, b"key:%d" % (base + 15), opaque=2))
        drain(v)
    else:
        s.sendall(b"".join(b"get key:%d\r\n" % (base + i) for i in range(16)))
        drain(b"END\r\n", 16)
s.close()
EOF
)

# NATS: one connection subscribed to bench.> publishing N messages of 32
# bytes, 16 per write, each batch's echoes awaited (PING / PONG)
NATS_LOAD=$(cat <<'EOF'
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
f = s.makefile("rb")
f.readline()
s.sendall(b'CONNECT {"verbose":false,"pedantic":false,"name":"bench"}\r\nSUB bench.> 1\r\n')
v = b"v" * 32
for base in range(0, n, 16):
    s.sendall(b"".join(b"PUB bench.%d 32\r\n%s\r\n" % (base + i, v) for i in range(16)) + b"PING\r\n")
    while f.readline() != b"PONG\r\n":
        pass
s.close()
EOF
)

bench_nats() {
	local p
	command -v nats-server >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null
	p=$(port)
	nats-server -a 127.0.0.1 -p "$p" >/dev/null 2>&1 & local np=$!
	wait_port "$p"
	"$W/adi" run --save-raw "$W/nats.raw" --format json -o /dev/null -- python3 -c "$NATS_LOAD" "$p" "$N"
	kill "$np"; wait "$np" 2>/dev/null
	replay nats message_op
}

# MQTT 3.1.1: one connection subscribed to b/# at QoS 0 publishing N QoS 1
# messages of 32 bytes, 16 per write, each batch's PUBACKs awaited (the
# broker delivers them back at QoS 0)
MQTT_LOAD=$(cat <<'EOF'
import socket, struct, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
def pkt(b0, body):
    rl, out = len(body), b""
    while True:
        d, rl = rl % 128, rl // 128
        out += bytes([d | (0x80 if rl else 0)])
        if not rl:
            return bytes([b0]) + out + body
def s16(b):
    return struct.pack(">H", len(b)) + b
s.sendall(pkt(0x10, s16(b"MQTT") + b"\x04\x02\x00\x3c" + s16(b"bench")))
s.recv(4)
s.sendall(pkt(0x82, b"\x00\x01" + s16(b"b/#") + b"\x00"))
s.recv(5)
v, buf = b"v" * 32, b""
def packet():
    global buf
    while True:
        if len(buf) >= 2:
            rl, mul, i = 0, 1, 1
            while i < len(buf) and buf[i] & 0x80:
                rl += (buf[i] & 0x7f) * mul; mul *= 128; i += 1
            if i < len(buf):
                rl += buf[i] * mul
                if len(buf) >= i + 1 + rl:
                    t, buf = buf[0] >> 4, buf[i + 1 + rl:]
                    return t
        buf += s.recv(1 << 16)
for base in range(0, n, 16):
    s.sendall(b"".join(pkt(0x32, s16(b"b/%d" % (base + i)) + struct.pack(">H", (base + i) % 65535 + 1) + v)
                       for i in range(16)))
    acks = 0
    while acks < 16:
        acks += packet() == 4
s.sendall(b"\xe0\x00")
s.close()
EOF
)

bench_mqtt() {
	local p
	command -v mosquitto >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null
	p=$(port)
	printf "listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\nset_tcp_nodelay true\n" "$p" >"$W/mq.conf"
	mosquitto -c "$W/mq.conf" & local mp=$!
	wait_port "$p"
	"$W/adi" run --save-raw "$W/mqtt.raw" --format json -o /dev/null -- python3 -c "$MQTT_LOAD" "$p" "$N"
	kill "$mp"; wait "$mp" 2>/dev/null
	replay mqtt message_op
}

# AMQP 0-9-1: one connection, one channel: a queue declared, consumed with
# no_ack, N messages of 32 bytes published to it by the default exchange, 16
# per write, until all N deliveries came back
AMQP_LOAD=$(cat <<'EOF'
import socket, struct, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
buf = b""
def frame():
    global buf
    while True:
        if len(buf) >= 7:
            t, ch, size = struct.unpack(">BHI", buf[:7])
            if len(buf) >= size + 8:
                p, buf = buf[7:7 + size], buf[size + 8:]
                return t, p
        buf += s.recv(1 << 20)
def method(cls, mid):
    while True:
        t, p = frame()
        if t == 1 and struct.unpack(">HH", p[:4]) == (cls, mid):
            return p
def f(t, ch, p):
    return struct.pack(">BHI", t, ch, len(p)) + p + b"\xce"
def m(ch, cls, mid, a=b""):
    return f(1, ch, struct.pack(">HH", cls, mid) + a)
ss = lambda b: bytes([len(b)]) + b
ls = lambda b: struct.pack(">I", len(b)) + b
s.sendall(b"AMQP\x00\x00\x09\x01"); method(10, 10)
s.sendall(m(0, 10, 11, ls(b"") + ss(b"PLAIN") + ls(b"\0guest\0guest") + ss(b"en_US")))
t = method(10, 30)
s.sendall(m(0, 10, 31, t[4:]) + m(0, 10, 40, ss(b"/") + ss(b"") + b"\x00")); method(10, 41)
s.sendall(m(1, 20, 10, ss(b""))); method(20, 11)
s.sendall(m(1, 50, 10, b"\x00\x00" + ss(b"bench") + b"\x08" + ls(b""))); method(50, 11)
s.sendall(m(1, 60, 20, b"\x00\x00" + ss(b"bench") + ss(b"c") + b"\x02" + ls(b""))); method(60, 21)
v = b"v" * 32
one = m(1, 60, 40, b"\x00\x00" + ss(b"") + ss(b"bench") + b"\x00") + \
      f(2, 1, struct.pack(">HHQH", 60, 0, len(v), 0)) + f(3, 1, v)
got = 0
for base in range(0, n, 16):
    s.sendall(one * 16)
    while got < base + 16:
        t, p = frame()
        got += t == 3
s.sendall(m(0, 10, 50, struct.pack(">H", 200) + ss(b"bye") + struct.pack(">HH", 0, 0)))
method(10, 51)
EOF
)

bench_amqp() {
	local p d node
	command -v rabbitmq-server >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
	p=$(port)
	d="$W/rmq"
	node="adibench$p@localhost"
	chmod 711 "$W" # the broker runs as the rabbitmq user
	mkdir -p "$d/conf.d"
	echo "[]." >"$d/enabled_plugins"
	chown -R rabbitmq:rabbitmq "$d"
	local env=(HOME="$d" RABBITMQ_NODENAME="$node" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
		RABBITMQ_NODE_PORT="$p" RABBITMQ_DIST_PORT="$(port)" ERL_EPMD_PORT="$(port)"
		RABBITMQ_MNESIA_BASE="$d/mnesia" RABBITMQ_LOG_BASE="$d/log"
		RABBITMQ_ENABLED_PLUGINS_FILE="$d/enabled_plugins" RABBITMQ_PID_FILE="$d/pid"
		RABBITMQ_CONFIG_FILES="$d/conf.d")
	(cd "$d" && env "${env[@]}" rabbitmq-server >"$d/out.log" 2>&1) &
	for _ in $(seq 90); do (exec 3<>/dev/tcp/127.0.0.1/"$p") 2>/dev/null && break; sleep 1; done
	"$W/adi" run --save-raw "$W/amqp.raw" --format json -o /dev/null -- python3 -c "$AMQP_LOAD" "$p" "$N"
	env "${env[@]}" rabbitmqctl -n "$node" stop >/dev/null 2>&1
	env "${env[@]}" epmd -kill >/dev/null 2>&1
	wait
	replay amqp message_op
}

# Kafka: Produce v7 requests of 16 records (32-byte values, keys), each
# answered, to the tests' responder (no broker in Debian), then Fetch v11
# requests reading them back, 16 records per batch
KAFKA_LOAD=$(cat <<'EOF'
import socket, struct, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
def uv(x):
    out = b""
    while True:
        b, x = x & 0x7f, x >> 7
        if not x:
            return out + bytes([b])
        out += bytes([b | 0x80])
zz = lambda x: (x << 1) ^ (x >> 63)
def rec(i, k, v):
    body = b"\x00" + uv(0) + uv(zz(i)) + uv(zz(len(k))) + k + uv(zz(len(v))) + v + uv(0)
    return uv(zz(len(body))) + body
def batch(base):
    recs = b"".join(rec(i, b"key:%d" % (base + i), b"v" * 32) for i in range(16))
    tail = struct.pack(">ibIhiqqqhii", 0, 2, 0, 0, 15, 0, 0, -1, -1, -1, 16) + recs
    return struct.pack(">qi", 0, len(tail)) + tail
s16 = lambda b: struct.pack(">h", len(b)) + b
buf = b""
def call(api, ver, corr, body):
    global buf
    m = struct.pack(">hhi", api, ver, corr) + s16(b"bench") + body
    s.sendall(struct.pack(">i", len(m)) + m)
    while len(buf) < 4 or len(buf) < 4 + struct.unpack(">i", buf[:4])[0]:
        buf += s.recv(1 << 20)
    size = struct.unpack(">i", buf[:4])[0]
    buf = buf[4 + size:]
corr = 0
for base in range(0, n, 16):
    b = batch(base)
    corr += 1
    call(0, 7, corr, struct.pack(">hhi", -1, 1, 30000) + struct.pack(">i", 1) + s16(b"bench") +
         struct.pack(">ii", 1, 0) + struct.pack(">i", len(b)) + b)
for off in range(0, n, 16):
    corr += 1
    call(1, 11, corr, struct.pack(">iiiibii", -1, 0, 1, 1 << 20, 0, 0, -1) + struct.pack(">i", 1) +
         s16(b"bench") + struct.pack(">i", 1) + struct.pack(">iiqqi", 0, -1, off, -1, 1 << 12) +
         struct.pack(">i", 0) + s16(b""))
EOF
)

bench_kafka() {
	local p
	p=$(port)
	python3 tests/integration/kafka_responder.py "$p" & local kp=$!
	wait_port "$p"
	"$W/adi" run --save-raw "$W/kafka.raw" --format json -o /dev/null -- python3 -c "$KAFKA_LOAD" "$p" "$N"
	kill "$kp"; wait "$kp" 2>/dev/null
	replay kafka message_op
}

bench_memcached() {
	local name=$1 binary=$2 p
	command -v memcached >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq memcached >/dev/null
	p=$(port)
	memcached -u root -l 127.0.0.1 -p "$p" -U 0 -m 256 & local mp=$!
	wait_port "$p"
	"$W/adi" run --save-raw "$W/$name.raw" --format json -o /dev/null -- \
		python3 -c "$MC_LOAD" "$p" "$N" "$binary"
	kill "$mp"; wait "$mp" 2>/dev/null
	replay "$name" memcached_command
}

for what in ${@:-memcached memcached-bin nats mqtt amqp kafka}; do
	case $what in
	memcached) bench_memcached memcached 0 ;;
	memcached-bin) bench_memcached memcached-bin 1 ;;
	nats) bench_nats ;;
	mqtt) bench_mqtt ;;
	amqp) bench_amqp ;;
	kafka) bench_kafka ;;
	*) echo "unknown: $what" >&2 ;;
	esac
done
