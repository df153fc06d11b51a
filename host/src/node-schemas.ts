/**
 * The host's check of what a node is given, for every plugin whatever its language: config and
 * input are validated against the JSON Schemas the node declares in its metadata, with their
 * `default`s applied at every depth, before the plugin runs. A bad value fails with
 * `invalid-input` naming the path (`input.n: must be >= 1`,
 * `input: missing required field name`); the plugin receives the value with its defaults.
 *
 * Schemas are compiled once per node (typebox's compiler), on first use. Values are checked
 * as JS values before they are encoded for the plugin: no extra JSON parse or copy when no
 * default applies (`scripts/bench-schemas.ts` measures it).
 */
import { Compile, type Validator } from 'typebox/compile';
import { PluginError } from './errors.js';
import { applyJsonSchemaDefaults } from './json-schema-defaults.js';
import type { JsonSchema, NodeDefinition } from './metadata.js';
import './typebox-settings.js';
import { didYouMean } from './did-you-mean.js';
import { knownKeys, schemaAt } from './unknown-keys.js';

export type SchemaKind = 'config' | 'input';

interface TypeboxError {
  keyword: string;
  schemaPath?: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

/** One schema's checker, compiled on first use. */
class Checker {
  #validator: Validator | undefined;

  constructor(
    readonly schema: JsonSchema | undefined,
    readonly kind: SchemaKind,
    readonly context: { plugin: string; node: string },
  ) {}

  get where(): string {
    return `${this.context.plugin}/${this.context.node}`;
  }

  #compiled(): Validator {
    if (!this.#validator) {
      try {
        this.#validator = Compile(this.schema as Parameters<typeof Compile>[0]) as Validator;
      } catch (cause) {
        throw new PluginError('invalid-plugin', `${this.where}: its ${this.kind} schema cannot be compiled: ${(cause as Error).message}`, { cause });
      }
    }
    return this.#validator;
  }

  /** The value with defaults applied (a copy where any applied; never changed in place); throws `invalid-input`. */
  check(value: unknown): unknown {
    if (this.kind === 'config' && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw new PluginError('invalid-input', `config for ${this.where} must be a JSON object`, { context: this.context });
    }
    if (!this.schema) return value;
    const withDefaults = applyJsonSchemaDefaults(this.schema, value);
    const validator = this.#compiled();
    if (!validator.Check(withDefaults)) throw problems(this.kind, validator.Errors(withDefaults) as TypeboxError[], this.context, this.schema);
    return withDefaults;
  }
}

/** `/a/b` → `input.a.b`. */
function fieldOf(kind: SchemaKind, instancePath: string, extra?: string): string {
  return `${kind}${instancePath.replace(/\//g, '.')}${extra !== undefined ? `.${extra}` : ''}`;
}

/** Each problem as `field: message`; the error's message is the first one. */
function problems(kind: SchemaKind, errors: TypeboxError[], context: { plugin: string; node: string }, schema: JsonSchema | undefined): PluginError {
  const lines: string[] = [];
  for (const e of errors) {
    // additionalProperties: false reports each extra property as a `false` schema at its path.
    if (e.keyword === 'additionalProperties') continue;
    if (e.keyword === 'boolean') {
      const key = e.instancePath.split('/').pop() ?? '';
      const parent = e.schemaPath?.endsWith('/additionalProperties') ? schemaAt(schema, e.schemaPath.slice(0, -'/additionalProperties'.length)) : undefined;
      lines.push(`${fieldOf(kind, e.instancePath)}: not allowed, the schema admits no such key${parent ? didYouMean(key, knownKeys(parent)) : ''}`);
    } else if (e.keyword === 'required') {
      const missing = (e.params.requiredProperties as string[] | undefined) ?? [];
      lines.push(`${fieldOf(kind, e.instancePath)}: missing required field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
    } else if (e.keyword === 'enum' && Array.isArray(e.params.allowedValues)) {
      lines.push(`${fieldOf(kind, e.instancePath)}: must be one of ${(e.params.allowedValues as unknown[]).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ')}`);
    } else {
      lines.push(`${fieldOf(kind, e.instancePath)}: ${e.message}`);
    }
  }
  if (lines.length === 0) lines.push(`${kind}: does not match the schema`);
  const field = lines[0]!.slice(0, lines[0]!.indexOf(':'));
  return new PluginError('invalid-input', lines[0]!, { context, details: { field, problems: lines } });
}

/** A config key that a node's config schema does not define, though the schema does not refuse it. */
export interface UnlistedConfigKey {
  /** `greting`, or `a.b` for a key of a nested object. */
  path: string;
  key: string;
  /** The keys the schema defines at that place. */
  known: string[];
}

/**
 * The keys of `config` its schema lists in no `properties` where it says nothing of
 * `additionalProperties` (JSON Schema then admits them, so a typo would pass silently): at the
 * top level and in nested objects the schema describes. Keys a schema refuses
 * (`additionalProperties: false`) are validation errors instead, and a schema that gives
 * `additionalProperties` (true or a schema) admits its keys on purpose.
 */
export function unlistedConfigKeys(schema: JsonSchema | undefined, config: unknown, prefix = ''): UnlistedConfigKey[] {
  if (!schema || typeof schema !== 'object' || config === null || typeof config !== 'object' || Array.isArray(config)) return [];
  const s = schema as { properties?: Record<string, JsonSchema>; additionalProperties?: unknown; patternProperties?: unknown };
  if (!s.properties || typeof s.properties !== 'object') return [];
  const known = Object.keys(s.properties);
  const found: UnlistedConfigKey[] = [];
  for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (Object.hasOwn(s.properties, key)) found.push(...unlistedConfigKeys(s.properties[key], value, path));
    else if (s.additionalProperties === undefined && s.patternProperties === undefined) found.push({ path, key, known });
  }
  return found;
}

/** `node "x": config key "greting" is not in greet's config schema (did you mean "greeting"?)`. */
export function unlistedConfigKeyWarning(node: string, type: string, k: UnlistedConfigKey): string {
  const hint = didYouMean(k.key, k.known);
  return `node "${node}": config key "${k.path}" is not in ${type}'s config schema${hint || (k.known.length ? ` (it lists: ${k.known.join(', ')})` : '')}`;
}

/** The checkers of one plugin's nodes. */
export class NodeSchemas {
  readonly #checkers = new Map<string, { config: Checker; input: Checker }>();

  constructor(plugin: string, nodes: readonly NodeDefinition[]) {
    for (const n of nodes) {
      const context = { plugin, node: n.type };
      this.#checkers.set(n.type, { config: new Checker(n.configSchema, 'config', context), input: new Checker(n.inputSchema, 'input', context) });
    }
  }

  /** Check a node's config or input (a JSON value); returns it with defaults applied. */
  check(nodeType: string, kind: SchemaKind, value: unknown): unknown {
    const checkers = this.#checkers.get(nodeType);
    if (!checkers) return value;
    return checkers[kind].check(value);
  }
}
