// otlp_receiver.js - an OTLP/HTTP receiver for tests/integration/test_export.py.
// Decodes what adi-profiler sends with the official OpenTelemetry proto
// definitions (the protobufjs root that @opentelemetry/otlp-transformer
// generates from opentelemetry-proto, pinned in package-lock.json): protobuf
// bodies with decode(), OTLP/JSON bodies with verify() + fromObject() after
// the hex ids are turned into bytes, as the OTLP/JSON spec defines them.
//
// usage: node otlp_receiver.js PORT OUT.jsonl [ok|503-then-200|hang|discard]
// (discard: answers 200 without decoding and writes one line per request
// with its size only: bench/export.sh)
// Prints "listening PORT" once ready. Each request is one line of OUT:
// {path, status, encoding, gzip, items: [span or log, flattened]} or
// {path, status, error} when the body could not be decoded.
'use strict';
const http = require('http');
const fs = require('fs');
const zlib = require('zlib');
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root');

const [port, outPath, mode = 'ok'] = process.argv.slice(2);
const P = root.opentelemetry.proto;
const TraceReq = P.collector.trace.v1.ExportTraceServiceRequest;
const LogsReq = P.collector.logs.v1.ExportLogsServiceRequest;
const TraceResp = P.collector.trace.v1.ExportTraceServiceResponse;
const LogsResp = P.collector.logs.v1.ExportLogsServiceResponse;

const hex = (b) => (b && b.length ? Buffer.from(b).toString('hex') : '');
const num = (v) => (v && typeof v === 'object' && 'low' in v ? BigInt.asUintN(64, (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0)).toString() : String(v));

function anyValue(v) {
  if (!v) return null;
  switch (v.value) {
    case 'stringValue': return v.stringValue;
    case 'boolValue': return v.boolValue;
    case 'intValue': return Number(num(v.intValue));
    case 'doubleValue': return v.doubleValue;
    case 'arrayValue': return (v.arrayValue.values || []).map(anyValue);
    case 'kvlistValue': return attrs(v.kvlistValue.values);
    case 'bytesValue': return hex(v.bytesValue);
  }
  return null;
}

function attrs(list) {
  const o = {};
  for (const kv of list || []) {
    if (kv.key in o) throw new Error('attribute repeated: ' + kv.key);
    o[kv.key] = anyValue(kv.value);
  }
  return o;
}

function flatten(msg, logs) {
  const items = [];
  for (const rs of (logs ? msg.resourceLogs : msg.resourceSpans) || []) {
    const resource = attrs(rs.resource && rs.resource.attributes);
    for (const ss of (logs ? rs.scopeLogs : rs.scopeSpans) || []) {
      const scope = { name: ss.scope && ss.scope.name, version: ss.scope && ss.scope.version };
      for (const s of (logs ? ss.logRecords : ss.spans) || []) {
        if (logs) {
          items.push({
            type: 'log', resource, scope, time: num(s.timeUnixNano),
            severity: s.severityNumber, severityText: s.severityText,
            body: anyValue(s.body), attributes: attrs(s.attributes),
            traceId: hex(s.traceId), spanId: hex(s.spanId),
          });
        } else {
          items.push({
            type: 'span', resource, scope, traceId: hex(s.traceId), spanId: hex(s.spanId),
            parentSpanId: hex(s.parentSpanId), name: s.name, kind: s.kind,
            start: num(s.startTimeUnixNano), end: num(s.endTimeUnixNano),
            attributes: attrs(s.attributes),
            events: (s.events || []).map((e) => ({ name: e.name, time: num(e.timeUnixNano), attributes: attrs(e.attributes) })),
            status: s.status ? { code: s.status.code || 0, message: s.status.message || '' } : { code: 0, message: '' },
          });
        }
      }
    }
  }
  return items;
}

// OTLP/JSON ids are hex (not the base64 of the protobuf JSON mapping):
// turned into bytes so fromObject reads them as the schema says.
function hexIds(o) {
  if (Array.isArray(o)) return o.forEach(hexIds);
  if (!o || typeof o !== 'object') return;
  for (const k of Object.keys(o)) {
    if ((k === 'traceId' || k === 'spanId' || k === 'parentSpanId') && typeof o[k] === 'string') {
      if (!/^([0-9a-f]{2})*$/.test(o[k])) throw new Error(`${k} is not hex: ${o[k]}`);
      o[k] = Buffer.from(o[k], 'hex');
    } else {
      hexIds(o[k]);
    }
  }
}

// the proto3 JSON mapping writes int64 / fixed64 as decimal strings
const INT64_KEYS = /^(intValue|timeUnixNano|observedTimeUnixNano|startTimeUnixNano|endTimeUnixNano)$/;
function int64Numbers(v, k) {
  if (k !== undefined && INT64_KEYS.test(k)) {
    if (typeof v !== 'string' || !/^-?[0-9]+$/.test(v)) throw new Error(`${k}: not a decimal string: ${v}`);
    return Number(v);
  }
  if (Buffer.isBuffer(v) || !v || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => int64Numbers(x));
  const o = {};
  for (const key of Object.keys(v)) o[key] = int64Numbers(v[key], key);
  return o;
}

function decode(path, type, body) {
  const logs = path === '/v1/logs';
  if (!logs && path !== '/v1/traces') throw new Error('unexpected path ' + path);
  const T = logs ? LogsReq : TraceReq;
  let msg;
  if (type === 'application/x-protobuf') {
    msg = T.decode(body);
  } else if (type === 'application/json') {
    const obj = JSON.parse(body.toString('utf8'));
    hexIds(obj);
    // verify() checks JS types: the JSON mapping's 64-bit integers are
    // strings, checked as numbers here (fromObject reads the strings)
    const err = T.verify(int64Numbers(obj));
    if (err) throw new Error('not an ' + T.name + ': ' + err);
    msg = T.fromObject(obj);
  } else {
    throw new Error('content-type ' + type);
  }
  return { logs, items: flatten(msg, logs) };
}

let count = 0;
const out = fs.openSync(outPath, 'a');
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    count++;
    if (mode === 'hang') return; // never answers
    if (mode === 'discard') {
      res.writeHead(200);
      res.end();
      fs.writeSync(out, JSON.stringify({ path: req.url, bytes: chunks.reduce((a, c) => a + c.length, 0) }) + '\n');
      return;
    }
    let body = Buffer.concat(chunks);
    const rec = { path: req.url, n: count, gzip: req.headers['content-encoding'] === 'gzip',
      encoding: req.headers['content-type'], header: req.headers['x-adi-test'] || null };
    let status = 200;
    if (mode === '503-then-200' && count === 1) status = 503;
    rec.status = status;
    try {
      if (rec.gzip) body = zlib.gunzipSync(body);
      const d = decode(req.url, req.headers['content-type'], body);
      rec.items = d.items;
      if (status === 200) {
        const R = d.logs ? LogsResp : TraceResp;
        const resp = R.encode(R.create({})).finish();
        res.writeHead(200, { 'Content-Type': req.headers['content-type'] });
        res.end(req.headers['content-type'] === 'application/json' ? '{}' : Buffer.from(resp));
      } else {
        res.writeHead(status, { 'Retry-After': '1' });
        res.end();
      }
    } catch (e) {
      rec.error = String(e && e.stack || e);
      res.writeHead(400);
      res.end();
    }
    fs.writeSync(out, JSON.stringify(rec) + '\n');
  });
});
server.listen(Number(port), '127.0.0.1', () => console.log('listening ' + port));
process.on('SIGTERM', () => process.exit(0));
