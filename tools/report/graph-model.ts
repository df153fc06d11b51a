/**
 * A workflow as a graph, ready to draw: its nodes (plugin nodes with their plugin and version,
 * built-ins, nested flows and `parallel` nodes as groups holding their nodes, recursively),
 * the connections with their actions, the start node, retry and timeout badges, and every
 * problem `flow --check` finds (`validateWorkflow`), attached to the node it is about or kept
 * as a workflow-level problem.
 *
 * Node ids are the names the engine gives nodes in a trace (`TraceStep.node`): `name` at the
 * top, `<flow node>/<name>` inside a nested flow, `<parallel node>/<name>` for a parallel's
 * children. Nothing here depends on where the files are: paths are relative to the workflow's
 * directory, so the same workflow gives the same model everywhere.
 */
import { existsSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { isPluginError } from '../../host/src/errors.js';
import { readWorkflow, type WorkflowNodeDef, type WorkflowProblem, type WorkflowSource } from '../../host/src/workflow/definition.js';
import type { NodeRegistry } from '../../host/src/workflow/node-types.js';
import { validateWorkflow } from '../../host/src/workflow/validate.js';

/** How deep nested flows are drawn (the engine runs at most 16 levels). */
const MAX_DEPTH = 16;

/** One problem found by the check, as drawn. */
export interface GraphProblem {
  severity: 'error' | 'warning';
  message: string;
  /** The workflow file it is in, relative to the top workflow's directory. */
  file: string;
  /** Where in that file, when known. */
  line?: number;
  column?: number;
}

export type GraphNodeKind =
  /** A node type offered by a plugin. */
  | 'plugin'
  /** A built-in node type. */
  | 'builtin'
  /** The built-in `flow`: a nested workflow, drawn as a group of its nodes. */
  | 'flow'
  /** The built-in `parallel`: its nodes run concurrently, drawn as a group. */
  | 'parallel'
  /** A type that no built-in and no plugin offers. */
  | 'unknown'
  /** A name a connection uses that no node has. */
  | 'missing';

export interface GraphNode {
  /** The trace name: `name`, or `<group id>/<name>` inside a group. */
  id: string;
  /** The node's name in its own workflow. */
  name: string;
  /** Its type (`''` for a missing node). */
  type: string;
  kind: GraphNodeKind;
  /** The plugin offering the type, for plugin nodes. */
  plugin?: { name: string; version: string };
  description?: string;
  /** The group (flow or parallel node) it is in. */
  parent?: string;
  /** The start node of its workflow (the top one, or a nested flow's). */
  start: boolean;
  retry?: { maxAttempts: number; delay?: string };
  timeout?: string;
  /** For a `flow` node: the nested file as written, and the nested workflow's name when it could be read. */
  flow?: { path: string; name?: string };
  /** For a group (`flow`, `parallel`): the id of the node its run starts at (a parallel starts all). */
  entry?: string[];
  problems: GraphProblem[];
}

export interface GraphEdge {
  from: string;
  to: string;
  /** The action, `default` when the connection names none. */
  action: string;
}

export interface GraphModel {
  /** The workflow's name. */
  name: string;
  description?: string;
  /** The workflow file's name (no directory). */
  file: string;
  /** Id of the start node. */
  start: string;
  /** Every node in definition order, a group before its nodes. */
  nodes: GraphNode[];
  /** Every connection (a nested flow's before those of the workflow holding it). */
  edges: GraphEdge[];
  /** Problems that belong to no node (a missing start node, plugin version pins, ...). */
  problems: GraphProblem[];
}

/** Every problem of the model: the workflow's, then each node's, in node order. */
export function allProblems(model: GraphModel): { node?: string; problem: GraphProblem }[] {
  return [...model.problems.map((problem) => ({ problem })), ...model.nodes.flatMap((n) => n.problems.map((problem) => ({ node: n.id, problem })))];
}

interface Context {
  registry: NodeRegistry;
  /** The top workflow's directory (absolute): paths and messages are made relative to it. */
  base: string;
  model: GraphModel;
}

/** A message without the absolute paths of this machine (the top workflow's directory, the working directory). */
function portable(message: string, base: string): string {
  let out = message;
  for (const dir of [...new Set([base, process.cwd()])].sort((a, b) => b.length - a.length)) out = out.split(dir + sep).join('');
  return out;
}

function toProblem(p: WorkflowProblem, file: string, ctx: Context): GraphProblem {
  return {
    severity: p.severity,
    message: portable(p.message, ctx.base),
    file: relative(ctx.base, file) || file,
    ...(p.line !== undefined ? { line: p.line } : {}),
    ...(p.column !== undefined ? { column: p.column } : {}),
  };
}

/** The node index a problem's path points at (`nodes.3.type` → 3). */
function nodeIndexOf(path: string): number | undefined {
  const m = /^nodes\.(\d+)(\.|$)/.exec(path);
  return m ? Number(m[1]) : undefined;
}

/** A nested workflow's problems that the check reports on the node including it (drawn inside the group instead). */
function nestedMessage(message: string, node: WorkflowNodeDef, child?: string): boolean {
  return child === undefined ? message.startsWith(`config of node "${node.name}" (flow): in `) : message.startsWith(`config of node "${node.name}" (parallel): nodes: config of "${child}" (flow): in `);
}

/** The child of a parallel node that a problem reported on the parallel node is about. */
function parallelChildOf(node: GraphNode, message: string, model: GraphModel): GraphNode | undefined {
  const m = /^config of node "(?:[^"]|\\")*" \(parallel\): nodes: (?:unknown node type "(?:[^"]|\\")*" for "([^"]+)"$|config of "([^"]+)" \()/.exec(message);
  const name = m?.[1] ?? m?.[2];
  return name === undefined ? undefined : model.nodes.find((c) => c.parent === node.id && c.name === name);
}

/** The plugin (and its version) offering a node type. */
function pluginOf(registry: NodeRegistry, type: string, plugin?: string): { name: string; version: string } | undefined {
  const t = registry.get(type, plugin);
  if (!t?.plugin) return undefined;
  const p = registry.plugins.find((x) => x.name === t.plugin);
  return { name: t.plugin, version: p?.version ?? '?' };
}

function kindOf(registry: NodeRegistry, type: string, plugin?: string): GraphNodeKind {
  const t = registry.get(type, plugin);
  if (!t) return 'unknown';
  if (t.plugin) return 'plugin';
  if (type === 'flow' || type === 'parallel') return type;
  return 'builtin';
}

function configPath(def: { config?: Record<string, unknown> }): string | undefined {
  const path = def.config?.['path'];
  return typeof path === 'string' && path.length > 0 ? path : undefined;
}

/**
 * Add a workflow's nodes and connections to the model under `prefix` (`''` at the top, else
 * `<group id>/`), with its problems; nested flows are added recursively. `stack` holds the
 * files being drawn (a flow including itself is a problem, not a recursion).
 */
function addWorkflow(source: WorkflowSource, ctx: Context, prefix: string, parent: string | undefined, stack: string[]): { start: string } {
  const { def } = source;
  const file = resolve(source.file);
  const baseDir = dirname(file);
  const problems = validateWorkflow(source, ctx.registry);
  const idOf = (name: string): string => `${prefix}${name}`;
  const nodes = new Map<string, GraphNode>();
  const pending: { node: GraphNode; nodeDef: WorkflowNodeDef }[] = [];

  for (const nodeDef of def.nodes) {
    if (nodes.has(nodeDef.name)) continue; // a duplicate name: the check reports it on the first
    const kind = kindOf(ctx.registry, nodeDef.type, nodeDef.plugin);
    const plugin = pluginOf(ctx.registry, nodeDef.type, nodeDef.plugin);
    const node: GraphNode = {
      id: idOf(nodeDef.name),
      name: nodeDef.name,
      type: nodeDef.type,
      kind,
      ...(plugin ? { plugin } : {}),
      ...(nodeDef.description ? { description: nodeDef.description } : {}),
      ...(parent !== undefined ? { parent } : {}),
      start: nodeDef.name === def.start,
      ...(nodeDef.retry ? { retry: { maxAttempts: nodeDef.retry.max_attempts, ...(nodeDef.retry.delay ? { delay: nodeDef.retry.delay } : {}) } } : {}),
      ...(nodeDef.timeout ? { timeout: nodeDef.timeout } : {}),
      problems: [],
    };
    nodes.set(nodeDef.name, node);
    ctx.model.nodes.push(node);
    pending.push({ node, nodeDef });
  }

  // Groups: their own nodes right after them, so a group always comes before what it holds.
  const drawnInside = new Set<string>(); // "node" or "node\0child": nested problems drawn in the group
  const cycles: { node: GraphNode; why: string }[] = []; // flows not drawn again: the problem unless the check has it
  const insertAt = (after: GraphNode): number => ctx.model.nodes.indexOf(after) + 1;
  const group = (node: GraphNode, path: string | undefined, key: string): void => {
    const drawn = addFlowGroup(node, path, baseDir, ctx, stack, insertAt(node));
    if (drawn === true) drawnInside.add(key);
    else if (drawn) cycles.push({ node, why: drawn });
  };
  for (const { node, nodeDef } of pending) {
    if (node.kind === 'flow') {
      group(node, configPath(nodeDef), nodeDef.name);
    } else if (node.kind === 'parallel') {
      const children = Array.isArray(nodeDef.config?.['nodes']) ? (nodeDef.config['nodes'] as unknown[]) : [];
      const entry: string[] = [];
      const inner: GraphNode[] = [];
      for (const child of children) {
        if (!child || typeof child !== 'object') continue;
        const c = child as { name?: unknown; type?: unknown; config?: Record<string, unknown> };
        if (typeof c.name !== 'string' || typeof c.type !== 'string' || entry.includes(`${node.id}/${c.name}`)) continue;
        const kind = kindOf(ctx.registry, c.type);
        const plugin = pluginOf(ctx.registry, c.type);
        const childNode: GraphNode = { id: `${node.id}/${c.name}`, name: c.name, type: c.type, kind, ...(plugin ? { plugin } : {}), parent: node.id, start: false, problems: [] };
        entry.push(childNode.id);
        inner.push(childNode);
      }
      node.entry = entry;
      ctx.model.nodes.splice(insertAt(node), 0, ...inner);
      for (const childNode of inner) {
        if (childNode.kind !== 'flow') continue;
        const c = children.find((x) => (x as { name?: unknown }).name === childNode.name) as { config?: Record<string, unknown> };
        group(childNode, configPath(c), `${nodeDef.name}\u0000${childNode.name}`);
      }
    }
  }

  for (const p of problems) {
    const index = nodeIndexOf(p.path);
    const nodeDef = index !== undefined ? def.nodes[index] : undefined;
    if (nodeDef && p.path.endsWith('.config')) {
      if (drawnInside.has(nodeDef.name) && nestedMessage(p.message, nodeDef)) continue;
      const child = [...drawnInside].find((k) => k.startsWith(`${nodeDef.name}\u0000`) && nestedMessage(p.message, nodeDef, k.split('\u0000')[1]));
      if (child) continue;
    }
    const connection = /^connections\.(\d+)\.(from|to)$/.exec(p.path);
    let target: GraphNode | undefined = nodeDef ? nodes.get(nodeDef.name) : undefined;
    if (!target && connection) {
      // A connection naming a node that does not exist: the missing node is drawn, with the problem.
      const c = def.connections?.[Number(connection[1])];
      const name = c?.[connection[2] as 'from' | 'to'];
      if (name !== undefined) {
        target = nodes.get(name);
        if (!target) {
          target = { id: idOf(name), name, type: '', kind: 'missing', ...(parent !== undefined ? { parent } : {}), start: false, problems: [] };
          nodes.set(name, target);
          ctx.model.nodes.push(target);
        }
      }
    }
    if (!target && /^connections\.\d+$/.test(p.path)) target = nodes.get(def.connections?.[Number(p.path.split('.')[1])]?.from ?? '');
    // A parallel's problem with one of its nodes is drawn on that node.
    if (target?.kind === 'parallel') target = parallelChildOf(target, p.message, ctx.model) ?? target;
    (target ? target.problems : ctx.model.problems).push(toProblem(p, file, ctx));
  }

  for (const { node, why } of cycles) {
    if (!node.problems.some((p) => p.message.includes('includes itself'))) node.problems.push({ severity: 'error', message: `config of node "${node.name}" (flow): path: ${why}`, file: relative(ctx.base, file) || file });
  }

  for (const c of def.connections ?? []) {
    if (!nodes.has(c.from) || !nodes.has(c.to)) continue;
    ctx.model.edges.push({ from: idOf(c.from), to: idOf(c.to), action: c.action || 'default' });
  }
  return { start: idOf(def.start) };
}

/**
 * Draw the workflow a `flow` node runs inside it (its nodes get the node's id as prefix).
 * Returns true when drawn; false when it cannot be (no such file, not a workflow: the check's
 * message on the node says why); or why it is not drawn again (it includes itself, or is too deep).
 */
function addFlowGroup(node: GraphNode, path: string | undefined, baseDir: string, ctx: Context, stack: string[], at: number): boolean | string {
  if (path === undefined) return false;
  node.flow = { path };
  const file = resolve(baseDir, path);
  if (!existsSync(file)) return false;
  if (stack.includes(file)) return `${path} includes itself (directly or through other flows); drawn once`;
  if (stack.length >= MAX_DEPTH) return `flows nested deeper than ${MAX_DEPTH} levels`;
  let source: WorkflowSource;
  try {
    source = readWorkflow(file);
  } catch (err) {
    if (isPluginError(err)) return false; // the check reports it on the node
    throw err;
  }
  node.flow.name = source.def.name;
  // The group's nodes go right after it: added at the end, then moved.
  const before = ctx.model.nodes.length;
  const { start } = addWorkflow(source, ctx, `${node.id}/`, node.id, [...stack, file]);
  const added = ctx.model.nodes.splice(before);
  ctx.model.nodes.splice(at, 0, ...added);
  node.entry = [start];
  return true;
}

/**
 * The graph of a workflow read by `readWorkflow`, checked against `registry` (the node types
 * `flow` would run it with: built-ins and the plugins found).
 */
export function buildGraphModel(source: WorkflowSource, registry: NodeRegistry): GraphModel {
  const file = resolve(source.file);
  const base = dirname(file);
  const model: GraphModel = {
    name: source.def.name,
    ...(source.def.description ? { description: source.def.description } : {}),
    file: relative(base, file),
    start: source.def.start,
    nodes: [],
    edges: [],
    problems: [],
  };
  const ctx: Context = { registry, base, model };
  addWorkflow(source, ctx, '', undefined, [file]);
  return model;
}
