// Drives an MQTT broker with MQTT.js (npm `mqtt`) at protocol level
// MQTT_VERSION (4: 3.1.1, 5: 5.0): connects (client id adi-node-<level>),
// subscribes to adi/# at QoS 1, publishes adi/q0, adi/q1, adi/q2 at QoS 0, 1,
// 2 (5.0: with a user property), waits for the three deliveries, then
// unsubscribes and disconnects. Broker from MQTT_PORT on loopback.
'use strict';
const mqtt = require('mqtt');

function main() {
  const v = Number(process.env.MQTT_VERSION);
  const c = mqtt.connect('mqtt://127.0.0.1:' + process.env.MQTT_PORT, {
    protocolVersion: v, clientId: 'adi-node-' + v, reconnectPeriod: 0, keepalive: 60,
    clean: true,
  });
  const got = [];
  c.on('error', (e) => { console.error(e); process.exit(1); });
  c.on('message', (topic, payload) => {
    got.push(topic + '=' + payload.toString());
    if (got.length === 3) {
      console.log(got.sort().join(' '));
      c.unsubscribe('adi/#', () => c.end());
    }
  });
  c.on('connect', () => {
    c.subscribe('adi/#', { qos: 1 }, (err) => {
      if (err) throw err;
      const props = v === 5 ? { properties: { userProperties: { k: 'v' } } } : {};
      // one after the other: three publishes written at once make one
      // writev of more iovecs than the eBPF capture copies (ADI_IOV_MAX)
      // (QoS 0's callback comes before its bytes leave: a pause too)
      const pause = (f) => () => setTimeout(f, 50);
      c.publish('adi/q0', 'zero', Object.assign({ qos: 0 }, props), pause(() =>
        c.publish('adi/q1', 'one', Object.assign({ qos: 1 }, props), pause(() =>
          c.publish('adi/q2', 'two', Object.assign({ qos: 2 }, props))))));
    });
  });
}

main();
