/** A small helper to define built-in node types with a typed, schema-checked config. */
import { type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import type { NodeRegistry, NodeRunContext, NodeType } from '../node-types.js';

export interface BuiltinDef<C extends TSchema> {
  type: string;
  description: string;
  config: C;
  /**
   * The actions `post` can return with a config; undefined: any. Without it, a built-in with no
   * `post` returns only `default`, and one with a `post` is not checked.
   */
  actions?(config: Static<C>): string[] | undefined;
  /** Why an action it can return with another config is not returned with this one (said instead of "did you mean"). */
  actionNote?(config: Static<C>, action: string): string | undefined;
  /** Checks beyond the schema; return one message per problem. */
  check?(config: Static<C>, baseDir: string, registry: NodeRegistry): string[];
  prep?(input: unknown, config: Static<C>, ctx: NodeRunContext): unknown | Promise<unknown>;
  exec(prepResult: unknown, config: Static<C>, ctx: NodeRunContext): unknown | Promise<unknown>;
  post?(input: unknown, prepResult: unknown, execResult: unknown, config: Static<C>, ctx: NodeRunContext): { output: unknown; next?: string } | Promise<{ output: unknown; next?: string }>;
}

/** Turn a definition into a node type; the config gets its defaults before every phase. */
export function defineBuiltin<C extends TSchema>(def: BuiltinDef<C>): NodeType & { check: BuiltinDef<C>['check']; actionNote?(config: Record<string, unknown>, action: string): string | undefined } {
  const configOf = (ctx: NodeRunContext): Static<C> => Value.Default(def.config, Value.Clone(ctx.config)) as Static<C>;
  return {
    type: def.type,
    source: 'built-in',
    description: def.description,
    configSchema: JSON.parse(JSON.stringify(def.config)) as Record<string, unknown>,
    check: def.check,
    actionNote: (config, action) => def.actionNote?.(Value.Default(def.config, Value.Clone(config)) as Static<C>, action),
    actions(config) {
      const withDefaults = Value.Default(def.config, Value.Clone(config));
      if (!Value.Check(def.config, withDefaults)) return undefined; // the config's own problems are reported
      if (def.actions) return def.actions(withDefaults as Static<C>);
      return def.post ? undefined : ['default'];
    },
    validateConfig(config, baseDir, registry) {
      if (!def.check || !Value.Check(def.config, Value.Default(def.config, Value.Clone(config)))) return [];
      return def.check(Value.Default(def.config, Value.Clone(config)) as Static<C>, baseDir, registry!);
    },
    prep: async (input, ctx) => (def.prep ? def.prep(input, configOf(ctx), ctx) : input),
    exec: async (prep, ctx) => def.exec(prep, configOf(ctx), ctx),
    post: async (input, prep, exec, ctx) => {
      const out = def.post ? await def.post(input, prep, exec, configOf(ctx), ctx) : { output: exec };
      return { output: out.output, next: out.next || 'default' };
    },
  };
}
