// Plain SVG bar charts, written by hand (no chart library).

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

/**
 * Horizontal grouped bars on a log axis.
 * groups: [{ label, bars: [{ series, value }] }], series: [{ key, label, color }].
 */
export function logBarChart({ title, subtitle, groups, series, unit = '×', min = 0.1, max, marker = 1 }) {
  const labelW = 190;
  const plotW = 560;
  const barH = 13;
  const gap = 3;
  const groupGap = 12;
  const top = 84;
  const values = groups.flatMap((g) => g.bars.map((b) => b.value)).filter((v) => v > 0 && Number.isFinite(v));
  const hi = max ?? 10 ** Math.ceil(Math.log10(Math.max(...values, 10) * 1.05));
  const lo = min;
  const x = (v) => labelW + (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) * plotW;
  let y = top;
  const parts = [];
  for (const g of groups) {
    const h = g.bars.length * (barH + gap) - gap;
    parts.push(`<text x="${labelW - 8}" y="${y + h / 2 + 4}" text-anchor="end" font-size="12">${esc(g.label)}</text>`);
    for (const b of g.bars) {
      const s = series.find((q) => q.key === b.series);
      if (b.value > 0 && Number.isFinite(b.value)) {
        const w = Math.max(1, x(b.value) - labelW);
        parts.push(`<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${s.color}"><title>${esc(`${g.label} — ${s.label}: ${fmtRatio(b.value)}${unit}`)}</title></rect>`);
        parts.push(`<text x="${(labelW + w + 4).toFixed(1)}" y="${y + barH - 2}" font-size="10.5" fill="#333">${esc(fmtRatio(b.value) + unit)}</text>`);
      } else {
        parts.push(`<text x="${labelW + 4}" y="${y + barH - 2}" font-size="10.5" fill="#999">n/a</text>`);
      }
      y += barH + gap;
    }
    y += groupGap;
  }
  const height = y + 40;
  const width = labelW + plotW + 90;
  const ticks = [];
  for (let e = Math.round(Math.log10(lo)); 10 ** e <= hi * 1.001; e++) {
    const v = 10 ** e;
    ticks.push(`<line x1="${x(v)}" x2="${x(v)}" y1="${top - 6}" y2="${y - groupGap + 4}" stroke="${v === marker ? '#444' : '#ddd'}" stroke-width="${v === marker ? 1.2 : 1}"${v === marker ? ' stroke-dasharray="4 3"' : ''}/>`);
    ticks.push(`<text x="${x(v)}" y="${y - groupGap + 18}" text-anchor="middle" font-size="11" fill="#555">${fmtRatio(v)}${unit}</text>`);
  }
  const legend = series
    .map((s, i) => `<rect x="${labelW + i * 170}" y="${top - 28}" width="11" height="11" fill="${s.color}"/><text x="${labelW + i * 170 + 16}" y="${top - 18.5}" font-size="12">${esc(s.label)}</text>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>
<rect width="100%" height="100%" fill="#fff"/>
<text x="12" y="22" font-size="15" font-weight="600">${esc(title)}</text>
<text x="12" y="40" font-size="11" fill="#555">${esc(subtitle ?? '')}</text>
${legend}
${ticks.join('\n')}
${parts.join('\n')}
</svg>
`;
}

/**
 * Horizontal bars on a linear axis, one per row (req/s).
 * rows: [{ label, value, color, note }]
 */
export function barChart({ title, subtitle, rows, unit = '', legend = [] }) {
  const labelW = 440;
  const plotW = 440;
  const barH = 16;
  const gap = 6;
  const top = legend.length ? 84 : 56;
  const max = Math.max(...rows.map((r) => (Number.isFinite(r.value) ? r.value : 0)), 1);
  const step = niceStep(max / 5);
  const hi = Math.ceil((max * 1.02) / step) * step;
  const x = (v) => labelW + (v / hi) * plotW;
  let y = top;
  const parts = [];
  for (const r of rows) {
    if (r.section) {
      y += 4;
      parts.push(`<text x="12" y="${y + 11}" font-size="11.5" font-weight="600" fill="#333">${esc(r.section)}</text>`);
      y += barH;
      continue;
    }
    parts.push(`<text x="${labelW - 8}" y="${y + barH - 4}" text-anchor="end" font-size="12">${esc(r.label)}</text>`);
    if (Number.isFinite(r.value)) {
      const w = Math.max(1, x(r.value) - labelW);
      parts.push(`<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${r.color}"><title>${esc(`${r.label}: ${fmtInt(r.value)}${unit}`)}</title></rect>`);
      parts.push(`<text x="${(labelW + w + 4).toFixed(1)}" y="${y + barH - 4}" font-size="11" fill="#333">${esc(fmtInt(r.value) + unit + (r.note ? `  ${r.note}` : ''))}</text>`);
    } else {
      parts.push(`<text x="${labelW + 4}" y="${y + barH - 4}" font-size="11" fill="#999">${esc(r.note ?? 'not available')}</text>`);
    }
    y += barH + gap;
  }
  const ticks = [];
  for (let v = 0; v <= hi + 1e-9; v += step) {
    ticks.push(`<line x1="${x(v)}" x2="${x(v)}" y1="${top - 4}" y2="${y}" stroke="#e4e4e4"/>`);
    ticks.push(`<text x="${x(v)}" y="${y + 14}" text-anchor="middle" font-size="11" fill="#555">${fmtK(v)}</text>`);
  }
  const leg = legend.map((s, i) => `<rect x="${labelW + i * 150}" y="${top - 30}" width="11" height="11" fill="${s.color}"/><text x="${labelW + i * 150 + 16}" y="${top - 20.5}" font-size="12">${esc(s.label)}</text>`).join('');
  const width = labelW + plotW + 150;
  const height = y + 30;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>
<rect width="100%" height="100%" fill="#fff"/>
<text x="12" y="22" font-size="15" font-weight="600">${esc(title)}</text>
<text x="12" y="40" font-size="11" fill="#555">${esc(subtitle ?? '')}</text>
${leg}
${ticks.join('\n')}
${parts.join('\n')}
</svg>
`;
}

function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}
const fmtInt = (v) => Math.round(v).toLocaleString('en-US');
const fmtK = (v) => (v >= 1000 ? `${+(v / 1000).toFixed(1)}k` : String(v));
export function fmtRatio(v) {
  if (!Number.isFinite(v)) return 'n/a';
  if (v >= 100) return Math.round(v).toString();
  if (v >= 10) return v.toFixed(1);
  if (v >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}
