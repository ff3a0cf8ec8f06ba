/**
 * Hand-written SVG charts for bench/scale.ts: a line chart over a log x axis
 * (the number of processes) and a bar chart. No dependency; the text is
 * plain SVG 1.1 that GitHub renders inline.
 */

export interface Series {
  name: string;
  points: [number, number][];
}

const W = 640;
const H = 400;
const M = { left: 90, right: 160, top: 40, bottom: 60 };
const COLORS = ['#d9480f', '#1c7ed6', '#2f9e44', '#7048e8'];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const short = (v: number): string =>
  v >= 1e9 ? `${+(v / 1e9).toPrecision(3)}G` : v >= 1e6 ? `${+(v / 1e6).toPrecision(3)}M` : v >= 1e3 ? `${+(v / 1e3).toPrecision(3)}k` : `${+v.toPrecision(3)}`;

function frame(title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** Ticks for a linear axis from 0 to about `max`. */
function linearTicks(max: number): number[] {
  const step0 = max / 5;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= step0)!;
  const ticks: number[] = [];
  for (let v = 0; v <= max * 1.0001 + step; v += step) ticks.push(v);
  return ticks;
}

export function lineChart(o: { title: string; xLabel: string; yLabel: string; logY: boolean; series: Series[] }): string {
  const all = o.series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const x0 = Math.log10(Math.min(...xs));
  const x1 = Math.max(Math.log10(Math.max(...xs)), x0 + 1);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (x: number): number => M.left + ((Math.log10(x) - x0) / (x1 - x0)) * pw;
  let yTicks: number[];
  let sy: (y: number) => number;
  if (o.logY) {
    const lo = Math.floor(Math.log10(Math.min(...ys)));
    const hi = Math.ceil(Math.log10(Math.max(...ys)));
    const top = Math.max(hi, lo + 1);
    yTicks = [];
    for (let e = lo; e <= top; e++) yTicks.push(10 ** e);
    sy = (y) => M.top + ph - ((Math.log10(y) - lo) / (top - lo)) * ph;
  } else {
    yTicks = linearTicks(Math.max(...ys));
    const top = yTicks[yTicks.length - 1]!;
    sy = (y) => M.top + ph - (y / top) * ph;
  }
  const body: string[] = [];
  for (const t of yTicks) {
    const y = sy(t).toFixed(1);
    body.push(`<line x1="${M.left}" y1="${y}" x2="${M.left + pw}" y2="${y}" stroke="#e9ecef"/>`);
    body.push(`<text x="${M.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${short(t)}</text>`);
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    const px = sx(x).toFixed(1);
    body.push(`<line x1="${px}" y1="${M.top}" x2="${px}" y2="${M.top + ph}" stroke="#f1f3f5"/>`);
    body.push(`<text x="${px}" y="${M.top + ph + 18}" text-anchor="middle">${short(x)}</text>`);
  }
  body.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#495057"/>`);
  body.push(`<text x="${M.left + pw / 2}" y="${H - 18}" text-anchor="middle">${esc(o.xLabel)} (log scale)</text>`);
  body.push(`<text transform="translate(20 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}${o.logY ? ' (log scale)' : ''}</text>`);
  o.series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length]!;
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    body.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of pts) {
      body.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3.5" fill="${c}"><title>${esc(`${s.name}: ${short(x)} → ${short(y)}`)}</title></circle>`);
      body.push(`<text x="${(sx(x) + 5).toFixed(1)}" y="${(sy(y) - 7).toFixed(1)}" fill="${c}" font-size="10">${short(y)}</text>`);
    }
    const ly = M.top + 16 + i * 20;
    body.push(`<line x1="${M.left + pw + 14}" y1="${ly}" x2="${M.left + pw + 38}" y2="${ly}" stroke="${c}" stroke-width="2"/>`);
    body.push(`<text x="${M.left + pw + 44}" y="${ly}" dominant-baseline="middle">${esc(s.name)}</text>`);
  });
  return frame(o.title, body);
}

export function barChart(o: { title: string; bars: { name: string; value: number }[] }): string {
  const pw = W - M.left - 40;
  const ph = H - M.top - M.bottom;
  const ticks = linearTicks(Math.max(...o.bars.map((b) => b.value)));
  const top = ticks[ticks.length - 1]!;
  const sy = (y: number): number => M.top + ph - (y / top) * ph;
  const body: string[] = [];
  for (const t of ticks) {
    const y = sy(t).toFixed(1);
    body.push(`<line x1="${M.left}" y1="${y}" x2="${M.left + pw}" y2="${y}" stroke="#e9ecef"/>`);
    body.push(`<text x="${M.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${short(t)}</text>`);
  }
  const slot = pw / o.bars.length;
  o.bars.forEach((b, i) => {
    const x = M.left + i * slot + slot * 0.2;
    const y = sy(b.value);
    body.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(slot * 0.6).toFixed(1)}" height="${(M.top + ph - y).toFixed(1)}" fill="${COLORS[i % COLORS.length]}"/>`);
    body.push(`<text x="${(x + slot * 0.3).toFixed(1)}" y="${(y - 6).toFixed(1)}" text-anchor="middle">${short(b.value)}</text>`);
    body.push(`<text x="${(x + slot * 0.3).toFixed(1)}" y="${M.top + ph + 18}" text-anchor="middle">${esc(b.name)}</text>`);
  });
  body.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#495057"/>`);
  return frame(o.title, body);
}
