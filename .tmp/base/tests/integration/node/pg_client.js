// Drives a PostgreSQL server with node's `pg` (extended protocol: Parse /
// Bind / Execute with bind parameters). Connection from PG* environment
// variables. Prints one line per step so a failure is easy to read.
'use strict';
const { Client } = require('pg');

async function main() {
  const c = new Client();
  await c.connect();
  await c.query('CREATE TABLE IF NOT EXISTS node_t (id int PRIMARY KEY, name text, data bytea)');
  // unnamed statements with text parameters
  const r1 = await c.query('SELECT $1::int + $2::int AS sum', [2, 3]);
  console.log('sum', r1.rows[0].sum);
  for (let i = 1; i <= 3; i++) {
    // a named prepared statement: parsed once, bound three times
    await c.query({ name: 'ins', text: 'INSERT INTO node_t (id, name, data) VALUES ($1, $2, $3)',
                    values: [i, 'name' + i, Buffer.from([i, 0xff])] });
  }
  const r2 = await c.query({ name: 'get', text: 'SELECT id, name FROM node_t WHERE id >= $1 ORDER BY id',
                             values: [2] });
  console.log('rows', r2.rowCount);
  await c.query({ name: 'get', text: 'SELECT id, name FROM node_t WHERE id >= $1 ORDER BY id',
                  values: [1] });
  const r3 = await c.query('SELECT g, g * 2 AS double FROM generate_series(1, 10) AS g');
  console.log('series', r3.rowCount);
  await c.query('SELECT $1::text IS NULL AS isnull', [null]);
  try {
    await c.query('SELECT * FROM no_such_table WHERE id = $1', [1]);
  } catch (e) {
    console.log('error', e.code);
  }
  await c.query('DROP TABLE node_t');
  await c.end();
}

main().catch((e) => { console.error(e); process.exit(1); });
