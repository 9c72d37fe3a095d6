// insight_app.js - the event-loop server the insight tests trace
// (test_insight.py): one Node thread serves every request, so work done
// while two requests are open cannot be told apart (parent "ambiguous"),
// and work done while one is open belongs to it. Queries go through a pool
// of two PostgreSQL connections (node's pg, PG* variables).
//   /wait?tag=T  150 ms idle, a query, 150 ms idle, then the answer: two at
//                once are both open over both queries
//   /one         one query, answered at once
//   /quit        answers, then stops
// usage: node insight_app.js PORT
'use strict';
const http = require('http');
const { Pool } = require('pg');

const pool = new Pool({ max: 2 });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  try {
    if (url.pathname === '/wait') {
      await sleep(150);
      const r = await pool.query('SELECT $1::text AS tag', [url.searchParams.get('tag')]);
      await sleep(150);
      res.end(r.rows[0].tag);
    } else if (url.pathname === '/one') {
      const r = await pool.query('SELECT 1 AS one');
      res.end(String(r.rows[0].one));
    } else if (url.pathname === '/quit') {
      res.end('bye');
      server.close();
      await pool.end();
    } else {
      res.statusCode = 404;
      res.end('no such page');
    }
  } catch (e) {
    res.statusCode = 500;
    res.end(String(e));
  }
});

server.keepAliveTimeout = 1;
server.listen(Number(process.argv[2]), '127.0.0.1');
