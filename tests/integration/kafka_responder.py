"""A small Kafka broker for the integration tests (no Kafka broker can be
installed here: Debian has none, and the tests may fetch nothing else): it
answers the wire protocol as real clients (librdkafka's kcat, node's kafkajs)
speak it to one broker with one partition per topic, in memory:
ApiVersions (v0-v2 answered in kind; v3+ answered at v0 with
UNSUPPORTED_VERSION and the versions below, as a broker that predates them
does, so clients downgrade), Metadata v0-v8, Produce v0-v8 (record batches
stored as sent, their base offset assigned; topics created when first
named, as auto.create.topics.enable does), ListOffsets v0-v5, Fetch v0-v11,
CreateTopics v0-v4, FindCoordinator v0-v2, Heartbeat / LeaveGroup (no
groups: COORDINATOR_NOT_AVAILABLE). Only non-flexible versions are
advertised, so no client sends a flexible one past ApiVersions.
It records every request it decoded (api, version, correlation id) for the
tests to compare.

Run alone: python3 kafka_responder.py PORT (serves until killed, or until a
connection sends the four bytes STOP)."""
import os
import socket
import struct
import sys
import threading

# api key: (min, max) versions advertised
APIS = {0: (0, 8), 1: (0, 11), 2: (0, 5), 3: (0, 8), 10: (0, 2), 12: (0, 3), 13: (0, 2),
        18: (0, 2), 19: (0, 4)}
UNSUPPORTED_VERSION, UNKNOWN_TOPIC, COORDINATOR_NOT_AVAILABLE, TOPIC_EXISTS = 35, 3, 15, 36


class Reader:
    def __init__(self, b):
        self.b, self.i = b, 0

    def take(self, fmt):
        v = struct.unpack_from(">" + fmt, self.b, self.i)
        self.i += struct.calcsize(">" + fmt)
        return v[0] if len(v) == 1 else v

    def string(self):
        n = self.take("h")
        if n < 0:
            return None
        s = self.b[self.i:self.i + n]
        self.i += n
        return s.decode()

    def bytes_(self):
        n = self.take("i")
        if n < 0:
            return None
        s = self.b[self.i:self.i + n]
        self.i += n
        return s

    def array(self, item):
        n = self.take("i")
        return None if n < 0 else [item() for _ in range(n)]


def s16(s):
    if s is None:
        return struct.pack(">h", -1)
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def arr(items):
    return struct.pack(">i", len(items)) + b"".join(items)


class Broker:
    def __init__(self, port=0):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.topics = {}           # name -> [(base offset, batch bytes)]
        self.next_offset = {}
        self.requests = []         # (api, version, correlation id)
        self.lock = threading.Lock()
        self.stoppable = False  # run alone: a connection that says STOP ends it
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self):
        self.sock.close()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._conn, args=(c,), daemon=True).start()

    def _conn(self, c):
        buf = b""
        try:
            while True:
                while len(buf) < 4 or len(buf) < 4 + struct.unpack(">i", buf[:4])[0]:
                    got = c.recv(1 << 20)
                    if not got:
                        return
                    buf += got
                    if buf[:4] == b"STOP" and self.stoppable:
                        os._exit(0)
                n = struct.unpack(">i", buf[:4])[0]
                msg, buf = buf[4:4 + n], buf[4 + n:]
                out = self._handle(msg)
                if out is not None:
                    c.sendall(struct.pack(">i", len(out)) + out)
        except (OSError, struct.error):
            pass
        finally:
            c.close()

    def _handle(self, msg):
        r = Reader(msg)
        api, ver, corr = r.take("hhi")
        r.string()  # client id
        with self.lock:
            self.requests.append((api, ver, corr))
        head = struct.pack(">i", corr)
        if api == 18:
            return head + self._api_versions(ver)
        if api not in APIS or not APIS[api][0] <= ver <= APIS[api][1]:
            return None  # a broker closes on what it does not know
        body = getattr(self, "_api_%d" % api)(ver, r)
        return None if body is None else head + body

    def _api_versions(self, ver):
        keys = arr([struct.pack(">hhh", k, lo, hi) for k, (lo, hi) in sorted(APIS.items())])
        if ver > 2:
            return struct.pack(">h", UNSUPPORTED_VERSION) + keys
        return struct.pack(">h", 0) + keys + (struct.pack(">i", 0) if ver >= 1 else b"")

    def _metadata(self, ver, names):
        brokers = arr([struct.pack(">i", 0) + s16("127.0.0.1") + struct.pack(">i", self.port) +
                       (s16(None) if ver >= 1 else b"")])
        out = (struct.pack(">i", 0) if ver >= 3 else b"") + brokers
        if ver >= 2:
            out += s16("adi-cluster")
        if ver >= 1:
            out += struct.pack(">i", 0)
        topics = []
        for name in names:
            known = name in self.topics
            t = struct.pack(">h", 0 if known else UNKNOWN_TOPIC) + s16(name)
            if ver >= 1:
                t += b"\x00"
            parts = []
            if known:
                p = struct.pack(">hii", 0, 0, 0) + (struct.pack(">i", 0) if ver >= 7 else b"")
                p += arr([struct.pack(">i", 0)]) + arr([struct.pack(">i", 0)])
                if ver >= 5:
                    p += arr([])
                parts.append(p)
            t += arr(parts)
            if ver >= 8:
                t += struct.pack(">i", -2147483648)
            topics.append(t)
        out += arr(topics)
        if ver >= 8:
            out += struct.pack(">i", -2147483648)
        return out

    def _api_3(self, ver, r):
        names = r.array(r.string)
        with self.lock:
            if names is None or (ver == 0 and not names):
                names = sorted(self.topics)
            for name in names:  # auto.create.topics.enable, as brokers default to
                self.topics.setdefault(name, [])
                self.next_offset.setdefault(name, 0)
            return self._metadata(ver, names)

    def _api_19(self, ver, r):
        def topic():
            name, parts, _rf = r.string(), r.take("i"), r.take("h")
            r.array(lambda: (r.take("i"), r.array(lambda: r.take("i"))))
            r.array(lambda: (r.string(), r.string()))
            return name, parts
        topics = r.array(topic)
        r.take("i")
        if ver >= 1:
            r.take("b")
        out = []
        with self.lock:
            for name, _parts in topics:
                err = TOPIC_EXISTS if name in self.topics else 0
                self.topics.setdefault(name, [])
                self.next_offset.setdefault(name, 0)
                out.append(s16(name) + struct.pack(">h", err) + (s16(None) if ver >= 1 else b""))
        return (struct.pack(">i", 0) if ver >= 2 else b"") + arr(out)

    def _api_0(self, ver, r):
        if ver >= 3:
            r.string()
        acks, _timeout = r.take("hi")

        def part():
            return r.take("i"), r.bytes_()
        topics = r.array(lambda: (r.string(), r.array(part)))
        out = []
        with self.lock:
            for name, parts in topics:
                ps = []
                for idx, records in parts:
                    if name not in self.topics:
                        self.topics[name] = []
                        self.next_offset[name] = 0
                    base = self.next_offset[name]
                    off = 0
                    while records and off + 61 <= len(records):
                        blen = struct.unpack_from(">i", records, off + 8)[0]
                        batch = bytearray(records[off:off + 12 + blen])
                        struct.pack_into(">q", batch, 0, self.next_offset[name])
                        count = struct.unpack_from(">i", batch, 57)[0]
                        self.topics[name].append((self.next_offset[name], bytes(batch)))
                        self.next_offset[name] += count
                        off += 12 + blen
                    p = struct.pack(">ihq", idx, 0, base)
                    if ver >= 2:
                        p += struct.pack(">q", -1)
                    if ver >= 5:
                        p += struct.pack(">q", 0)
                    if ver >= 8:
                        p += arr([]) + s16(None)
                    ps.append(p)
                out.append(s16(name) + arr(ps))
        if acks == 0:
            return None
        return arr(out) + (struct.pack(">i", 0) if ver >= 1 else b"")

    def _api_2(self, ver, r):
        r.take("i")
        if ver >= 2:
            r.take("b")

        def part():
            idx = r.take("i")
            if ver >= 4:
                r.take("i")
            ts = r.take("q")
            if ver == 0:
                r.take("i")
            return idx, ts
        topics = r.array(lambda: (r.string(), r.array(part)))
        out = []
        with self.lock:
            for name, parts in topics:
                ps = []
                for idx, ts in parts:
                    off = 0 if ts == -2 else self.next_offset.get(name, 0)
                    p = struct.pack(">ih", idx, 0)
                    p += arr([struct.pack(">q", off)]) if ver == 0 else struct.pack(">qq", -1, off)
                    if ver >= 4:
                        p += struct.pack(">i", 0)
                    ps.append(p)
                out.append(s16(name) + arr(ps))
        return (struct.pack(">i", 0) if ver >= 2 else b"") + arr(out)

    def _api_1(self, ver, r):
        r.take("iii")
        if ver >= 3:
            r.take("i")
        if ver >= 4:
            r.take("b")
        if ver >= 7:
            r.take("ii")

        def part():
            idx = r.take("i")
            if ver >= 9:
                r.take("i")
            off = r.take("q")
            if ver >= 5:
                r.take("q")
            return idx, off, r.take("i")
        topics = r.array(lambda: (r.string(), r.array(part)))
        out = []
        with self.lock:
            for name, parts in topics:
                ps = []
                for idx, off, max_bytes in parts:
                    # from the batch holding off, up to the partition's
                    # max bytes (at least one batch, as brokers do)
                    records = b""
                    for base, b in self.topics.get(name, []):
                        if base + struct.unpack_from(">i", b, 57)[0] <= off:
                            continue
                        if records and len(records) + len(b) > max_bytes:
                            break
                        records += b
                    hw = self.next_offset.get(name, 0)
                    p = struct.pack(">ihq", idx, 0 if name in self.topics else UNKNOWN_TOPIC, hw)
                    if ver >= 4:
                        p += struct.pack(">q", hw)
                    if ver >= 5:
                        p += struct.pack(">q", 0)
                    if ver >= 4:
                        p += arr([])
                    if ver >= 11:
                        p += struct.pack(">i", -1)
                    p += struct.pack(">i", len(records)) + records
                    ps.append(p)
                out.append(s16(name) + arr(ps))
        head = struct.pack(">i", 0) if ver >= 1 else b""
        if ver >= 7:
            head += struct.pack(">hi", 0, 0)
        return head + arr(out)

    def _api_10(self, ver, r):
        out = struct.pack(">i", 0) if ver >= 1 else b""
        out += struct.pack(">h", COORDINATOR_NOT_AVAILABLE)
        if ver >= 1:
            out += s16("no groups here")
        return out + struct.pack(">i", -1) + s16("") + struct.pack(">i", -1)

    def _api_12(self, ver, r):
        return (struct.pack(">i", 0) if ver >= 1 else b"") + struct.pack(">h", COORDINATOR_NOT_AVAILABLE)

    _api_13 = _api_12


if __name__ == "__main__":
    b = Broker(int(sys.argv[1]))
    b.stoppable = True
    threading.Event().wait()
