/** `transform`, `template`, `validate` and `aggregate`: reshape and check JSON, without eval. */
import Mustache from 'mustache';
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { PluginError } from '../../errors.js';
import { defineBuiltin } from './define.js';
import { expressionError, query } from './jmes.js';

export const transform = defineBuiltin({
  type: 'transform',
  description: 'Reshapes the input with a JMESPath expression, e.g. "{name: user.name, total: sum(items[].price)}"',
  config: Type.Object({ expression: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  check: (config) => [expressionError(config.expression)].filter((e): e is string => e !== undefined),
  exec: (input, config) => query(input, config.expression) ?? null,
});

export const template = defineBuiltin({
  type: 'template',
  description: 'Renders a Mustache template with the input (and the store as `store`); outputs the text, or merges it into the input under `into`',
  config: Type.Object({ template: Type.String(), into: Type.Optional(Type.String({ minLength: 1 })) }, { additionalProperties: false }),
  check(config) {
    try {
      Mustache.parse(config.template);
      return [];
    } catch (err) {
      return [`invalid template: ${(err as Error).message}`];
    }
  },
  exec(input, config, ctx) {
    const store = typeof (ctx.store as Map<string, unknown>).entries === 'function' ? Object.fromEntries((ctx.store as Map<string, unknown>).entries()) : {};
    const view = input !== null && typeof input === 'object' && !Array.isArray(input) ? { ...input, store } : { value: input, store };
    const text = Mustache.render(config.template, view, {}, { escape: (s: unknown) => String(s) });
    if (!config.into) return text;
    const base = input !== null && typeof input === 'object' && !Array.isArray(input) ? input : { value: input };
    return { ...base, [config.into]: text };
  },
});

export const validate = defineBuiltin({
  type: 'validate',
  description: 'Checks the input against a JSON Schema: passes it on, or fails with invalid-input (or routes "invalid" with on_invalid: route)',
  config: Type.Object(
    {
      schema: Type.Record(Type.String(), Type.Unknown()),
      on_invalid: Type.Optional(Type.Union([Type.Literal('error'), Type.Literal('route')], { default: 'error' })),
    },
    { additionalProperties: false },
  ),
  exec(input, config) {
    const errors = [...Value.Errors(config.schema, input)].map((e) => `${e.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(input)'} ${e.message}`);
    if (errors.length > 0 && config.on_invalid === 'error') {
      throw new PluginError('invalid-input', `input does not match the schema: ${errors.join('; ')}`, { details: { errors } });
    }
    return { valid: errors.length === 0, errors };
  },
  actions: (config) => (config.on_invalid === 'route' ? ['valid', 'invalid'] : ['valid']),
  actionNote: (config, action) => (action === 'invalid' && config.on_invalid !== 'route' ? 'it returns "invalid" only with on_invalid: route' : undefined),
  post(input, _prep, exec) {
    const { valid, errors } = exec as { valid: boolean; errors: string[] };
    return valid ? { output: input, next: 'valid' } : { output: { input, errors }, next: 'invalid' };
  },
});

export const aggregate = defineBuiltin({
  type: 'aggregate',
  description: 'Summarizes a list (from the input, or the store values whose keys start with a prefix): count, sum, avg, min, max, and counts per value',
  config: Type.Object(
    {
      from: Type.Optional(Type.Union([Type.Literal('input'), Type.Literal('store')], { default: 'input' })),
      items: Type.Optional(Type.String({ default: '@', description: 'JMESPath to the list, for from: input' })),
      prefix: Type.Optional(Type.String({ default: '', description: 'Store key prefix, for from: store' })),
      value: Type.Optional(Type.String({ default: '@', description: 'JMESPath applied to each item' })),
      into: Type.Optional(Type.String({ minLength: 1, description: 'Merge the summary into the input under this key' })),
    },
    { additionalProperties: false },
  ),
  check: (config) => [expressionError(config.items ?? '@'), expressionError(config.value ?? '@')].filter((e): e is string => e !== undefined),
  prep(input, config, ctx) {
    if (config.from === 'store') {
      const entries = typeof (ctx.store as Map<string, unknown>).entries === 'function' ? [...(ctx.store as Map<string, unknown>).entries()] : [];
      return entries.filter(([k]) => k.startsWith(config.prefix ?? '')).map(([, v]) => v);
    }
    const items = config.items ?? '@';
    const list = query(input, items);
    if (!Array.isArray(list)) throw new PluginError('invalid-input', `aggregate: "${items}" is not a list in the input`);
    return list;
  },
  exec(items, config) {
    const values = (items as unknown[]).map((item) => query(item, config.value ?? '@'));
    const numbers = values.filter((v): v is number => typeof v === 'number');
    const counts: Record<string, number> = {};
    for (const v of values) if (typeof v === 'string' || typeof v === 'boolean') counts[String(v)] = (counts[String(v)] ?? 0) + 1;
    const sum = numbers.reduce((a, b) => a + b, 0);
    return {
      count: values.length,
      sum: numbers.length ? sum : null,
      avg: numbers.length ? sum / numbers.length : null,
      min: numbers.length ? Math.min(...numbers) : null,
      max: numbers.length ? Math.max(...numbers) : null,
      counts,
    };
  },
  actions: () => ['default'],
  post(input, _prep, exec, config) {
    if (!config.into) return { output: exec };
    const base = input !== null && typeof input === 'object' && !Array.isArray(input) ? input : { value: input };
    return { output: { ...base, [config.into]: exec } };
  },
});
