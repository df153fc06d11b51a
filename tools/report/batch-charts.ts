/**
 * The batch report's two charts as inline SVG text, drawn from numbers computed in Node: items
 * per second over time (one bar per time bucket), and a node's latency histogram with its p50,
 * p90 and p99 marked. No script and no library in the page: the figures are plain markup.
 */
import { escapeHtml } from './html-page.js';
import type { NodeLatency } from './batch-data.js';

const W = 640;
const H = 170;
const PAD = { left: 52, right: 12, top: 34, bottom: 26 };

/** A duration in ms, short: `0.42 ms`, `12.3 ms`, `1.25 s`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** A rate or a count, short. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return '–';
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(n >= 10 ? 1 : 2);
}

const r1 = (n: number): string => (Math.round(n * 10) / 10).toString();

/** Items/s per time bucket, as bars; the x axis in seconds from the run's start. */
export function rateChart(rate: { offsetSeconds: number; bucketSeconds: number; perSecond: number[] }, average: number): string {
  const n = rate.perSecond.length;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const top = Math.max(1, ...rate.perSecond, average);
  const y = (v: number): number => PAD.top + plotH - (v / top) * plotH;
  const barW = n ? plotW / n : plotW;
  const bars = rate.perSecond
    .map((v, i) => {
      const from = rate.offsetSeconds + i * rate.bucketSeconds;
      return `<rect class="bar" x="${r1(PAD.left + i * barW)}" y="${r1(y(v))}" width="${r1(Math.max(1, barW - 1))}" height="${r1(PAD.top + plotH - y(v))}"><title>${from.toFixed(2)}–${(from + rate.bucketSeconds).toFixed(2)} s: ${formatNumber(v)} items/s</title></rect>`;
    })
    .join('');
  const end = rate.offsetSeconds + n * rate.bucketSeconds;
  const avgY = r1(y(average));
  return `<svg class="chart rate" role="img" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg">
<title>Items per second over time</title>
<text class="axis" x="${PAD.left - 6}" y="${PAD.top + 4}" text-anchor="end">${formatNumber(top)}</text>
<text class="axis" x="${PAD.left - 6}" y="${PAD.top + plotH}" text-anchor="end">0</text>
<text class="axis" x="${PAD.left - 6}" y="${PAD.top - 14}" text-anchor="end">items/s</text>
<line class="frame" x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${W - PAD.right}" y2="${PAD.top + plotH}"/>
${bars}
<line class="avg" x1="${PAD.left}" y1="${avgY}" x2="${W - PAD.right}" y2="${avgY}"/>
<text class="avg-label" x="${W - PAD.right}" y="${r1(y(average) - 4)}" text-anchor="end">average ${formatNumber(average)} items/s</text>
<text class="axis" x="${PAD.left}" y="${H - 8}">${rate.offsetSeconds.toFixed(2)} s</text>
<text class="axis" x="${W - PAD.right}" y="${H - 8}" text-anchor="end">${end.toFixed(2)} s</text>
</svg>`;
}

/** A node's latency histogram; p50, p90 and p99 as labelled vertical lines. */
export function latencyHistogram(node: NodeLatency): string {
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const min = node.bins[0]?.from ?? 0;
  const max = node.bins[node.bins.length - 1]?.to ?? 0;
  const log = node.scale === 'log' && min > 0;
  const t = (v: number): number => (log ? Math.log(Math.max(v, min)) : v);
  const x = (v: number): number => (max > min ? PAD.left + ((t(v) - t(min)) / (t(max) - t(min))) * plotW : PAD.left + plotW / 2);
  const most = Math.max(1, ...node.bins.map((b) => b.count));
  const barW = plotW / Math.max(1, node.bins.length);
  const bars = node.bins
    .map((b, i) => {
      const h = (b.count / most) * plotH;
      return `<rect class="bar" x="${r1(PAD.left + i * barW)}" y="${r1(PAD.top + plotH - h)}" width="${r1(Math.max(1, barW - 1))}" height="${r1(h)}"><title>${formatMs(b.from)}–${formatMs(b.to)}: ${b.count}</title></rect>`;
    })
    .join('');
  // Labels stacked on three rows, so close percentiles stay readable.
  const marks = (
    [
      ['p50', node.p50],
      ['p90', node.p90],
      ['p99', node.p99],
    ] as const
  )
    .map(([name, v], i) => {
      const px = r1(x(v));
      const anchor = x(v) > W - 120 ? 'end' : 'start';
      const dx = anchor === 'end' ? -3 : 3;
      return `<g class="mark ${name}" data-p="${name}"><line x1="${px}" y1="${PAD.top - 30 + i * 10}" x2="${px}" y2="${PAD.top + plotH}"/><text x="${r1(x(v) + dx)}" y="${PAD.top - 22 + i * 10}" text-anchor="${anchor}">${name} ${formatMs(v)}</text></g>`;
    })
    .join('');
  return `<svg class="chart hist" role="img" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg">
<title>${escapeHtml(node.node)}: latency of ${node.visits} visits</title>
<text class="axis" x="${PAD.left - 6}" y="${PAD.top + 4}" text-anchor="end">${most}</text>
<text class="axis" x="${PAD.left - 6}" y="${PAD.top + plotH}" text-anchor="end">0</text>
<line class="frame" x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${W - PAD.right}" y2="${PAD.top + plotH}"/>
${bars}${marks}
<text class="axis" x="${PAD.left}" y="${H - 8}">${formatMs(min)}</text>
<text class="axis" x="${W - PAD.right}" y="${H - 8}" text-anchor="end">${formatMs(max)}</text>
<text class="axis" x="${PAD.left + plotW / 2}" y="${H - 8}" text-anchor="middle">${log ? 'duration (log scale)' : 'duration'}</text>
</svg>`;
}
