// Drives a Kafka broker with kafkajs: an admin creates topic adi-js, a
// producer sends two messages (a key, a header) and then one gzip'ed; the
// admin lists the topic's offsets. Broker from KAFKA_PORT on loopback (the
// tests' kafka_responder.py).
'use strict';
const { Kafka, CompressionTypes, logLevel } = require('kafkajs');

async function main() {
  const kafka = new Kafka({
    clientId: 'adi-js', brokers: ['127.0.0.1:' + process.env.KAFKA_PORT],
    logLevel: logLevel.NOTHING, retry: { retries: 2 },
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'adi-js', numPartitions: 1 }] });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({ topic: 'adi-js', messages: [
    { key: 'k1', value: 'hello', headers: { h: 'v' } }, { key: 'k2', value: 'world' }] });
  await producer.send({ topic: 'adi-js', compression: CompressionTypes.GZIP,
    messages: [{ value: 'zipped' }] });
  console.log('offsets', JSON.stringify(await admin.fetchTopicOffsets('adi-js')));
  await producer.disconnect();
  await admin.disconnect();
}

main().catch((e) => { console.error(e); process.exit(1); });
