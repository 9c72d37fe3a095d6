// Drives a MariaDB server with node's `mysql2`: query() (text protocol,
// values interpolated by the client) and execute() (binary protocol:
// COM_STMT_PREPARE + COM_STMT_EXECUTE with typed parameters).
// Usage: node mysql_client.js PORT
'use strict';
const mysql = require('mysql2/promise');

async function main() {
  const c = await mysql.createConnection({ host: '127.0.0.1', port: Number(process.argv[2]),
                                           user: 'root', database: 'test' });
  await c.query('CREATE TABLE IF NOT EXISTS node_t (id INT PRIMARY KEY, name VARCHAR(32), ' +
                'score DOUBLE, born DATE, note TEXT)');
  // text protocol: the client interpolates the values into the SQL
  await c.query('INSERT INTO node_t VALUES (?, ?, ?, ?, ?)', [1, 'ann', 1.5, '2020-01-02', null]);
  // binary protocol: one prepare, executed with typed parameters
  for (let i = 2; i <= 3; i++) {
    await c.execute('INSERT INTO node_t VALUES (?, ?, ?, ?, ?)',
                    [i, 'user' + i, i * 0.25, '2021-03-0' + i, i === 3 ? null : 'n' + i]);
  }
  const [rows] = await c.execute('SELECT id, name, score FROM node_t WHERE id >= ? ORDER BY id', [1]);
  console.log('rows', rows.length);
  const [t] = await c.query('SELECT id, name FROM node_t ORDER BY id');
  console.log('text rows', t.length);
  try {
    await c.query('SELECT * FROM no_such_table');
  } catch (e) {
    console.log('error', e.errno);
  }
  await c.query('DROP TABLE node_t');
  await c.end();
}

main().catch((e) => { console.error(e); process.exit(1); });
