/* adi-profiler web UI (docs/ui.md): one page over the events of one trace
 * (docs/events.md). A canvas timeline (a lane per process and per connection,
 * zoom and pan), a virtualized list, filters, a details pane with a
 * renderer per kind (any other kind is shown as JSON) with a request's
 * waterfall (its work, by parent_id), a summary, and the server's insight
 * report (endpoints, queries, N+1 findings, errors).
 * Event data is untrusted (it is what programs sent): it only ever reaches
 * the page as textContent, never as markup.
 * For tests and benchmarks, window.__adi holds the counts (events loaded,
 * shown after filters, drawn in the last frame) and load timing; the canvas
 * carries the same as data-* attributes and body gets data-ready="1". */
'use strict';

(function () {
  const TOKEN = new URLSearchParams(location.search).get('token') || '';
  const PAGE = 20000;          // events per /api/events request
  const LANE_H = 18, BAR_H = 12, AXIS_H = 22, GUTTER = 230;
  const ROW_H = 22;

  // ---- state ----
  const S = {
    events: [],        // every event, in trace order
    shown: [],         // indices of events passing the filters (trace order)
    lanes: [],         // {key, label, sub, ev: [indices sorted by ts], maxDur}
    laneOf: new Map(), // lane key -> lane
    kinds: new Map(),  // kind -> count
    off: new Set(),    // kinds switched off
    pids: null,        // Set of pids, or null
    showRuntime: false, // the runtime's own file events (events.md `runtime`)
    runtime: 0,        // how many there are
    focus: false,      // fold the file events of processes out of focus
    focusTouched: false, // the switch was used: auto no longer decides
    folded: 0,         // file events the focus leaves out
    procs: new Map(),  // pid -> {net, focus}: the focus rule (cli.md "Focus")
    globs: [],         // --focus, as RegExps
    baseSecMs: 0,      // wall clock of the first event: its second (ms since
    baseFrac: 0,       // the epoch) and the ns past it, from its timestamp
    text: '',
    t0: 0, t1: 1,      // trace extent (ns relative to base), for Fit
    base: null,        // ts_ns of the first event (Number)
    v0: 0, v1: 1,      // visible time window (relative ns)
    scrollY: 0,        // lanes scrolled (px)
    sel: -1,
    summary: null,     // the trace_summary event
    byId: new Map(),   // event id -> index
    kids: new Map(),   // request id -> indices of the work naming it (parent_id)
    maybe: new Map(),  // request id -> indices of work that may be its ("ambiguous")
    info: {},
    live: false, ended: false,
    follow: true,
    dirty: true,
  };
  const stats = { total: 0, shown: 0, drawn: 0, loadMs: null, ready: false, axis: [] };
  window.__adi = stats;

  const $ = (id) => document.getElementById(id);
  const canvas = $('timeline'), ctx = canvas.getContext('2d');

  // ---- small helpers ----
  function h(tag, props, ...kids) {
    const e = document.createElement(tag);
    if (props) for (const k in props) {
      if (k === 'class') e.className = props[k];
      else if (k === 'on') for (const ev in props.on) e.addEventListener(ev, props.on[ev]);
      else if (k === 'text') e.textContent = props[k];
      else e.setAttribute(k, props[k]);
    }
    for (const c of kids) {
      if (c == null || c === false) continue;
      e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return e;
  }
  const api = (path, params) => {
    const q = new URLSearchParams(Object.assign({ token: TOKEN }, params || {}));
    return path + '?' + q.toString();
  };
  function fmtMs(ms) {
    if (ms == null) return '';
    if (ms >= 1000) return (ms / 1000).toFixed(2) + ' s';
    if (ms >= 10) return ms.toFixed(1);
    return ms.toFixed(3);
  }
  function fmtBytes(n) {
    if (typeof n !== 'number') return String(n);
    if (n < 1024) return n + ' B';
    if (n < 1048576) return (n / 1024).toFixed(1) + ' KiB';
    return (n / 1048576).toFixed(1) + ' MiB';
  }
  const clock = (ev) => (ev.timestamp || '').slice(11, 26); // HH:MM:SS.micro
  const isStr = (v) => typeof v === 'string';

  // ---- colours ----
  const KIND_COLOR = {
    process: '#b58cff', file: '#4fc3d9', connection: '#6b8cff', tcp_stream: '#8796b0',
    http_request: '#6fdc8c', grpc_call: '#41c9a3', sql_query: '#ffb347', redis_command: '#ff7a6b',
    mongo_command: '#9ccc65', dns_query: '#e3d36b', udp_datagram: '#a0a8c0', trace_summary: '#ffffff',
  };
  function kindColor(k) {
    if (KIND_COLOR[k]) return KIND_COLOR[k];
    let x = 0;
    for (let i = 0; i < k.length; i++) x = (x * 31 + k.charCodeAt(i)) >>> 0;
    return KIND_COLOR[k] = 'hsl(' + (x % 360) + ',65%,62%)';
  }

  // ---- what an event is about, in one line ----
  function isError(ev) {
    if (ev.error != null && ev.error !== false) return true;
    if (ev.kind === 'http_request' && typeof ev.status === 'number' && ev.status >= 500) return true;
    if (ev.kind === 'grpc_call' && typeof ev.status === 'number' && ev.status !== 0) return true;
    if (ev.kind === 'mongo_command' && ev.ok === false) return true;
    // an answer that says the name does not exist is still an answer
    if (ev.kind === 'dns_query' && (ev.unanswered || (ev.rcode && ev.rcode !== 'NOERROR' && ev.rcode !== 'NXDOMAIN'))) return true;
    if (ev.kind === 'process' && ev.op === 'exit' && (ev.signal != null || (ev.exit_code || 0) !== 0)) return true;
    return false;
  }
  function errText(e) {
    if (e == null) return '';
    if (isStr(e)) return e;
    if (typeof e === 'object' && (e.code || e.message)) return [e.code, e.message].filter(Boolean).join(' ');
    return JSON.stringify(e);
  }
  function connText(c) {
    if (!c) return '';
    return (c.transport || '?') + ' ' + (c.local || '?') + ' → ' + (c.remote || '?');
  }
  function summaryLine(ev) {
    const k = ev.kind;
    switch (k) {
      case 'http_request':
        return (ev.method || '?') + ' ' + (ev.host || '') + (ev.url || '') + ' → ' + (ev.status == null ? 'no response' : ev.status);
      case 'sql_query':
        return (ev.db || 'sql') + ': ' + (ev.sql || (ev.statement != null ? 'EXECUTE ' + ev.statement : '?')) +
          (ev.error ? '  ✖ ' + errText(ev.error) : ev.command_tag ? '  → ' + ev.command_tag : '');
      case 'redis_command':
        return (ev.command || '?') + ' ' + (Array.isArray(ev.args) ? ev.args.join(' ') : '') + (ev.error ? '  ✖ ' + ev.error : '');
      case 'mongo_command':
        return (ev.op || '?') + ' ' + (ev.database || '') + (ev.collection ? '.' + ev.collection : '') + (ev.error ? '  ✖ ' + ev.error : '');
      case 'grpc_call':
        return (ev.method || '?') + ' → ' + (ev.status == null ? 'no status' : 'status ' + ev.status);
      case 'dns_query': {
        const a = Array.isArray(ev.answers) ? ev.answers : [];
        return (ev.qtype || '?') + ' ' + (ev.name || '?') + ' → ' +
          (ev.rcode == null ? 'no response' : (a.length ? a.slice(0, 4).join(', ') + (a.length > 4 ? ' +' + (a.length - 4) + ' more' : '') + ' ' : '') + '(' + ev.rcode + ')') +
          (Array.isArray(ev.flags) && ev.flags.includes('TC') ? ' (TC)' : '') + (ev.retries ? ' retries ' + ev.retries : '');
      }
      case 'udp_datagram':
        return (ev.direction === 'in' ? 'in ' : 'out ') + connText(ev.conn) + ' (' + fmtBytes(ev.bytes) + ')' +
          (ev.truncated ? ' truncated' : '');
      case 'file': {
        let s = (ev.op || '?') + ' ' + (ev.path == null ? '(fd ' + ev.fd + ')' : ev.path);
        if (ev.new_path) s += ' → ' + ev.new_path;
        if (ev.op === 'read' || ev.op === 'write') s += ' (' + fmtBytes(ev.bytes) + (ev.ops > 1 ? ', ' + ev.ops + ' calls' : '') + ')';
        if (ev.error) s += '  ✖ ' + ev.error;
        return s;
      }
      case 'process':
        if (ev.op === 'exec') return 'exec ' + (Array.isArray(ev.argv) ? ev.argv.join(' ') : '') +
          (Array.isArray(ev.interpreter) ? ' (via ' + ev.interpreter.join(' ') + ')' : '');
        if (ev.op === 'fork') return 'fork from ' + ev.ppid;
        if (ev.op === 'exit') return 'exit ' + (ev.signal != null ? 'signal ' + ev.signal : ev.exit_code);
        return ev.op || '';
      case 'connection':
        return (ev.op || '?') + ' ' + connText(ev.conn) + (ev.error ? '  ✖ ' + ev.error : '');
      case 'tcp_stream':
        return 'tcp ' + connText(ev.conn) + ' out ' + fmtBytes(ev.bytes_out) + ' in ' + fmtBytes(ev.bytes_in) +
          (ev.protocol && ev.protocol !== 'unknown' ? ' (' + ev.protocol + ')' : '');
      case 'trace_summary':
        return 'summary: dropped ' + ev.dropped + ', truncated ' + ev.truncated;
      default: {
        const f = fieldsOf(ev);
        const s = JSON.stringify(f);
        return s.length > 200 ? s.slice(0, 200) + '…' : s;
      }
    }
  }
  const COMMON = new Set(['v', 'kind', 'timestamp', 'ts_ns', 'duration_ms', 'pid', 'tid', 'comm', 'cgroup_id', 'container', '_i', '_t', '_s', '_lane']);
  function fieldsOf(ev) {
    const f = {};
    for (const k in ev) if (!COMMON.has(k)) f[k] = ev[k];
    return f;
  }
  // what the text filter looks into: the one-line summary (URL, SQL, path,
  // command...), comm, and for kinds without a layout their fields
  function searchText(ev) {
    if (ev._s === undefined) {
      let s = ev.kind + ' ' + ev.comm + ' ' + summaryLine(ev);
      if (ev.kind === 'sql_query' && Array.isArray(ev.params)) s += ' ' + ev.params.join(' ');
      if (ev.kind === 'http_request' && isStr(ev.req_body)) s += ' ' + ev.req_body.slice(0, 512);
      ev._s = s.toLowerCase();
    }
    return ev._s;
  }

  // ---- adding events ----
  function addEvent(ev) {
    const i = S.events.length;
    ev._i = i;
    if (S.base === null && typeof ev.ts_ns === 'number') {
      S.base = ev.ts_ns;
      // the wall clock exactly, from the text (ts_ns as a Number is
      // rounded to 256 ns): the axis shows real times
      const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(ev.timestamp || '');
      if (m) {
        S.baseSecMs = Date.parse(m[1] + 'Z');
        S.baseFrac = m[2] ? Number(m[2].padEnd(9, '0')) : 0;
      } else {
        S.baseSecMs = Math.floor(ev.ts_ns / 1e9) * 1000;
        S.baseFrac = ev.ts_ns % 1e9;
      }
    }
    if (isRuntime(ev)) S.runtime++;
    trackProc(ev);
    ev._t = (ev.ts_ns || 0) - (S.base || 0);
    S.events.push(ev);
    S.kinds.set(ev.kind, (S.kinds.get(ev.kind) || 0) + 1);
    if (ev.kind === 'trace_summary') S.summary = ev;
    // request trees (docs/engine.md): the waterfall of a request is its work
    if (typeof ev.id === 'number') S.byId.set(ev.id, i);
    const put = (m, k) => { let a = m.get(k); if (!a) m.set(k, a = []); a.push(i); };
    if (typeof ev.parent_id === 'number') put(S.kids, ev.parent_id);
    else if (Array.isArray(ev.parent_candidates)) for (const c of ev.parent_candidates) put(S.maybe, c);
    S.dirty = true;
  }

  // ---- filters, lanes ----
  // the runtime's own file work (loader, locale, modules, /proc/self):
  // hidden unless asked for, as in the text timeline
  function isRuntime(ev) { return (ev.kind === 'file' || ev.kind === 'connection') && !!ev.runtime; }
  // the focus (as the text timeline's, but knowing the whole trace): a
  // process is in focus when it used the network (TCP, UDP or a decoded
  // protocol), or it (or the process that started it) matches --focus
  function globRe(g) {
    let r = '';
    for (let i = 0; i < g.length; i++) {
      const c = g[i];
      if (c === '*') r += '.*';
      else if (c === '?') r += '.';
      else if (c === '[') {
        const j = g.indexOf(']', i + 2);
        if (j < 0) { r += '\\['; continue; }
        let cls = g.slice(i + 1, j).replace(/\\/g, '\\\\');
        if (cls[0] === '!') cls = '^' + cls.slice(1);
        r += '[' + cls + ']';
        i = j;
      } else r += c.replace(/[.+^${}()|\\]/g, '\\$&');
    }
    return new RegExp('^' + r + '$');
  }
  function matchesFocus(s) {
    if (!isStr(s) || !s) return false;
    const base = s.slice(s.lastIndexOf('/') + 1);
    return S.globs.some((re) => re.test(s) || re.test(base));
  }
  function proc(pid) {
    let p = S.procs.get(pid);
    if (!p) S.procs.set(pid, p = { net: false, focus: false });
    return p;
  }
  function isNet(ev) {
    switch (ev.kind) {
      case 'file': case 'process': case 'trace_summary': return false;
      case 'connection': case 'tcp_stream': case 'udp_datagram': {
        const t = ev.conn && ev.conn.transport;
        return t === 'tcp' || t === 'udp';
      }
      default: return true;
    }
  }
  function trackProc(ev) {
    if (!ev.pid) return;
    if (ev.kind === 'process') {
      const p = proc(ev.pid), parent = S.procs.get(ev.ppid);
      if (ev.op === 'fork') p.focus = !!(parent && parent.focus);
      if (ev.op === 'exec' && S.globs.length && !p.focus) {
        p.focus = matchesFocus(ev.comm) || matchesFocus(ev.filename) ||
          (Array.isArray(ev.argv) && matchesFocus(ev.argv[0]));
      }
    } else if (isNet(ev)) proc(ev.pid).net = true;
  }
  function inFocus(pid) {
    const p = S.procs.get(pid);
    return !!p && (p.net || p.focus);
  }
  function folded(ev) {
    return S.focus && ev.kind === 'file' && !isRuntime(ev) && !inFocus(ev.pid);
  }
  // "auto": on once the trace would show more than info.focus.above events
  function autoFocus() {
    const f = S.info.focus || {};
    if (S.focusTouched || f.mode !== 'auto' || S.focus) return;
    const shown = S.events.length - S.runtime - (S.summary ? 1 : 0);
    if (shown > (f.above || 1000)) {
      S.focus = true;
      $('f-focus').checked = true;
      S.dirty = true;
    }
  }
  function passes(ev) {
    if (S.off.has(ev.kind)) return false;
    if (!S.showRuntime && isRuntime(ev)) return false;
    if (folded(ev)) { S.folded++; return false; }
    if (S.pids && !S.pids.has(ev.pid)) return false;
    if (S.text && searchText(ev).indexOf(S.text) < 0) return false;
    return true;
  }
  function laneKey(ev) {
    const c = ev.conn;
    if (c && typeof c === 'object' && c.id != null) return 'c' + c.id;
    return 'p' + ev.pid;
  }
  function rebuild() {
    const shown = [], lanes = new Map(), order = [];
    S.folded = 0;
    let t0 = Infinity, t1 = -Infinity;
    for (const ev of S.events) {
      if (!passes(ev)) continue;
      shown.push(ev._i);
      if (ev.kind === 'trace_summary') continue; // the summary tab shows it
      const key = laneKey(ev);
      let L = lanes.get(key);
      if (!L) {
        L = { key, ev: [], maxDur: 0, pid: ev.pid, comm: ev.comm, conn: key[0] === 'c' ? ev.conn : null, first: ev._t };
        lanes.set(key, L);
        order.push(L);
      }
      if (!L.conn && ev.kind === 'process' && ev.op === 'exec') L.comm = ev.comm;
      if (L.conn && !L.proto) {
        const p = protoOf(ev);
        if (p) { L.proto = p[0]; L.detail = p[1]; }
      }
      L.ev.push(ev._i);
      const d = ev.duration_ms > 0 ? ev.duration_ms * 1e6 : 0;
      if (d > L.maxDur) L.maxDur = d;
      if (ev._t < t0) t0 = ev._t;
      if (ev._t + d > t1) t1 = ev._t + d;
    }
    // a process's connections right below it
    const procs = order.filter((L) => !L.conn), byPid = new Map();
    for (const L of order) if (L.conn) {
      if (!byPid.has(L.pid)) byPid.set(L.pid, []);
      byPid.get(L.pid).push(L);
    }
    const out = [];
    for (const P of procs) {
      out.push(P);
      for (const C of byPid.get(P.pid) || []) out.push(C);
      byPid.delete(P.pid);
    }
    for (const rest of byPid.values()) out.push(...rest);
    for (const L of out) {
      // events sorted by start inside a lane (the trace is; a live one too)
      L.ev.sort((a, b) => S.events[a]._t - S.events[b]._t || a - b);
      if (L.conn) {
        // what it is before where it goes: "postgres shop @127.0.0.1:5432"
        L.label = (L.proto || L.conn.transport || 'conn') + (L.detail ? ' ' + L.detail : '') +
          (L.conn.role === 'server' ? ' from ' : ' @') + (L.conn.remote || '?');
        L.sub = true;
      } else {
        L.label = 'PID ' + L.pid + ' ' + (L.comm || '');
      }
    }
    S.shown = shown;
    S.lanes = out;
    S.laneOf = new Map(out.map((L) => [L.key, L]));
    if (t0 === Infinity) { t0 = 0; t1 = 1e6; }
    if (t1 <= t0) t1 = t0 + 1e6;
    S.t0 = t0; S.t1 = t1;
    stats.total = S.events.length;
    stats.shown = shown.length;
    S.dirty = false;
    buildKindChips();
    renderList(true);
    updateStatus();
  }

  // A connection lane's protocol and what it talks to (a database, a
  // host), from one of its events; null for events that do not say.
  function protoOf(ev) {
    switch (ev.kind) {
      case 'http_request': return [ev.version === '2' ? 'http2' : 'http', isStr(ev.host) ? ev.host : ''];
      case 'grpc_call': return ['grpc', isStr(ev.authority) ? ev.authority : ''];
      case 'sql_query': case 'db_session': return [ev.db || 'sql', isStr(ev.database) ? ev.database : ''];
      case 'redis_command': return ['redis', ''];
      case 'mongo_command': return ['mongo', isStr(ev.database) ? ev.database : ''];
      case 'dns_query': return ['dns', ''];
      case 'udp_datagram': return [ev.conn && ev.conn.transport === 'udp' ? 'udp' : 'dgram', ''];
      case 'tcp_stream': return ev.protocol && ev.protocol !== 'unknown' ? [ev.protocol, ''] : null;
      default: return null;
    }
  }

  // ---- kind chips ----
  function buildKindChips() {
    const nav = $('kinds');
    const kinds = [...S.kinds.keys()].sort();
    if (nav.dataset.kinds === kinds.join(',')) {
      for (const chip of nav.children) chip.querySelector('.n').textContent = S.kinds.get(chip.dataset.kind);
      return;
    }
    nav.dataset.kinds = kinds.join(',');
    nav.textContent = '';
    for (const k of kinds) {
      const sw = h('span', { class: 'sw' });
      sw.style.background = kindColor(k);
      const chip = h('span', { class: 'chip' + (S.off.has(k) ? ' off' : ''), 'data-kind': k, title: 'click: show/hide; double-click: only this kind' },
        sw, k, h('span', { class: 'n', text: String(S.kinds.get(k)) }));
      chip.addEventListener('click', () => {
        if (S.off.has(k)) S.off.delete(k); else S.off.add(k);
        chip.classList.toggle('off', S.off.has(k));
        rebuild(); draw();
      });
      chip.addEventListener('dblclick', () => {
        S.off = new Set(kinds.filter((x) => x !== k));
        for (const c of nav.children) c.classList.toggle('off', S.off.has(c.dataset.kind));
        rebuild(); draw();
      });
      nav.appendChild(chip);
    }
  }

  // ---- timeline ----
  let W = 0, H = 0, dpr = 1;
  function resize() {
    const r = canvas.getBoundingClientRect();
    dpr = window.devicePixelRatio || 1;
    W = Math.max(100, r.width); H = Math.max(60, r.height);
    canvas.width = Math.round(W * dpr); canvas.height = Math.round(H * dpr);
    draw();
  }
  const plotW = () => W - GUTTER;
  const xOf = (t) => GUTTER + (t - S.v0) / (S.v1 - S.v0) * plotW();
  const tOf = (x) => S.v0 + (x - GUTTER) / plotW() * (S.v1 - S.v0);
  function fit() {
    const pad = (S.t1 - S.t0) * 0.02;
    S.v0 = S.t0 - pad; S.v1 = S.t1 + pad;
    S.scrollY = 0;
  }
  function clampScroll() {
    const max = Math.max(0, S.lanes.length * LANE_H - (H - AXIS_H));
    S.scrollY = Math.min(Math.max(0, S.scrollY), max);
  }
  // first index in lane L whose event may reach t (start >= t - maxDur)
  function firstFrom(L, t) {
    let lo = 0, hi = L.ev.length;
    const from = t - L.maxDur;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (S.events[L.ev[m]]._t < from) lo = m + 1; else hi = m;
    }
    return lo;
  }
  const pad2 = (n) => (n < 10 ? '0' : '') + n;
  // The wall clock (local time) at t, to the precision the step needs.
  function wallLabel(t, step) {
    const ns = S.baseFrac + t, sec = Math.floor(ns / 1e9);
    const d = new Date(S.baseSecMs + sec * 1000);
    let s = pad2(d.getHours()) + ':' + pad2(d.getMinutes()) + ':' + pad2(d.getSeconds());
    const digits = step >= 1e9 ? 0 : step >= 1e6 ? 3 : step >= 1e3 ? 6 : 9;
    if (digits) s += '.' + String(Math.floor(ns - sec * 1e9)).padStart(9, '0').slice(0, digits);
    return s;
  }
  function niceStep(span, px) {
    const raw = span / Math.max(1, px / 110);
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
    return 10 * p;
  }
  let drawQueued = false;
  function draw() {
    if (drawQueued) return;
    drawQueued = true;
    requestAnimationFrame(() => { drawQueued = false; drawNow(); });
  }
  function drawNow() {
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#15171c';
    ctx.fillRect(0, 0, W, H);
    clampScroll();
    const span = S.v1 - S.v0, pw = plotW();
    // axis
    ctx.fillStyle = '#1c1f26';
    ctx.fillRect(0, 0, W, AXIS_H);
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    const step = niceStep(span, pw);
    ctx.strokeStyle = '#262b35';
    ctx.fillStyle = '#8a93a6';
    ctx.beginPath();
    // ticks on round wall-clock times (aligned within the hour), labelled
    // with the local time; the day in the gutter's corner
    const off = (S.baseSecMs / 1000 % 3600) * 1e9 + S.baseFrac;
    const labels = [];
    for (let t = Math.ceil((S.v0 + off) / step) * step - off; t <= S.v1; t += step) {
      const x = Math.round(xOf(t)) + 0.5;
      if (x < GUTTER) continue;
      ctx.moveTo(x, AXIS_H); ctx.lineTo(x, H);
      const label = wallLabel(t, step);
      labels.push(label);
      ctx.fillText(label, x + 3, AXIS_H / 2);
    }
    ctx.stroke();
    stats.axis = labels;
    // lanes
    let drawn = 0;
    const first = Math.floor(S.scrollY / LANE_H);
    const last = Math.min(S.lanes.length, Math.ceil((S.scrollY + H - AXIS_H) / LANE_H));
    const nsPerPx = span / pw;
    let selRect = null;
    for (let li = first; li < last; li++) {
      const L = S.lanes[li];
      const y = AXIS_H + li * LANE_H - S.scrollY;
      if (li % 2) { ctx.fillStyle = '#181b21'; ctx.fillRect(GUTTER, y, pw, LANE_H); }
      const by = y + (LANE_H - BAR_H) / 2;
      let color = null;
      // bars narrower than a pixel pile up: draw one per pixel column per
      // colour, count them all
      let lastX = -1, lastColor = null;
      for (let j = firstFrom(L, S.v0); j < L.ev.length; j++) {
        const ev = S.events[L.ev[j]];
        if (ev._t > S.v1) break;
        const d = ev.duration_ms > 0 ? ev.duration_ms * 1e6 : 0;
        if (ev._t + d < S.v0) continue;
        drawn++;
        const x = (ev._t - S.v0) / nsPerPx + GUTTER;
        const w = Math.max(d / nsPerPx, 2);
        const c = kindColor(ev.kind);
        if (ev._i === S.sel) selRect = [x, by, w];
        if (w <= 2 && (x | 0) === lastX && c === lastColor) continue;
        if (c !== color) { ctx.fillStyle = color = c; }
        ctx.fillRect(x < GUTTER ? GUTTER : x, by, x < GUTTER ? w - (GUTTER - x) : w, BAR_H);
        if (isError(ev)) {
          ctx.fillStyle = '#ff5d5d';
          ctx.fillRect(x < GUTTER ? GUTTER : x, by + BAR_H - 3, Math.max(2, x < GUTTER ? w - (GUTTER - x) : w), 3);
          color = '#ff5d5d';
        }
        lastX = x | 0; lastColor = c;
      }
    }
    if (selRect) {
      ctx.strokeStyle = '#ffd24a'; ctx.lineWidth = 2;
      ctx.strokeRect(Math.max(GUTTER, selRect[0]) - 1, selRect[1] - 1, selRect[2] + 2, BAR_H + 2);
      ctx.lineWidth = 1;
    }
    // gutter with lane names, over the bars
    ctx.fillStyle = '#1c1f26';
    ctx.fillRect(0, AXIS_H, GUTTER, H - AXIS_H);
    ctx.font = '12px system-ui, sans-serif';
    for (let li = first; li < last; li++) {
      const L = S.lanes[li];
      const y = AXIS_H + li * LANE_H - S.scrollY + LANE_H / 2;
      ctx.fillStyle = L.conn ? '#8a93a6' : '#d9dde5';
      const label = (L.sub ? '   ' : '') + L.label;
      ctx.fillText(label.length > 36 ? label.slice(0, 35) + '…' : label, 6, y);
    }
    if (S.base !== null) {
      const day = new Date(S.baseSecMs);
      ctx.fillStyle = '#8a93a6';
      ctx.font = '11px system-ui, sans-serif';
      ctx.fillText(day.getFullYear() + '-' + pad2(day.getMonth() + 1) + '-' + pad2(day.getDate()) + ' (local time)', 6, AXIS_H / 2);
    }
    ctx.strokeStyle = '#2c313c';
    ctx.beginPath(); ctx.moveTo(GUTTER + 0.5, 0); ctx.lineTo(GUTTER + 0.5, H); ctx.stroke();
    if (!S.lanes.length) {
      ctx.fillStyle = '#8a93a6';
      ctx.fillText(S.events.length ? 'no event matches the filters' : 'no events yet', GUTTER + 12, AXIS_H + 20);
    }
    stats.drawn = drawn;
    canvas.dataset.drawn = drawn;
    canvas.dataset.shown = stats.shown;
    canvas.dataset.total = stats.total;
    canvas.dataset.lanes = S.lanes.length;
  }

  // the event under (x, y) on the canvas, or -1
  function hit(x, y) {
    if (x < GUTTER || y < AXIS_H) return -1;
    const li = Math.floor((y - AXIS_H + S.scrollY) / LANE_H);
    const L = S.lanes[li];
    if (!L) return -1;
    const t = tOf(x), slack = 3 * (S.v1 - S.v0) / plotW();
    let best = -1, bestD = Infinity;
    for (let j = firstFrom(L, t - slack); j < L.ev.length; j++) {
      const ev = S.events[L.ev[j]];
      if (ev._t > t + slack) break;
      const d = ev.duration_ms > 0 ? ev.duration_ms * 1e6 : 0;
      const dist = t < ev._t ? ev._t - t : t > ev._t + d ? t - ev._t - d : 0;
      if (dist <= slack && dist <= bestD) { best = ev._i; bestD = dist; }
    }
    return best;
  }
  // where event i is drawn (canvas CSS pixels), scrolling its lane into view
  function locate(i) {
    const ev = S.events[i];
    if (!ev) return null;
    const L = S.laneOf.get(laneKey(ev));
    if (!L) return null;
    const li = S.lanes.indexOf(L);
    if (li * LANE_H < S.scrollY || (li + 1) * LANE_H > S.scrollY + H - AXIS_H) {
      S.scrollY = li * LANE_H - (H - AXIS_H) / 3;
      clampScroll();
      drawNow();
    }
    const d = ev.duration_ms > 0 ? ev.duration_ms * 1e6 : 0;
    const x0 = Math.max(GUTTER, xOf(ev._t)), x1 = Math.min(W, xOf(ev._t + d));
    return { x: Math.min(x0 + Math.max(1, (x1 - x0) / 2), W - 1), y: AXIS_H + li * LANE_H - S.scrollY + LANE_H / 2 };
  }

  let drag = null;
  canvas.addEventListener('mousedown', (e) => {
    drag = { x: e.offsetX, y: e.offsetY, v0: S.v0, v1: S.v1, sy: S.scrollY, moved: false };
    canvas.classList.add('drag');
  });
  window.addEventListener('mouseup', (e) => {
    if (!drag) return;
    canvas.classList.remove('drag');
    const d = drag;
    drag = null;
    if (!d.moved && e.target === canvas) {
      const i = hit(e.offsetX, e.offsetY);
      if (i >= 0) select(i, true);
    }
  });
  canvas.addEventListener('mousemove', (e) => {
    if (drag) {
      const dx = e.offsetX - drag.x, dy = e.offsetY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      if (drag.moved) {
        const dt = dx / plotW() * (drag.v1 - drag.v0);
        S.v0 = drag.v0 - dt; S.v1 = drag.v1 - dt;
        S.scrollY = drag.sy - dy;
        setFollow(false);
        $('tip').hidden = true;
        draw();
      }
      return;
    }
    const i = hit(e.offsetX, e.offsetY), tip = $('tip');
    if (i < 0) { tip.hidden = true; return; }
    const ev = S.events[i];
    tip.textContent = ev.kind + '  ' + clock(ev) + (ev.duration_ms != null ? '  ' + fmtMs(ev.duration_ms) + ' ms' : '') +
      '\n' + summaryLine(ev).slice(0, 300);
    tip.hidden = false;
    tip.style.left = Math.min(e.offsetX + 14, W - 320) + 'px';
    tip.style.top = (e.offsetY + 16) + 'px';
  });
  canvas.addEventListener('mouseleave', () => { $('tip').hidden = true; });
  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    if (e.shiftKey) { // shift+wheel scrolls the lanes
      S.scrollY += e.deltaY || e.deltaX;
    } else if (Math.abs(e.deltaX) > Math.abs(e.deltaY)) { // horizontal swipe pans
      const dt = e.deltaX / plotW() * (S.v1 - S.v0);
      S.v0 += dt; S.v1 += dt;
    } else {
      zoomAt(e.offsetX, Math.exp(e.deltaY * 0.0015));
    }
    setFollow(false);
    draw();
  }, { passive: false });
  function zoomAt(x, f) {
    const t = tOf(Math.max(GUTTER, x));
    let span = (S.v1 - S.v0) * f;
    span = Math.max(span, 1000); // 1 µs across the view at most
    const r = (t - S.v0) / (S.v1 - S.v0);
    S.v0 = t - r * span; S.v1 = S.v0 + span;
  }
  canvas.addEventListener('keydown', (e) => {
    const span = S.v1 - S.v0;
    if (e.key === '+' || e.key === '=') zoomAt(GUTTER + plotW() / 2, 0.7);
    else if (e.key === '-') zoomAt(GUTTER + plotW() / 2, 1 / 0.7);
    else if (e.key === 'ArrowLeft') { S.v0 -= span * 0.2; S.v1 -= span * 0.2; }
    else if (e.key === 'ArrowRight') { S.v0 += span * 0.2; S.v1 += span * 0.2; }
    else if (e.key === 'ArrowUp') S.scrollY -= LANE_H * 3;
    else if (e.key === 'ArrowDown') S.scrollY += LANE_H * 3;
    else if (e.key === '0') fit();
    else return;
    e.preventDefault();
    draw();
  });
  $('fit').addEventListener('click', () => { fit(); draw(); });
  function setFollow(on) {
    S.follow = on;
    $('follow').checked = on;
  }
  $('follow').addEventListener('change', (e) => { S.follow = e.target.checked; if (S.follow) { fit(); draw(); } });

  // ---- the list (virtualized: only the rows in view exist) ----
  const list = $('list'), rows = $('list-rows'), spacer = $('list-spacer');
  function renderList(resetHeight) {
    if (resetHeight) spacer.style.height = (S.shown.length * ROW_H) + 'px';
    const top = list.scrollTop, vis = Math.ceil(list.clientHeight / ROW_H) + 2;
    const first = Math.max(0, Math.floor(top / ROW_H) - 1);
    const last = Math.min(S.shown.length, first + vis);
    rows.style.transform = 'translateY(' + (first * ROW_H) + 'px)';
    while (rows.children.length < last - first) {
      const r = h('div', { class: 'row' },
        h('span', { class: 'c-time' }), h('span', { class: 'c-dur' }), h('span', { class: 'c-proc' }),
        h('span', { class: 'c-kind' }), h('span', { class: 'c-sum' }));
      r.addEventListener('click', () => select(+r.dataset.i, false));
      rows.appendChild(r);
    }
    while (rows.children.length > last - first) rows.lastChild.remove();
    for (let k = first; k < last; k++) {
      const i = S.shown[k], ev = S.events[i], r = rows.children[k - first];
      r.dataset.i = i;
      r.className = 'row' + (i === S.sel ? ' sel' : '') + (isError(ev) ? ' err' : '');
      const c = r.children;
      c[0].textContent = clock(ev);
      c[1].textContent = fmtMs(ev.duration_ms);
      c[2].textContent = ev.pid + ' ' + (ev.comm || '');
      c[3].textContent = ev.kind;
      c[3].style.color = kindColor(ev.kind);
      c[4].textContent = summaryLine(ev);
    }
  }
  list.addEventListener('scroll', () => renderList(false));
  function scrollListTo(i) {
    let lo = 0, hi = S.shown.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (S.shown[m] < i) lo = m + 1; else hi = m; }
    if (S.shown[lo] !== i) return;
    const y = lo * ROW_H;
    if (y < list.scrollTop || y > list.scrollTop + list.clientHeight - ROW_H) list.scrollTop = y - list.clientHeight / 3;
    renderList(false);
  }

  // ---- details ----
  function select(i, fromTimeline) {
    S.sel = i;
    showTab('details');
    renderDetails(S.events[i]);
    if (fromTimeline) scrollListTo(i); else {
      const ev = S.events[i];
      if (ev && ev.kind !== 'trace_summary' && (ev._t < S.v0 || ev._t > S.v1)) {
        const span = S.v1 - S.v0;
        S.v0 = ev._t - span / 2; S.v1 = S.v0 + span;
        setFollow(false);
      }
      renderList(false);
    }
    draw();
  }
  function unread(v) { return v === undefined ? undefined : v === null ? 'the rest (size not known)' : fmtBytes(v); }
  function kv(pairs) {
    const t = h('table', { class: 'kv' });
    for (const [k, v] of pairs) {
      if (v === undefined) continue;
      t.appendChild(h('tr', null, h('td', { text: k }), h('td', null, v instanceof Node ? v : valueText(v))));
    }
    return t;
  }
  function valueText(v) {
    if (v === null) return h('span', { class: 'bin', text: 'null' });
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  }
  // payload text: base64 payload says so; empty says so
  function payload(v) {
    if (v == null) return h('span', { class: 'bin', text: 'none' });
    if (!isStr(v)) return h('pre', { text: JSON.stringify(v, null, 2) });
    if (v === '') return h('span', { class: 'bin', text: 'empty' });
    if (v.startsWith('base64:')) {
      const b = v.length - 7;
      return h('div', null, h('span', { class: 'bin', text: 'binary, about ' + Math.floor(b * 3 / 4) + ' bytes (base64):' }),
        h('pre', { text: v.slice(7, 4096) + (v.length > 4103 ? '…' : '') }));
    }
    let s = v;
    if (/^\s*[[{]/.test(s)) { try { s = JSON.stringify(JSON.parse(s), null, 2); } catch (e) { /* not JSON: as sent */ } }
    return h('pre', { text: s });
  }
  function headersTable(obj) {
    if (!obj || typeof obj !== 'object') return h('span', { class: 'bin', text: 'none' });
    return kv(Object.entries(obj));
  }
  function pretty(v) { return h('pre', { text: JSON.stringify(v, null, 2) }); }
  function section(title, ...kids) { return [h('h3', { text: title }), ...kids]; }
  function errorBox(e) { return e == null || e === false ? null : h('div', { class: 'error', text: '✖ ' + errText(e) }); }

  const RENDER = {
    http_request(ev) {
      const bad = typeof ev.status === 'number' && ev.status >= 400;
      return [
        h('h2', null, (ev.method || '?') + ' ', ev.host || '', ev.url || '', ' → ',
          h('span', { class: ev.status == null || bad ? 'bad' : 'ok', text: ev.status == null ? 'no response' : String(ev.status) })),
        kv([['version', ev.version], ['request body', fmtBytes(ev.req_bytes)], ['response body', fmtBytes(ev.resp_bytes)],
          // a body the process closed without reading (events.md *_unread): not a loss
          ['request body unread', unread(ev.req_unread)], ['response body unread', unread(ev.resp_unread)],
          ['truncated', ev.truncated], ['incomplete', ev.incomplete], ['upgrade', ev.upgrade]]),
        ...section('request headers', headersTable(ev.req_headers)),
        ...section('request body', payload(ev.req_body)),
        ...section('response headers', headersTable(ev.resp_headers)),
        ...section('response body', payload(ev.resp_body)),
      ];
    },
    sql_query(ev) {
      const out = [h('h2', { text: (ev.db || 'sql') + (ev.database ? ' · ' + ev.database : '') + (ev.user ? ' · ' + ev.user : '') }),
        errorBox(ev.error), ...section('statement', h('pre', { class: 'sql', text: ev.sql == null ? '(prepared statement ' + ev.statement + ')' : ev.sql }))];
      const p = h('table', { class: 'grid', id: 'params' });
      if (Array.isArray(ev.params) && ev.params.length) {
        p.appendChild(h('tr', null, h('th', { text: '#' }), h('th', { text: 'value' })));
        ev.params.forEach((v, k) => p.appendChild(h('tr', null, h('td', { text: '$' + (k + 1) }),
          h('td', { class: v == null ? 'null' : '', text: v == null ? 'NULL' : String(v) }))));
        out.push(...section('parameters', p));
      } else {
        out.push(...section('parameters', h('span', { class: 'bin', id: 'params', text: Array.isArray(ev.params) ? 'none' : 'unknown' })));
      }
      out.push(kv([['statement', ev.statement], ['command tag', ev.command_tag], ['rows', ev.rows], ['transaction', ev.tx],
        ['truncated', ev.truncated], ['incomplete', ev.incomplete]]));
      if (Array.isArray(ev.columns)) {
        const t = h('table', { class: 'grid' });
        t.appendChild(h('tr', null, ...ev.columns.map((c) => h('th', { text: String(c) }))));
        for (const r of Array.isArray(ev.rows_sample) ? ev.rows_sample : []) {
          t.appendChild(h('tr', null, ...(Array.isArray(r) ? r : [r]).map((v) =>
            h('td', { class: v == null ? 'null' : '', text: v == null ? 'NULL' : String(v) }))));
        }
        out.push(...section('columns and sample rows' + (typeof ev.rows === 'number' ? ' (' + ev.rows + ' rows)' : ''), t));
      }
      return out;
    },
    redis_command(ev) {
      return [h('h2', { text: ev.command || '?' }), errorBox(ev.error),
        ...section('arguments', Array.isArray(ev.args) && ev.args.length ? kv(ev.args.map((a, k) => [String(k + 1), a])) : h('span', { class: 'bin', text: 'none' })),
        ...section('reply', ev.reply && typeof ev.reply === 'object' && 'error' in ev.reply && Object.keys(ev.reply).length === 1 ? errorBox(ev.reply.error) : pretty(ev.reply))];
    },
    grpc_call(ev) {
      const bad = typeof ev.status === 'number' && ev.status !== 0;
      return [h('h2', null, ev.method || '?', ' → ', h('span', { class: bad || ev.status == null ? 'bad' : 'ok', text: ev.status == null ? 'no status' : 'status ' + ev.status })),
        bad && ev.grpc_message ? errorBox(ev.grpc_message) : null,
        kv([['authority', ev.authority], ['http status', ev.http_status], ['stream', ev.stream_id], ['message', ev.grpc_message],
          ['request bytes', ev.req_bytes], ['response bytes', ev.resp_bytes]]),
        ...section('request headers', headersTable(ev.req_headers)),
        ...section('request messages', pretty(ev.req_messages)),
        ...section('response headers', headersTable(ev.resp_headers)),
        ...section('response messages', pretty(ev.resp_messages)),
        ...section('trailers', headersTable(ev.resp_trailers))];
    },
    mongo_command(ev) {
      return [h('h2', { text: (ev.op || '?') + ' ' + (ev.database || '') + (ev.collection ? '.' + ev.collection : '') }), errorBox(ev.error),
        kv([['ok', ev.ok], ['request id', ev.request_id]]),
        ...section('command', pretty(ev.command)), ...section('reply', pretty(ev.reply))];
    },
    dns_query(ev) {
      const ok = ev.rcode === 'NOERROR';
      const recs = (list) => {
        if (!Array.isArray(list) || !list.length) return h('span', { class: 'bin', text: 'none' });
        const t = h('table', { class: 'grid' });
        t.appendChild(h('tr', null, ...['name', 'type', 'ttl', 'data'].map((c) => h('th', { text: c }))));
        for (const r of list) {
          t.appendChild(h('tr', null, h('td', { text: String(r.name) }), h('td', { text: String(r.type) + (r.class ? ' ' + r.class : '') }),
            h('td', { text: String(r.ttl) }), h('td', { class: r.data == null ? 'null' : '', text: r.data == null ? r.rdlength + ' bytes' : r.data })));
        }
        return t;
      };
      const r = ev.records || {};
      return [h('h2', null, (ev.qtype || '?') + ' ' + (ev.name || '?') + ' → ',
        h('span', { class: ok ? 'ok' : 'bad', text: ev.rcode == null ? 'no response' : ev.rcode })),
        ev.unanswered ? errorBox('no response before ' + (ev.retries ? (ev.retries + 1) + ' sends ended' : 'the end')) : null,
        kv([['transaction id', ev.txid], ['class', ev.qclass], ['opcode', ev.opcode], ['flags', Array.isArray(ev.flags) ? ev.flags.join(' ') : ev.flags],
          ['query flags', Array.isArray(ev.query_flags) ? ev.query_flags.join(' ') : ev.query_flags],
          ['query bytes', ev.req_bytes], ['response bytes', ev.resp_bytes], ['retries', ev.retries], ['truncated', ev.truncated],
          ['unsolicited', ev.unsolicited], ['variant', ev.variant], ['decode error', ev.decode_error]]),
        ...section('answers', recs(r.answer)),
        ...section('authority', recs(r.authority)),
        ...section('additional', recs(r.additional)),
        ...(ev.edns || ev.resp_edns ? section('EDNS', kv([['query', ev.edns], ['response', ev.resp_edns]])) : [])];
    },
    udp_datagram(ev) {
      return [h('h2', { text: summaryLine(ev) }),
        kv([['direction', ev.direction], ['bytes', ev.bytes], ['truncated', ev.truncated], ['protocol', ev.protocol]]),
        ...section('payload', payload(ev.preview))];
    },
    file(ev) {
      return [h('h2', { text: (ev.op || '?') + ' ' + (ev.path == null ? '(unknown path)' : ev.path) }), errorBox(ev.error),
        kv([['new path', ev.new_path], ['fd', ev.fd], ['flags', ev.flags], ['mode', ev.mode], ['owner', ev.uid != null ? ev.uid + ':' + ev.gid : undefined],
          ['bytes', ev.bytes != null ? fmtBytes(ev.bytes) : undefined], ['system calls', ev.ops]]),
        ev.content !== undefined ? section('content sample', payload(ev.content)) : null].flat();
    },
    process(ev) {
      return [h('h2', { text: summaryLine(ev) }),
        kv([['op', ev.op], ['parent', ev.ppid], ['argv', Array.isArray(ev.argv) ? ev.argv.join(' ') : undefined],
          ['exit code', ev.exit_code], ['signal', ev.signal]]),
        isError(ev) ? errorBox(ev.signal != null ? 'killed by signal ' + ev.signal : 'exit code ' + ev.exit_code) : null];
    },
    connection(ev) {
      return [h('h2', { text: (ev.op || '?') + ' ' + connText(ev.conn) }), errorBox(ev.error)];
    },
    tcp_stream(ev) {
      return [h('h2', { text: connText(ev.conn) }),
        kv([['protocol', ev.protocol], ['bytes out', fmtBytes(ev.bytes_out)], ['bytes in', fmtBytes(ev.bytes_in)], ['gaps', ev.gaps]]),
        ...section('sent (first bytes)', payload(ev.preview_out)), ...section('received (first bytes)', payload(ev.preview_in))];
    },
    trace_summary(ev) {
      return [h('h2', { text: 'trace summary' }), ev.dropped > 0 ? errorBox(ev.dropped + ' events were dropped') : null, pretty(fieldsOf(ev))];
    },
  };
  function renderDetails(ev) {
    const d = $('details');
    d.textContent = '';
    if (!ev) { d.appendChild(h('p', { class: 'hint', text: 'Click an event on the timeline or in the list.' })); return; }
    const tag = h('span', { class: 'tag', text: ev.kind });
    tag.style.background = kindColor(ev.kind);
    d.appendChild(h('div', null, tag, ' ', h('span', { class: 'hint', text: ev.timestamp || '' })));
    const common = [['duration', ev.duration_ms == null ? 'no reply / instant' : fmtMs(ev.duration_ms) + ' ms'],
      ['process', ev.pid + (ev.tid && ev.tid !== ev.pid ? '/' + ev.tid : '') + ' ' + (ev.comm || '')]];
    if (ev.container) common.push(['container', ev.container]);
    if (ev.conn) common.push(['connection', '#' + ev.conn.id + ' ' + (ev.conn.role || '') + ' ' + connText(ev.conn)]);
    let body;
    const r = RENDER[ev.kind];
    try {
      body = r ? r(ev) : [h('h2', { text: ev.kind }), errorBox(ev.error), pretty(fieldsOf(ev))];
    } catch (e) { // a renderer must never hide an event
      body = [h('h2', { text: ev.kind }), pretty(fieldsOf(ev))];
    }
    d.appendChild(body[0]);
    d.appendChild(kv(common));
    for (const n of treeOf(ev)) d.appendChild(n); // the request tree first: what it did
    for (const n of body.slice(1)) if (n) d.appendChild(n);
    const all = h('details', null, h('summary', { text: 'all fields (JSON)' }), pretty(fieldsOf(ev)));
    d.appendChild(all);
  }

  // ---- request trees: whose work an event is, a request's waterfall ----
  // short: "#12" alone (in a table), else with what the event is
  function evLink(id, short) {
    const i = S.byId.get(id);
    if (i === undefined) return h('span', { class: 'hint', text: '#' + id + ' (not loaded)' });
    return h('span', { class: 'link', text: '#' + id + (short ? '' : ' ' + summaryLine(S.events[i]).slice(0, 100)),
      on: { click: () => select(i, false) } });
  }
  function treeOf(ev) {
    const out = [];
    if (typeof ev.parent_id === 'number') {
      out.push(...section('part of request', kv([['request', evLink(ev.parent_id)], ['found by', ev.parent_by]])));
    } else if (Array.isArray(ev.parent_candidates)) {
      out.push(...section('part of one of these requests (the trace cannot tell which)',
        h('div', null, ...ev.parent_candidates.map((c) => h('div', null, evLink(c))))));
    }
    const kids = S.kids.get(ev.id) || [], maybe = S.maybe.get(ev.id) || [];
    if (kids.length || maybe.length) out.push(...section('waterfall', waterfall(ev, kids, maybe)));
    return out;
  }
  // The request's bar, its work's bars under it (by start), its self time:
  // the request's span less the union of its work's spans.
  function waterfall(req, kids, maybe) {
    const t0 = req.ts_ns, span = Math.max((req.duration_ms || 0) * 1e6, 1);
    const box = h('div', { class: 'wf', id: 'waterfall' });
    const row = (ev, cls) => {
      const d = (ev.duration_ms || 0) * 1e6, x = Math.max(0, (ev.ts_ns - t0) / span);
      const bar = h('span', { class: 'wf-bar ' + (cls || '') });
      bar.style.left = Math.min(100, x * 100) + '%';
      bar.style.width = Math.max(0.3, Math.min(100 - x * 100, d / span * 100)) + '%';
      bar.style.background = isError(ev) ? 'var(--err)' : kindColor(ev.kind);
      return h('div', { class: 'wf-row', title: summaryLine(ev).slice(0, 300), on: { click: () => select(ev._i, false) } },
        h('span', { class: 'wf-ms', text: fmtMs(ev.duration_ms) }),
        h('span', { class: 'wf-label', text: (cls ? '? ' : '') + summaryLine(ev).slice(0, 120) }),
        h('span', { class: 'wf-track' }, bar));
    };
    box.appendChild(row(req));
    const fam = new Map();
    let covered = 0, until = t0;
    for (const i of kids) {
      const ev = S.events[i], d = (ev.duration_ms || 0) * 1e6;
      box.appendChild(row(ev));
      fam.set(ev.kind, (fam.get(ev.kind) || 0) + d);
      const s0 = Math.max(ev.ts_ns, t0), e0 = Math.min(ev.ts_ns + d, t0 + span);
      if (e0 > s0 && e0 > until) { covered += e0 - Math.max(s0, until); until = e0; }
    }
    for (const i of maybe) box.appendChild(row(S.events[i], 'maybe'));
    const pairs = [['self time', fmtMs(Math.max(0, span - covered) / 1e6) + ' ms']];
    for (const [k, d] of [...fam.entries()].sort((a, b) => b[1] - a[1])) pairs.push([k, fmtMs(d / 1e6) + ' ms']);
    if (maybe.length) pairs.push(['ambiguous work', maybe.length + ' (marked ?, not counted)']);
    return h('div', null, kv(pairs), box);
  }

  // ---- summary ----
  function renderSummary() {
    const d = $('summary');
    d.textContent = '';
    const sum = S.summary;
    d.appendChild(h('h2', { text: (S.info.title || 'trace') + (S.live && !S.ended ? ' (live)' : '') }));
    const pairs = [['events', S.events.length]];
    if (sum) {
      pairs.push(['dropped', h('span', { class: sum.dropped > 0 ? 'bad' : 'ok', text: String(sum.dropped) })]);
      pairs.push(['truncated payloads', sum.truncated]);
      pairs.push(['duration', fmtMs(sum.duration_ms) + ' ms']);
      pairs.push(['backend', sum.backend]);
    } else {
      pairs.push(['dropped', h('span', { class: 'hint', text: 'known when the trace ends' })]);
    }
    if (S.info.refused) pairs.push(['not kept by the UI', h('span', { class: 'bad', text: S.info.refused + ' (memory bound)' })]);
    d.appendChild(kv(pairs));
    if (sum && sum.dropped > 0) d.appendChild(errorBox(sum.dropped + ' events were lost between the kernel and adi-profiler'));
    const counts = h('table', { class: 'grid', id: 'kind-counts' });
    counts.appendChild(h('tr', null, h('th', { text: 'kind' }), h('th', { text: 'events' })));
    for (const k of [...S.kinds.keys()].sort()) counts.appendChild(h('tr', null, h('td', { text: k }), h('td', { text: String(S.kinds.get(k)) })));
    d.appendChild(h('h3', { text: 'events per kind' }));
    d.appendChild(counts);
    // a duration and a kind are never broken mid-word (class nw)
    const link = (i) => {
      const ev = S.events[i];
      return h('tr', { class: isError(ev) ? 'bad' : '' }, h('td', { class: 'nw', text: fmtMs(ev.duration_ms) }), h('td', { class: 'nw', text: ev.kind }),
        h('td', null, h('span', { class: 'link', text: summaryLine(ev).slice(0, 160), on: { click: () => select(i, false) } })));
    };
    const hidden = (ev) => !S.showRuntime && isRuntime(ev);
    const slow = [];
    for (const ev of S.events) if (ev.duration_ms != null && ev.kind !== 'trace_summary' && ev.kind !== 'process' && !hidden(ev)) slow.push(ev);
    slow.sort((a, b) => b.duration_ms - a.duration_ms);
    const st = h('table', { class: 'grid', id: 'slowest' });
    st.appendChild(h('tr', null, h('th', { text: 'ms' }), h('th', { text: 'kind' }), h('th', { text: 'what' })));
    for (const ev of slow.slice(0, 15)) st.appendChild(link(ev._i));
    d.appendChild(h('h3', { text: 'slowest operations' }));
    d.appendChild(st);
    const errs = S.events.filter((ev) => isError(ev) && !hidden(ev));
    d.appendChild(h('h3', { text: 'errors (' + errs.length + ')' }));
    if (errs.length) {
      const et = h('table', { class: 'grid' });
      for (const ev of errs.slice(0, 100)) et.appendChild(link(ev._i));
      d.appendChild(et);
      if (errs.length > 100) d.appendChild(h('p', { class: 'hint', text: '… and ' + (errs.length - 100) + ' more (filter the list)' }));
    } else d.appendChild(h('p', { class: 'hint', text: 'none' }));
  }
  // ---- insights: the report the server makes (/api/report, docs/insight.md) ----
  async function renderInsights() {
    const d = $('insights');
    d.textContent = '';
    d.appendChild(h('p', { class: 'hint', text: 'computing…' }));
    let r;
    try { r = await getJSON(api('/api/report')); } catch (e) {
      d.textContent = '';
      d.appendChild(errorBox(String(e.message || e)));
      return;
    }
    d.textContent = '';
    const link = (id, short) => (id ? evLink(id, short) : '');
    // wide: the column of text (endpoint, fingerprint...); numbers never wrap
    const grid = (head, rows, wide) => {
      const t = h('table', { class: 'grid ins' });
      t.appendChild(h('tr', null, ...head.map((x) => h('th', { text: x }))));
      for (const cells of rows) t.appendChild(h('tr', null, ...cells.map((c, k) =>
        h('td', { class: k === wide ? 'wide' : '' }, c instanceof Node ? c : String(c == null ? '' : c)))));
      return t;
    };
    const tr = r.trace || {};
    d.appendChild(h('h2', { text: 'Insights' + (S.live && !S.ended ? ' (so far)' : '') }));
    d.appendChild(kv([['requests served', tr.requests], ['work with a parent', tr.with_parent], ['ambiguous work', tr.ambiguous]]));
    d.appendChild(h('h3', { text: 'N+1 and repeated work (' + r.findings.length + ')' }));
    if (!r.findings.length) d.appendChild(h('p', { class: 'hint', text: 'none' }));
    for (const f of r.findings) {
      d.appendChild(h('div', { class: 'error' }, f.type + ': ' + (f.endpoint || '(a request)') + ' runs ' + f.system + ' ' + f.operation +
        ' ' + f.executions + ' times in one request (' + fmtMs(f.time_ms) + ' ms), in ' + f.requests + ' request(s)' +
        (f.suggestion ? '; as one: ' + f.suggestion : '')));
      d.appendChild(kv([['request', link(f.parent_id)], ['first', link(f.source_id)]]));
    }
    d.appendChild(h('h3', { text: 'endpoints' }));
    d.appendChild(grid(['side', 'endpoint', 'count', '5xx', '4xx', 'p50', 'p95', 'max', 'self/req'],
      r.endpoints.map((e) => [e.side, h('span', { class: 'link', text: e.endpoint, on: { click: () => e.example_id && select(S.byId.get(e.example_id), false) } }),
        e.count, e.errors, e.client_errors, fmtMs(e.p50_ms), fmtMs(e.p95_ms), fmtMs(e.max_ms), e.breakdown ? fmtMs(e.breakdown.self_ms) : '']), 1));
    d.appendChild(h('h3', { text: 'queries' }));
    d.appendChild(grid(['system', 'fingerprint', 'count', 'errors', 'total ms', 'p95', 'rows'],
      r.queries.map((q) => [q.system, q.fingerprint, q.count, q.errors, fmtMs(q.total_ms), fmtMs(q.p95_ms), q.rows]), 1));
    d.appendChild(h('h3', { text: 'errors' }));
    d.appendChild(r.errors.length ? grid(['category', 'what', 'count', 'first'],
      r.errors.map((e) => [e.category, e.what + (e.message ? ': ' + e.message : ''), e.count, link(e.example_id, true)]), 1)
      : h('p', { class: 'hint', text: 'none' }));
    d.appendChild(h('h3', { text: 'slowest operations' }));
    d.appendChild(grid(['ms', 'operation', 'event'], r.slowest.map((x) => [fmtMs(x.duration_ms), x.operation, link(x.id, true)]), 1));
    // the process tree (docs/output.md): each process under its parent,
    // repeated children folded ('vet x132'), what each did
    const procs = [];
    const walk = (nodes, depth) => {
      for (const n of nodes || []) {
        const c = n.counts || {};
        const did = [];
        if (c.file) did.push(c.file + ' file (' + c.reads + ' reads ' + fmtBytes(c.read_bytes) + ', ' + c.writes + ' writes ' + fmtBytes(c.write_bytes) + ')');
        for (const [k, v] of Object.entries(c)) {
          if (v && !['file', 'reads', 'read_bytes', 'writes', 'write_bytes', 'process', 'errors'].includes(k)) did.push(v + ' ' + k);
        }
        if (c.errors) did.push(c.errors + ' errors');
        const name = n.more ? 'more processes (not kept)'
          : n.processes ? n.comm + ' \u00d7' + n.processes
            : n.comm + '(' + n.pid + ')' + (n.command ? ' ' + n.command : '');
        const status = n.more ? '' : n.processes ? Object.entries(n.exits || {}).map(([k, v]) => k + ' \u00d7' + v).join(', ')
          : n.running ? 'running' : n.signal ? 'killed by ' + n.signal : 'exit ' + n.exit_code;
        procs.push(['\u00a0\u00a0'.repeat(depth) + name, status, fmtMs(n.duration_ms), did.join(', ')]);
        walk(n.children, depth + 1);
      }
    };
    walk(r.process_tree, 0);
    d.appendChild(h('h3', { text: 'processes (' + procs.length + (procs.length === 1 ? ' line)' : ' lines)') }));
    d.appendChild(procs.length ? grid(['process', 'status', 'ms', 'did'], procs, 0) : h('p', { class: 'hint', text: 'none' }));
  }

  function showTab(which) {
    for (const t of ['details', 'summary', 'insights']) {
      $('tab-' + t).classList.toggle('on', which === t);
      $(t).hidden = which !== t;
    }
    if (which === 'summary') renderSummary();
    if (which === 'insights') renderInsights();
  }
  $('tab-details').addEventListener('click', () => showTab('details'));
  $('tab-summary').addEventListener('click', () => showTab('summary'));
  $('tab-insights').addEventListener('click', () => showTab('insights'));

  function updateStatus() {
    const st = $('status');
    let s = S.events.length + ' events';
    if (stats.shown !== S.events.length) s = stats.shown + ' of ' + s;
    if (S.live && !S.ended) s += ' · live';
    if (S.runtime && !S.showRuntime) s += ' · ' + S.runtime + ' runtime events hidden';
    if (S.focus && S.folded) s += ' · ' + S.folded + ' file events folded (focus)';
    if (S.summary && S.summary.dropped > 0) s += ' · ' + S.summary.dropped + ' DROPPED';
    st.textContent = s;
    st.className = 'status' + (S.summary && S.summary.dropped > 0 ? ' bad' : S.live && !S.ended ? ' live' : '');
  }

  // ---- filters ----
  let filterTimer = 0;
  function applyFilters() {
    S.text = $('f-text').value.trim().toLowerCase();
    const p = $('f-pid').value.split(/[\s,]+/).filter(Boolean).map(Number).filter((n) => Number.isInteger(n));
    S.pids = p.length ? new Set(p) : null;
    rebuild();
    draw();
  }
  for (const id of ['f-text', 'f-pid']) $(id).addEventListener('input', () => {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(applyFilters, 120);
  });
  $('f-runtime').addEventListener('change', (e) => {
    S.showRuntime = e.target.checked;
    rebuild();
    draw();
    if (!$('summary').hidden) renderSummary();
  });
  $('f-focus').addEventListener('change', (e) => {
    S.focus = e.target.checked;
    S.focusTouched = true;
    rebuild();
    draw();
  });
  // tests and scripts: apply the typed filters now
  stats.applyFilters = applyFilters;
  stats.lanes = () => S.lanes.map((L) => L.label);
  stats.runtime = () => S.runtime;
  stats.focus = () => ({ on: S.focus, folded: S.folded });
  stats.locate = locate;
  stats.select = (i) => select(i, false);
  stats.find = (kind, n) => { // the n-th shown event of a kind
    let k = 0;
    for (const i of S.shown) if (S.events[i].kind === kind && k++ === (n || 0)) return i;
    return -1;
  };

  // ---- loading ----
  async function getJSON(url) {
    const r = await fetch(url, { cache: 'no-store' });
    if (!r.ok) throw new Error(url.split('?')[0] + ': HTTP ' + r.status + (r.status === 403 ? ' (the URL needs its token)' : ''));
    return r.json();
  }
  function liveTick() {
    autoFocus();
    if (!S.dirty) return;
    rebuild();
    if (S.follow) fit();
    draw();
  }
  function stream() {
    const es = new EventSource(api('/api/stream', { from: S.events.length }));
    es.onmessage = (m) => { try { addEvent(JSON.parse(m.data)); } catch (e) { /* a bad line is skipped */ } };
    es.addEventListener('end', () => {
      es.close();
      S.ended = true;
      $('follow').parentElement.hidden = true;
      liveTick();
      updateStatus();
      if (!$('summary').hidden) renderSummary();
    });
    setInterval(liveTick, 300);
  }
  async function load() {
    try {
      S.info = await getJSON(api('/api/info'));
      S.live = !!S.info.live;
      S.ended = !!S.info.ended;
      $('title').textContent = S.info.title || '';
      const f = S.info.focus || {};
      S.globs = (f.globs || []).map(globRe);
      if (f.mode === 'on') S.focus = $('f-focus').checked = true;
      if (f.mode === 'off') S.showRuntime = $('f-runtime').checked = true;
      document.title = (S.info.title ? S.info.title + ' — ' : '') + 'adi-profiler';
      let from = 0;
      for (;;) {
        const page = await getJSON(api('/api/events', { from, limit: PAGE }));
        for (const ev of page.events) addEvent(ev);
        from += page.events.length;
        if (!page.events.length || from >= page.total) break;
      }
      autoFocus();
      rebuild();
      fit();
      drawNow();
      stats.loadMs = Math.round(performance.now());
      stats.ready = true;
      document.body.dataset.ready = '1';
      if (S.live && !S.ended) stream();
      else S.ended = true;
      $('follow').parentElement.hidden = !(S.live && !S.ended);
      updateStatus();
    } catch (e) {
      const st = $('status');
      st.textContent = String(e.message || e);
      st.className = 'status bad';
      document.body.dataset.error = String(e.message || e);
    }
  }
  window.addEventListener('resize', () => { resize(); renderList(false); });
  resize();
  load();
})();
