// Volley's web monitor: polls the management API every few seconds and
// renders the node's status, its largest queues, the last hour's rates and
// the recent errors. All text goes in through textContent, never as markup,
// since queue names and replies come from the network.
'use strict';

(() => {
  const REFRESH_MS = 5000;
  const FETCH_TIMEOUT_MS = 4000;
  const SVG_NS = 'http://www.w3.org/2000/svg';

  // Paths are relative so the monitor also works behind a path prefix.
  const API = {
    status: 'api/v1/status',
    queues: 'api/v1/queues?maxitems=20&sort=recipients',
    rates: 'api/v1/rates',
    events: 'api/v1/events',
  };

  const SERIES = ['received', 'delivered', 'bounced', 'deferred'];

  // el builds an element; children are nodes or strings (set as text).
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== undefined && v !== null) e.setAttribute(k, v);
    }
    for (const c of children) {
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function svg(tag, attrs) {
    const e = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    return e;
  }

  const pad2 = (n) => String(n).padStart(2, '0');
  const hms = (d) => `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  const hm = (d) => `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  const num = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : '–');

  function bytes(n) {
    if (typeof n !== 'number') return '–';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
  }

  function duration(seconds) {
    let s = Math.max(0, Math.floor(seconds || 0));
    const d = Math.floor(s / 86400); s %= 86400;
    const h = Math.floor(s / 3600); s %= 3600;
    const m = Math.floor(s / 60); s %= 60;
    if (d) return `${d}d ${h}h ${m}m`;
    if (h) return `${h}h ${m}m`;
    if (m) return `${m}m ${s}s`;
    return `${s}s`;
  }

  // APIError carries the status and the {"error": "..."} text of a failed call.
  class APIError extends Error {
    constructor(path, status, text) {
      super(status ? `${status} ${text}` : text);
      this.path = path;
    }
  }

  async function get(path) {
    let res;
    try {
      res = await fetch(path, {
        headers: { Accept: 'application/json' },
        cache: 'no-store',
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
    } catch (err) {
      throw new APIError(path, 0, `unreachable (${err.name})`);
    }
    if (!res.ok) {
      let text = res.statusText || 'error';
      try {
        const body = await res.json();
        if (body && typeof body.error === 'string') text = body.error;
      } catch (_) { /* not JSON: keep the status text */ }
      throw new APIError(path, res.status, text);
    }
    try {
      return await res.json();
    } catch (_) {
      throw new APIError(path, res.status, 'bad JSON');
    }
  }

  function setText(id, text) {
    document.getElementById(id).textContent = text;
  }

  function renderStatus(s) {
    setText('host', s.host || '–');
    setText('version', s.version || '–');
    setText('engine', `${s.engine || '?'} × ${num(s.shards)} shards`);
    setText('uptime', duration(s.uptimeSeconds));
    document.title = `Volley · ${s.host || 'monitor'}`;

    const q = s.queued || {}, c = s.connections || {}, sp = s.spool || {}, t = s.traffic || {};
    const tiles = [
      ['recipients', 'queued recipients', num(q.recipients)],
      ['queues', 'queues', num(q.queues)],
      ['paused', 'paused', num(q.paused)],
      ['backoff', 'backoff', num(q.backoff)],
      ['connections', 'connections in / out', `${num(c.in)} / ${num(c.out)}`],
      ['spool-messages', 'spool messages', num(sp.messages)],
      ['spool-bytes', 'spool size', bytes(sp.bytes)],
      ['received', 'received', num(t.recipientsReceived)],
      ['delivered', 'delivered', num(t.delivered)],
      ['bounced', 'bounced', num(t.bounced)],
      ['deferred', 'deferred', num(t.deferred)],
    ];
    document.getElementById('tiles').replaceChildren(...tiles.map(([key, label, value]) =>
      el('li', { 'data-tile': key, class: 'tile' },
        el('span', { class: 'label' }, label),
        el('span', { class: 'value' }, value))));
  }

  function renderQueues(queues) {
    const body = document.querySelector('#queues tbody');
    if (!Array.isArray(queues) || queues.length === 0) {
      body.replaceChildren(el('tr', { class: 'empty' }, el('td', { colspan: 9 }, 'no queues')));
      return;
    }
    body.replaceChildren(...queues.map((q) => {
      const mode = q.mode || 'normal';
      const retry = q.nextRetry ? `next retry ${hms(new Date(q.nextRetry))}` : undefined;
      return el('tr', { 'data-queue': q.name, 'data-mode': mode },
        el('th', { scope: 'row' }, q.name),
        el('td', { class: 'num' }, num(q.recipients)),
        el('td', { class: 'num' }, num(q.ready)),
        el('td', { class: 'num', title: retry }, num(q.waiting)),
        el('td', { class: 'num' }, num(q.inFlight)),
        el('td', { class: 'num' }, num(q.connections)),
        el('td', { class: `mode ${mode}` }, mode),
        q.paused ? el('td', { class: 'paused' }, 'paused') : el('td'),
        el('td', { class: 'error' }, q.lastError || ''));
    }));
  }

  function renderEvents(events) {
    const body = document.querySelector('#events tbody');
    if (!Array.isArray(events) || events.length === 0) {
      body.replaceChildren(el('tr', { class: 'empty' }, el('td', { colspan: 5 }, 'no recent errors')));
      return;
    }
    body.replaceChildren(...events.map((e) => {
      const when = new Date(e.time);
      return el('tr', { 'data-event-kind': e.kind },
        el('td', {}, el('time', { datetime: e.time }, hms(when))),
        el('td', { class: `kind ${e.kind}` }, e.kind),
        el('td', {}, e.queue),
        el('td', {}, e.recipient),
        el('td', { class: 'reply' }, e.reply));
    }));
  }

  // axisStep picks the y-axis tick step: 1, 2 or 5 times a power of ten,
  // at most four steps up to max, so the labels stay round numbers.
  function axisStep(max) {
    const rough = Math.max(max, 1) / 4;
    const p = Math.pow(10, Math.floor(Math.log10(rough)));
    for (const m of [1, 2, 5]) if (m * p >= rough) return Math.max(1, m * p);
    return Math.max(1, 10 * p);
  }

  function renderRates(points) {
    const W = 720, H = 240, L = 52, R = 12, T = 12, B = 28;
    const pts = Array.isArray(points) ? points : [];
    const times = pts.map((p) => new Date(p.time).getTime());
    const end = times.length ? times[times.length - 1] : Date.now();
    const start = times.length > 1 ? times[0] : end - 59 * 60000;
    const span = Math.max(end - start, 60000);
    const peak = Math.max(0, ...pts.flatMap((p) => SERIES.map((k) => p[k] || 0)));
    const step = axisStep(peak);
    const ticks = Math.max(1, Math.ceil(peak / step));
    const max = step * ticks;
    const x = (t) => L + ((t - start) / span) * (W - L - R);
    const y = (v) => T + (1 - v / max) * (H - T - B);

    const chart = svg('svg', {
      id: 'rates-chart', viewBox: `0 0 ${W} ${H}`, role: 'img',
      'aria-labelledby': 'rates-title', preserveAspectRatio: 'xMidYMid meet',
    });
    const title = svg('title', { id: 'rates-title' });
    title.textContent = `Recipients per minute, ${pts.length} minutes: ` +
      SERIES.map((k) => `${k} ${pts.reduce((a, p) => a + (p[k] || 0), 0)}`).join(', ');
    chart.append(title);

    const grid = svg('g', { class: 'axis' });
    for (let i = 0; i <= ticks; i++) {
      const v = step * i, yy = y(v);
      grid.append(svg('line', { x1: L, x2: W - R, y1: yy, y2: yy, class: i ? 'grid' : 'base' }));
      const label = svg('text', { x: L - 6, y: yy + 4, 'text-anchor': 'end' });
      label.textContent = num(v);
      grid.append(label);
    }
    for (let t = end; t >= start; t -= 15 * 60000) {
      const label = svg('text', { x: x(t), y: H - 8, 'text-anchor': 'middle' });
      label.textContent = hm(new Date(t));
      grid.append(label);
    }
    chart.append(grid);

    for (const k of SERIES) {
      const d = pts.map((p, i) => `${i ? 'L' : 'M'}${x(times[i]).toFixed(1)} ${y(p[k] || 0).toFixed(1)}`).join(' ');
      chart.append(svg('path', { class: `series ${k}`, 'data-series': k, d: d || 'M0 0' }));
    }
    document.getElementById('chart').replaceChildren(chart);

    const last = pts.length ? pts[pts.length - 1] : {};
    document.getElementById('legend').replaceChildren(...SERIES.map((k) =>
      el('li', { 'data-series': k },
        el('span', { class: `swatch ${k}`, 'aria-hidden': 'true' }),
        `${k} `,
        el('span', { class: 'value' }, `${num(last[k] || 0)}/min`))));
  }

  function showErrors(errors) {
    const banner = document.getElementById('banner');
    if (errors.length === 0) {
      banner.hidden = true;
      banner.replaceChildren();
      return;
    }
    banner.replaceChildren(...errors.map((e) =>
      el('p', { 'data-path': e.path || '' }, `API: ${e.message}`, el('small', {}, ` (${e.path || '?'})`))));
    banner.hidden = false;
  }

  const renderers = { status: renderStatus, queues: renderQueues, rates: renderRates, events: renderEvents };

  // refresh fetches every endpoint at once; one failing leaves the others
  // drawn and its section showing the last good data.
  async function refresh() {
    const keys = Object.keys(API);
    const results = await Promise.allSettled(keys.map((k) => get(API[k])));
    const errors = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        try {
          renderers[keys[i]](r.value);
        } catch (err) {
          errors.push(new APIError(API[keys[i]], 0, `cannot show: ${err.message}`));
        }
      } else {
        errors.push(r.reason instanceof APIError ? r.reason : new APIError(API[keys[i]], 0, String(r.reason)));
      }
    });
    showErrors(errors);
    setText('updated', `updated ${hms(new Date())}`);
  }

  // loop waits for each refresh before scheduling the next, so a slow node
  // never has requests piling up; hidden tabs skip their turn.
  async function loop() {
    if (!document.hidden) await refresh();
    setTimeout(loop, REFRESH_MS);
  }

  document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });
  loop();
})();
