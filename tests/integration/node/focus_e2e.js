// focus_e2e.js - the web page's focus switch (docs/ui.md) in a real browser
// (Debian's chromium, playwright-core). Run by tests/integration/test_focus.py:
//   node focus_e2e.js URL EXPECT_JSON
// EXPECT_JSON: {"on": bool (the switch as the page starts), "folded": n (file
// events it leaves out then), "shownOn": n, "shownOff": n (events listed with
// the switch on and off)}. Prints what it measured; exits 1 on a mismatch.
'use strict';
const { chromium } = require('playwright-core');

const [url, expectJson] = process.argv.slice(2);
const want = JSON.parse(expectJson);

(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const out = {};
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
    out.start = await page.evaluate(() => ({ ...__adi.focus(), shown: __adi.shown,
      checked: document.getElementById('f-focus').checked }));
    await page.click('#f-focus');
    out.toggled = await page.evaluate(() => ({ ...__adi.focus(), shown: __adi.shown,
      checked: document.getElementById('f-focus').checked }));
    out.status = await page.textContent('#status');
    out.errors = errors;
    console.log(JSON.stringify(out));
    const bad = [];
    if (out.start.on !== want.on || out.start.checked !== want.on) bad.push('switch as the page starts');
    if (out.start.folded !== want.folded) bad.push('events folded');
    if (out.start.shown !== (want.on ? want.shownOn : want.shownOff)) bad.push('events listed at start');
    if (out.toggled.on === want.on) bad.push('the switch did not toggle');
    if (out.toggled.shown !== (want.on ? want.shownOff : want.shownOn)) bad.push('events listed after the toggle');
    if (errors.length) bad.push('page errors');
    if (bad.length) {
      console.error('FAIL: ' + bad.join(', '));
      process.exitCode = 1;
    }
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error(e); process.exitCode = 1; });
