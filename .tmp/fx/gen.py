import ssl, sys
def run(maxv, alpn_srv):
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); sctx.load_cert_chain('c.pem','k.pem')
    sctx.maximum_version = maxv
    if alpn_srv: sctx.set_alpn_protocols(alpn_srv)
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); cctx.check_hostname=False; cctx.verify_mode=ssl.CERT_NONE
    cctx.set_alpn_protocols(['h2','http/1.1'])
    ci, co, si, so = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    c = cctx.wrap_bio(ci, co, server_hostname='api.example.test')
    s = sctx.wrap_bio(si, so, server_side=True)
    flights = []
    for i in range(6):
        for obj in (c, s):
            try: obj.do_handshake()
            except ssl.SSLWantReadError: pass
        a = co.read(); b = so.read()
        if a: flights.append(('out', a)); si.write(a)
        if b: flights.append(('in', b)); ci.write(b)
    c.write(b'GET / HTTP/1.1\r\nHost: api.example.test\r\n\r\n'); a = co.read(); flights.append(('out', a))
    return flights
for name, v, alpn in (('13', ssl.TLSVersion.TLSv1_3, None), ('12', ssl.TLSVersion.TLSv1_2, ['http/1.1'])):
    fl = run(v, alpn)
    with open('tls%s.h' % name, 'w') as f:
        for i, (d, b) in enumerate(fl):
            f.write('/* %s, %d bytes */\nstatic const uint8_t tls%s_%d[] = {' % (d, len(b), name, i))
            f.write(','.join('0x%02x' % x for x in b)); f.write('};\n')
    print(name, [(d, len(b)) for d, b in fl])
