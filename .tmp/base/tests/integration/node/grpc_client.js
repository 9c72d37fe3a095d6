// A gRPC client (@grpc/grpc-js) for test_grpc.py: on one channel, a unary
// call with metadata, a server-streaming call (3 replies), a
// client-streaming call (2 requests), a bidi call (2 each way) and a call
// that fails (NOT_FOUND); with "gzip", a unary call on a second channel that
// compresses its messages. Prints what came back as JSON.
// Usage: node grpc_client.js PORT [gzip]
'use strict';
const path = require('path');
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');

const def = loader.loadSync(path.join(__dirname, 'grpc_test.proto'), { longs: Number });
const Svc = grpc.loadPackageDefinition(def).adi.test.Svc;
const addr = '127.0.0.1:' + process.argv[2];
const out = {};

const req = (name, count) => ({ name, count, inner: { id: 7, tag: 'x' }, tags: ['a', 'b'] });

function unary(c, name, md) {
  return new Promise((res) => c.Unary(req(name, 3), md || new grpc.Metadata(),
    (err, r) => res(err ? { error: err.code } : r)));
}

async function main() {
  const c = new Svc(addr, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  md.set('x-user', 'bob');
  md.set('authorization', 'Bearer s3cret');
  out.unary = await unary(c, 'alice', md);
  out.server_stream = await new Promise((res) => {
    const got = [];
    const call = c.ServerStream(req('srv', 3));
    call.on('data', (r) => got.push(r.text));
    call.on('end', () => res(got));
  });
  out.client_stream = await new Promise((res) => {
    const call = c.ClientStream((err, r) => res(err ? { error: err.code } : r));
    call.write(req('c1', 1));
    call.write(req('c2', 2));
    call.end();
  });
  out.bidi = await new Promise((res) => {
    const got = [];
    const call = c.Bidi();
    call.on('data', (r) => got.push(r.text));
    call.on('end', () => res(got));
    call.write(req('b1', 1));
    call.write(req('b2', 2));
    call.end();
  });
  out.fail = await new Promise((res) => c.Fail(req('ghost', 1),
    (err) => res({ code: err.code, details: err.details })));
  c.close();
  if (process.argv[3] === 'gzip') {
    const z = new Svc(addr, grpc.credentials.createInsecure(),
      { 'grpc.default_compression_algorithm': 2 });
    out.gzip = await unary(z, 'zipped');
    z.close();
  }
  console.log(JSON.stringify(out));
}
main().catch((e) => { console.error(e); process.exit(1); });
