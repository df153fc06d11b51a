/**
 * The command world (`pocket:plugin/command`, Go plugins): the node interface spoken as
 * length-prefixed JSON messages over the program's stdin and stdout, adapted here to the latest
 * world's `node` exports, so the command runner moves bytes and never interprets a phase.
 *
 * Host → plugin: `{"t":"call","phase":…,"node":…,"config":…,"input"|"prep"|"exec":…}`, and
 * `{"t":"reply",…}` answering a host call. Plugin → host: `result`, `error`, and the host calls
 * `log`, `store-get`, `store-set`, `store-delete`, `now`, `cancelled`, and `kv`.
 *
 * `kv` is persistent storage (`permissions.storage`), the operations of `wasi:keyvalue@0.2.0-draft`
 * as messages, since a command cannot import them: `{"t":"kv","op":…,"b":bucket,…}` with the
 * fields of a `KvCall` (storage/plugin-storage.ts: `k` key, `v` value in base64, `c` cursor, `d`
 * delta as decimal text), answered `{"t":"reply","ok":true,"v":…}` or
 * `{"t":"reply","ok":false,"e":{"tag":…,"val"?:…}}` (a `wasi:keyvalue/store.error`).
 */
import type * as Types from '../generated/wit/v0.2.1/interfaces/pocket-plugin-types.js';

type Phase = 'prep' | 'exec' | 'post';

/** The JSON metadata a command plugin returns, in the manifest's shape. */
interface CommandMetadata {
  name?: string;
  version?: string;
  description?: string;
  author?: string;
  license?: string;
  nodes?: {
    type?: string;
    category?: string;
    description?: string;
    configSchema?: unknown;
    inputSchema?: unknown;
    outputSchema?: unknown;
    examples?: { name?: string; description?: string; config?: unknown; input?: unknown; output?: unknown }[];
  }[];
  permissions?: { memory?: string; timeout?: string; env?: string[]; filesystem?: string[]; network?: string[] };
}

const text = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : JSON.stringify(v));

export interface CommandProtocol {
  /** The message asking for the plugin's metadata. */
  metadataCall(): string;
  /** The metadata a plugin answered, as the WIT record. */
  metadata(value: unknown): Types.PluginMetadata;
  /** The message for one phase call (its arguments as they cross the WIT boundary: JSON text). */
  call(phase: Phase, args: readonly string[]): string;
  /** A phase's result, as the WIT exports return it. */
  result(phase: Phase, value: unknown): string | Types.PostResult;
}

const v1: CommandProtocol = {
  metadataCall: () => '{"t":"call","phase":"metadata"}',
  metadata(value) {
    const m = (value ?? {}) as CommandMetadata;
    const p = m.permissions ?? {};
    return {
      name: m.name ?? '',
      version: m.version ?? '0.0.0',
      description: m.description ?? '',
      author: m.author,
      license: m.license,
      nodes: (m.nodes ?? []).map((n) => ({
        nodeType: n.type ?? '',
        category: n.category ?? '',
        description: n.description ?? '',
        configSchema: text(n.configSchema),
        inputSchema: text(n.inputSchema),
        outputSchema: text(n.outputSchema),
        examples: (n.examples ?? []).map((e) => ({
          name: e.name ?? '',
          description: e.description ?? '',
          config: text(e.config),
          input: JSON.stringify(e.input ?? null),
          output: text(e.output),
        })),
      })),
      permissions: { memory: p.memory, timeout: p.timeout, env: p.env ?? [], filesystem: p.filesystem ?? [], network: p.network ?? [] },
    };
  },
  call(phase, args) {
    const [node, config, ...rest] = args;
    let message = `{"t":"call","phase":"${phase}","node":${JSON.stringify(node)},"config":${config}`;
    if (phase === 'prep') message += `,"input":${rest[0]}`;
    else if (phase === 'exec') message += `,"prep":${rest[0]}`;
    else message += `,"input":${rest[0]},"prep":${rest[1]},"exec":${rest[2]}`;
    return `${message}}`;
  },
  result(phase, value) {
    if (phase !== 'post') return JSON.stringify(value ?? null);
    const r = (value ?? {}) as { output?: unknown; next?: unknown };
    return { output: JSON.stringify(r.output ?? null), next: typeof r.next === 'string' ? r.next : '' };
  },
};

/** The protocol of a command world version (every released version speaks the same one so far). */
export function commandProtocol(_version: string): CommandProtocol {
  return v1;
}
