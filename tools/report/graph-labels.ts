/**
 * The words of a graph, the same in every format (SVG, Mermaid): a node's subtitle (its type and
 * where the type comes from), its badges, and a problem's message shortened for a node's box.
 */
import type { GraphModel, GraphNode } from './graph-model.js';

/** The second line of a node box: what it is and where it comes from. */
export function nodeSubtitle(node: GraphNode, model: GraphModel): string {
  switch (node.kind) {
    case 'plugin':
      return `${node.type} · ${node.plugin!.name}@${node.plugin!.version}`;
    case 'flow':
      return node.flow ? `flow · ${node.flow.path}` : 'flow';
    case 'parallel':
      return `parallel · ${model.nodes.filter((c) => c.parent === node.id).length} nodes`;
    case 'unknown':
      return `${node.type} · unknown type`;
    case 'missing':
      return 'not defined';
    default:
      return `${node.type} · built-in`;
  }
}

/** A node's badges: start, retry (attempts / delay), timeout. */
export function nodeBadges(node: GraphNode): { kind: 'start' | 'retry' | 'timeout'; text: string }[] {
  const badges: { kind: 'start' | 'retry' | 'timeout'; text: string }[] = [];
  if (node.start) badges.push({ kind: 'start', text: 'start' });
  if (node.retry) badges.push({ kind: 'retry', text: `retry ×${node.retry.maxAttempts}${node.retry.delay ? ` / ${node.retry.delay}` : ''}` });
  if (node.timeout) badges.push({ kind: 'timeout', text: `timeout ${node.timeout}` });
  return badges;
}

/**
 * A problem as its node's box shows it: without the "config of node ... :" prefix (the box says
 * which node) and without the explanation after a `;` (the tooltip and the page have it all).
 */
export function shortMessage(message: string): string {
  let text = message;
  // A nested flow's problem, as the check reports it on the node including it: its innermost message.
  for (let previous = ''; previous !== text; ) {
    previous = text;
    text = text
      .replace(/^config of node "(?:[^"\\]|\\.)*" \([^)]*\): (nodes: )?/, '')
      .replace(/^in [^:]+: \S+?:(\d+:\d+:)? (error|warning): /, '')
      .replace(/ \(at [\w.]+\)$/, '');
  }
  return text
    .replace(/ in node "(?:[^"\\]|\\.)*"/, '')
    .replace(/^(unknown node type "(?:[^"\\]|\\.)*") for "(?:[^"\\]|\\.)*"$/, '$1')
    .replace(/^node "(?:[^"\\]|\\.)*" is unreachable/, 'unreachable')
    .split('; ')[0]!;
}
