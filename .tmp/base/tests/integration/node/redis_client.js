// Drives a Redis server with ioredis (RESP2: ioredis 5 has no RESP3
// parser): plain commands, a pipeline and a MULTI/EXEC (each sent as one
// write), a binary value, and pub/sub on a second connection (SUBSCRIBE of
// two channels, a PUBLISH from the first, the message, UNSUBSCRIBE of all).
// Connection from REDIS_PORT (loopback TCP) or REDIS_PATH (Unix socket).
// Options keep the connection preamble to one command: CLIENT SETNAME
// (no CLIENT SETINFO, no INFO ready check). Prints one line per step.
'use strict';
const Redis = require('ioredis');

function options() {
  const o = process.env.REDIS_PATH ? { path: process.env.REDIS_PATH }
    : { host: '127.0.0.1', port: Number(process.env.REDIS_PORT) };
  return Object.assign(o, {
    lazyConnect: true, enableReadyCheck: false, disableClientInfo: true,
    connectionName: 'adi-node', maxRetriesPerRequest: 0, retryStrategy: () => null,
  });
}

async function main() {
  const r = new Redis(options());
  await r.connect();
  await r.set('node:k', 'v1');
  console.log('get', await r.get('node:k'));
  const p = await r.pipeline().set('node:p', '1').incr('node:p').get('node:p').exec();
  console.log('pipeline', JSON.stringify(p));
  const m = await r.multi().set('node:m', 'a').append('node:m', 'b').get('node:m').exec();
  console.log('multi', JSON.stringify(m));
  await r.set('node:bin', Buffer.from([0xff, 0x00, 0xfe]));

  const sub = new Redis(options());
  await sub.connect();
  const got = new Promise((resolve) => sub.on('message', (ch, msg) => resolve([ch, msg])));
  await sub.subscribe('node:ch1', 'node:ch2');
  console.log('published', await r.publish('node:ch1', 'hello'));
  console.log('message', JSON.stringify(await got));
  await sub.unsubscribe();
  await sub.quit();
  await r.quit();
}

main().catch((e) => { console.error(e); process.exit(1); });
