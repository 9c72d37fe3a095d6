// The npm package's test (tests/integration/test_focus.py): uses its
// dependency, fetches a page from the test's nginx ($FETCH_URL) and writes
// it to $TMPDIR/npm-fetch.html.
'use strict';
const assert = require('assert');
const fs = require('fs');
const http = require('http');
const path = require('path');
const ms = require('ms');

assert.strictEqual(ms('2s'), 2000);
http.get(process.env.FETCH_URL, (res) => {
  assert.strictEqual(res.statusCode, 200);
  const parts = [];
  res.on('data', (d) => parts.push(d));
  res.on('end', () => {
    fs.writeFileSync(path.join(process.env.TMPDIR, 'npm-fetch.html'), Buffer.concat(parts));
    console.log('ok');
  });
}).on('error', (e) => { console.error(e); process.exit(1); });
