/**
 * Which validator checks node config and input on the host: the host's choice (typebox's
 * compiler, `host/src/node-schemas.ts`) against typebox's interpreter (`Value.Check`) and Ajv (a
 * compiling JSON-Schema validator), side by side in one run, on the schemas plugins publish.
 *
 * Each row: defaults applied at every depth, then the check, per call (µs), on a valid value and
 * an invalid one (errors collected), plus the one-time compile. `npm run bench` prints it; alone:
 * `tsx scripts/bench-schemas.ts`.
 */
import { Ajv } from 'ajv';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';
import { applyJsonSchemaDefaults } from '../host/src/json-schema-defaults.js';
import { NodeSchemas } from '../host/src/node-schemas.js';

type Schema = Record<string, unknown>;

interface Case {
  name: string;
  schema: Schema;
  valid: unknown;
  invalid: unknown;
}

const CASES: Case[] = [
  {
    name: 'input: required, minimum, minLength, additionalProperties',
    schema: {
      type: 'object',
      required: ['n', 'name'],
      additionalProperties: false,
      properties: { n: { type: 'integer', minimum: 1 }, name: { type: 'string', minLength: 1 } },
    },
    valid: { n: 2, name: 'a' },
    invalid: { n: 0, name: '', extra: 1 },
  },
  {
    name: 'config: nested defaults (3 levels)',
    schema: {
      type: 'object',
      properties: {
        greeting: { type: 'string', default: 'Hello' },
        style: {
          type: 'object',
          default: {},
          properties: {
            punctuation: { type: 'string', default: '!' },
            upper: { type: 'boolean', default: false },
            deep: { type: 'object', default: {}, properties: { level: { type: 'integer', default: 3 } } },
          },
        },
      },
    },
    valid: {},
    invalid: { style: { upper: 'yes' } },
  },
  {
    name: 'input: a 1 KB text and a list of 50 tags',
    schema: {
      type: 'object',
      required: ['text'],
      properties: { text: { type: 'string', maxLength: 100000 }, tags: { type: 'array', items: { type: 'string' }, maxItems: 100 } },
    },
    valid: { text: 'word '.repeat(200), tags: Array.from({ length: 50 }, (_, i) => `t${i}`) },
    invalid: { text: 7, tags: [1] },
  },
];

interface Row {
  schema: string;
  validator: string;
  compileMicros: number;
  validMicros: number;
  invalidMicros: number;
}

function time(fn: () => void, iterations: number): number {
  for (let i = 0; i < Math.min(2000, iterations); i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - start) / 1000 / iterations;
}

function once(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1000;
}

export function benchSchemas(iterations = 50_000): Row[] {
  const rows: Row[] = [];
  const ajv = new Ajv({ allErrors: true, strict: false });
  for (const c of CASES) {
    const check = (validate: (v: unknown) => boolean, errors: (v: unknown) => unknown) => (value: unknown) => () => {
      const v = applyJsonSchemaDefaults(c.schema, value); // copies what it fills in; never mutates `value`
      if (!validate(v)) errors(v);
    };
    let compiled!: ReturnType<typeof Compile>;
    const tbCompile = once(() => {
      compiled = Compile(c.schema as Parameters<typeof Compile>[0]);
    });
    const tb = check((v) => compiled.Check(v), (v) => compiled.Errors(v));
    rows.push({ schema: c.name, validator: 'typebox Compile (host)', compileMicros: tbCompile, validMicros: time(tb(c.valid), iterations), invalidMicros: time(tb(c.invalid), iterations) });

    const tv = check((v) => Value.Check(c.schema as Parameters<typeof Value.Check>[0], v), (v) => [...Value.Errors(c.schema as Parameters<typeof Value.Errors>[0], v)]);
    rows.push({ schema: c.name, validator: 'typebox Value (interpreted)', compileMicros: 0, validMicros: time(tv(c.valid), iterations), invalidMicros: time(tv(c.invalid), iterations) });

    let av!: ReturnType<typeof ajv.compile>;
    const ajvCompile = once(() => {
      av = ajv.compile(structuredClone(c.schema));
    });
    const aj = check((v) => av(v) as boolean, () => av.errors);
    rows.push({ schema: c.name, validator: 'ajv compile', compileMicros: ajvCompile, validMicros: time(aj(c.valid), iterations), invalidMicros: time(aj(c.invalid), iterations) });

    // What a call pays on the host (`NodeSchemas.check`: defaults, then typebox's compiled check).
    const schemas = new NodeSchemas('bench', [{ type: 'n', category: '', description: '', inputSchema: c.schema, examples: [] }]);
    const invalid = (): void => {
      try {
        schemas.check('n', 'input', c.invalid);
      } catch {
        // invalid-input, as expected
      }
    };
    rows.push({ schema: c.name, validator: 'NodeSchemas.check (the host, with its messages)', compileMicros: 0, validMicros: time(() => schemas.check('n', 'input', c.valid), iterations), invalidMicros: time(invalid, iterations / 10) });
  }
  return rows;
}

export function formatSchemas(rows: Row[]): string {
  const lines = ['Schema checks on the host (defaults at every depth, then the check; µs per call)', ''];
  lines.push('| schema | validator | compile once | valid value | invalid value (all errors) |', '| --- | --- | ---: | ---: | ---: |');
  for (const r of rows) {
    const f = (n: number): string => (Number.isNaN(n) ? '—' : n === 0 ? '—' : n.toFixed(2));
    lines.push(`| ${r.schema} | ${r.validator} | ${f(r.compileMicros)} | ${f(r.validMicros)} | ${f(r.invalidMicros)} |`);
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(formatSchemas(benchSchemas()));
}
