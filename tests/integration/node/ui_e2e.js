// ui_e2e.js - the web UI end to end in a real browser: Debian's chromium
// (/usr/bin/chromium, never a downloaded one) driven by playwright-core.
// Run by tests/integration/test_ui.py:
//   node ui_e2e.js URL EXPECT_JSON SCREENSHOT_PATH
// EXPECT_JSON: {"total": n, "drawn": n, "filter": "text", "filterShown": n,
//               "filterDrawn": n, "params": ["..."], "errorText": "...",
//               "runtime": n, "drawnAll": n, "lanes": ["..."]}
// Prints one JSON line of what it measured; exits 1 on the first mismatch.
'use strict';
const { chromium } = require('playwright-core');

const [url, expectJson, shot] = process.argv.slice(2);
const want = JSON.parse(expectJson);

function check(cond, what, got) {
  if (!cond) {
    console.error('FAIL: ' + what + (got !== undefined ? ' (got ' + JSON.stringify(got) + ')' : ''));
    process.exitCode = 1;
    throw new Error(what);
  }
}

(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const out = {};
  try {
    // the token is required: the bare address and a wrong token get 403,
    // in a browser context that has never seen the page (no cookie)
    const bare = await browser.newContext();
    const p0 = await bare.newPage();
    const base = url.split('?')[0];
    let r = await p0.goto(base);
    check(r.status() === 403, 'page without token is 403', r.status());
    r = await p0.goto(base + 'api/events?token=00000000000000000000000000000000');
    check(r.status() === 403, 'api with a wrong token is 403', r.status());
    r = await p0.goto(base + 'app.js');
    check(r.status() === 403, 'asset without token or cookie is 403', r.status());
    await bare.close();

    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    const t0 = Date.now();
    r = await page.goto(url);
    check(r.status() === 200, 'page with token is 200', r.status());
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
    out.openMs = Date.now() - t0;
    const nextFrame = () => page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));
    await nextFrame();
    let st = await page.evaluate(() => ({ total: __adi.total, shown: __adi.shown, drawn: __adi.drawn, loadMs: __adi.loadMs }));
    const attr = await page.getAttribute('#timeline', 'data-drawn');
    out.loaded = st;
    check(st.total === want.total, 'events loaded', st.total);
    check(st.drawn === want.drawn, 'events drawn on the canvas', st.drawn);
    check(Number(attr) === st.drawn, 'canvas data-drawn matches', attr);

    // issue 21: connection lanes say the protocol and what they talk to
    if (want.lanes) {
      const lanes = await page.evaluate(() => __adi.lanes());
      out.lanes = lanes;
      for (const l of want.lanes) check(lanes.includes(l), 'a lane labelled ' + l, lanes);
    }
    // the time axis shows real (local) times, not offsets from the start
    {
      const axis = await page.evaluate(() => __adi.axis);
      const hm = await page.evaluate(() => {
        const d = new Date(1795800705000); // the trace's T0 (test_ui.py)
        const p = (n) => (n < 10 ? '0' : '') + n;
        return p(d.getHours()) + ':' + p(d.getMinutes()) + ':';
      });
      out.axis = axis.slice(0, 3);
      check(axis.length > 1, 'axis ticks are labelled', axis);
      for (const a of axis) check(/^\d\d:\d\d:\d\d(\.\d+)?$/.test(a) && a.startsWith(hm),
        'an axis label is a clock time of the trace', a);
    }
    // the runtime's own file events: hidden and counted, shown on demand
    if (want.runtime) {
      const status = await page.locator('#status').innerText();
      check(status.includes(want.runtime + ' runtime events hidden'), 'hidden runtime events counted', status);
      await page.check('#f-runtime');
      await page.waitForFunction((n) => window.__adi.shown === n, want.total, { timeout: 5000 });
      await nextFrame();
      const d = await page.evaluate(() => __adi.drawn);
      check(d === want.drawnAll, 'runtime events drawn once asked for', d);
      await page.uncheck('#f-runtime');
      await page.waitForFunction((n) => window.__adi.shown === n, want.total - want.runtime, { timeout: 5000 });
      await nextFrame();
    }

    // a filter: the text box (URL, SQL, path...)
    await page.fill('#f-text', want.filter);
    await page.waitForFunction((n) => window.__adi.shown === n, want.filterShown, { timeout: 5000 });
    await nextFrame();
    st = await page.evaluate(() => ({ shown: __adi.shown, drawn: __adi.drawn }));
    out.filtered = st;
    check(st.drawn === want.filterDrawn, 'events drawn after the filter', st.drawn);
    const rows = await page.locator('#list-rows .row').count();
    check(rows === want.filterShown, 'list rows after the filter', rows);

    // click the first SQL event where the canvas drew it; read its parameters
    const i = await page.evaluate(() => __adi.find('sql_query', 0));
    check(i >= 0, 'an sql_query event is shown', i);
    const pos = await page.evaluate((k) => __adi.locate(k), i);
    const box = await page.locator('#timeline').boundingBox();
    await page.mouse.click(box.x + pos.x, box.y + pos.y);
    await page.waitForSelector('#details #params', { timeout: 5000 });
    const params = await page.locator('#details #params').innerText();
    out.params = params;
    for (const p of want.params) check(params.includes(p), 'parameter ' + p + ' in the details pane', params);
    const sql = await page.locator('#details pre.sql').innerText();
    check(sql.includes(want.sql), 'SQL text in the details pane', sql);
    await page.screenshot({ path: shot, fullPage: false });

    // back to every event (but the hidden runtime ones)
    await page.fill('#f-text', '');
    await page.waitForFunction((n) => window.__adi.shown === n, want.total - (want.runtime || 0), { timeout: 5000 });

    // an SQL error is shown in red (the .error box)
    if (want.errorText) {
      const k = await page.evaluate(() => __adi.find('sql_query', 2));
      check(k >= 0, 'the third sql_query is shown', k);
      await page.evaluate((j) => __adi.select(j), k);
      const err = await page.locator('#details .error').first().innerText();
      check(err.includes(want.errorText), 'SQL error in the details pane', err);
      const color = await page.locator('#details .error').first().evaluate((e) => getComputedStyle(e).color);
      check(color === 'rgb(255, 93, 93)', 'the error is red', color);
    }
    // an unknown kind still shows all its fields
    if (want.unknownKind) {
      const k = await page.evaluate((kind) => __adi.find(kind, 0), want.unknownKind);
      await page.evaluate((j) => __adi.select(j), k);
      const txt = await page.locator('#details').innerText();
      check(txt.includes(want.unknownField), 'unknown kind shown as JSON', txt.slice(0, 200));
    }
    // the summary tab: counts per kind, dropped
    await page.click('#tab-summary');
    const counts = await page.locator('#kind-counts').innerText();
    out.summary = counts.split('\n').length;
    check(counts.includes('sql_query'), 'summary counts per kind', counts);
    // slowest operations: durations and kinds are never broken mid-word,
    // even in a narrow window where the "what" column squeezes them
    await page.setViewportSize({ width: 900, height: 900 });
    await nextFrame();
    const cells = await page.locator('#slowest tr td.nw').evaluateAll((tds) => tds.map((td) => ({
      text: td.textContent, ws: getComputedStyle(td).whiteSpace,
      lines: (() => { const r = document.createRange(); r.selectNodeContents(td); return r.getClientRects().length; })(),
    })));
    out.slowest = cells.length;
    check(cells.length >= 4, 'slowest operations listed', cells);
    for (const c of cells) check(c.ws === 'nowrap' && c.lines <= 1, 'a duration or kind on one line', c);
    // the runtime's failed open is no error of the program's
    const errs = await page.locator('#summary').innerText();
    check(!errs.includes('libz.so.1'), 'hidden runtime events are not among the errors', errs.slice(0, 300));
    check(errors.length === 0, 'no script errors on the page', errors);
    out.screenshot = shot;
    console.log(JSON.stringify(out));
  } finally {
    await browser.close();
  }
})().catch((e) => {
  if (!process.exitCode) console.error('FAIL: ' + (e && e.stack || e));
  process.exitCode = 1;
});
