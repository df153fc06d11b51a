/**
 * The report of one workflow run (`pocket-wit flow … --report run.html`): one self-contained HTML
 * page (`htmlPage`: inline styles, no script, no network) with the workflow's graph and the path
 * the run took highlighted, the timeline of every phase of every node with the plugins' store and
 * log calls, the shared store before and after the run with the changed keys marked, and, when
 * the run failed, the error with its node, phase, code and message.
 */
import { writeFileSync } from 'node:fs';
import { PluginError } from '../../host/src/errors.js';
import type { TraceStep } from '../../host/src/workflow/engine.js';
import type { GraphModel } from './graph-model.js';
import { renderGraphSvg } from './graph-svg.js';
import { escapeHtml, htmlPage } from './html-page.js';
import { takenPath } from './run-path.js';
import { formatMs, TIMELINE_STYLE, timelineHtml, traceEndMs } from './run-timeline.js';
import { STORE_STYLE, storeDiffHtml } from './store-diff.js';

/** Where and why a run failed (a `WorkflowRunError`'s facts). */
export interface RunReportError {
  /** The failing node's trace name (`<flow node>/<node>` inside nested flows). */
  node: string;
  type: string;
  phase: string;
  plugin?: string;
  code: string;
  message: string;
}

/** How the run ended. */
export type RunOutcome =
  | { ok: true; output: unknown; action: string; path: string[] }
  | { ok: false; error: RunReportError; path: string[] };

/** Everything a run report shows. */
export interface RunReportInput {
  /** The workflow's graph (`buildGraphModel`, with the node types the run used). */
  graph: GraphModel;
  /** The run's trace (`RunResult.trace` or `WorkflowRunError.trace`). */
  trace: readonly TraceStep[];
  /** The shared store the run started with, and the one it ended with. */
  storeBefore: Record<string, unknown>;
  storeAfter: Record<string, unknown>;
  outcome: RunOutcome;
  /** When the run started (ISO time). */
  startedAt: string;
}

/** Longest JSON text shown for the output. */
const MAX_OUTPUT_CHARS = 8000;

const PAGE_STYLE = `
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 0; padding: 1.2rem 1.6rem 3rem; color: #0f172a; background: #ffffff; }
h1 { font-size: 1.4rem; margin: 0 0 .3rem; }
h2 { font-size: 1.1rem; margin: 1.8rem 0 .5rem; border-bottom: 1px solid #e2e8f0; padding-bottom: .2rem; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; }
.summary { display: flex; flex-wrap: wrap; gap: .3rem 1.6rem; margin: .4rem 0 0; font-size: 13px; }
.summary dt { color: #64748b; }
.summary dd { margin: 0; font-weight: 600; }
.summary div { display: flex; gap: .4rem; }
.outcome.ok { color: #15803d; }
.outcome.failed { color: #b91c1c; }
.run-error { border: 2px solid #dc2626; background: #fef2f2; border-radius: 8px; padding: .7rem 1rem; margin-top: 1rem; }
.run-error h2 { margin: 0 0 .4rem; border: none; color: #b91c1c; }
.run-error dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; font-size: 13px; }
.run-error dt { color: #7f1d1d; }
.run-error dd { margin: 0; }
.graph { overflow: auto; border: 1px solid #e2e8f0; border-radius: 6px; }
.path { font-size: 13px; }
pre.output { background: #f8fafc; border: 1px solid #e2e8f0; border-radius: 6px; padding: .6rem .8rem; font-size: 12px; overflow: auto; max-height: 20rem; }
`;

/** The failing node, outlined in red on the graph (the graph draws `taken` itself). */
function failedNodeStyle(node: string): string {
  // Element names too: more specific than the graph's own `.node.taken > .box`, which comes later in the page.
  const selector = `.pw-graph g.node[data-node="${node.replace(/["\\]/g, (c) => `\\${c}`).replace(/\n/g, '\\a ')}"] > rect.box`;
  return `${selector} { stroke: #dc2626; stroke-width: 3; fill: #fee2e2; }`;
}

function outputJson(value: unknown): string {
  const text = JSON.stringify(value ?? null, null, 2) ?? 'null';
  return text.length <= MAX_OUTPUT_CHARS ? text : `${text.slice(0, MAX_OUTPUT_CHARS)}… (${text.length - MAX_OUTPUT_CHARS} more characters)`;
}

function summaryHtml(report: RunReportInput): string {
  const { outcome } = report;
  const items: [string, string, string?][] = [
    ['workflow file', report.graph.file],
    ['started', report.startedAt],
    ['duration', formatMs(traceEndMs(report.trace))],
    ['node visits', String(report.trace.length)],
    outcome.ok ? ['outcome', `ok, last action "${outcome.action}"`, 'outcome ok'] : ['outcome', `failed: error[${outcome.error.code}] in ${outcome.error.node} (${outcome.error.phase})`, 'outcome failed'],
  ];
  return `<dl class="summary">${items.map(([k, v, cls]) => `<div><dt>${escapeHtml(k)}</dt><dd${cls ? ` class="${cls}"` : ''}>${escapeHtml(v)}</dd></div>`).join('')}</dl>`;
}

function errorHtml(error: RunReportError): string {
  const rows: [string, string][] = [
    ['node', error.node],
    ['phase', error.phase],
    ['code', error.code],
    ['node type', error.type],
    ['plugin', error.plugin ?? 'built-in'],
    ['message', error.message],
  ];
  return [
    `<section class="run-error" id="error" role="alert" data-node="${escapeHtml(error.node)}" data-phase="${escapeHtml(error.phase)}" data-code="${escapeHtml(error.code)}">`,
    '<h2>The run failed</h2>',
    `<dl>${rows.map(([k, v]) => `<dt>${k}</dt><dd class="error-${k.replace(' ', '-')}">${escapeHtml(v)}</dd>`).join('')}</dl>`,
    '</section>',
  ].join('\n');
}

/** The report page of one run. */
export function runReportHtml(report: RunReportInput): string {
  const { graph, trace, outcome } = report;
  const taken = takenPath(graph, trace);
  const svg = renderGraphSvg(graph, { taken });
  const path = outcome.path.length ? outcome.path.join(' → ') : '(none)';
  const body = [
    '<header>',
    `<h1>Run of ${escapeHtml(graph.name)}</h1>`,
    summaryHtml(report),
    '</header>',
    outcome.ok ? '' : errorHtml(outcome.error),
    '<section id="graph">',
    '<h2>Path taken</h2>',
    `<p class="path">Path: <code>${escapeHtml(path)}</code>. The nodes and connections the run went through are highlighted.</p>`,
    `<div class="graph">${svg}</div>`,
    '</section>',
    '<section id="timeline">',
    '<h2>Timeline</h2>',
    '<p>One row per node visit, in the order the visits started; times from the start of the run. Hover a bar or tick for details, or open a row’s list.</p>',
    timelineHtml(trace),
    '</section>',
    '<section id="store">',
    '<h2>Shared store</h2>',
    storeDiffHtml(report.storeBefore, report.storeAfter),
    '</section>',
    outcome.ok ? `<section id="output"><h2>Output</h2><pre class="output"><code>${escapeHtml(outputJson(outcome.output))}</code></pre></section>` : '',
  ]
    .filter(Boolean)
    .join('\n');
  const style = [PAGE_STYLE, TIMELINE_STYLE, STORE_STYLE, outcome.ok ? '' : failedNodeStyle(outcome.error.node)].join('\n');
  return htmlPage({ title: `Run of ${graph.name}`, style, body });
}

/** Write the report page of one run to `file`. */
export function writeRunReport(file: string, report: RunReportInput): void {
  try {
    writeFileSync(file, runReportHtml(report));
  } catch (err) {
    throw new PluginError('not-found', `cannot write the run report ${file}: ${(err as Error).message}`);
  }
}
