// graph.js - a line chart as inline SVG (built through the DOM, so the
// Content-Security-Policy needs no inline styles): percentages over time.
import { h, s } from './dom.js';

const W = 640;
const H = 200;
const PAD = { l: 40, r: 10, t: 10, b: 24 };

function hhmm(t) {
  return new Date(t * 1000).toISOString().slice(11, 16);
}

// series: [{name, cls, color, points: [[epochSeconds, value], ...]}]
export function lineChart(series, { from, to, yMax = 100, unit = '%' } = {}) {
  const all = series.flatMap((x) => x.points);
  const top = Math.max(yMax, ...all.map((p) => p[1]));
  const x = (t) => PAD.l + ((t - from) / Math.max(1, to - from)) * (W - PAD.l - PAD.r);
  const y = (v) => PAD.t + (1 - v / top) * (H - PAD.t - PAD.b);
  const parts = [];
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4;
    parts.push(s('line', { class: 'grid', x1: PAD.l, x2: W - PAD.r, y1: y(v), y2: y(v) }));
    parts.push(s('text', { x: PAD.l - 4, y: y(v) + 4, 'text-anchor': 'end' }, `${Math.round(v)}${unit}`));
  }
  for (let i = 0; i <= 4; i++) {
    const t = from + ((to - from) * i) / 4;
    const anchor = i === 0 ? 'start' : i === 4 ? 'end' : 'middle';
    parts.push(s('text', { x: x(t), y: H - 6, 'text-anchor': anchor }, hhmm(t)));
  }
  for (const ser of series) {
    const pts = ser.points.slice().sort((a, b) => a[0] - b[0]);
    if (pts.length === 1) {
      parts.push(s('circle', { cx: x(pts[0][0]), cy: y(pts[0][1]), r: 3, fill: ser.color }));
    } else if (pts.length > 1) {
      parts.push(
        s('polyline', {
          fill: 'none',
          stroke: ser.color,
          'stroke-width': 2,
          points: pts.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' '),
        }),
      );
    }
  }
  const svg = s('svg', { class: 'graph', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img' }, parts);
  const legend = h(
    'div',
    { class: 'legend' },
    series.map((ser) => {
      const last = ser.points.length ? ser.points.reduce((a, b) => (b[0] > a[0] ? b : a))[1] : null;
      return h(
        'span',
        {},
        h('span', { class: `swatch ${ser.cls}` }),
        `${ser.name}${last === null ? ' (no data)' : `: ${last.toFixed(1)}${unit} latest`}`,
      );
    }),
  );
  return h('div', { class: 'chart' }, legend, svg);
}
