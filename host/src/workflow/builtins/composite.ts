/** `parallel` and `flow`: nodes made of other nodes. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Type } from 'typebox';
import { readWorkflow, formatProblem } from '../definition.js';
import { configProblems, validateWorkflow } from '../validate.js';
import { isPluginError } from '../../errors.js';
import { defineBuiltin } from './define.js';

/** Workflow files being checked right now (a flow that includes itself is reported, not recursed into). */
const checking = new Set<string>();

export const parallel = defineBuiltin({
  type: 'parallel',
  description: 'Runs several nodes on the same input concurrently and outputs {name: output}',
  config: Type.Object(
    {
      nodes: Type.Array(
        Type.Object(
          { name: Type.String({ minLength: 1 }), type: Type.String({ minLength: 1 }), config: Type.Optional(Type.Record(Type.String(), Type.Unknown())) },
          { additionalProperties: false },
        ),
        { minItems: 1 },
      ),
    },
    { additionalProperties: false },
  ),
  check(config, baseDir, registry) {
    const problems: string[] = [];
    const names = new Set<string>();
    for (const n of config.nodes) {
      if (names.has(n.name)) problems.push(`nodes: duplicate name "${n.name}"`);
      names.add(n.name);
      const found = registry.lookup(n.type);
      const type = found.type;
      if (!type) {
        problems.push(found.kind === 'unknown' ? `nodes: unknown node type "${n.type}" for "${n.name}"` : `nodes: "${n.name}": ${found.problem.replace(/ \(or plugin: [^)]*\)$/, '')}`); // a child has no plugin: field
        continue;
      }
      const config = n.config ?? {};
      if (type.configSchema) for (const p of configProblems(type.configSchema, config)) problems.push(`nodes: config of "${n.name}" (${n.type}): ${p}`);
      for (const p of type.validateConfig?.(config, baseDir, registry) ?? []) problems.push(`nodes: config of "${n.name}" (${n.type}): ${p}`);
    }
    return problems;
  },
  async exec(input, config, ctx) {
    const results = await Promise.all(config.nodes.map((n) => ctx.runChild(n.type, n.config ?? {}, input, n.name)));
    return Object.fromEntries(config.nodes.map((n, i) => [n.name, results[i]!.output]));
  },
});

export const flow = defineBuiltin({
  type: 'flow',
  description: 'Runs another workflow file (relative to this one) as one node; its final action is this node\'s action',
  config: Type.Object({ path: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  check(config, baseDir, registry) {
    const file = resolve(baseDir, config.path);
    if (!existsSync(file)) return [`path: no workflow file at ${file}`];
    if (checking.has(file)) return [`path: ${config.path} includes itself (directly or through other flows)`];
    checking.add(file);
    try {
      const problems = validateWorkflow(readWorkflow(file), registry).filter((p) => p.severity === 'error');
      return problems.map((p) => `in ${config.path}: ${formatProblem(file, p)}`);
    } catch (err) {
      if (!isPluginError(err)) throw err;
      return [`in ${config.path}: ${err.message.replace(/\n\s*/g, ' ')}`];
    } finally {
      checking.delete(file);
    }
  },
  exec: (input, config, ctx) => ctx.runFlow(config.path, input),
  post: (_input, _prep, exec) => {
    const r = exec as { output: unknown; action: string };
    return { output: r.output, next: r.action };
  },
});
