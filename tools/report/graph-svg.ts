/**
 * A graph model drawn as SVG: laid out by dagre (compound graph: nested flows and parallel
 * nodes are clusters holding their nodes), drawn here. The output is deterministic (no ids from
 * a counter, no time, numbers rounded), so the same workflow always gives the same bytes.
 *
 * Every node is a `<g data-node="<id>">` (ids are the engine's trace names), every connection a
 * `<g data-edge="<from>-><to>" data-action="<action>">` with its action as visible text. Nodes
 * and edges of the path a run took can be highlighted (class `taken`). Problems are drawn on
 * their node (class `error` / `warning`, the message in the box and as a `<title>` tooltip);
 * problems of the whole workflow are listed under the graph.
 */
import dagre from '@dagrejs/dagre';
import { escapeHtml } from './html-page.js';
import type { GraphModel, GraphNode, GraphProblem } from './graph-model.js';
import { nodeBadges, nodeSubtitle, shortMessage } from './graph-labels.js';

/** The path a run took, to highlight: node ids (trace names) and the connections followed. */
export interface TakenPath {
  nodes: string[];
  edges: { from: string; to: string; action: string }[];
}

export interface GraphSvgOptions {
  taken?: TakenPath;
  /** List the workflow-level problems under the graph (default true; a page listing them itself may turn it off). */
  problemList?: boolean;
}

/** Monospace text metrics (the style below uses a monospace font): width of one character per font size. */
const CHAR = 0.62;
const NAME_SIZE = 13;
const SUB_SIZE = 11;
const BADGE_SIZE = 10;
const LABEL_SIZE = 11;
const PAD_X = 10;
const LINE = 17;
const BADGE_H = 16;
/** Longest problem text shown in a node box (the whole message is in its tooltip). */
const PROBLEM_CHARS = 52;

const STYLE = `
.pw-graph { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace; }
.pw-graph .bg { fill: #ffffff; }
.pw-graph .title { font-size: 14px; font-weight: 700; fill: #0f172a; }
.pw-graph .box { fill: #f8fafc; stroke: #64748b; stroke-width: 1.2; }
.pw-graph .plugin > .box { fill: #eff6ff; stroke: #2563eb; }
.pw-graph .group > .box { fill: #ffffff; stroke: #475569; }
.pw-graph .unknown > .box, .pw-graph .missing > .box { fill: #fef2f2; stroke-dasharray: 4 3; }
.pw-graph .cluster { fill: #64748b; fill-opacity: 0.07; stroke: #94a3b8; stroke-dasharray: 6 3; }
.pw-graph .start > .box { stroke-width: 2.6; }
.pw-graph .warning > .box { stroke: #d97706; stroke-width: 2.6; }
.pw-graph .error > .box { stroke: #dc2626; stroke-width: 2.6; }
.pw-graph .name { font-size: ${NAME_SIZE}px; font-weight: 700; fill: #0f172a; }
.pw-graph .sub { font-size: ${SUB_SIZE}px; fill: #475569; }
.pw-graph .badge rect { fill: #e2e8f0; stroke: none; }
.pw-graph .badge text { font-size: ${BADGE_SIZE}px; fill: #1e293b; }
.pw-graph .badge.start rect { fill: #bbf7d0; }
.pw-graph .badge.retry rect { fill: #e0e7ff; }
.pw-graph .badge.timeout rect { fill: #fde68a; }
.pw-graph .problem { font-size: ${SUB_SIZE}px; }
.pw-graph .problem.error { fill: #b91c1c; }
.pw-graph .problem.warning { fill: #b45309; }
.pw-graph .start-marker ellipse { fill: #16a34a; }
.pw-graph .start-marker text { font-size: 11px; font-weight: 700; fill: #ffffff; }
.pw-graph .edge path { fill: none; stroke: #475569; stroke-width: 1.4; }
.pw-graph .edge.inner path { stroke: #94a3b8; stroke-dasharray: 4 3; }
.pw-graph .edge .label-bg { fill: #ffffff; stroke: #cbd5e1; }
.pw-graph .edge text { font-size: ${LABEL_SIZE}px; fill: #1e293b; }
.pw-graph .node.taken > .box { fill: #fef9c3; stroke: #ca8a04; stroke-width: 2.6; }
.pw-graph .edge.taken path { stroke: #ca8a04; stroke-width: 3; stroke-dasharray: none; }
.pw-graph .edge.taken .label-bg { stroke: #ca8a04; }
.pw-graph .footer { font-size: 12px; }
.pw-graph .footer.error { fill: #b91c1c; }
.pw-graph .footer.warning { fill: #b45309; }
`;

/** An attribute value: only what would end or break it is escaped (`a->b` stays readable). */
function attr(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/** A number as short, stable text (one decimal). */
function n(v: number): string {
  const r = Math.round(v * 10) / 10;
  return String(Object.is(r, -0) ? 0 : r);
}

function textWidth(text: string, size: number): number {
  return [...text].length * size * CHAR;
}

function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function severityOf(problems: GraphProblem[]): 'error' | 'warning' | undefined {
  if (problems.some((p) => p.severity === 'error')) return 'error';
  return problems.length ? 'warning' : undefined;
}

function where(p: GraphProblem): string {
  return p.line !== undefined ? `${p.file}:${p.line}:${p.column ?? 1}` : p.file;
}


/** The box of one node (a leaf, or a group's head), measured. */
interface Box {
  node: GraphNode;
  name: string;
  sub: string;
  badges: { kind: string; text: string; width: number }[];
  problems: string[];
  width: number;
  height: number;
}

function measure(node: GraphNode, model: GraphModel): Box {
  const sub = nodeSubtitle(node, model);
  const badges = nodeBadges(node).map((b) => ({ ...b, width: textWidth(b.text, BADGE_SIZE) + 10 }));
  const problems = node.problems.map((p) => clip(`${p.severity}: ${shortMessage(p.message)}`, PROBLEM_CHARS));
  const badgeRow = badges.reduce((w, b) => w + b.width + 4, -4);
  const width = Math.max(110, textWidth(node.name, NAME_SIZE), textWidth(sub, SUB_SIZE), badgeRow, ...problems.map((p) => textWidth(p, SUB_SIZE))) + 2 * PAD_X;
  const height = 8 + LINE * 2 + (badges.length ? BADGE_H + 4 : 0) + problems.length * (LINE - 2) + 4;
  return { node, name: node.name, sub, badges, problems, width: Math.ceil(width), height };
}

interface Point {
  x: number;
  y: number;
}

/** A smooth path through dagre's edge points (the B-spline d3's curveBasis draws). */
function curve(points: Point[]): string {
  const p = points.map((q) => `${n(q.x)},${n(q.y)}`);
  if (points.length < 3) return `M${p.join('L')}`;
  const at = (a: number, b: number, c: number, d: number): string => {
    const x0 = points[a]!, x1 = points[b]!;
    return `${n((c * x0.x + d * x1.x) / (c + d))},${n((c * x0.y + d * x1.y) / (c + d))}`;
  };
  let d = `M${p[0]}L${at(0, 1, 5, 1)}`;
  const segment = (i0: number, i1: number, i: number): string => {
    const a = points[i0]!, b = points[i1]!, c = points[i]!;
    return `C${at(i0, i1, 2, 1)} ${at(i0, i1, 1, 2)} ${n((a.x + 4 * b.x + c.x) / 6)},${n((a.y + 4 * b.y + c.y) / 6)}`;
  };
  for (let i = 2; i < points.length; i++) d += segment(i - 2, i - 1, i);
  const last = points.length - 1;
  d += segment(last - 1, last, last);
  return `${d}L${p[last]}`;
}

/** How far the loop of a node's `k`-th connection to itself reaches right of its box. */
function loopBulge(k: number): number {
  return 30 + 14 * k;
}

/** Where a node sits in the layout graph: a leaf is one box; a group is a cluster with a head box and an exit point. */
const id = {
  leaf: (node: string) => `n:${node}`,
  head: (node: string) => `h:${node}`,
  exit: (node: string) => `x:${node}`,
  cluster: (node: string) => `c:${node}`,
  start: 's:',
};

/** A drawn layout: node positions, cluster bounds, edge points; all in SVG coordinates. */
interface Drawn {
  boxes: Map<string, Box & Point>;
  clusters: Map<string, { x: number; y: number; width: number; height: number }>;
  /** `d`: a path drawn here rather than through dagre's points (a node's connection to itself). */
  edges: { kind: 'connection' | 'inner' | 'start'; from: string; to: string; action: string; points: Point[]; d?: string; label?: Point & { width: number; height: number } }[];
  start?: Point;
  width: number;
  height: number;
}

function layout(model: GraphModel, top: number): Drawn {
  const g = new dagre.graphlib.Graph({ compound: true, multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 26, ranksep: 34, edgesep: 14, marginx: 16, marginy: top });
  g.setDefaultEdgeLabel(() => ({}));
  const groups = new Set(model.nodes.filter((nd) => nd.entry && nd.entry.length > 0).map((nd) => nd.id));
  const inOf = (nodeId: string): string => (groups.has(nodeId) ? id.head(nodeId) : id.leaf(nodeId));
  const outOf = (nodeId: string): string => (groups.has(nodeId) ? id.exit(nodeId) : id.leaf(nodeId));
  const boxes = new Map<string, Box>();
  const labelSize = (action: string): { width: number; height: number } => ({ width: Math.ceil(textWidth(action, LABEL_SIZE) + 10), height: 18 });
  // A node's connections to itself are loops on its right, drawn here (dagre's are not usable):
  // the node is laid out wider, on both sides so that its box stays centred.
  const loops = new Map<string, number[]>();
  model.edges.forEach((e, i) => {
    if (e.from === e.to && !groups.has(e.from)) loops.set(e.from, [...(loops.get(e.from) ?? []), i]);
  });
  const loopSpace = (nodeId: string): number => {
    const mine = loops.get(nodeId) ?? [];
    if (mine.length === 0) return 0;
    return Math.ceil(loopBulge(mine.length - 1) * 0.75 + 6 + Math.max(...mine.map((i) => labelSize(model.edges[i]!.action).width)));
  };

  for (const node of model.nodes) {
    const box = measure(node, model);
    boxes.set(node.id, box);
    const parent = node.parent !== undefined && groups.has(node.parent) ? id.cluster(node.parent) : undefined;
    if (groups.has(node.id)) {
      g.setNode(id.cluster(node.id), {});
      g.setNode(id.head(node.id), { width: box.width, height: box.height });
      g.setNode(id.exit(node.id), { width: 1, height: 1 });
      g.setParent(id.head(node.id), id.cluster(node.id));
      g.setParent(id.exit(node.id), id.cluster(node.id));
      if (parent) g.setParent(id.cluster(node.id), parent);
    } else {
      g.setNode(id.leaf(node.id), { width: box.width + 2 * loopSpace(node.id), height: box.height });
      if (parent) g.setParent(id.leaf(node.id), parent);
    }
  }

  model.edges.forEach((e, i) => {
    if (e.from === e.to && loops.has(e.from)) return;
    g.setEdge(outOf(e.from), inOf(e.to), { ...labelSize(e.action), labelpos: 'c', minlen: 1 }, `e${i}`);
  });
  // Inside a group: its head leads to where it starts; where it can end leads to its exit.
  for (const groupId of groups) {
    const group = model.nodes.find((nd) => nd.id === groupId)!;
    for (const entry of group.entry!) g.setEdge(id.head(groupId), inOf(entry), {}, `enter:${entry}`);
    const members = model.nodes.filter((nd) => nd.parent === groupId);
    const ends = group.kind === 'parallel' ? members : members.filter((m) => !model.edges.some((e) => e.from === m.id));
    for (const end of ends.length ? ends : members.slice(-1)) g.setEdge(outOf(end.id), id.exit(groupId), { weight: 0 }, `leave:${end.id}`);
  }
  const startNode = model.nodes.find((nd) => nd.id === model.start && nd.parent === undefined);
  if (startNode) {
    g.setNode(id.start, { width: 56, height: 22 });
    g.setEdge(id.start, inOf(startNode.id), {}, 'start');
  }

  dagre.layout(g);

  const drawn: Drawn = { boxes: new Map(), clusters: new Map(), edges: [], width: 0, height: 0 };
  for (const node of model.nodes) {
    const box = boxes.get(node.id)!;
    const at = g.node(inOf(node.id)) as { x: number; y: number };
    drawn.boxes.set(node.id, { ...box, x: at.x, y: at.y });
    if (groups.has(node.id)) {
      const c = g.node(id.cluster(node.id)) as { x: number; y: number; width: number; height: number };
      drawn.clusters.set(node.id, { x: c.x - c.width / 2, y: c.y - c.height / 2, width: c.width, height: c.height });
    }
  }
  // An edge leaving a group starts at the group's lower border (its exit point is inside).
  const leaving = (nodeId: string, points: Point[]): Point[] => {
    const c = drawn.clusters.get(nodeId);
    if (!c || points.length === 0) return points;
    return [{ x: points[0]!.x, y: c.y + c.height }, ...points.slice(1)];
  };
  // An edge ends at a widened node's box, not at the space kept for its loops.
  const toBox = (nodeId: string, p: Point, toward: Point): Point => {
    if (!loops.has(nodeId)) return p;
    const b = drawn.boxes.get(nodeId)!;
    const x = Math.min(Math.max(p.x, b.x - b.width / 2 + 6), b.x + b.width / 2 - 6);
    return { x, y: b.y + (toward.y < b.y ? -b.height / 2 : b.height / 2) };
  };
  model.edges.forEach((e, i) => {
    if (e.from === e.to && loops.has(e.from)) {
      const mine = loops.get(e.from)!;
      const k = mine.indexOf(i);
      const b = drawn.boxes.get(e.from)!;
      const right = b.x + b.width / 2;
      const bulge = loopBulge(k);
      const y0 = b.y - b.height / 4;
      const y1 = b.y + b.height / 4;
      const size = labelSize(e.action);
      const label = { x: right + bulge * 0.75 + 4 + size.width / 2, y: b.y + (k - (mine.length - 1) / 2) * 20, ...size };
      const d = `M${n(right)},${n(y0)}C${n(right + bulge)},${n(y0 - 6)} ${n(right + bulge)},${n(y1 + 6)} ${n(right)},${n(y1)}`;
      drawn.edges.push({ kind: 'connection', ...e, points: [], d, label });
      return;
    }
    const label = g.edge(outOf(e.from), inOf(e.to), `e${i}`) as { points: Point[]; x: number; y: number; width: number; height: number };
    let points = leaving(e.from, label.points);
    if (points.length >= 2) {
      points = [toBox(e.from, points[0]!, points[1]!), ...points.slice(1, -1), toBox(e.to, points.at(-1)!, points.at(-2)!)];
    }
    drawn.edges.push({ kind: 'connection', ...e, points, label: { x: label.x, y: label.y, width: label.width, height: label.height } });
  });
  for (const groupId of groups) {
    const group = model.nodes.find((nd) => nd.id === groupId)!;
    for (const entry of group.entry!) {
      const label = g.edge(id.head(groupId), inOf(entry), `enter:${entry}`) as { points: Point[] };
      drawn.edges.push({ kind: 'inner', from: groupId, to: entry, action: '', points: label.points });
    }
  }
  if (startNode) {
    const s = g.node(id.start) as Point;
    drawn.start = { x: s.x, y: s.y };
    const label = g.edge(id.start, inOf(startNode.id), 'start') as { points: Point[] };
    drawn.edges.push({ kind: 'start', from: '', to: startNode.id, action: '', points: label.points });
  }
  const graph = g.graph() as { width?: number; height?: number };
  drawn.width = Math.ceil(graph.width ?? 0);
  drawn.height = Math.ceil(graph.height ?? 0);
  return drawn;
}

function tooltip(node: GraphNode, sub: string): string {
  const lines = [`${node.id} (${sub})`];
  if (node.description) lines.push(node.description);
  for (const p of node.problems) lines.push(`${p.severity}: ${p.message} (${where(p)})`);
  return `<title>${escapeHtml(lines.join('\n'))}</title>`;
}

function drawBox(b: Box & Point): string[] {
  const left = b.x - b.width / 2;
  const top = b.y - b.height / 2;
  const out = [`<rect class="box" x="${n(left)}" y="${n(top)}" width="${n(b.width)}" height="${n(b.height)}" rx="6"/>`];
  let y = top + 8 + LINE - 4;
  out.push(`<text class="name" x="${n(left + PAD_X)}" y="${n(y)}">${escapeHtml(b.name)}</text>`);
  y += LINE;
  out.push(`<text class="sub" x="${n(left + PAD_X)}" y="${n(y - 2)}">${escapeHtml(b.sub)}</text>`);
  if (b.badges.length) {
    let x = left + PAD_X;
    const by = y + 2;
    for (const badge of b.badges) {
      out.push(`<g class="badge ${badge.kind}"><rect x="${n(x)}" y="${n(by)}" width="${n(badge.width)}" height="${BADGE_H}" rx="8"/><text x="${n(x + 5)}" y="${n(by + 11.5)}">${escapeHtml(badge.text)}</text></g>`);
      x += badge.width + 4;
    }
    y += BADGE_H + 4;
  }
  b.problems.forEach((text, i) => {
    y += LINE - 2;
    out.push(`<text class="problem ${b.node.problems[i]!.severity}" x="${n(left + PAD_X)}" y="${n(y - 2)}">${escapeHtml(text)}</text>`);
  });
  return out;
}

/** The model as a standalone SVG document (with its own style), optionally highlighting a run's path. */
export function renderGraphSvg(model: GraphModel, options: GraphSvgOptions = {}): string {
  const TITLE_H = 42;
  const drawn = layout(model, TITLE_H);
  const takenNodes = new Set(options.taken?.nodes ?? []);
  const takenEdges = new Set((options.taken?.edges ?? []).map((e) => `${e.from}\u0000${e.to}\u0000${e.action}`));
  const footer = options.problemList === false ? [] : model.problems.map((p) => ({ severity: p.severity, text: `${p.severity}: ${p.message} (${where(p)})` }));
  const FOOT_LINE = 18;
  const width = Math.ceil(Math.max(drawn.width, textWidth(`${model.name} · ${model.file}`, 14) + 32, ...footer.map((f) => textWidth(f.text, 12) + 32)));
  const height = drawn.height + (footer.length ? footer.length * FOOT_LINE + 12 : 0);

  const children = new Map<string | undefined, GraphNode[]>();
  for (const node of model.nodes) {
    const parent = node.parent !== undefined && drawn.clusters.has(node.parent) ? node.parent : undefined;
    children.set(parent, [...(children.get(parent) ?? []), node]);
  }
  const drawNode = (node: GraphNode, indent: string): string[] => {
    const b = drawn.boxes.get(node.id)!;
    const severity = severityOf(node.problems);
    const group = drawn.clusters.get(node.id);
    const classes = ['node', node.kind, ...(group ? ['group'] : []), ...(node.start ? ['start'] : []), ...(severity ? [severity] : []), ...(takenNodes.has(node.id) ? ['taken'] : [])];
    const out = [`${indent}<g class="${classes.join(' ')}" data-node="${attr(node.id)}">`, `${indent}  ${tooltip(node, b.sub)}`];
    if (group) out.push(`${indent}  <rect class="cluster" x="${n(group.x)}" y="${n(group.y)}" width="${n(group.width)}" height="${n(group.height)}" rx="10"/>`);
    out.push(...drawBox(b).map((l) => `${indent}  ${l}`));
    for (const child of children.get(node.id) ?? []) out.push(...drawNode(child, `${indent}  `));
    out.push(`${indent}</g>`);
    return out;
  };

  const lines = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="pw-graph" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(`Workflow ${model.name}`)}">`,
    `<title>${escapeHtml(`${model.name} (${model.file})`)}</title>`,
    `<style>${STYLE}</style>`,
    '<defs>',
    '  <marker id="pw-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#475569"/></marker>',
    '  <marker id="pw-arrow-taken" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#ca8a04"/></marker>',
    '</defs>',
    `<rect class="bg" width="${width}" height="${height}"/>`,
    `<text class="title" x="16" y="22">${escapeHtml(`${model.name} · ${model.file}`)}</text>`,
    '<g class="nodes">',
  ];
  for (const node of children.get(undefined) ?? []) lines.push(...drawNode(node, '  '));
  lines.push('</g>', '<g class="edges">');
  if (drawn.start) {
    const taken = takenNodes.has(model.start);
    lines.push(`  <g class="start-marker${taken ? ' taken' : ''}" data-start="${attr(model.start)}"><ellipse cx="${n(drawn.start.x)}" cy="${n(drawn.start.y)}" rx="28" ry="11"/><text x="${n(drawn.start.x - 15.5)}" y="${n(drawn.start.y + 4)}">start</text></g>`);
  }
  for (const e of drawn.edges) {
    const taken = e.kind === 'connection' ? takenEdges.has(`${e.from}\u0000${e.to}\u0000${e.action}`) : takenNodes.has(e.to);
    const marker = taken ? 'pw-arrow-taken' : 'pw-arrow';
    const path = `<path d="${e.d ?? curve(e.points)}" marker-end="url(#${marker})"/>`;
    if (e.kind === 'connection') {
      const l = e.label!;
      lines.push(
        `  <g class="edge${taken ? ' taken' : ''}" data-edge="${attr(`${e.from}->${e.to}`)}" data-action="${attr(e.action)}">${path}` +
          `<rect class="label-bg" x="${n(l.x - l.width / 2)}" y="${n(l.y - l.height / 2)}" width="${n(l.width)}" height="${n(l.height)}" rx="4"/>` +
          `<text x="${n(l.x - l.width / 2 + 5)}" y="${n(l.y + 4)}">${escapeHtml(e.action)}</text></g>`,
      );
    } else {
      lines.push(`  <g class="edge inner${taken ? ' taken' : ''}" data-enter="${attr(e.to)}">${path}</g>`);
    }
  }
  lines.push('</g>');
  if (footer.length) {
    lines.push('<g class="problems">');
    footer.forEach((f, i) => lines.push(`  <text class="footer ${f.severity}" x="16" y="${drawn.height + 12 + i * FOOT_LINE}">${escapeHtml(f.text)}</text>`));
    lines.push('</g>');
  }
  lines.push('</svg>', '');
  return lines.join('\n');
}
