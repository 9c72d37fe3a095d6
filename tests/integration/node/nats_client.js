// Drives a NATS server with the nats.js client (npm `nats`): connects with
// a user and password, subscribes to greet.* in a queue group and answers
// each request there, makes one request (greet.joe: a PUB with a reply
// subject, the MSG the subscriber gets, its answer, the MSG back), publishes
// a message with a repeated header (HPUB), flushes (PING / PONG) and drains.
// Server from NATS_PORT on loopback, credentials NATS_USER / NATS_PASS.
'use strict';
const { connect, headers, StringCodec } = require('nats');

async function main() {
  const sc = StringCodec();
  const nc = await connect({
    servers: '127.0.0.1:' + process.env.NATS_PORT, user: process.env.NATS_USER,
    pass: process.env.NATS_PASS, name: 'adi-node', reconnect: false,
  });
  const sub = nc.subscribe('greet.*', { queue: 'workers' });
  const served = (async () => {
    for await (const m of sub) {
      if (m.reply) m.respond(sc.encode('hi ' + m.subject));
    }
  })();
  const r = await nc.request('greet.joe', sc.encode('hello'), { timeout: 5000 });
  console.log('reply', sc.decode(r.data));
  const h = headers();
  h.append('A', '1');
  h.append('A', '2');
  nc.publish('greet.ann', sc.encode('with headers'), { headers: h });
  await nc.flush();
  await nc.drain();
  await served;
}

main().catch((e) => { console.error(e); process.exit(1); });
