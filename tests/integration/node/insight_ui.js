// insight_ui.js - the web UI's request waterfall and Insights tab in a real
// browser (Debian's chromium, never a downloaded one, driven by
// playwright-core). Run by tests/integration/test_insight.py:
//   node insight_ui.js URL INDEX SCREENSHOT_PATH
// Selects the event at INDEX in the trace (a request), reads its waterfall,
// follows a row to the query, opens Insights; prints one JSON line of what
// it saw.
'use strict';
const { chromium } = require('playwright-core');

const [url, index, shot] = process.argv.slice(2);

(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const out = { errors: [] };
  try {
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    page.on('pageerror', (e) => out.errors.push(String(e)));
    await page.goto(url);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
    await page.evaluate((i) => window.__adi.select(i), Number(index));
    out.rows = await page.$$eval('#waterfall .wf-row', (rs) => rs.map((r) => r.innerText.replace(/\s+/g, ' ').trim()));
    // a row is a link: the first query's row (after the request, its
    // connect and login) selects that query
    await page.click('#waterfall .wf-row:nth-child(4)');
    out.selected = await page.$eval('#details h2', (e) => e.textContent);
    out.partOf = await page.$eval('#details', (e) => /part of request/i.test(e.innerText));
    await page.click('#tab-insights');
    await page.waitForFunction(() => document.querySelector('#insights h2'), null, { timeout: 30000 });
    out.insights = await page.$eval('#insights', (e) => e.innerText);
    await page.screenshot({ path: shot });
  } catch (e) {
    out.fatal = String(e);
  }
  console.log(JSON.stringify(out));
  await browser.close();
})();
