/**
 * Checks a parsed workflow against the node types it can use, before anything runs, and
 * reports every problem at once with its location: unknown node types (naming the plugins
 * searched), duplicate names, connections to missing nodes, a missing start, configs that fail
 * their node's schema; unreachable nodes are a warning.
 */
import { parsePluginPin } from './plugin-pins.js';
import { dirname } from 'node:path';
import semver from 'semver';
import { Value } from 'typebox/value';
import '../typebox-settings.js';
import { applyJsonSchemaDefaults } from '../json-schema-defaults.js';
import { didYouMean } from '../did-you-mean.js';
import { unlistedConfigKeys, unlistedConfigKeyWarning } from '../node-schemas.js';
import { unknownKeyMessages } from '../unknown-keys.js';
import type { WorkflowProblem, WorkflowSource } from './definition.js';
import type { NodeRegistry } from './node-types.js';

/** A config checked against a node type's JSON Schema (defaults applied first). */
export function configProblems(schema: Record<string, unknown>, config: Record<string, unknown>): string[] {
  const withDefaults = applyJsonSchemaDefaults(schema, config);
  return [...Value.Errors(schema, withDefaults)].flatMap((e) => {
    const field = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
    if (e.message.includes('schema is false')) return []; // the additionalProperties error names the key
    if (e.keyword === 'additionalProperties') return unknownKeyMessages(schema, e).map((m) => (field ? `${field}: ${m}` : m));
    if (e.keyword === 'required') {
      const missing = (e.params as { requiredProperties?: string[] }).requiredProperties ?? [];
      return `missing required field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}${field ? ` in ${field}` : ''}`;
    }
    return `${field || '(config)'} ${e.message}`;
  });
}

export function validateWorkflow(source: WorkflowSource, registry: NodeRegistry): WorkflowProblem[] {
  const { def, locate } = source;
  const problems: WorkflowProblem[] = [];
  const add = (severity: WorkflowProblem['severity'], message: string, path: (string | number)[]): void => {
    problems.push({ severity, message, path: path.join('.'), ...(locate(path) ?? {}) });
  };

  const names = new Map<string, number>();
  def.nodes.forEach((node, i) => {
    const first = names.get(node.name);
    if (first !== undefined) add('error', `duplicate node name "${node.name}" (first defined at nodes.${first})`, ['nodes', i, 'name']);
    else names.set(node.name, i);

    // `type: greet`, `type: greeter/greet`, or `type: greet` with `plugin: greeter` (node-types.ts).
    const found = registry.lookup(node.type, node.plugin, node.name);
    if (!found.type) {
      add('error', found.problem, ['nodes', i, found.kind === 'no-plugin' && node.plugin !== undefined ? 'plugin' : 'type']);
      return;
    }
    const type = found.type;
    const config = node.config ?? {};
    if (type.configSchema) {
      for (const p of configProblems(type.configSchema, config)) add('error', `config of node "${node.name}" (${node.type}): ${p}`, ['nodes', i, 'config']);
      // A key the schema neither lists nor refuses passes JSON Schema: likely a typo, so say it.
      for (const k of unlistedConfigKeys(type.configSchema, config)) add('warning', unlistedConfigKeyWarning(node.name, node.type, k), ['nodes', i, 'config', ...k.path.split('.')]);
    }
    for (const p of type.validateConfig?.(config, dirname(source.file), registry) ?? []) add('error', `config of node "${node.name}" (${node.type}): ${p}`, ['nodes', i, 'config']);
  });

  for (const [name, value] of Object.entries(def.plugins ?? {})) {
    const { range } = parsePluginPin(name, value);
    if (semver.validRange(range) === null) {
      add('error', `plugins.${name}: "${value}" is not a version range (write for example "^1.2.0", ">=1.0.0 <2.0.0" or "npm:@scope/package@^1.2.0")`, ['plugins', name]);
      continue;
    }
    const found = registry.plugins.filter((p) => p.name === name);
    if (found.length === 0) {
      const searched = registry.plugins.length ? registry.plugins.map((p) => `${p.name}@${p.version}`).join(', ') : 'none loaded';
      add('error', `the workflow requires plugin ${name} ${range}, but no plugin of that name was found (found: ${searched})`, ['plugins', name]);
    }
    for (const p of found) {
      if (!semver.satisfies(p.version, range, { includePrerelease: true })) {
        add('error', `the workflow requires plugin ${name} ${range}, but ${p.source} is version ${p.version}; install a matching version or change the range`, ['plugins', name]);
      }
    }
  }

  if (!names.has(def.start)) add('error', `start node "${def.start}" is not defined (nodes: ${[...names.keys()].join(', ')})`, ['start']);

  const edges = new Map<string, string[]>();
  const seenActions = new Map<string, number>();
  const nodeByName = new Map(def.nodes.map((n) => [n.name, n]));
  (def.connections ?? []).forEach((c, i) => {
    if (!names.has(c.from)) add('error', `connection from unknown node "${c.from}"`, ['connections', i, 'from']);
    else if (c.action && c.action !== 'default') {
      // The action must be one the node can return (`default` is always accepted).
      const from = nodeByName.get(c.from)!;
      const actions = registry.get(from.type, from.plugin)?.actions?.(from.config ?? {});
      if (actions && !actions.includes(c.action)) {
        const list = [...new Set(actions)];
        const note = (registry.get(from.type) as { actionNote?(config: Record<string, unknown>, action: string): string | undefined }).actionNote?.(from.config ?? {}, c.action);
        add(
          'error',
          `connection from "${c.from}" (${from.type}) has action "${c.action}", which it never returns${note ? ` with its config: ${note}` : didYouMean(c.action, list)}; it returns: ${list.join(', ')}`,
          ['connections', i, 'action'],
        );
      }
    }
    if (!names.has(c.to)) add('error', `connection to unknown node "${c.to}"`, ['connections', i, 'to']);
    const action = c.action || 'default';
    const key = `${c.from}\u0000${action}`;
    const dup = seenActions.get(key);
    if (dup !== undefined) add('error', `node "${c.from}" has two connections for action "${action}" (also connections.${dup})`, ['connections', i]);
    else seenActions.set(key, i);
    edges.set(c.from, [...(edges.get(c.from) ?? []), c.to]);
  });

  if (names.has(def.start)) {
    const reached = new Set<string>([def.start]);
    const queue = [def.start];
    while (queue.length) for (const next of edges.get(queue.shift()!) ?? []) if (!reached.has(next)) reached.add(next), queue.push(next);
    def.nodes.forEach((node, i) => {
      if (!reached.has(node.name)) add('warning', `node "${node.name}" is unreachable from start "${def.start}"`, ['nodes', i, 'name']);
    });
  }
  return problems;
}
