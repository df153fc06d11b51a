/**
 * `pocket-wit graph -o wf.html`: the workflow's graph (graph-svg.ts) on a self-contained page,
 * with its name and description, what the drawing means, and every problem the check found in
 * full (node, severity, message, file and line); clicking a node's problem shows the node.
 */
import { allProblems, type GraphModel, type GraphProblem } from './graph-model.js';
import { renderGraphSvg } from './graph-svg.js';
import { escapeHtml, htmlPage } from './html-page.js';

const STYLE = `
body { margin: 0; padding: 20px 24px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #0f172a; background: #f8fafc; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 20px 0 8px; }
.summary { color: #475569; margin: 0 0 12px; }
.graph { margin: 0; overflow: auto; background: #fff; border: 1px solid #e2e8f0; border-radius: 8px; padding: 8px; }
.graph svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
.problems ul { list-style: none; padding: 0; margin: 0; }
.problems li { padding: 6px 10px; margin: 4px 0; border-left: 4px solid #dc2626; background: #fef2f2; }
.problems li.warning { border-color: #d97706; background: #fffbeb; }
.problems .severity { font-weight: 700; text-transform: uppercase; font-size: 12px; margin-right: 6px; }
.problems li.error .severity { color: #b91c1c; }
.problems li.warning .severity { color: #b45309; }
.problems .where { color: #64748b; font-size: 12px; margin-left: 6px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
.legend { color: #475569; font-size: 13px; }
.legend li { margin: 2px 0; }
.problems li[data-problem-node] { cursor: pointer; }
.pw-graph .node.focused > .box { stroke: #7c3aed; stroke-width: 4; }
`;

/** Clicking a problem of a node shows that node: scrolled into view and outlined. */
const SCRIPT = `
document.querySelectorAll('.problems li[data-problem-node]').forEach((item) => {
  item.addEventListener('click', () => {
    const id = item.getAttribute('data-problem-node');
    document.querySelectorAll('.pw-graph .node.focused').forEach((n) => n.classList.remove('focused'));
    const node = [...document.querySelectorAll('.pw-graph [data-node]')].find((n) => n.getAttribute('data-node') === id);
    if (!node) return;
    node.classList.add('focused');
    node.scrollIntoView({ block: 'center', inline: 'center', behavior: 'smooth' });
  });
});
`;

function where(p: GraphProblem): string {
  return p.line !== undefined ? `${p.file}:${p.line}:${p.column ?? 1}` : p.file;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The graph page of a model. */
export function renderGraphHtml(model: GraphModel): string {
  const problems = allProblems(model);
  const errors = problems.filter((p) => p.problem.severity === 'error').length;
  const summary = [plural(model.nodes.length, 'node'), plural(model.edges.length, 'connection'), problems.length ? `${plural(errors, 'error')}, ${plural(problems.length - errors, 'warning')}` : 'no problems'];
  const items = problems.map(({ node, problem }) => {
    const target = node !== undefined ? `<code class="node-ref">${escapeHtml(node)}</code>: ` : '';
    return `<li class="problem ${problem.severity}"${node !== undefined ? ` data-problem-node="${escapeHtml(node)}"` : ''}><span class="severity">${problem.severity}</span>${target}${escapeHtml(problem.message)}<span class="where">${escapeHtml(where(problem))}</span></li>`;
  });
  const body = [
    `<header><h1>${escapeHtml(model.name)}</h1>`,
    model.description ? `<p class="description">${escapeHtml(model.description)}</p>` : '',
    `<p class="summary"><code>${escapeHtml(model.file)}</code> · ${escapeHtml(summary.join(' · '))}</p></header>`,
    problems.length ? `<section class="problems"><h2>Problems</h2><ul>\n${items.join('\n')}\n</ul></section>` : '',
    `<figure class="graph" role="group">\n${renderGraphSvg(model, { problemList: false })}</figure>`,
    '<section class="legend"><h2>Reading the graph</h2><ul>',
    '<li>Each box is a node: its name, then its type and where the type comes from (a plugin and its version, or built-in).</li>',
    '<li>Arrows are connections, labelled with the action that follows them; <b>start</b> marks where a run begins.</li>',
    '<li>Dashed frames are nested flows and parallel nodes, holding their own nodes; dashed arrows lead to where they start.</li>',
    '<li>Badges show retries (attempts / delay) and timeouts; red and orange outlines are errors and warnings (hover for the full message).</li>',
    '</ul></section>',
  ].filter(Boolean);
  return htmlPage({ title: `${model.name}: workflow graph`, style: STYLE, body: body.join('\n'), ...(problems.length ? { script: SCRIPT } : {}) });
}
