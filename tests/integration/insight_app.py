"""insight_app.py - the small web application the insight tests trace
(test_insight.py): Python's ThreadingHTTPServer (a thread per connection,
so per request: the thread-per-request model) in front of the tests' private
PostgreSQL and Redis, spoken to with the minimal clients below (PostgreSQL's
simple query protocol with trust authentication, RESP), so nothing needs
installing. Each request opens its own database connection.

Endpoints:
  /authors/<id>/books-n1  an author's books, then each title by a query of its
                          own: the N+1 loop
  /authors/<id>/books     the same in one query
  /fail                   a query on a table that does not exist: 500
  /cache/<key>            Redis GET, SET on a miss
  /report                 the endpoint the diff test changes: with --variant
                          after it counts each book's reviews, a query per book
  /quit                   answers, then the server stops

usage: insight_app.py PORT PGPORT REDISPORT [--variant before|after]
"""
import http.server
import socket
import struct
import sys
import threading


class PgError(Exception):
    pass


class Pg:
    """PostgreSQL over TCP, simple query protocol only (text results)."""

    def __init__(self, port, user="postgres", database="postgres"):
        self.s = socket.create_connection(("127.0.0.1", port))
        body = struct.pack("!I", 196608)
        for k, v in (("user", user), ("database", database)):
            body += k.encode() + b"\0" + v.encode() + b"\0"
        body += b"\0"
        self.s.sendall(struct.pack("!I", len(body) + 4) + body)
        self._until_ready()

    def _read(self, n):
        b = b""
        while len(b) < n:
            chunk = self.s.recv(n - len(b))
            if not chunk:
                raise PgError("connection closed")
            b += chunk
        return b

    def _msg(self):
        t, n = struct.unpack("!cI", self._read(5))
        return t, self._read(n - 4)

    def _until_ready(self):
        rows, err = [], None
        while True:
            t, body = self._msg()
            if t == b"D":
                cols = struct.unpack("!H", body[:2])[0]
                off, row = 2, []
                for _ in range(cols):
                    n = struct.unpack("!i", body[off:off + 4])[0]
                    off += 4
                    row.append(None if n < 0 else body[off:off + n].decode())
                    off += max(n, 0)
                rows.append(row)
            elif t == b"E":
                fields = dict((f[:1], f[1:].decode()) for f in body.split(b"\0") if f)
                err = PgError("%s %s" % (fields.get(b"C"), fields.get(b"M")))
            elif t == b"R" and struct.unpack("!I", body[:4])[0] != 0:
                raise PgError("the server wants a password")
            elif t == b"Z":
                if err:
                    raise err
                return rows

    def query(self, sql):
        b = sql.encode() + b"\0"
        self.s.sendall(b"Q" + struct.pack("!I", len(b) + 4) + b)
        return self._until_ready()

    def close(self):
        self.s.sendall(b"X" + struct.pack("!I", 4))
        self.s.close()


class Redis:
    """RESP2 over TCP: commands in, replies (bulk strings as str) out."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.f = self.s.makefile("rb")

    def cmd(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(out)
        return self._reply()

    def _reply(self):
        line = self.f.readline().rstrip(b"\r\n")
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)[:-2]
            return data.decode()
        if t == b"*":
            return [self._reply() for _ in range(int(rest))]
        raise RuntimeError("bad reply %r" % line)

    def close(self):
        self.s.close()


PORTS = {}
VARIANT = "before"


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, code, text):
        b = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def do_GET(self):
        parts = self.path.split("?")[0].strip("/").split("/")
        try:
            if parts[0] == "authors" and len(parts) == 3:
                self.answer(200, self.books(int(parts[1]), parts[2] == "books-n1"))
            elif parts == ["fail"]:
                db = Pg(PORTS["pg"])
                try:
                    db.query("SELECT * FROM no_such_table WHERE id = 1")
                finally:
                    db.close()
                self.answer(200, "unexpected")
            elif parts[0] == "cache" and len(parts) == 2:
                r = Redis(PORTS["redis"])
                v = r.cmd("GET", "page:" + parts[1])
                if v is None:
                    v = "fresh"
                    r.cmd("SET", "page:" + parts[1], v)
                r.close()
                self.answer(200, v)
            elif parts == ["report"]:
                self.answer(200, self.report())
            elif parts == ["quit"]:
                self.answer(200, "bye")
                threading.Thread(target=self.server.shutdown).start()
            else:
                self.answer(404, "no such page")
        except PgError as e:
            self.answer(500, str(e))

    def books(self, author, n_plus_one):
        db = Pg(PORTS["pg"])
        try:
            if not n_plus_one:
                rows = db.query("SELECT b.title FROM books b WHERE b.author_id = %d "
                                "ORDER BY b.id" % author)
                return "\n".join(r[0] for r in rows)
            ids = db.query("SELECT id FROM books WHERE author_id = %d ORDER BY id" % author)
            titles = [db.query("SELECT title FROM books WHERE id = %s" % i[0])[0][0]
                      for i in ids]
            return "\n".join(titles)
        finally:
            db.close()

    def report(self):
        db = Pg(PORTS["pg"])
        try:
            rows = db.query("SELECT id, title FROM books WHERE author_id = 1 ORDER BY id")
            out = []
            for book_id, title in rows:
                if VARIANT == "after":
                    n = db.query("SELECT count(*) FROM reviews WHERE book_id = %s" % book_id)
                    out.append("%s (%s reviews)" % (title, n[0][0]))
                else:
                    out.append(title)
            return "\n".join(out)
        finally:
            db.close()


def main():
    global VARIANT
    PORTS["http"], PORTS["pg"], PORTS["redis"] = (int(a) for a in sys.argv[1:4])
    if "--variant" in sys.argv:
        VARIANT = sys.argv[sys.argv.index("--variant") + 1]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", PORTS["http"]), Handler)
    srv.serve_forever()
    srv.server_close()


if __name__ == "__main__":
    main()
