// The report of bench/run.mjs: a markdown table and an SVG chart written by hand (no
// chart library): per figure, horizontal bars of each implementation relative to Node
// `tls` (= 1, longer is better), on a log scale, labelled with the value measured.

const GROUP_TITLES = {
  handshake: 'Full handshakes',
  resumed: 'Resumed handshakes',
  latency: 'Loopback handshake latency',
  bulk: 'Bulk, one process',
  bulk2: 'Bulk, two processes',
  memory: 'Memory per idle connection',
  bundle: 'Client-only bundle size',
  browser: 'In a browser (headless Chromium), ratio to epoxy-tls',
  pq: 'Post-quantum key exchange (ratio: to x25519 with the same implementation, same run)',
};

/** Groups compared by wall time (and, for browser figures, to their own baseline, not Node `tls`). */
const WALL = new Set(['latency', 'browser']);

/** Three significant digits, no exponent. */
export function fmt(x) {
  if (!Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

const range = (s) => `${fmt(s.median)} (${fmt(s.min)}..${fmt(s.max)})`;
const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

function valueCell(f, e) {
  if (e.unavailable) return `unavailable: ${e.unavailable}`;
  if (f.group === 'latency') return `p50 ${fmt(e.value.median)}, p99 ${fmt(e.p99)} (${fmt(e.value.min)}..${fmt(e.value.max)}) ms`;
  if (f.group === 'memory') return `${fmt(e.value.median)} KiB (RSS ${Number.isFinite(e.rssKiB) ? `${fmt(e.rssKiB)} KiB` : 'not separable'})`;
  if (f.group === 'bundle') return `${fmt(e.value.median)} KB (minified ${fmt(e.minifiedKB)} KB)`;
  return range(e.value);
}

/** Resumed vs full of the same implementation, same run (resumed figures): "CPU a×, wall b×", > 1 resumption is cheaper. */
const vsFullText = (e) => `CPU ${fmt(e.cpuVsFull)}×, wall ${fmt(e.vsFull)}×`;

function ratioCell(f, e) {
  const parts = [];
  if (e.ratio !== undefined) parts.push(`${fmt(e.ratio)}×${e.cpuRatio !== undefined ? ` (CPU ${fmt(e.cpuRatio)}×)` : ''}`);
  if (e.overFloor !== undefined) parts.push(`CPU ${fmt(e.overFloor)}× its floor`);
  if (e.cpuVsFull !== undefined) parts.push(`resumed vs full: ${vsFullText(e)}`);
  return parts.join('; ');
}

/** A figure's entries as summary rows: one row, or one per role for memory figures. */
function summaryRows(f) {
  if (f.group !== 'memory') return [{ label: f.label ?? f.title.replace(/:.*$/, '').replace(/ \(.*$/, ''), entries: f.entries }];
  return ['client', 'server'].map((role) => ({
    label: `${f.id.endsWith('in-memory') ? 'Idle connection, in memory' : 'Idle connection, Node adapter'}, ${role}`,
    entries: f.entries.filter((e) => e.name.endsWith(` ${role}`)).map((e) => ({ ...e, name: e.name.slice(0, -role.length - 1) })),
  }));
}

/** One summary cell: the median, and its ratio to Node tls (CPU, or wall for latency). */
function summaryCell(f, e) {
  if (!e) return '';
  if (e.unavailable) {
    if (/not implemented/.test(e.unavailable)) return 'n/a — not implemented';
    if (/^built into the runtime/.test(e.unavailable)) return '— (built in)';
    return 'unavailable';
  }
  const v = f.group === 'latency' ? `${fmt(e.value.median)} / ${fmt(e.p99)}` : fmt(e.value.median);
  const ratio = WALL.has(f.group) ? e.ratio : e.cpuRatio;
  const parts = [];
  if (ratio !== undefined && e.kind !== 'baseline') parts.push(`${fmt(ratio)}×`);
  if (e.overFloor !== undefined) parts.push(`${fmt(e.overFloor)}× floor`);
  if (e.cpuVsFull !== undefined) parts.push(`${fmt(e.cpuVsFull)}× full`);
  return parts.length ? `${v} (${parts.join(', ')})` : v;
}

/**
 * The summary table (README): one row per figure, one column per provider, Node tls, the
 * pure provider's floor and the peers.
 */
export function renderSummary(r) {
  const out = [];
  const cols = r.providers.map((p) => p.name);
  out.push(`| figure | unit | ${cols.map((c) => `puretls \`${c}\``).join(' | ')} | Node \`tls\` | pure floor | peers |`);
  out.push(`|---|---|${cols.map(() => '---|').join('')}---|---|---|`);
  for (const f of r.figures) {
    for (const row of summaryRows(f)) {
      const byProvider = cols.map((c) => summaryCell(f, row.entries.find((e) => e.kind === 'provider' && e.name.endsWith(`(${c})`))));
      const node = summaryCell(f, row.entries.find((e) => e.kind === 'baseline'));
      const floor = summaryCell(f, row.entries.find((e) => e.kind === 'floor'));
      const peers = row.entries
        .filter((e) => e.kind === 'peer' || e.kind === 'reference')
        .filter((e) => !e.unavailable)
        .map((e) => `${e.name.replace(/ \(.*\)$/, '').replace(' client + node:tls server', '')} ${summaryCell(f, e)}`)
        .join('; ');
      const unit = f.group === 'latency' ? 'ms p50 / p99' : f.unit.replace(' (heap + ArrayBuffers)', '').replace(' (1000 bytes) min+gz', ' min+gz');
      out.push(`| ${cell(row.label)} | ${cell(unit)} | ${byProvider.map(cell).join(' | ')} | ${cell(node)} | ${cell(floor)} | ${cell(peers)} |`);
    }
  }
  out.push('');
  return out.join('\n');
}

/** The markdown report: run facts, providers, then one table per group of figures. */
export function renderMarkdown(r) {
  const out = [];
  out.push(`Benchmark run ${r.date}${r.quick ? ' (**--quick**: smoke test, numbers not meaningful)' : ''}: Node ${r.node} (OpenSSL ${r.openssl}), ${r.platform}, ${r.cpu}; ${r.params.rounds} interleaved rounds after ${r.params.warmup} warm-up, medians with min..max over rounds; ${r.seconds} s.`);
  out.push('');
  out.push(`Providers: ${r.providers.map((p) => `\`${p.name}\` ${p.available ? 'available' : `unavailable (${p.reason})`}${p.note ? ` (${p.note})` : ''}`).join('; ')}.`);
  out.push('');
  out.push('## Summary');
  out.push('');
  out.push('Medians; in parentheses the ratio to Node `tls` in the same run by CPU time (latency: by wall time), > 1× better than Node, and for the pure provider its CPU over its primitive floor. Resumed rows: the ratio to Node `tls` resumption, and "× full": CPU of a full handshake over a resumed one, same implementation, same run (> 1×: resuming is cheaper). Chromium rows: the ratio to epoxy-tls in the same run, by wall time. Memory: heap + ArrayBuffers (Node keeps OpenSSL state in native memory, see RSS in the details).');
  out.push('');
  out.push(renderSummary(r));
  out.push('## Details');
  out.push('');
  out.push('"× Node tls": the median relative to Node `tls` in the same run, oriented so that > 1 is better than Node (faster, more per second); CPU in parentheses. "its floor": CPU of the pure provider relative to the bare crypto it needs (bench/lib/floor.mjs). Resumed handshakes: every entry, the ", full" ones too, is relative to Node `tls` *resumed*; "resumed vs full" compares an implementation with itself (full median over resumed, CPU and wall), > 1 when resuming is cheaper.');
  for (const group of Object.keys(GROUP_TITLES)) {
    const figs = r.figures.filter((f) => f.group === group);
    if (figs.length === 0) continue;
    out.push('');
    out.push(`### ${GROUP_TITLES[group]}`);
    out.push('');
    out.push('| implementation | median (min..max) | CPU median (min..max) | × Node tls | note |');
    out.push('|---|---|---|---|---|');
    for (const f of figs) {
      out.push(`| **${cell(f.title)}** | *${cell(f.unit)}* | *${cell(f.cpuUnit ?? '')}* | | |`);
      for (const e of f.entries) {
        const cpu = e.cpu && !e.unavailable ? range(e.cpu) : '';
        out.push(`| ${cell(e.name)} | ${cell(valueCell(f, e))} | ${cpu} | ${cell(ratioCell(f, e))} | ${cell(e.note ?? '')} |`);
      }
    }
  }
  out.push('');
  return out.join('\n');
}

// ------------------------------------------------------------------ SVG

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const COLORS = { provider: '#2563eb', baseline: '#6b7280', floor: '#16a34a', peer: '#ea580c', reference: '#9333ea', full: '#93c5fd' };

/**
 * The ratio a bar shows: CPU for throughput figures (this machine is shared, and CPU time is
 * what the work costs), wall time for latency (the waiting is the point).
 */
function barRatio(f, e) {
  return WALL.has(f.group) ? e.ratio : e.cpuRatio;
}

/** The value behind a bar, in the unit the bar compares. */
function shortValue(f, e) {
  if (f.group === 'latency') return `p50 ${fmt(e.value.median)} ms, p99 ${fmt(e.p99)} ms`;
  if (f.group === 'browser') return `${fmt(e.value.median)} ${f.unit}`;
  const cpu = `${fmt(e.cpu.median)} ${f.cpuUnit.replace(/ \(.*\)$/, '')}`;
  return e.cpuVsFull !== undefined ? `${cpu}  ·  ${fmt(e.cpuVsFull)}× its full (CPU)` : cpu;
}

/**
 * The chart: one block per figure that has a Node `tls` baseline, one bar per measured
 * implementation (ratio on a log scale; the 1× line is Node), unavailable ones named.
 */
export function renderSvg(r) {
  const figs = r.figures.filter((f) => f.baseline && f.entries.some((e) => barRatio(f, e) !== undefined));
  const W = 980;
  const labelW = 300;
  const x0 = labelW + 10;
  const x1 = W - 230;
  const rowH = 17;
  const ratios = figs.flatMap((f) => f.entries.map((e) => barRatio(f, e)).filter((v) => v > 0));
  const lo = Math.min(0.1, 10 ** Math.floor(Math.log10(Math.min(...ratios, 1))));
  const hi = Math.max(2, 10 ** Math.ceil(Math.log10(Math.max(...ratios, 1))));
  const X = (v) => x0 + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (x1 - x0);
  const body = [];
  let y = 58;
  for (const f of figs) {
    body.push(`<text x="10" y="${y + 13}" class="fig">${esc(f.title)}</text>`);
    y += 20;
    const missing = [];
    for (const e of f.entries) {
      const ratio = barRatio(f, e);
      if (!(ratio > 0)) {
        missing.push(e.name);
        continue;
      }
      body.push(`<text x="${labelW}" y="${y + 12}" class="lbl" text-anchor="end">${esc(e.name)}</text>`);
      const w = Math.max(1, X(ratio) - x0);
      body.push(`<rect x="${x0}" y="${y + 2}" width="${w.toFixed(1)}" height="${rowH - 5}" fill="${COLORS[e.kind] ?? '#334155'}" rx="2"/>`);
      body.push(`<text x="${(x0 + w + 5).toFixed(1)}" y="${y + 12}" class="val">${esc(`${fmt(ratio)}×  ·  ${shortValue(f, e)}`)}</text>`);
      y += rowH;
    }
    if (missing.length) {
      const text = `not measured: ${missing.join(', ')} (reasons in the table)`;
      body.push(`<text x="${x0 + 4}" y="${y + 12}" class="na">${esc(text.length > 120 ? `${text.slice(0, 117)}...` : text)}</text>`);
      y += rowH;
    }
    y += 8;
  }
  const top = 40;
  const grid = [];
  for (let v = lo; v <= hi * 1.0001; v *= 10) {
    for (const m of [1, 2, 5]) {
      const t = v * m;
      if (t < lo * 0.9999 || t > hi * 1.0001) continue;
      const gx = X(t).toFixed(1);
      grid.push(`<line x1="${gx}" y1="${top}" x2="${gx}" y2="${y}" class="${t === 1 ? 'one' : 'grid'}"/>`);
      grid.push(`<text x="${gx}" y="${top - 4}" class="tick" text-anchor="middle">${Number(t.toPrecision(2))}×</text>`);
    }
  }
  const legend = Object.entries({ provider: 'puretls', baseline: 'Node tls (= 1)', floor: 'pure primitive / AEAD floor', peer: 'peers (subtls, node-forge)', reference: 'references (node:crypto AEAD alone; Node tls, 64 KiB highWaterMark)', full: 'full beside resumed' })
    .map(([k, label], i) => `<rect x="${10 + i * 160}" y="${y + 10}" width="10" height="10" fill="${COLORS[k]}"/><text x="${24 + i * 160}" y="${y + 19}" class="lbl">${esc(label)}</text>`)
    .join('');
  const H = y + 64;
  const caption1 = `Log scale. Throughput bars compare CPU time (work per CPU-second, both ends); latency bars compare p50 wall time. Resumed blocks: all bars relative to Node tls resumed.`;
  const caption2 = `Node ${r.node} (OpenSSL ${r.openssl}), ${r.cpu}, ${r.date.slice(0, 10)}${r.quick ? '. QUICK RUN: numbers not meaningful' : ''}. Memory and bundle size: see the table.`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">
<style>
.fig{font-size:12.5px;font-weight:600;fill:#111827}.lbl{font-size:11px;fill:#374151}.val{font-size:10.5px;fill:#111827}
.na{font-size:10.5px;fill:#9ca3af;font-style:italic}.fig,.val,.na{paint-order:stroke;stroke:#ffffff;stroke-width:3px;stroke-linejoin:round}.tick{font-size:10px;fill:#6b7280}.grid{stroke:#e5e7eb;stroke-width:1}.one{stroke:#111827;stroke-width:1.2;stroke-dasharray:3 2}
</style>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="10" y="18" font-size="14" font-weight="700" fill="#111827">puretls benchmark: relative to Node tls in the same run (= 1×, dashed line); longer is better</text>
<text x="10" y="${H - 24}" class="tick">${esc(caption1)}</text>
<text x="10" y="${H - 10}" class="tick">${esc(caption2)}</text>
${grid.join('\n')}
${body.join('\n')}
${legend}
</svg>
`;
}
