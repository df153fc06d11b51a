/**
 * The batch report of `pocket-wit flow --batch … --report batch.html`: one self-contained HTML
 * page (htmlPage: no script, no network) with the summary, items/s over time, each node's
 * latency histogram (p50/p90/p99), the failures grouped by error code with links to their rows
 * (`#item-<line>`, the line in the batch file), and the retries counted. Rendered from
 * `BatchReportData` (batch-data.ts); only failed items appear one by one, so it stays small.
 */
import { writeFileSync } from 'node:fs';
import { PluginError } from '../../host/src/index.js';
import { escapeHtml as esc, htmlPage } from './html-page.js';
import { formatMs, formatNumber, latencyHistogram, rateChart } from './batch-charts.js';
import type { BatchReportData, FailureGroup } from './batch-data.js';

/** Links shown in one failure group (the group's other items are in the table, or counted). */
const MAX_GROUP_LINKS = 200;

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 16px 24px 64px; color: #1d232b; background: #fff; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #d8dde3; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 14px 0 6px; }
.meta { color: #5a6470; margin: 0 0 8px; }
code { font: 12.5px ui-monospace, monospace; }
dl.summary { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 8px; margin: 0; }
dl.summary div { border: 1px solid #d8dde3; border-radius: 6px; padding: 8px 10px; }
dl.summary dt { color: #5a6470; font-size: 12px; }
dl.summary dd { margin: 0; font-size: 20px; font-weight: 600; }
dl.summary .failed.some dd { color: #b42318; }
.note { background: #f3f6f9; border-left: 3px solid #8aa4c0; padding: 6px 10px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e6e9ed; vertical-align: top; }
th { background: #f3f6f9; font-weight: 600; }
table.failed-items td:nth-child(2), table.failed-items td:nth-child(4) { white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.chart { max-width: 100%; height: auto; display: block; }
.chart .bar { fill: #5b8bd0; }
.chart .frame { stroke: #8a949e; }
.chart .axis { font-size: 11px; fill: #5a6470; }
.chart .avg { stroke: #c2410c; stroke-dasharray: 4 3; }
.chart .avg-label { font-size: 11px; fill: #c2410c; }
.chart .mark line { stroke-width: 1.5; }
.chart .mark text { font-size: 11px; font-weight: 600; }
.chart .p50 line { stroke: #15803d; } .chart .p50 text { fill: #15803d; }
.chart .p90 line { stroke: #b45309; } .chart .p90 text { fill: #b45309; }
.chart .p99 line { stroke: #b42318; } .chart .p99 text { fill: #b42318; }
figure { margin: 10px 0 18px; }
figcaption { font-weight: 600; margin-bottom: 2px; }
#rate-chart figcaption { font-weight: normal; color: #5a6470; }
.group { border: 1px solid #e6c9c5; border-radius: 6px; padding: 4px 12px 8px; margin: 8px 0; background: #fffafa; }
.group h3 .count { display: inline-block; min-width: 1.6em; padding: 0 6px; border-radius: 10px; background: #b42318; color: #fff; text-align: center; }
.group .links a { display: inline-block; margin: 0 6px 2px 0; }
tr.item { scroll-margin-top: 40px; }
tr.item:target { background: #ffe9a8; outline: 2px solid #d9a400; }
td.excerpt, td.message { word-break: break-word; }
`;

function summary(d: BatchReportData): string {
  const cell = (label: string, value: string, cls = ''): string => `<div${cls ? ` class="${cls}"` : ''}><dt>${label}</dt><dd>${value}</dd></div>`;
  const retried = `${formatNumber(d.retriedItems)}`;
  const resumed =
    d.resumed !== undefined
      ? `<p class="note" id="resumed">Resumed: <strong>${formatNumber(d.resumed)}</strong> of ${formatNumber(d.inputs)} inputs were already recorded in <code>${esc(d.out)}</code> by an earlier run; ${d.items ? `this report covers the <strong>${formatNumber(d.items)}</strong> run now` : 'nothing was run now'}.</p>`
      : '';
  return `<section id="summary"><h2>Summary</h2>${resumed}
<dl class="summary">
${cell('items', formatNumber(d.items), 'items')}
${cell('ok', formatNumber(d.ok), 'ok')}
${cell('failed', formatNumber(d.failed), d.failed ? 'failed some' : 'failed')}
${cell('retried', retried, 'retried')}
${cell('duration', `${d.seconds.toFixed(2)} s`, 'duration')}
${cell('items/s', formatNumber(d.itemsPerSecond), 'rate')}
${d.queue ? cell('queue', esc(d.queue), 'queue') : cell('concurrency', formatNumber(d.concurrency), 'concurrency')}
</dl>
<p id="retries">Retries: <strong class="exec-retries">${formatNumber(d.execRetries)}</strong> exec retries and <strong class="instance-retries">${formatNumber(d.instanceRetries)}</strong> phase calls retried on a fresh instance, in ${formatNumber(d.retriedItems)} items.</p>
</section>`;
}

function throughput(d: BatchReportData): string {
  const body = d.rate.perSecond.length
    ? `<figure id="rate-chart">${rateChart(d.rate, d.itemsPerSecond)}<figcaption>Items finished per second, in ${d.rate.perSecond.length} buckets of ${formatMs(d.rate.bucketSeconds * 1000)}, from the first item's start (${d.rate.offsetSeconds.toFixed(2)} s into the run, after the workers loaded) to the last result. The dashed line is the average over the whole run, loading included.</figcaption></figure>`
    : '<p>No item was run.</p>';
  return `<section id="throughput"><h2>Items/s over time</h2>${body}</section>`;
}

function latencies(d: BatchReportData): string {
  if (d.nodes.length === 0) return `<section id="nodes"><h2>Node latency</h2><p>No node was run.</p></section>`;
  const rows = d.nodes
    .map(
      (n) =>
        `<tr data-node="${esc(n.node)}"><td><code>${esc(n.node)}</code></td><td class="num">${formatNumber(n.visits)}</td><td class="num p50">${formatMs(n.p50)}</td><td class="num p90">${formatMs(n.p90)}</td><td class="num p99">${formatMs(n.p99)}</td><td class="num">${formatMs(n.max)}</td><td class="num">${formatNumber(n.retries)}</td><td class="num">${formatNumber(n.instanceRetries)}</td></tr>`,
    )
    .join('\n');
  const figures = d.nodes.map((n) => `<figure class="node-hist" data-node="${esc(n.node)}"><figcaption><code>${esc(n.node)}</code> · ${formatNumber(n.visits)} visits</figcaption>${latencyHistogram(n)}</figure>`).join('\n');
  return `<section id="nodes"><h2>Node latency</h2>
<table class="nodes"><thead><tr><th>node</th><th class="num">visits</th><th class="num">p50</th><th class="num">p90</th><th class="num">p99</th><th class="num">max</th><th class="num">exec retries</th><th class="num">instance retries</th></tr></thead>
<tbody>
${rows}
</tbody></table>
${figures}
</section>`;
}

function group(g: FailureGroup): string {
  const shown = g.lines.slice(0, MAX_GROUP_LINKS);
  const links = shown.map((line) => `<a href="#item-${line}">line ${line}</a>`).join(' ');
  const inTable = g.lines.length - shown.length;
  const unlisted = g.count - g.lines.length;
  const more = [inTable > 0 ? `${formatNumber(inTable)} more in the table below` : '', unlisted > 0 ? `${formatNumber(unlisted)} not listed (see the note below)` : '']
    .filter(Boolean)
    .map((t) => ` <span class="more">${t}</span>`)
    .join('');
  return `<div class="group" data-code="${esc(g.code)}"><h3><code>${esc(g.code)}</code> <span class="count">${formatNumber(g.count)}</span></h3><p class="links">${links}${more}</p></div>`;
}

function failures(d: BatchReportData): string {
  if (d.failed === 0) return `<section id="failures"><h2>Failures</h2><p>No item failed.</p></section>`;
  const capped =
    d.rows.length < d.failed
      ? `<p class="note" id="capped">Showing the first ${formatNumber(d.rows.length)} of ${formatNumber(d.failed)} failed items; every failure is recorded in <code>${esc(d.out)}</code>.</p>`
      : '';
  const rows = d.rows
    .map(
      (r) =>
        `<tr class="item" id="item-${r.line}" data-code="${esc(r.code)}"><td class="num">${r.line}</td><td><code>${esc(r.code)}</code></td><td>${r.node ? `<code>${esc(r.node)}</code>` : ''}</td><td>${esc(r.phase ?? '')}</td><td class="message">${esc(r.message)}</td><td class="excerpt"><code>${esc(r.excerpt)}</code></td></tr>`,
    )
    .join('\n');
  return `<section id="failures"><h2>Failures by error code</h2>
${d.groups.map(group).join('\n')}
<h2>Failed items</h2>${capped}
<table class="failed-items"><thead><tr><th class="num">line</th><th>code</th><th>node</th><th>phase</th><th>message</th><th>input</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</section>`;
}

/** The report page for `data`. */
export function renderBatchReport(data: BatchReportData): string {
  const body = `<header><h1>Batch report: <code>${esc(data.workflow)}</code></h1>
<p class="meta">inputs <code>${esc(data.batchFile)}</code> (${formatNumber(data.inputs)}) → results <code>${esc(data.out)}</code> · generated ${esc(data.generatedAt)}</p></header>
${summary(data)}
${throughput(data)}
${latencies(data)}
${failures(data)}`;
  return htmlPage({ title: `Batch report: ${data.workflow}`, style: STYLE, body });
}

/** Write the report to `file`; an unwritable path is a `not-found` error, as for `--out`. */
export function writeBatchReport(file: string, data: BatchReportData): void {
  try {
    writeFileSync(file, renderBatchReport(data));
  } catch (err) {
    throw new PluginError('not-found', `cannot write the batch report ${file}: ${(err as Error).message}`);
  }
}
