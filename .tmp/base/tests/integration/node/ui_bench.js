// ui_bench.js - time to open a trace in the web UI, in Debian's chromium
// (playwright-core, the harness of ui_e2e.js). Used by bench/ui.sh:
//   node ui_bench.js URL ROUNDS
// Prints one JSON line: per round the time from navigation to the page
// having loaded and drawn every event (body[data-ready]), the page's own
// count of that (performance.now() at ready), and the time of one full
// redraw after a zoom.
'use strict';
const { chromium } = require('playwright-core');

const [url, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg || 3);

(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const res = { open_ms: [], page_ms: [], redraw_ms: [], total: 0, drawn: 0 };
  try {
    for (let r = 0; r < rounds; r++) {
      const ctx = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
      const page = await ctx.newPage();
      const t0 = Date.now();
      await page.goto(url);
      await page.waitForSelector('body[data-ready="1"]', { timeout: 120000 });
      res.open_ms.push(Date.now() - t0);
      const st = await page.evaluate(() => ({ total: __adi.total, drawn: __adi.drawn, loadMs: __adi.loadMs }));
      res.page_ms.push(st.loadMs);
      res.total = st.total;
      res.drawn = st.drawn;
      // one zoom step at the middle, timed to the frame after the draw
      const box = await page.locator('#timeline').boundingBox();
      await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
      const ms = await page.evaluate(() => new Promise((ok) => {
        const t = performance.now();
        document.getElementById('timeline').dispatchEvent(new WheelEvent('wheel', { deltaY: -200, clientX: 900, clientY: 300, bubbles: true, cancelable: true }));
        requestAnimationFrame(() => requestAnimationFrame(() => ok(performance.now() - t)));
      }));
      res.redraw_ms.push(Math.round(ms));
      await ctx.close();
    }
    console.log(JSON.stringify(res));
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error(e); process.exitCode = 1; });
