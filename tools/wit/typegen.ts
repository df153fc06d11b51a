/**
 * Typed TypeScript bindings from a WIT package, with jco's generator: for a host (the imports
 * it must implement and the exports it can call, for `jco transpile --instantiation sync`) or
 * for a guest (what a plugin implements and may import). Used by `pocket-wit types` and by
 * `scripts/gen-types.ts`, which keeps the project's own generated files in step with `wit/`.
 *
 * jco reads WIT from a path through preview2-shim, which preopens nothing by default (0.26.1).
 * This grants the shim exactly the WIT folder, in a process that never runs plugins (the CLI's
 * `types` command and the gen script are processes of their own).
 */
import { cpSync, existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { PluginError } from '../../host/src/errors.js';

export type TypesSide = 'host' | 'guest';

export interface TypegenOptions {
  side: TypesSide;
  /** The world to generate for; the package's only world when omitted. */
  world?: string;
  /** A header line (a comment) put at the top of every file. */
  header?: string;
}

type TypesComponent = (path: string, opts: Record<string, unknown>) => Promise<Record<string, Uint8Array>>;

async function jcoTypes(): Promise<TypesComponent> {
  // jco exports `types` (typesComponent) from its API module.
  const jco = (await import('@bytecodealliance/jco')) as unknown as { types: TypesComponent };
  return jco.types;
}

let staging: string | undefined;
let stagedCount = 0;

/**
 * Copy the WIT into a staging folder, the only folder the shim is granted (under the same path
 * as on the host). The shim reads its preopens once, so the grant is made once per process and
 * every later call stages its WIT under it.
 */
async function stage(path: string): Promise<string> {
  if (!staging) {
    staging = mkdtempSync(join(tmpdir(), 'pocket-wit-types-'));
    const fs = (await import('@bytecodealliance/preview2-shim/filesystem')) as unknown as { _setPreopens(p: Record<string, string>): void };
    fs._setPreopens({ [staging]: staging });
  }
  const target = join(staging, String(++stagedCount));
  if (statSync(path).isDirectory()) {
    cpSync(path, target, { recursive: true });
    return target;
  }
  cpSync(path, join(target, basename(path)));
  return join(target, basename(path));
}

/** The first line of jco's error, without its Rust backtrace. */
function jcoMessage(err: unknown): string {
  return String((err as Error)?.message ?? err)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('Stack backtrace') && !/^\d+:/.test(l))
    .slice(0, 4)
    .join(': ');
}

/**
 * Generate the bindings of the WIT at `witPath` (a `.wit` file or a package folder).
 * Returns file contents keyed by relative path (`plugin.d.ts`, `interfaces/<pkg>-<iface>.d.ts`).
 */
export async function generateTypes(witPath: string, options: TypegenOptions): Promise<Map<string, string>> {
  const path = resolve(witPath);
  if (!existsSync(path)) throw new PluginError('not-found', `${witPath} does not exist; give a .wit file or a folder of .wit files`);
  const staged = await stage(path);
  const types = await jcoTypes();
  let files: Record<string, Uint8Array>;
  try {
    files = await types(staged, {
      ...(options.world ? { worldName: options.world } : {}),
      guest: options.side === 'guest',
      // The file name: a world written `%world` (a keyword escaped) is `world`, as WIT means it.
      name: (options.world ?? 'world').replace(/^%/, ''),
      ...(options.side === 'host' ? { instantiation: 'sync' } : {}),
      quiet: true,
    });
  } catch (cause) {
    throw new PluginError('invalid-wit', `cannot generate types from ${witPath}: ${jcoMessage(cause).replaceAll(staged, witPath)}`, { cause });
  }
  const out = new Map<string, string>();
  const header = options.header ? `${options.header}\n` : '';
  for (const [name, bytes] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    out.set(name.replace(/\\/g, '/'), `${header}${Buffer.from(bytes).toString('utf8')}`);
  }
  return out;
}
