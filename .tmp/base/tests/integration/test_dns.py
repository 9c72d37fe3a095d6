"""DNS and UDP datagrams from real peers: a private dnsmasq (started by the
traced run itself, so the server is traced as well as its clients) serves a
zone the test writes: A, AAAA, a CNAME chain, MX, TXT, SRV, a name that
gives NXDOMAIN, and a name with 150 addresses whose answer does not fit in
a UDP response (TC), so the clients retry over TCP. Clients: dig (UDP,
+tcp, +dnssec for EDNS's DO bit), Python's socket.getaddrinfo through
glibc's resolver inside a private mount and network namespace whose
resolv.conf names the server (the machine's is never touched), Node's
dns.Resolver with setServers, and raw UDP/unix datagram exchanges for
udp_datagram (with a receiver's MSG_TRUNC, and a query nobody answers, sent
twice). Every query a client made must appear once, paired with its answer,
with the right rcode and records; the server's side the same."""
import os
import socket
import subprocess
import sys
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import adi  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BIG = 150  # addresses of big.example.test: 2.4 KB, over 512 B and EDNS's 1232


def free_udp_tcp_port():
    """a loopback port free for both UDP and TCP (dnsmasq serves both)"""
    for _ in range(50):
        t = socket.socket()
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            u.close()
            t.close()
    raise RuntimeError("no free port")


def write_zone(d, port, addr="127.0.0.1"):
    """dnsmasq's configuration and hosts file for the test zone; returns
    the configuration's path"""
    hosts = os.path.join(d, "hosts")
    with open(hosts, "w") as f:
        f.write("127.0.0.1 host.example.test\n::1 host.example.test\n")
        for i in range(BIG):
            f.write(f"10.0.{i // 250}.{i % 250 + 1} big.example.test\n")
    conf = os.path.join(d, "dnsmasq.conf")
    with open(conf, "w") as f:
        f.write(textwrap.dedent(f"""\
            port={port}
            listen-address={addr}
            bind-interfaces
            no-resolv
            no-hosts
            addn-hosts={hosts}
            local=/example.test/
            cname=www.example.test,alias.example.test
            cname=alias.example.test,host.example.test
            mx-host=example.test,mail.example.test,10
            txt-record=txt.example.test,"hello world","second string"
            srv-host=_sip._udp.example.test,sip.example.test,5060,10,5
            keep-in-foreground
            user=root
            pid-file=
            """))
    return conf


# The driver the traced run executes: start dnsmasq, wait for it, run the
# clients given as argv lists (JSON), stop it.
DRIVER = textwrap.dedent("""\
    import json, socket, subprocess, sys, time
    conf, port, addr, clients = sys.argv[1], int(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
    srv = subprocess.Popen(["dnsmasq", "-C", conf])
    for _ in range(200):
        try:
            socket.create_connection((addr, port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    rc = 0
    for argv in clients:
        rc |= subprocess.run(argv).returncode
    srv.terminate()
    srv.wait()
    sys.exit(rc)
    """)


def dns_events(t, role):
    return [e for e in t.kind("dns_query") if e["conn"]["role"] == role]


def one(tc, events, name, qtype, transport="udp"):
    """the single event of that question over that transport"""
    got = [e for e in events if e["name"] == name and e["qtype"] == qtype and
           e["conn"]["transport"] == transport]
    tc.assertEqual(len(got), 1, f"{name} {qtype} over {transport}: {got!r}")
    return got[0]


class DNSTest(adi.TraceTest):
    def traced_server(self, clients, addr="127.0.0.1", wrap=None, port=None):
        """run the driver (dnsmasq + clients) under adi-profiler"""
        port = port or free_udp_tcp_port()
        conf = write_zone(self.dir, port, addr)
        drv = os.path.join(self.dir, "driver.py")
        with open(drv, "w") as f:
            f.write(DRIVER)
        import json
        cmd = [sys.executable, drv, conf, str(port), addr,
               json.dumps([[a.replace("PORT", str(port)) for a in c] for c in clients])]
        t = adi.run((wrap or []) + cmd, timeout=180)
        self.assertEqual(t.rc, 0, t.stderr)
        self.assertWellFormed(t)
        return t

    def check_pairs(self, t, cli, srv):
        """every client exchange is answered and has its twin on the server"""
        for e in cli:
            self.assertIsNotNone(e["rcode"], e)
            self.assertIsNotNone(e["duration_ms"], e)
            self.assertNotIn("unanswered", e)
            twins = [s for s in srv if s["id"] == e["id"] and s["name"] == e["name"] and
                     s["qtype"] == e["qtype"] and
                     s["conn"]["remote"] == e["conn"]["local"]]
            self.assertEqual(len(twins), 1, f"server side of {e!r}: {twins!r}")
            self.assertEqual(twins[0]["answers"], e["answers"])
            self.assertEqual(twins[0]["rcode"], e["rcode"])

    def test_dig(self):
        dig = ["dig", "@127.0.0.1", "-p", "PORT", "+tries=1", "+time=5"]
        t = self.traced_server([
            dig + ["www.example.test", "A"],
            dig + ["host.example.test", "AAAA"],
            dig + ["example.test", "MX"],
            dig + ["txt.example.test", "TXT"],
            dig + ["_sip._udp.example.test", "SRV"],
            dig + ["nope.example.test", "A"],
            dig + ["big.example.test", "A"],
            dig + ["+tcp", "host.example.test", "A"],
            dig + ["+dnssec", "host.example.test", "AAAA"],
        ])
        cli = [e for e in dns_events(t, "client") if e["comm"] != "dnsmasq"]
        srv = [e for e in dns_events(t, "server") if e["comm"] == "dnsmasq"]
        e = one(self, cli, "www.example.test", "A")
        self.assertEqual(e["rcode"], "NOERROR")
        self.assertEqual(e["answers"], ["alias.example.test", "host.example.test", "127.0.0.1"])
        self.assertEqual([r["type"] for r in e["records"]["answer"]], ["CNAME", "CNAME", "A"])
        self.assertIn("RD", e["query_flags"])
        self.assertEqual(e["conn"]["remote"].rsplit(":", 1)[0], "127.0.0.1")
        self.assertFalse(e["edns"]["do"])
        e = one(self, cli, "example.test", "MX")
        self.assertEqual(e["answers"], ["10 mail.example.test"])
        e = one(self, cli, "txt.example.test", "TXT")
        self.assertEqual(e["answers"], ['"hello world" "second string"'])
        e = one(self, cli, "_sip._udp.example.test", "SRV")
        self.assertEqual(e["answers"], ["10 5 5060 sip.example.test"])
        e = one(self, cli, "nope.example.test", "A")
        self.assertEqual(e["rcode"], "NXDOMAIN")
        self.assertEqual(e["answers"], [])
        # the truncated UDP answer, then the same question over TCP
        e = one(self, cli, "big.example.test", "A")
        self.assertIn("TC", e["flags"])
        self.assertLess(len(e["answers"]), BIG)
        e = one(self, cli, "big.example.test", "A", "tcp")
        self.assertNotIn("TC", e["flags"])
        self.assertEqual(len(e["answers"]), BIG)
        self.assertEqual(sorted(e["answers"])[:2], ["10.0.0.1", "10.0.0.10"])
        e = one(self, cli, "host.example.test", "A", "tcp")
        self.assertEqual(e["answers"], ["127.0.0.1"])
        aaaa = [x for x in cli if x["name"] == "host.example.test" and x["qtype"] == "AAAA"]
        self.assertEqual(len(aaaa), 2)
        self.assertEqual(sorted(x["edns"]["do"] for x in aaaa), [False, True])
        for x in aaaa:
            self.assertEqual(x["answers"], ["::1"])
        self.assertEqual(len(cli), 10, [(x["name"], x["qtype"]) for x in cli])
        self.check_pairs(t, cli, srv)
        self.assertEqual(len(srv), len(cli))

    def test_getaddrinfo(self):
        # glibc's resolv.conf names no port: the server listens on 53 in a
        # private network namespace, and a private mount namespace gives
        # that process tree its own resolv.conf
        resolv = os.path.join(self.dir, "resolv.conf")
        with open(resolv, "w") as f:
            f.write("nameserver 127.0.0.1\noptions attempts:2 timeout:2\n")
        py = textwrap.dedent("""\
            import socket
            for name in ("host.example.test", "nope.example.test", "big.example.test"):
                try:
                    got = socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)
                    print(name, sorted({a[4][0] for a in got})[:3], len(got))
                except socket.gaierror as e:
                    print(name, "error", e.errno)
            """)
        inner = (f"ip link set lo up && mount --bind {resolv} /etc/resolv.conf && "
                 f"exec \"$0\" \"$@\"")
        t = self.traced_server([[sys.executable, "-c", py]], port=53,
                               wrap=["unshare", "-mn", "sh", "-c", inner])
        cli = [e for e in dns_events(t, "client") if e["comm"] == "python3"]
        srv = [e for e in dns_events(t, "server") if e["comm"] == "dnsmasq"]
        self.assertEqual(one(self, cli, "host.example.test", "A")["answers"], ["127.0.0.1"])
        self.assertEqual(one(self, cli, "host.example.test", "AAAA")["answers"], ["::1"])
        for qt in ("A", "AAAA"):
            self.assertEqual(one(self, cli, "nope.example.test", qt)["rcode"], "NXDOMAIN")
        # 150 addresses: over 512 bytes, so the UDP answer says TC and
        # glibc asks both questions again over TCP (and, its first answer
        # buffer being too small for 2.4 KB, does the whole round again
        # with a larger one: each round is seen as it happened); the
        # AAAA answer sent over UDP meanwhile is never read: unanswered
        big = [e for e in cli if e["name"] == "big.example.test"]
        udp_a = [e for e in big if e["qtype"] == "A" and e["conn"]["transport"] == "udp"]
        tcp_a = [e for e in big if e["qtype"] == "A" and e["conn"]["transport"] == "tcp"]
        tcp_aaaa = [e for e in big if e["qtype"] == "AAAA" and e["conn"]["transport"] == "tcp"]
        self.assertTrue(udp_a and tcp_a and tcp_aaaa, big)
        self.assertEqual(len(udp_a), len(tcp_a))
        for e in udp_a:
            self.assertIn("TC", e["flags"])
        for e in tcp_a:
            self.assertEqual(len(e["answers"]), BIG)
        for e in tcp_aaaa:
            self.assertEqual((e["rcode"], e["answers"]), ("NOERROR", []))
        self.check_pairs(t, [e for e in cli if e not in big or
                             e["conn"]["transport"] == "tcp"], srv)

    def test_node_resolver(self):
        js = textwrap.dedent("""\
            const { Resolver } = require('dns').promises;
            const r = new Resolver();
            r.setServers(['127.0.0.1:' + process.argv[2]]);
            (async () => {
              console.log(await r.resolve4('host.example.test'));
              console.log(await r.resolve6('host.example.test'));
              console.log(await r.resolveMx('example.test'));
              console.log(await r.resolveTxt('txt.example.test'));
              console.log(await r.resolveSrv('_sip._udp.example.test'));
              console.log(await r.resolveCname('www.example.test'));
              try { await r.resolve4('nope.example.test'); } catch (e) { console.log(e.code); }
              console.log((await r.resolve4('big.example.test')).length);
            })().catch((e) => { console.error(e); process.exit(1); });
            """)
        path = os.path.join(self.dir, "resolve.js")
        with open(path, "w") as f:
            f.write(js)
        t = self.traced_server([["node", path, "PORT"]])
        cli = [e for e in dns_events(t, "client") if e["comm"] != "dnsmasq"]
        srv = [e for e in dns_events(t, "server") if e["comm"] == "dnsmasq"]
        self.assertEqual(one(self, cli, "host.example.test", "A")["answers"], ["127.0.0.1"])
        self.assertEqual(one(self, cli, "host.example.test", "AAAA")["answers"], ["::1"])
        self.assertEqual(one(self, cli, "example.test", "MX")["answers"],
                         ["10 mail.example.test"])
        self.assertEqual(one(self, cli, "txt.example.test", "TXT")["answers"],
                         ['"hello world" "second string"'])
        self.assertEqual(one(self, cli, "www.example.test", "CNAME")["answers"],
                         ["alias.example.test"])
        self.assertEqual(one(self, cli, "nope.example.test", "A")["rcode"], "NXDOMAIN")
        self.assertIn("TC", one(self, cli, "big.example.test", "A")["flags"])
        self.assertEqual(len(one(self, cli, "big.example.test", "A", "tcp")["answers"]), BIG)
        self.check_pairs(t, cli, srv)

    def test_datagrams(self):
        py = textwrap.dedent("""\
            import os, socket, struct, sys
            d = sys.argv[1]
            for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
                s = socket.socket(fam, socket.SOCK_DGRAM); s.bind((host, 0))
                c = socket.socket(fam, socket.SOCK_DGRAM)
                c.sendto(b"ping " + host.encode(), s.getsockname()[:2])
                data, peer = s.recvfrom(100)
                s.sendto(data.upper(), peer)
                assert c.recvfrom(100)[0] == data.upper()
                # the receiver's buffer is smaller than the datagram
                c.sendto(b"0123456789abcdef", s.getsockname()[:2])
                data, anc, flags, _ = s.recvmsg(4)
                assert flags & socket.MSG_TRUNC and data == b"0123"
            # unix datagrams with paths
            path = os.path.join(d, "log.sock")
            u = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); u.bind(path)
            cl = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); cl.connect(path)
            cl.send(b"<13>hello log")
            assert u.recv(100) == b"<13>hello log"
            # a DNS query to a server that never answers, sent twice (a retry)
            mute = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); mute.bind(("127.0.0.1", 0))
            q = struct.pack(">HHHHHH", 0x4444, 0x0100, 1, 0, 0, 0) + \\
                b"\\x05quiet\\x04test\\x00\\x00\\x01\\x00\\x01"
            c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            c.connect(mute.getsockname())
            c.send(q); c.send(q)
            """)
        t = adi.run([sys.executable, "-c", py, self.dir])
        self.assertEqual(t.rc, 0, t.stderr)
        self.assertWellFormed(t)
        dg = t.kind("udp_datagram")
        for host in ("127.0.0.1", "::1"):
            ping = [e for e in dg if e["preview"] == "ping " + host]
            self.assertEqual(sorted(e["direction"] for e in ping), ["in", "out"])
            out = [e for e in ping if e["direction"] == "out"][0]
            inn = [e for e in ping if e["direction"] == "in"][0]
            self.assertEqual(out["conn"]["transport"], "udp")
            # each side names the other as the datagram's peer
            self.assertEqual(out["conn"]["remote"], inn["conn"]["local"])
            self.assertEqual(inn["conn"]["role"], "server")
            self.assertEqual(out["bytes"], len("ping " + host))
            pong = [e for e in dg if e["preview"] == "PING " + host.upper()]
            self.assertEqual(len(pong), 2)
            cut = [e for e in dg if e["preview"] == "0123" and e["direction"] == "in" and
                   e["conn"]["local"] == inn["conn"]["local"]]
            self.assertEqual(len(cut), 1)
            self.assertTrue(cut[0]["truncated"])
            self.assertEqual(cut[0]["bytes"], 4)
        log = [e for e in dg if e["preview"] == "<13>hello log"]
        self.assertEqual(len(log), 2)
        path = os.path.join(self.dir, "log.sock")
        for e in log:
            self.assertEqual(e["conn"]["transport"], "other")
            self.assertIn(path, (e["conn"]["local"], e["conn"]["remote"]))
        q = [e for e in t.kind("dns_query") if e["name"] == "quiet.test"]
        self.assertEqual(len(q), 1, q)
        self.assertTrue(q[0]["unanswered"])
        self.assertEqual(q[0]["retries"], 1)
        self.assertIsNone(q[0]["rcode"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
