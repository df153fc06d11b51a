/**
 * A core wasm module (from rustc, clang, go) → a component, with jco's wasm-tools: embed the WIT
 * world (`componentEmbed`), then `componentNew`, adding the WASI preview1 adapter only when the
 * module imports `wasi_snapshot_preview1` (reactor for libraries, command for `_start` programs).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { PluginError } from '../../host/src/errors.js';
import { readLeb as leb, readWasmName as name } from '../../host/src/component-sections.js';

export type AdapterKind = 'auto' | 'none' | 'reactor' | 'command';

export interface WrapOptions {
  /** The WIT of the world, as one source text (see `witSource`). */
  witSource: string;
  /** The world in that WIT, e.g. `plugin`. */
  world: string;
  /** Which preview1 adapter to link; `auto`: none without WASI imports, else reactor (command if the module exports `_start`). */
  adapter?: AdapterKind;
  /** For messages: what the module was built from. */
  source?: string;
}

/** The import module names and export names of a core module (import and export sections only). */
export function coreModuleInterface(bytes: Uint8Array): { importModules: Set<string>; exports: Set<string> } {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d || bytes[4] !== 1) {
    throw new PluginError('build-failed', 'the compiler did not produce a core WebAssembly module');
  }
  const importModules = new Set<string>();
  const exports = new Set<string>();
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at]!;
    const [size, body] = leb(bytes, at + 1);
    const end = body + size;
    if (id === 2 || id === 7) {
      let [count, p] = leb(bytes, body);
      for (; count > 0; count--) {
        if (id === 2) {
          const [mod, p1] = name(bytes, p);
          const [, p2] = name(bytes, p1);
          importModules.add(mod);
          const kind = bytes[p2]!;
          p = p2 + 1;
          if (kind === 0) p = leb(bytes, p)[1];
          else if (kind === 1) p = skipLimits(bytes, p + 1);
          else if (kind === 2) p = skipLimits(bytes, p);
          else if (kind === 3) p += 2;
          else if (kind === 4) p = leb(bytes, p + 1)[1];
        } else {
          const [exp, p1] = name(bytes, p);
          exports.add(exp);
          p = leb(bytes, p1 + 1)[1];
        }
      }
    }
    at = end;
  }
  return { importModules, exports };
}

function skipLimits(bytes: Uint8Array, at: number): number {
  const flags = bytes[at]!;
  let p = leb(bytes, at + 1)[1];
  if (flags & 1) p = leb(bytes, p)[1];
  return p;
}

/** Wrap a core module into a component of `world`. */
export async function componentFromCore(core: Uint8Array, options: WrapOptions): Promise<Uint8Array> {
  const { componentEmbed, componentNew, preview1AdapterCommandPath, preview1AdapterReactorPath } = await import('@bytecodealliance/jco');
  const iface = coreModuleInterface(core);
  let adapter = options.adapter ?? 'auto';
  if (adapter === 'auto') adapter = !iface.importModules.has('wasi_snapshot_preview1') ? 'none' : iface.exports.has('_start') ? 'command' : 'reactor';
  const what = options.source ?? 'the module';
  let embedded: Uint8Array;
  try {
    embedded = await componentEmbed({ binary: core, witSource: options.witSource, world: options.world, stringEncoding: 'utf8' });
  } catch (cause) {
    throw new PluginError('build-failed', `embedding the WIT world "${options.world}" into ${what} failed: ${firstLine(cause)}`, { cause });
  }
  const adapters: [string, Uint8Array][] = [];
  if (adapter !== 'none') {
    const url = adapter === 'command' ? preview1AdapterCommandPath() : preview1AdapterReactorPath();
    adapters.push(['wasi_snapshot_preview1', new Uint8Array(await readFile(fileURLToPath(url)))]);
  }
  try {
    return await componentNew(embedded, adapters);
  } catch (cause) {
    throw new PluginError(
      'build-failed',
      `${what} does not match the world "${options.world}": ${firstLine(cause)}; check the exported function names and signatures against wit/ (the SDK's glue does this for you)`,
      { cause },
    );
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(Stack backtrace|\d+:)/.test(l))
    .slice(0, 3)
    .join(': ');
}
