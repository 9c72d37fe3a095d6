"""A tiny MongoDB wire-protocol responder for the integration tests (no
MongoDB server can be installed here): it answers what real drivers send
(OP_QUERY and OP_MSG hello / isMaster, ping, insert, find with a batchSize
and the getMore that follows, aggregate, killCursors, endSessions) with
fixed documents, and decompresses OP_COMPRESSED requests (zlib with
Python's zlib, zstd and snappy through ctypes from the system libraries).
Replies to compressed requests are zlib-compressed when the request was
zlib, uncompressed otherwise (drivers accept both). It records every
request it decoded (opcode, compressor, command) for the tests to compare.

Run alone: python3 mongo_responder.py PORT [CONNS] (serves until killed,
or until CONNS connections have ended)."""
import ctypes
import socket
import struct
import sys
import threading
import zlib

import bson

OP_REPLY, OP_QUERY, OP_COMPRESSED, OP_MSG = 1, 2004, 2012, 2013
COMPRESSORS = {0: "noop", 1: "snappy", 2: "zlib", 3: "zstd"}
PEOPLE = [{"_id": 1, "name": "ann", "age": 31}, {"_id": 2, "name": "bob", "age": 25},
          {"_id": 3, "name": "cid", "age": 47}]
CURSOR_ID = 424242


def _lib(name):
    try:
        return ctypes.CDLL(name)
    except OSError:
        return None


ZSTD = _lib("libzstd.so.1")
SNAPPY = _lib("libsnappy.so.1")


def decompress(cid, data, size):
    if cid == 0:
        return data
    if cid == 2:
        return zlib.decompress(data)
    out = ctypes.create_string_buffer(size or 1)
    if cid == 3:
        ZSTD.ZSTD_decompress.restype = ctypes.c_size_t
        n = ZSTD.ZSTD_decompress(out, ctypes.c_size_t(size), data, ctypes.c_size_t(len(data)))
        assert n == size, "zstd"
        return out.raw[:size]
    if cid == 1:
        olen = ctypes.c_size_t(size)
        assert SNAPPY.snappy_uncompress(data, ctypes.c_size_t(len(data)), out,
                                        ctypes.byref(olen)) == 0, "snappy"
        return out.raw[:olen.value]
    raise ValueError("compressor %d" % cid)


class Responder:
    def __init__(self, port=0):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.requests = []  # (request_id, opcode, compressor, command)
        self.lock = threading.Lock()
        self.next_id = 1000
        self.cursors = {}
        self.ended = None  # a semaphore released as each connection ends
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._conn, args=(c,), daemon=True).start()

    def close(self):
        self.sock.close()

    @staticmethod
    def _read(c, n):
        b = b""
        while len(b) < n:
            d = c.recv(n - len(b))
            if not d:
                raise EOFError
            b += d
        return b

    def _conn(self, c):
        try:
            while True:
                hdr = self._read(c, 16)
                length, rid, _rto, op = struct.unpack("<iiii", hdr)
                body = self._read(c, length - 16)
                comp = None
                if op == OP_COMPRESSED:
                    op, size, cid = struct.unpack("<iiB", body[:9])
                    comp = COMPRESSORS[cid]
                    body = decompress(cid, body[9:], size)
                self._answer(c, rid, op, comp, body)
        except (EOFError, OSError):
            pass
        finally:
            c.close()
            if self.ended:
                self.ended.release()

    def _answer(self, c, rid, op, comp, body):
        with self.lock:
            self.next_id += 1
            my_id = self.next_id
        if op == OP_QUERY:
            ns_end = body.index(b"\0", 4)
            p = ns_end + 9  # NUL, numberToSkip, numberToReturn
            q = bson.decode(body[p:p + struct.unpack("<i", body[p:p + 4])[0]])
            if "$query" in q:
                q = q["$query"]
            self._record(rid, op, comp, q)
            doc = bson.encode(self._command(q, body[4:ns_end].decode().split(".")[0]))
            msg = struct.pack("<iqii", 0, 0, 0, 1) + doc
            self._send(c, my_id, rid, OP_REPLY, msg, None)
            return
        flags = struct.unpack("<I", body[:4])[0]
        end = len(body) - (4 if flags & 1 else 0)
        pos, cmd = 4, None
        while pos < end:
            kind = body[pos]
            pos += 1
            if kind == 0:
                n = struct.unpack("<i", body[pos:pos + 4])[0]
                cmd = bson.decode(body[pos:pos + n])
                pos += n
            else:
                n = struct.unpack("<i", body[pos:pos + 4])[0]
                sec = body[pos + 4:pos + n]
                ident, rest = sec.split(b"\0", 1)
                cmd.setdefault(ident.decode(), []).extend(bson.decode_all(rest))
                pos += n
        self._record(rid, op, comp, cmd)
        if flags & 2:
            return  # moreToCome: no reply
        reply = bson.encode(self._command(cmd, cmd.get("$db")))
        self._send(c, my_id, rid, OP_MSG, struct.pack("<IB", 0, 0) + reply,
                   "zlib" if comp == "zlib" else None)

    def _record(self, rid, op, comp, cmd):
        with self.lock:
            self.requests.append((rid, op, comp, cmd))

    def _send(self, c, my_id, rto, op, msg, comp):
        if comp == "zlib":
            z = zlib.compress(msg)
            msg = struct.pack("<iiB", op, len(msg), 2) + z
            op = OP_COMPRESSED
        c.sendall(struct.pack("<iiii", 16 + len(msg), my_id, rto, op) + msg)

    def _command(self, cmd, db):
        name = next(iter(cmd))
        lname = name.lower()
        if lname in ("ismaster", "hello"):
            offered = [x for x in cmd.get("compression", []) if x in COMPRESSORS.values()]
            return {"ismaster": True, "isWritablePrimary": True, "helloOk": True,
                    "maxBsonObjectSize": 16777216, "maxMessageSizeBytes": 48000000,
                    "maxWriteBatchSize": 100000, "logicalSessionTimeoutMinutes": 30,
                    "connectionId": 7, "minWireVersion": 0, "maxWireVersion": 17,
                    "readOnly": False, "compression": offered, "ok": 1.0}
        if name == "ping" or name == "endSessions":
            return {"ok": 1.0}
        if name == "insert":
            return {"n": len(cmd.get("documents", [])), "ok": 1.0}
        if name == "find":
            batch = cmd.get("batchSize", 101)
            first, rest = PEOPLE[:batch], PEOPLE[batch:]
            cid = 0
            if rest:
                with self.lock:
                    self.cursors[CURSOR_ID] = rest
                cid = CURSOR_ID
            return {"cursor": {"firstBatch": first, "id": bson.int64.Int64(cid),
                               "ns": "%s.%s" % (db, cmd["find"])}, "ok": 1.0}
        if name == "getMore":
            with self.lock:
                rest = self.cursors.pop(cmd["getMore"], [])
            return {"cursor": {"nextBatch": rest, "id": bson.int64.Int64(0),
                               "ns": "%s.%s" % (db, cmd["collection"])}, "ok": 1.0}
        if name == "aggregate":
            return {"cursor": {"firstBatch": [{"_id": "all", "n": len(PEOPLE)}],
                               "id": bson.int64.Int64(0), "ns": "%s.%s" % (db, cmd["aggregate"])},
                    "ok": 1.0}
        if name == "killCursors":
            ids = cmd.get("cursors", [])
            with self.lock:
                for i in ids:
                    self.cursors.pop(i, None)
            return {"cursorsKilled": ids, "cursorsNotFound": [], "cursorsAlive": [],
                    "cursorsUnknown": [], "ok": 1.0}
        return {"ok": 0.0, "errmsg": "no such command: '%s'" % name, "code": 59,
                "codeName": "CommandNotFound"}


if __name__ == "__main__":
    # PORT [CONNS]: with CONNS, exit once that many connections have ended
    r = Responder(int(sys.argv[1]))
    if len(sys.argv) > 2:
        r.ended = threading.Semaphore(0)
        for _ in range(int(sys.argv[2])):
            r.ended.acquire()
    else:
        threading.Event().wait()
