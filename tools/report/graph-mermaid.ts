/**
 * A graph model as Mermaid flowchart text, for docs and pull requests (GitHub renders
 * ```mermaid blocks): `flowchart TD`, a node per workflow node (name, type and origin, badges,
 * problems), a `subgraph` per nested flow or parallel node, edges labelled with their actions,
 * a `start` marker, and classes `error` / `warning` on nodes with problems, whose messages are
 * also listed as `%%` comments. Ids are positional (`n0`, `n1`, ...), so the text is stable.
 */
import type { GraphModel, GraphNode } from './graph-model.js';
import { nodeBadges, nodeSubtitle, shortMessage } from './graph-labels.js';

/** Text safe inside a quoted Mermaid label (entity codes for what Mermaid would read as syntax or HTML). */
export function mermaidText(text: string): string {
  return text
    .replace(/#/g, '#35;')
    .replace(/"/g, '#quot;')
    .replace(/&/g, '#amp;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;')
    .replace(/[\r\n]+/g, ' ');
}

function comment(text: string): string {
  return `%% ${text.replace(/[\r\n]+/g, ' ')}`;
}

function label(node: GraphNode, model: GraphModel): string {
  const lines = [node.name, nodeSubtitle(node, model)];
  const badges = nodeBadges(node);
  if (badges.length) lines.push(badges.map((b) => `[${b.text}]`).join(' '));
  for (const p of node.problems) lines.push(`${p.severity}: ${shortMessage(p.message)}`);
  return `"${lines.map(mermaidText).join('<br/>')}"`;
}

/** The model as a Mermaid flowchart. */
export function renderGraphMermaid(model: GraphModel): string {
  const ids = new Map(model.nodes.map((node, i) => [node.id, `n${i}`]));
  const groups = new Set(model.nodes.filter((node) => node.entry && node.entry.length > 0).map((node) => node.id));
  const out = ['flowchart TD', comment(`workflow ${model.name} (${model.file}), drawn by pocket-wit graph`)];

  const draw = (parent: string | undefined, indent: string): void => {
    for (const node of model.nodes.filter((nd) => nd.parent === parent)) {
      const id = ids.get(node.id)!;
      if (groups.has(node.id)) {
        out.push(`${indent}subgraph ${id} [${label(node, model)}]`);
        out.push(`${indent}  direction TB`);
        draw(node.id, `${indent}  `);
        out.push(`${indent}end`);
      } else {
        out.push(`${indent}${id}[${label(node, model)}]`);
      }
    }
  };
  draw(undefined, '  ');

  const start = ids.get(model.start);
  if (start) out.push(`  start_((start)) --> ${start}`);
  for (const e of model.edges) out.push(`  ${ids.get(e.from)} -->|"${mermaidText(e.action)}"| ${ids.get(e.to)}`);

  out.push('  classDef startNode stroke-width:3px');
  out.push('  classDef error stroke:#dc2626,stroke-width:3px,color:#7f1d1d');
  out.push('  classDef warning stroke:#d97706,stroke-width:3px');
  out.push('  style start_ fill:#16a34a,color:#ffffff,stroke:#15803d');
  const startNodes = model.nodes.filter((node) => node.start && node.problems.length === 0).map((node) => ids.get(node.id)!);
  if (startNodes.length) out.push(`  class ${startNodes.join(',')} startNode`);
  for (const severity of ['error', 'warning'] as const) {
    const marked = model.nodes.filter((node) => (severity === 'error' ? node.problems.some((p) => p.severity === 'error') : node.problems.length > 0 && node.problems.every((p) => p.severity === 'warning')));
    if (marked.length) out.push(`  class ${marked.map((node) => ids.get(node.id)!).join(',')} ${severity}`);
  }
  for (const p of model.problems) out.push(comment(`${p.severity} (${p.file}${p.line !== undefined ? `:${p.line}:${p.column ?? 1}` : ''}): ${p.message}`));
  for (const node of model.nodes) {
    for (const p of node.problems) out.push(comment(`${p.severity} in ${node.id} (${p.file}${p.line !== undefined ? `:${p.line}:${p.column ?? 1}` : ''}): ${p.message}`));
  }
  return `${out.join('\n')}\n`;
}
