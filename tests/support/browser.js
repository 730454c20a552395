// tests/support/browser.js - opens an HTML file in headless Chromium and
// reports what the rendered page shows, as one JSON object on stdout. Used by
// tests/report_browser_*_spec.lua, which make the assertions.
//
//   node tests/support/browser.js FILE OUTDIR [CHROMIUM] [once]
//
// It speaks the DevTools protocol over --remote-debugging-pipe (fd 3: our
// commands, fd 4: Chromium's answers and events, each message a JSON text
// ended by a NUL byte), so it needs nothing but Debian's nodejs: no npm
// package, no driver whose version must match the browser's, no port.
//
// For each width (1920, 1280, 768, 390 and 360 px) it loads the page and
// records: every
// chart's rendered size, the texts the spec compares with
// shoplive.summarize, the page's title, the images and scripts in the DOM,
// whether the page is wider than the window; and saves a screenshot of the
// first screen and of the whole page under OUTDIR. Each block's width
// against its box and the smallest text as drawn are recorded with every
// <details> closed and open; at 1280 and 390 px axe-core
// (tests/support/node_modules) checks the page both ways too. With print
// media emulated at the width of A4's printable area it records the charts' sizes
// again and saves a PDF. Throughout it counts console messages, exceptions
// and every network request other than the page's own file (and which of
// them Chromium blocked, and why). With "once" it loads the page at 1280 px
// only and records just that (what a spec about loads and the console needs:
// the widths, axe-core and print take most of a run's minutes).
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const [file, outDir, chromiumBin, mode] = process.argv.slice(2);
if (!file || !outDir) {
  process.stderr.write('usage: node browser.js FILE OUTDIR [CHROMIUM] [once]\n');
  process.exit(2);
}
const pageUrl = 'file://' + path.resolve(file);
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'shoplive-chromium-'));

// --no-sandbox only as root: the suite runs as root in CI containers, where
// Chromium refuses to start its setuid/namespace sandbox. The page under test
// is our own generated file, loaded from disk with every network load
// forbidden by its CSP.
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const args = [
  '--headless', ...(asRoot ? ['--no-sandbox'] : []), '--remote-debugging-pipe', '--user-data-dir=' + profile,
  '--disable-gpu', '--no-first-run', '--no-default-browser-check', '--disable-extensions',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-features=Translate,MediaRouter,OptimizationHints', '--hide-scrollbars', '--mute-audio',
  '--force-color-profile=srgb', '--font-render-hinting=none', 'about:blank',
];
const proc = spawn(chromiumBin || '/usr/bin/chromium', args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
let stderr = '';
proc.stdio[2].on('data', (d) => { if (stderr.length < 20000) stderr += d; });

let nextId = 1;
const pending = new Map();
const listeners = [];
let buf = Buffer.alloc(0);
proc.stdio[4].on('data', (chunk) => {
  buf = Buffer.concat([buf, chunk]);
  let end;
  while ((end = buf.indexOf(0)) >= 0) {
    const msg = JSON.parse(buf.subarray(0, end).toString('utf8'));
    buf = buf.subarray(end + 1);
    if (msg.id && pending.has(msg.id)) {
      const { resolve, reject, method } = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) reject(new Error(method + ': ' + JSON.stringify(msg.error)));
      else resolve(msg.result);
    } else if (msg.method) {
      for (const l of listeners) l(msg);
    }
  }
});

function send(method, params, sessionId) {
  const id = nextId++;
  const msg = { id, method, params: params || {} };
  if (sessionId) msg.sessionId = sessionId;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, method });
    proc.stdio[3].write(JSON.stringify(msg) + '\0');
  });
}

function waitFor(pred, ms, what) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timed out waiting for ' + what)), ms);
    listeners.push((m) => { if (pred(m)) { clearTimeout(t); resolve(m); } });
  });
}

const result = { console: [], exceptions: [], log: [], requests: [], blocked: [], widths: {}, print: null, axe: {} };
// axe-core (npm, installed by tools/install-deps into tests/support/node_modules)
const axePath = path.join(__dirname, 'node_modules', 'axe-core', 'axe.min.js');
const axeSource = fs.existsSync(axePath) ? fs.readFileSync(axePath, 'utf8') : null;
const urls = new Map();

// Runs in the page (DevTools evaluation is not subject to the page's CSP).
const PROBE = `(() => {
  const text = (el) => el ? el.textContent : null;
  const charts = [...document.querySelectorAll('svg.chart')].map((s) => {
    const r = s.getBoundingClientRect();
    const fig = s.closest('figure');
    return { id: fig ? fig.id : null, width: r.width, height: r.height, marks: s.querySelectorAll('rect,circle').length };
  });
  const cards = [...document.querySelectorAll('article.card')].map((c) => ({
    seller: c.dataset.seller,
    count: text(c.querySelector('.v-count')), hours: text(c.querySelector('.v-hours')),
    views: text(c.querySelector('.v-views')), sales: text(c.querySelector('.v-sales')),
    empty: !!c.querySelector('.empty'),
    regions: [...c.querySelectorAll('tbody tr')].map((tr) => ({
      region: text(tr.querySelector('.v-region')), gmv: text(tr.querySelector('.v-gmv')) })),
  }));
  // the top tables: per region heading, the cells of each row
  const tops = [...document.querySelectorAll('#top h3')].map((h) => {
    const t = h.nextElementSibling;
    return { region: h.textContent, rank: h.closest('section').dataset.rank,
      rows: t ? [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent)) : [] };
  });
  // every block of the page: is it wider than its box?
  const blocks = [...document.querySelectorAll('header.top, nav.toc, main > section, footer')].map((el) => ({
    id: el.id || el.tagName.toLowerCase(), scrollWidth: el.scrollWidth, clientWidth: el.clientWidth }));
  // the smallest text as drawn: CSS font size, times the scale of an SVG
  let minFont = null;
  const consider = (el, px) => {
    if (!minFont || px < minFont.px) {
      minFont = { px, tag: el.tagName, text: el.textContent.slice(0, 40), id: (el.closest('[id]') || {}).id };
    }
  };
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg') && el.tagName !== 'text') continue;
    const hasText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim() !== '');
    if (!hasText || el.getClientRects().length === 0) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    const svg = el.closest('svg');
    if (svg) {
      const m = svg.getScreenCTM();
      consider(el, size * (m ? Math.hypot(m.a, m.b) : 1));
    } else if (el.tagName !== 'TITLE') {
      consider(el, size);
    }
  }
  return {
    blocks, minFont,
    title: document.title, h1: text(document.querySelector('h1')),
    livestreams: text(document.getElementById('h-livestreams')), hours: text(document.getElementById('h-hours')),
    credits: text(document.getElementById('h-credits')), shops: text(document.getElementById('h-shops')),
    images: document.images.length, scripts: document.scripts.length,
    iframes: document.querySelectorAll('iframe,object,embed,link[rel=stylesheet]').length,
    scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth,
    scrollHeight: document.documentElement.scrollHeight,
    sections: [...document.querySelectorAll('main > section')].map((s) => s.id),
    details: document.querySelectorAll('figure details table').length,
    figures: document.querySelectorAll('figure').length,
    charts, cards, tops,
  };
})()`;

const OPEN_ALL = "document.querySelectorAll('details').forEach((d) => { d.open = true; })";

// axe-core's checks (every rule it runs by default) on the page as it is:
// the violations, each { id, impact, help, nodes: count, targets: the first 5 }.
async function axe(sessionId) {
  if (!axeSource) return { error: 'axe-core is not installed: ' + axePath + ' (run tools/install-deps)' };
  await send('Runtime.evaluate', { expression: axeSource }, sessionId);
  const r = await send('Runtime.evaluate', {
    expression: `axe.run(document, { resultTypes: ['violations'] }).then((res) => res.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
      targets: v.nodes.slice(0, 5).map((n) => String(n.target) + ' ' + (n.failureSummary || '').slice(0, 200)) })))`,
    awaitPromise: true, returnByValue: true }, sessionId);
  if (r.exceptionDetails) return { error: JSON.stringify(r.exceptionDetails).slice(0, 500) };
  return { violations: r.result.value };
}

async function probe(sessionId) {
  const r = await send('Runtime.evaluate', { expression: PROBE, returnByValue: true }, sessionId);
  if (r.exceptionDetails) throw new Error('probe failed: ' + JSON.stringify(r.exceptionDetails));
  return r.result.value;
}

async function load(sessionId, width, height, mobile) {
  await send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile }, sessionId);
  const loaded = waitFor((m) => m.method === 'Page.loadEventFired' && m.sessionId === sessionId, 30000, 'load');
  await send('Page.navigate', { url: pageUrl }, sessionId);
  await loaded;
}

async function shot(sessionId, name, clip) {
  const params = { format: 'png' };
  if (clip) { params.clip = clip; params.captureBeyondViewport = true; }
  const r = await send('Page.captureScreenshot', params, sessionId);
  fs.writeFileSync(path.join(outDir, name), Buffer.from(r.data, 'base64'));
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  listeners.push((m) => {
    const p = m.params || {};
    if (m.method === 'Runtime.consoleAPICalled') {
      result.console.push({ type: p.type, text: (p.args || []).map((a) => a.value).join(' ') });
    } else if (m.method === 'Runtime.exceptionThrown') {
      result.exceptions.push(p.exceptionDetails && p.exceptionDetails.text);
    } else if (m.method === 'Log.entryAdded') {
      result.log.push({ level: p.entry.level, source: p.entry.source, text: p.entry.text });
    } else if (m.method === 'Network.requestWillBeSent') {
      const u = p.request.url;
      if (u !== pageUrl && !u.startsWith('data:')) { result.requests.push(u); urls.set(p.requestId, u); }
    } else if (m.method === 'Network.loadingFailed' && urls.has(p.requestId)) {
      result.blocked.push({ url: urls.get(p.requestId), reason: p.blockedReason || p.errorText });
    }
  });
  const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
  for (const d of ['Page', 'Runtime', 'Log', 'Network']) await send(d + '.enable', {}, sessionId);
  if (mode === 'once') {
    await load(sessionId, 1280, 900, false);
    result.widths[1280] = await probe(sessionId);
    await send('Target.closeTarget', { targetId });
    return;
  }

  for (const [width, height, mobile] of [[1280, 900, false], [1920, 1080, false], [768, 1024, true], [390, 844, true],
    [360, 740, true]]) {
    await load(sessionId, width, height, mobile);
    const p = await probe(sessionId);
    result.widths[width] = p;
    // with every <details> open too: the data tables' layout and fonts
    await send('Runtime.evaluate', { expression: OPEN_ALL }, sessionId);
    p.open = await probe(sessionId);
    if (width === 1280 || width === 390) {
      await load(sessionId, width, height, mobile);
      result.axe[width] = { closed: await axe(sessionId) };
      await send('Runtime.evaluate', { expression: OPEN_ALL }, sessionId);
      result.axe[width].open = await axe(sessionId);
      await load(sessionId, width, height, mobile);
    }
    if (width !== 1280 && width !== 390) continue;
    await shot(sessionId, `report-${width}.png`);
    await shot(sessionId, `report-${width}-top.png`, { x: 0, y: 0, width, height: Math.min(p.scrollHeight, 2000), scale: 1 });
    await shot(sessionId, `report-${width}-full.png`, { x: 0, y: 0, width, height: Math.min(p.scrollHeight, 16000), scale: 1 });
  }

  // A4 is 210 mm wide; the report's @page margins are 12 mm: 186 mm = 703 CSS px.
  await send('Emulation.setEmulatedMedia', { media: 'print' }, sessionId);
  await load(sessionId, 703, 1000, false);
  result.print = await probe(sessionId);
  await send('Emulation.setEmulatedMedia', { media: '' }, sessionId);
  const pdf = await send('Page.printToPDF', { paperWidth: 8.27, paperHeight: 11.69, preferCSSPageSize: true }, sessionId);
  const bytes = Buffer.from(pdf.data, 'base64');
  fs.writeFileSync(path.join(outDir, 'report.pdf'), bytes);
  result.pdf_pages = (bytes.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;

  await send('Target.closeTarget', { targetId });
}

let exitCode = 0;
main().catch((e) => {
  result.error = String(e && e.stack || e);
  result.chromium_stderr = stderr;
  exitCode = 1;
}).finally(() => {
  process.stdout.write(JSON.stringify(result) + '\n');
  const done = () => {
    fs.rmSync(profile, { recursive: true, force: true });
    process.exit(exitCode);
  };
  proc.once('exit', done);
  send('Browser.close').catch(() => {});
  // Should Chromium not close on request, end it: the spec must not hang.
  setTimeout(() => { proc.kill('SIGKILL'); }, 5000).unref();
});
