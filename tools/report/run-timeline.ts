/**
 * The timeline of a run, as HTML: one row per node visit, in the order the visits started
 * (nested nodes indented under their flow or parallel node), on one time axis from the run's
 * start. Each row draws its phase calls as bars (prep, every exec attempt, the waits between
 * attempts, post; failed calls marked) and the plugin's host calls as ticks (store calls and log
 * records, with their key or level on hover), and lists all of them as text for screen readers
 * and copying. Plain HTML and CSS: no script.
 */
import type { TraceStep } from '../../host/src/workflow/engine.js';
import type { TraceCall, TraceSpan } from '../../host/src/workflow/trace.js';
import { escapeHtml } from './html-page.js';
import { stepsByStart } from './run-path.js';

/** Rows drawn at most (a run may take up to its step limit of visits); the rest are counted. */
export const MAX_ROWS = 2000;
/** Host calls drawn at most over the whole timeline (ticks and list); the rest are counted per row. */
export const MAX_DRAWN_CALLS = 5000;

/** The timeline's styles (the page includes them once). */
export const TIMELINE_STYLE = `
.timeline { list-style: none; margin: 0; padding: 0; }
.timeline .axis, .timeline .row { display: grid; grid-template-columns: minmax(12rem, 20rem) 1fr; gap: 0 .75rem; align-items: center; }
.timeline .axis { font-size: 11px; color: #475569; height: 1.4rem; }
.timeline .axis .track { border-bottom: 1px solid #cbd5e1; height: 100%; }
.timeline .axis .mark { position: absolute; bottom: 0; transform: translateX(-50%); white-space: nowrap; }
.timeline .axis .mark::after { content: ""; position: absolute; left: 50%; bottom: -4px; height: 4px; border-left: 1px solid #94a3b8; }
.timeline .row { padding: 3px 0; border-bottom: 1px solid #f1f5f9; }
.timeline .row.failed .label .name { color: #b91c1c; }
.timeline .label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-size: 12px; }
.timeline .label .name { font-weight: 700; }
.timeline .label .meta { color: #64748b; margin-left: .4rem; }
.timeline .track { position: relative; height: 22px; }
.timeline .visit { position: absolute; top: 9px; height: 4px; background: #e2e8f0; border-radius: 2px; min-width: 2px; }
.timeline .bar { position: absolute; top: 3px; height: 16px; min-width: 3px; border-radius: 3px; box-sizing: border-box; }
.timeline .bar.prep { background: #93c5fd; }
.timeline .bar.exec { background: #2563eb; }
.timeline .bar.wait { background: repeating-linear-gradient(45deg, #fde68a, #fde68a 3px, #fef3c7 3px, #fef3c7 6px); border: 1px solid #d97706; }
.timeline .bar.post { background: #34d399; }
.timeline .bar.failed { background: #fecaca; border: 2px solid #dc2626; }
.timeline .tick { position: absolute; top: 0; width: 2px; height: 22px; margin-left: -1px; background: #7c3aed; }
.timeline .tick.log { background: #0f766e; height: 8px; top: 14px; }
.timeline .tick.store-set, .timeline .tick.store-delete { background: #c026d3; }
.timeline details { grid-column: 2; font-size: 12px; margin: 2px 0 4px; }
.timeline details summary { cursor: pointer; color: #475569; }
.timeline details ol { margin: 4px 0; padding-left: 1.4rem; }
.timeline details li.failed { color: #b91c1c; }
.legend { display: flex; flex-wrap: wrap; gap: .9rem; font-size: 12px; color: #334155; margin: .3rem 0 .8rem; padding: 0; list-style: none; }
.legend span { display: inline-block; width: 14px; height: 10px; margin-right: 4px; vertical-align: middle; border-radius: 2px; }
`;

/** Milliseconds as short text: `0.25 ms`, `14.6 ms`, `312 ms`, `2.41 s`. */
export function formatMs(ms: number): string {
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  if (ms >= 1) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** A position on the axis as a CSS percentage. */
function pct(ms: number, total: number): string {
  return `${Math.max(0, Math.min(100, (ms / total) * 100)).toFixed(3)}%`;
}

/** The end of the run as the trace knows it: the latest end of a visit, span or call. */
export function traceEndMs(trace: readonly TraceStep[]): number {
  let end = 0;
  for (const s of trace) {
    end = Math.max(end, s.offsetMs + s.durationMs);
    for (const span of s.spans) end = Math.max(end, span.startMs + span.durationMs);
    for (const c of s.calls ?? []) end = Math.max(end, c.atMs);
  }
  return end;
}

/** Axis marks at a round interval (1, 2 or 5 times a power of ten), about six of them. */
function axisMarks(total: number): number[] {
  const raw = total / 6;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const interval = [1, 2, 5, 10].map((m) => m * pow).find((v) => v >= raw) ?? 10 * pow;
  const marks: number[] = [];
  for (let t = 0; t <= total + 1e-9; t += interval) marks.push(t);
  return marks;
}

/** What a span is, in words (its bar's tooltip and its line in the list). */
export function describeSpan(span: TraceSpan): string {
  const name = span.phase === 'exec' ? `exec attempt ${span.attempt ?? 1}` : span.phase === 'wait' ? `wait after attempt ${span.attempt ?? 1}` : span.phase;
  const outcome = span.failed ? (span.instanceDied ? ` · instance died (${span.code}), called again on a fresh instance` : ` · failed (${span.code})`) : '';
  return `${name}${outcome} · ${formatMs(span.durationMs)}, at ${formatMs(span.startMs)}`;
}

/** What a host call is, in words: the call, its key or level, its phase and time. */
export function describeCall(call: TraceCall): string {
  const what = call.call === 'log' ? `log ${call.level ?? ''}`.trim() : `${call.call} ${JSON.stringify(call.key ?? '')}`;
  return `${what} (${call.phase}) at ${formatMs(call.atMs)}`;
}

function rowHtml(step: TraceStep, total: number, budget: { calls: number }): string {
  const depth = step.node.split('/').length - 1;
  const failed = step.error !== undefined;
  const meta = [step.type, ...(step.plugin ? [`plugin ${step.plugin}`] : []), formatMs(step.durationMs), ...(step.retries ? [`${step.retries} ${step.retries === 1 ? 'retry' : 'retries'}`] : [])];
  const visitTitle = `${step.node}: ${formatMs(step.durationMs)} from ${formatMs(step.offsetMs)}${step.action ? ` → ${step.action}` : ''}${failed ? ` · failed in ${step.error!.phase} (${step.error!.code})` : ''}`;
  const bars = step.spans.map((span) => {
    const title = describeSpan(span);
    return `<span class="bar ${span.phase}${span.failed ? ' failed' : ''}" data-phase="${span.phase}"${span.attempt !== undefined ? ` data-attempt="${span.attempt}"` : ''} style="left:${pct(span.startMs, total)};width:${pct(span.durationMs, total)}" title="${escapeHtml(title)}"></span>`;
  });
  const recorded = step.calls ?? [];
  const calls = recorded.slice(0, Math.max(0, budget.calls));
  budget.calls -= calls.length;
  const notDrawn = recorded.length - calls.length;
  const ticks = calls.map((c) => `<span class="tick ${c.call}" data-call="${c.call}" style="left:${pct(c.atMs, total)}" title="${escapeHtml(describeCall(c))}"></span>`);
  const items = [
    ...step.spans.map((span) => ({ at: span.startMs, html: `<li class="span${span.failed ? ' failed' : ''}">${escapeHtml(describeSpan(span))}</li>` })),
    ...calls.map((c) => ({ at: c.atMs, html: `<li class="call">${escapeHtml(describeCall(c))}</li>` })),
  ].sort((a, b) => a.at - b.at);
  if (notDrawn) items.push({ at: Infinity, html: `<li class="dropped">${notDrawn} more host calls, in the trace but not drawn here</li>` });
  if (step.callsDropped) items.push({ at: Infinity, html: `<li class="dropped">${step.callsDropped} more host calls, not recorded</li>` });
  if (failed) items.push({ at: Infinity, html: `<li class="failed">failed in ${escapeHtml(step.error!.phase)}: error[${escapeHtml(step.error!.code)}] ${escapeHtml(step.error!.message)}</li>` });
  const hostCalls = recorded.length + (step.callsDropped ?? 0);
  const summary = `${step.spans.length} phase ${step.spans.length === 1 ? 'call' : 'calls'}${hostCalls ? `, ${hostCalls} host ${hostCalls === 1 ? 'call' : 'calls'}` : ''}`;
  return [
    `<li class="row${failed ? ' failed' : ''}" data-step-node="${escapeHtml(step.node)}" data-step="${step.step}">`,
    `<div class="label" style="padding-left:${depth * 14}px" title="${escapeHtml(visitTitle)}"><span class="name">${escapeHtml(step.node)}</span><span class="meta">${escapeHtml(meta.join(' · '))}</span></div>`,
    `<div class="track"><span class="visit" style="left:${pct(step.offsetMs, total)};width:${pct(step.durationMs, total)}" title="${escapeHtml(visitTitle)}"></span>${bars.join('')}${ticks.join('')}</div>`,
    `<details><summary>${escapeHtml(summary)}</summary><ol>${items.map((i) => i.html).join('')}</ol></details>`,
    '</li>',
  ].join('');
}

/** The timeline of `trace` as HTML (a legend and an ordered list of rows). */
export function timelineHtml(trace: readonly TraceStep[]): string {
  if (trace.length === 0) return '<p class="empty">No node was visited.</p>';
  const total = traceEndMs(trace) || 1;
  const rows = stepsByStart(trace);
  const budget = { calls: MAX_DRAWN_CALLS };
  const marks = axisMarks(total)
    .map((t) => `<span class="mark" style="left:${pct(t, total)}">${escapeHtml(formatMs(t))}</span>`)
    .join('');
  const legend = [
    ['prep', '#93c5fd'],
    ['exec attempt', '#2563eb'],
    ['wait between attempts', '#fde68a'],
    ['post', '#34d399'],
    ['failed call', '#fecaca; border: 2px solid #dc2626'],
    ['store call', '#7c3aed'],
    ['log record', '#0f766e'],
  ]
    .map(([label, color]) => `<li><span style="background:${color}"></span>${label}</li>`)
    .join('');
  return [
    `<ul class="legend" aria-label="Legend">${legend}</ul>`,
    '<ol class="timeline">',
    `<li class="axis" aria-hidden="true"><div></div><div class="track">${marks}</div></li>`,
    ...rows.slice(0, MAX_ROWS).map((s) => rowHtml(s, total, budget)),
    '</ol>',
    rows.length > MAX_ROWS ? `<p class="more">${rows.length - MAX_ROWS} more node visits are not drawn; the trace (--trace) has them all.</p>` : '',
  ].join('\n');
}
