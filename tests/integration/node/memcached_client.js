// Drives a memcached server with memjs (the binary protocol): set, get of
// a hit and a miss, add of an existing key (KEY_EXISTS), increment of a
// counter memjs creates, delete, then quit. One connection; each
// step awaited before the next, so the order is fixed. Server from
// MEMCACHED_PORT on loopback. Prints one line per step.
'use strict';
const memjs = require('memjs');

async function main() {
  const mc = memjs.Client.create('127.0.0.1:' + process.env.MEMCACHED_PORT,
    { retries: 0, timeout: 5, keepAlive: false });
  await mc.set('js:k', 'hello', { expires: 0 });
  console.log('get', String((await mc.get('js:k')).value));
  console.log('miss', (await mc.get('js:none')).value);
  const added = await mc.add('js:k', 'x', { expires: 0 }).catch(() => false);
  console.log('add again', added);
  console.log('incr', JSON.stringify(await mc.increment('js:n', 5, { initial: 10 })));
  console.log('delete', await mc.delete('js:k'));
  mc.quit();
}

main().catch((e) => { console.error(e); process.exit(1); });
