/**
 * The path a run took, read from its trace, as the graph highlights it: the nodes visited (trace
 * names, `<flow node>/<node>` inside nested flows) and the connections followed. A connection
 * counts as followed when, in the same workflow (same name prefix), the visit after its `from`
 * node's visit is a visit of its `to` node and `from` returned its action.
 */
import type { TraceStep } from '../../host/src/workflow/engine.js';
import type { GraphModel } from './graph-model.js';
import type { TakenPath } from './graph-svg.js';

/** The trace's steps in the order their visits started (the trace lists them as they ended). */
export function stepsByStart(trace: readonly TraceStep[]): TraceStep[] {
  return trace
    .map((step, index) => ({ step, index }))
    .sort((a, b) => a.step.offsetMs - b.step.offsetMs || a.step.step - b.step.step || a.index - b.index)
    .map((x) => x.step);
}

/** The workflow a trace name belongs to: everything before its last `/` (`''` at the top). */
function scopeOf(node: string): string {
  const at = node.lastIndexOf('/');
  return at === -1 ? '' : node.slice(0, at);
}

/** The nodes and connections of `model` that the run of `trace` went through. */
export function takenPath(model: GraphModel, trace: readonly TraceStep[]): TakenPath {
  const ordered = stepsByStart(trace);
  const nodes = [...new Set(ordered.map((s) => s.node))];
  const edgeKey = (from: string, to: string, action: string): string => `${from}\u0000${to}\u0000${action}`;
  const known = new Map(model.edges.map((e) => [edgeKey(e.from, e.to, e.action), e]));
  const last = new Map<string, TraceStep>();
  const taken = new Map<string, TakenPath['edges'][number]>();
  for (const step of ordered) {
    const scope = scopeOf(step.node);
    const before = last.get(scope);
    last.set(scope, step);
    if (!before?.action) continue;
    const key = edgeKey(before.node, step.node, before.action);
    const edge = known.get(key);
    if (edge && !taken.has(key)) taken.set(key, { from: edge.from, to: edge.to, action: edge.action });
  }
  return { nodes, edges: [...taken.values()] };
}
