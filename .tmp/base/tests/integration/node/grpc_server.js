// A gRPC server (@grpc/grpc-js) of grpc_test.proto on 127.0.0.1:PORT for
// test_grpc.py: prints "ready" once listening, ends on SIGINT / SIGTERM.
// Usage: node grpc_server.js PORT
'use strict';
const path = require('path');
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');

const def = loader.loadSync(path.join(__dirname, 'grpc_test.proto'), { longs: Number });
const svc = grpc.loadPackageDefinition(def).adi.test.Svc;

function echoMeta(call) {
  const md = new grpc.Metadata();
  const u = call.metadata.get('x-user');
  if (u.length) md.set('x-echo', String(u[0]));
  call.sendMetadata(md);
}

const impl = {
  Unary(call, cb) {
    echoMeta(call);
    cb(null, { text: 'hello ' + call.request.name, index: call.request.count });
  },
  ServerStream(call) {
    for (let i = 0; i < call.request.count; i++)
      call.write({ text: call.request.name + ' #' + (i + 1), index: i + 1 });
    call.end();
  },
  ClientStream(call, cb) {
    const names = [];
    let sum = 0;
    call.on('data', (r) => { names.push(r.name); sum += r.count; });
    call.on('end', () => cb(null, { text: names.join(','), index: sum }));
  },
  Bidi(call) {
    call.on('data', (r) => call.write({ text: 'echo ' + r.name, index: r.count }));
    call.on('end', () => call.end());
  },
  Fail(call, cb) {
    cb({ code: grpc.status.NOT_FOUND, details: 'no such thing: ' + call.request.name });
  },
};

const server = new grpc.Server();
server.addService(svc.service, impl);
server.bindAsync('127.0.0.1:' + process.argv[2], grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) { console.error(err); process.exit(1); }
  console.log('ready');
});
const stop = () => server.tryShutdown(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
