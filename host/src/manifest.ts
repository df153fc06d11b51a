/**
 * The plugin manifest (`manifest.yaml` or `manifest.json`), in the reference system's format,
 * and the permissions it declares. Parsing is strict: every problem is reported at once,
 * each with the field that is wrong.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import './typebox-settings.js';
import { parse as parseYaml } from 'yaml';
import { PluginError } from './errors.js';
import { unknownKeyMessages } from './unknown-keys.js';

// Every object the format defines refuses keys it does not know (a typo is an error with
// "did you mean"); JSON Schemas and `requirements` are open mappings.
const NodeExampleSchema = Type.Object(
  {
    name: Type.String(),
    description: Type.Optional(Type.String()),
    config: Type.Optional(Type.Unknown()),
    input: Type.Unknown(),
    output: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

const ManifestNodeSchema = Type.Object(
  {
    type: Type.String({ minLength: 1 }),
    category: Type.String({ minLength: 1 }),
    description: Type.String({ minLength: 1 }),
    configSchema: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    inputSchema: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    outputSchema: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    examples: Type.Optional(Type.Array(NodeExampleSchema)),
  },
  { additionalProperties: false },
);

const PermissionsSchema = Type.Object(
  {
    memory: Type.Optional(Type.String({ pattern: '^\\s*\\d+(\\.\\d+)?\\s*([KkMmGg][Ii]?[Bb]|[Bb])?\\s*$' })),
    timeout: Type.Optional(Type.String({ pattern: '^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m)\\s*$' })),
    env: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    filesystem: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    network: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    /** Persistent storage through `wasi:keyvalue` (docs/STORAGE.md): the buckets it may open and its quota. */
    storage: Type.Optional(
      Type.Object(
        {
          buckets: Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9._-]*$', maxLength: 64 }), { minItems: 1 }),
          quota: Type.Optional(Type.String({ pattern: '^\\s*\\d+(\\.\\d+)?\\s*([KkMmGg][Ii]?[Bb]|[Bb])?\\s*$' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** The manifest's schema (JSON Schema, via typebox). */
export const ManifestSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]*$' }),
    version: Type.String({ pattern: '^\\d+\\.\\d+\\.\\d+([-+][0-9A-Za-z.-]+)?$' }),
    description: Type.Optional(Type.String()),
    author: Type.Optional(Type.String()),
    license: Type.Optional(Type.String()),
    runtime: Type.Optional(Type.Literal('wasm')),
    binary: Type.Optional(Type.String({ minLength: 1 })),
    /** The JavaScript engine a TypeScript/JavaScript plugin is built with (`build --engine` overrides it). */
    engine: Type.Optional(Type.Union([Type.Literal('quickjs'), Type.Literal('starlingmonkey')])),
    nodes: Type.Optional(Type.Array(ManifestNodeSchema)),
    /**
     * The actions a node type's `post` may return besides `default`, by node type: workflows are
     * checked against them (a connection on an action the node never returns is an error).
     */
    actions: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 })))),
    permissions: Type.Optional(PermissionsSchema),
    requirements: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  { additionalProperties: false },
);

export type Manifest = Static<typeof ManifestSchema>;
export type ManifestNode = Static<typeof ManifestNodeSchema>;
export type PermissionsDecl = Static<typeof PermissionsSchema>;

/** Permissions with every field present (defaults applied, units resolved). */
export interface ResolvedPermissions {
  /** Linear memory cap in bytes. */
  memoryBytes: number;
  /** Per-call time limit in milliseconds. */
  timeoutMs: number;
  env: string[];
  filesystem: string[];
  network: string[];
  /** Storage buckets and quota; absent without `permissions.storage`. */
  storage?: StoragePermission;
}

/** A resolved `permissions.storage`. */
export interface StoragePermission {
  buckets: string[];
  quotaBytes: number;
}

export const DEFAULT_MEMORY = '64MB';
/** The storage quota when `permissions.storage` names none. */
export const DEFAULT_STORAGE_QUOTA = '10MB';
export const DEFAULT_TIMEOUT = '5s';

const SIZE_UNITS: Record<string, number> = { B: 1, KB: 1024, KIB: 1024, MB: 1024 ** 2, MIB: 1024 ** 2, GB: 1024 ** 3, GIB: 1024 ** 3 };

/** `"64MB"` → bytes. Units are binary (1 MB = 1,048,576 bytes), as in the reference. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMG]i?B|B)?\s*$/i.exec(text);
  if (!m) throw new PluginError('invalid-manifest', `invalid size "${text}": write a number with a unit, for example "64MB"`);
  return Math.round(Number(m[1]) * SIZE_UNITS[(m[2] ?? 'B').toUpperCase()]!);
}

/** `"5s"`, `"200ms"`, `"1m"` → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)\s*$/.exec(text);
  if (!m) throw new PluginError('invalid-manifest', `invalid duration "${text}": write a number with a unit, for example "5s" or "200ms"`);
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000);
}

/**
 * The longest timeout the host can keep: Node's timers hold at most 2^31 − 1 ms (about 24.8 days);
 * a longer one would fire after 1 ms.
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/**
 * The largest memory cap: 4 GiB, all a wasm32 memory can address. The same on every host (the
 * manifest travels inside the component); a cap is a ceiling, not a reservation, so one above a
 * machine's memory is not refused (size caps and pools for the machine: docs/SECURITY.md).
 */
export const MAX_MEMORY_BYTES = 4 * 1024 ** 3;

const thousands = (n: number): string => n.toLocaleString('en-US');

/**
 * What is wrong with a timeout of `ms` (already parsed), or undefined: said after the value, e.g.
 * `permissions.timeout: "40000m" ${problem}`, with the largest value that works.
 */
export function timeoutBoundProblem(ms: number): string | undefined {
  if (!(ms > 0)) return `is ${ms} ms: every call would time out at once; use a positive duration, for example 5s`;
  if (ms > MAX_TIMEOUT_MS) {
    return `is ${thousands(ms)} ms, more than the longest timeout the host can keep, ${thousands(MAX_TIMEOUT_MS)} ms (about 24 days: Node's timers go no further); use at most ${Math.floor(MAX_TIMEOUT_MS / 60_000)}m`;
  }
  return undefined;
}

/** What is wrong with a memory cap of `bytes` (already parsed), or undefined; as {@link timeoutBoundProblem}. */
export function memoryBoundProblem(bytes: number): string | undefined {
  if (!(bytes > 0)) return `is ${bytes} bytes: no plugin can start with no memory; use a positive size, for example 64MB`;
  if (bytes > MAX_MEMORY_BYTES) {
    return `is ${thousands(bytes)} bytes, more than a plugin's memory can be: 4 GB (4,294,967,296 bytes), all a wasm32 memory can address; use at most 4GB`;
  }
  return undefined;
}

/** The bound problems of a manifest's memory and timeout (units already valid), as `permissions.x: "…" is …`. */
function boundProblems(decl: PermissionsDecl | undefined): string[] {
  const problems: string[] = [];
  if (decl?.memory !== undefined) {
    const problem = memoryBoundProblem(parseSize(decl.memory));
    if (problem) problems.push(`permissions.memory: "${decl.memory}" ${problem}`);
  }
  if (decl?.timeout !== undefined) {
    const problem = timeoutBoundProblem(parseDuration(decl.timeout));
    if (problem) problems.push(`permissions.timeout: "${decl.timeout}" ${problem}`);
  }
  if (decl?.storage?.quota !== undefined && !(parseSize(decl.storage.quota) > 0)) {
    problems.push(`permissions.storage.quota: "${decl.storage.quota}" is no space at all; use a positive size, for example 10MB`);
  }
  return problems;
}

/** Resolve units and defaults; a memory or timeout out of bounds is `invalid-manifest`, naming the value, the maximum and the fix. */
export function resolvePermissions(decl: PermissionsDecl | undefined): ResolvedPermissions {
  const problems = boundProblems(decl);
  if (problems.length > 0) throw new PluginError('invalid-manifest', problems.join('; '), { details: { problems } });
  return {
    memoryBytes: parseSize(decl?.memory ?? DEFAULT_MEMORY),
    timeoutMs: parseDuration(decl?.timeout ?? DEFAULT_TIMEOUT),
    env: [...(decl?.env ?? [])],
    filesystem: [...(decl?.filesystem ?? [])],
    network: [...(decl?.network ?? [])],
    ...(decl?.storage ? { storage: { buckets: [...new Set(decl.storage.buckets)], quotaBytes: parseSize(decl.storage.quota ?? DEFAULT_STORAGE_QUOTA) } } : {}),
  };
}

export interface ValidateManifestOptions {
  /**
   * `error` (the default, for a project's manifest file): a key the format does not define is a
   * problem, with "did you mean". `ignore-outside-permissions` (for a manifest embedded in a
   * component, which an older pocket-wit may have stamped with keys it then ignored): only an
   * unknown permission is a problem.
   */
  unknownKeys?: 'error' | 'ignore-outside-permissions';
}

/** What a missing field of a node entry could say, in the message that asks for it. */
const NODE_FIELD_EXAMPLES: Record<string, string> = {
  type: 'my-node (the node type workflows use)',
  category: 'text (a grouping for catalogues: text, data, ai, …)',
  description: '"what the node does, in one line"',
};

/** Check a parsed manifest object; throws `invalid-manifest` listing every problem. */
export function validateManifest(value: unknown, source = 'manifest', options: ValidateManifestOptions = {}): Manifest {
  const strict = (options.unknownKeys ?? 'error') === 'error';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PluginError('invalid-manifest', `${source}: expected a mapping with name, version, ... at the top level`);
  }
  const problems = [...Value.Errors(ManifestSchema, value)].filter((e) => !e.message.includes('schema is false')).flatMap((e) => {
    const field = e.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(top level)';
    if (e.keyword === 'required') {
      const required = (e.params as { requiredProperties?: string[] }).requiredProperties ?? [];
      const missing = required.join(', ');
      const node = /^nodes\.\d+$/.test(field) ? getPath(value, e.instancePath) : undefined;
      if (node && typeof node === 'object') {
        // A node entry (Go and C plugins declare their nodes here): say which node and how to fix it.
        const type = (node as { type?: unknown }).type;
        const fixes = required.map((f) => `${f}: ${NODE_FIELD_EXAMPLES[f] ?? '…'}`).join(', ');
        return `${field}${typeof type === 'string' ? ` (node "${type}")` : ''}: missing required field${required.length > 1 ? 's' : ''} ${missing}: add ${fixes} to the entry`;
      }
      return `${field === '(top level)' ? '' : field + ': '}missing required field${missing ? ' ' + missing : ''}`;
    }
    if (e.keyword === 'additionalProperties') {
      if (!strict && field !== 'permissions') return [];
      return unknownKeyMessages(ManifestSchema, e).map((m) => (field === '(top level)' ? m : `${field}: ${m}`));
    }
    if (field.endsWith('storage.quota')) return `${field}: "${String(getPath(value, e.instancePath))}" is not a size; write for example "10MB"`;
    if (/storage\.buckets\.\d+$/.test(field)) return `${field}: "${String(getPath(value, e.instancePath))}" is not a bucket name: lowercase letters, digits, ".", "_" or "-", at most 64`;
    if (field.endsWith('storage.buckets') && e.keyword === 'minItems') return `${field}: name at least one bucket, for example buckets: [cache]`;
    if (field.endsWith('memory')) return `${field}: "${String(getPath(value, e.instancePath))}" is not a size; write for example "64MB"`;
    if (field.endsWith('timeout')) return `${field}: "${String(getPath(value, e.instancePath))}" is not a duration; write for example "5s"`;
    if (field === 'engine') return `engine: "${String(getPath(value, e.instancePath))}" is not a JavaScript engine pocket-wit builds with; write quickjs or starlingmonkey`;
    if (field === 'version') return `version: "${String(getPath(value, e.instancePath))}" is not a semantic version like 1.0.0`;
    if (field === 'name') return `name: "${String(getPath(value, e.instancePath))}" must be lowercase letters, digits, ".", "_" or "-"`;
    return `${field}: ${e.message}`;
  });
  // Values that parse but the host cannot honour (a timeout past Node's timers, a memory past wasm32's).
  const decl = (value as { permissions?: unknown }).permissions;
  if (typeof decl === 'object' && decl !== null) {
    const { memory, timeout, storage } = decl as Record<string, unknown>;
    const quota = storage && typeof storage === 'object' ? (storage as Record<string, unknown>).quota : undefined;
    const valid = (text: unknown, parse: (t: string) => number): text is string => {
      if (typeof text !== 'string') return false;
      try {
        parse(text);
        return true;
      } catch {
        return false;
      }
    };
    problems.push(
      ...boundProblems({
        ...(valid(memory, parseSize) ? { memory } : {}),
        ...(valid(timeout, parseDuration) ? { timeout } : {}),
        ...(valid(quota, parseSize) ? { storage: { buckets: ['-'], quota } } : {}),
      }),
    );
  }
  if (problems.length > 0) {
    const unique = [...new Set(problems)];
    throw new PluginError('invalid-manifest', `${source} has ${unique.length} problem${unique.length > 1 ? 's' : ''}:\n  - ${unique.join('\n  - ')}`, {
      details: { problems: unique },
    });
  }
  return value as Manifest;
}

function getPath(value: unknown, pointer: string): unknown {
  let cur: unknown = value;
  for (const part of pointer.split('/').slice(1)) cur = (cur as Record<string, unknown> | undefined)?.[part];
  return cur;
}

/** The manifest file of a plugin project directory, or undefined when it has none. */
export function findManifestFile(dir: string): string | undefined {
  for (const name of ['manifest.yaml', 'manifest.yml', 'manifest.json']) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** Read and validate a manifest file (YAML or JSON). */
export function readManifest(path: string): Manifest {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new PluginError('not-found', `cannot read manifest ${path}: ${(cause as Error).message}`);
  }
  let value: unknown;
  try {
    value = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    throw new PluginError('invalid-manifest', `${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(cause as Error).message}`);
  }
  const manifest = validateManifest(value, path);
  // Units are checked by the schema's patterns; resolving them once more catches nothing new but keeps one parser.
  resolvePermissions(manifest.permissions);
  return manifest;
}
