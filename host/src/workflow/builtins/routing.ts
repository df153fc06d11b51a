/** `router` and `conditional`: pass the input through and pick the action. */
import { Type } from 'typebox';
import { defineBuiltin } from './define.js';
import { expressionError, query, truthy } from './jmes.js';

export const router = defineBuiltin({
  type: 'router',
  description: 'Routes by the value of a field: the action is routes[value] (or the value itself when no routes are given)',
  config: Type.Object(
    {
      field: Type.String({ minLength: 1, description: 'JMESPath expression read from the input, e.g. "sentiment" or "order.status"' }),
      routes: Type.Optional(Type.Record(Type.String(), Type.String())),
      default: Type.Optional(Type.String({ default: 'default', description: 'Action when the value has no route' })),
    },
    { additionalProperties: false },
  ),
  check: (config) => [expressionError(config.field)].filter((e): e is string => e !== undefined),
  exec: (input) => input,
  // With routes, the routes' actions and the default; without, the value itself: any action.
  actions: (config) => (config.routes ? [...Object.values(config.routes), config.default ?? 'default'] : undefined),
  post(input, _prep, exec, config) {
    const value = query(input, config.field);
    const key = typeof value === 'string' ? value : JSON.stringify(value ?? null);
    const next = config.routes ? config.routes[key] ?? config.default : value === null || value === undefined || value === '' ? config.default : key;
    return { output: exec, next };
  },
});

export const conditional = defineBuiltin({
  type: 'conditional',
  description: 'The first condition whose expression is truthy picks the action',
  config: Type.Object(
    {
      conditions: Type.Array(Type.Object({ if: Type.String({ minLength: 1 }), action: Type.String({ minLength: 1 }) }, { additionalProperties: false }), { minItems: 1 }),
      default: Type.Optional(Type.String({ default: 'default' })),
    },
    { additionalProperties: false },
  ),
  check: (config) => config.conditions.map((c) => expressionError(c.if)).filter((e): e is string => e !== undefined),
  exec: (input) => input,
  actions: (config) => [...config.conditions.map((c) => c.action), config.default ?? 'default'],
  post(input, _prep, exec, config) {
    const hit = config.conditions.find((c) => truthy(query(input, c.if)));
    return { output: exec, next: hit?.action ?? config.default };
  },
});
