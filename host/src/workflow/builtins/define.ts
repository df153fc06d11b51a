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
  /** The config with the schema's defaults applied (a copy). */
  const withDefaults = (config: unknown): Static<C> => Value.Default(def.config, Value.Clone(config)) as Static<C>;
  /** The config with defaults when it fits the schema, else undefined (its own problems are reported). */
  const valid = (config: unknown): Static<C> | undefined => {
    const c = withDefaults(config);
    return Value.Check(def.config, c) ? c : undefined;
  };
  const configOf = (ctx: NodeRunContext): Static<C> => withDefaults(ctx.config);
  return {
    type: def.type,
    source: 'built-in',
    description: def.description,
    configSchema: JSON.parse(JSON.stringify(def.config)) as Record<string, unknown>,
    check: def.check,
    actionNote: (config, action) => def.actionNote?.(withDefaults(config), action),
    actions(config) {
      const c = valid(config);
      if (c === undefined) return undefined;
      if (def.actions) return def.actions(c);
      return def.post ? undefined : ['default'];
    },
    validateConfig(config, baseDir, registry) {
      const c = def.check ? valid(config) : undefined;
      return c === undefined ? [] : def.check!(c, baseDir, registry!);
    },
    prep: async (input, ctx) => (def.prep ? def.prep(input, configOf(ctx), ctx) : input),
    exec: async (prep, ctx) => def.exec(prep, configOf(ctx), ctx),
    post: async (input, prep, exec, ctx) => {
      const out = def.post ? await def.post(input, prep, exec, configOf(ctx), ctx) : { output: exec };
      return { output: out.output, next: out.next || 'default' };
    },
  };
}
