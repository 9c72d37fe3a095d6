// Drives RabbitMQ with amqplib (AMQP 0-9-1): connects (guest), opens a
// channel, declares a queue and an exchange, binds them, publishes two
// messages (one with properties and headers, through the exchange; one to
// the queue by the default exchange), consumes them (basic.deliver) and
// acks, gets from an empty queue (get-empty), declares a missing queue
// passively (refused: channel.close 404 on that channel), and closes.
// Broker from AMQP_PORT on loopback.
'use strict';
const amqp = require('amqplib');

async function main() {
  const conn = await amqp.connect('amqp://guest:guest@127.0.0.1:' + process.env.AMQP_PORT);
  const ch = await conn.createChannel();
  await ch.assertQueue('adi.q', { durable: false, autoDelete: false });
  await ch.assertExchange('adi.x', 'direct', { durable: false });
  await ch.bindQueue('adi.q', 'adi.x', 'rk');
  ch.publish('adi.x', 'rk', Buffer.from('hello'),
    { contentType: 'text/plain', headers: { h: 'v' }, messageId: 'm1' });
  ch.sendToQueue('adi.q', Buffer.from('second'));
  const got = [];
  await new Promise((resolve) => {
    ch.consume('adi.q', (m) => {
      got.push(m.content.toString());
      ch.ack(m);
      if (got.length === 2) resolve();
    }, { consumerTag: 'adi-c' });
  });
  console.log('got', got.join(','));
  await ch.cancel('adi-c');
  console.log('get', await ch.get('adi.q'));
  await ch.deleteQueue('adi.q');
  await ch.deleteExchange('adi.x');
  await ch.close();
  const bad = await conn.createChannel();
  bad.on('error', () => {});
  await bad.checkQueue('adi.missing').catch((e) => console.log('refused', e.code));
  await conn.close();
}

main().catch((e) => { console.error(e); process.exit(1); });
