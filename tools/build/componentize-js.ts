/**
 * Turns a bundled JS module into a `pocket:plugin` component with one of two engines:
 * QuickJS (componentize-qjs, the default: small, fast to build and to call) or
 * StarlingMonkey (componentize-js). Both build with no WASI imports at all, unless the plugin
 * needs WASI (its permissions or its own imports): then, with QuickJS only, the component
 * imports exactly those WASI interfaces (see wasi-world.ts).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginError, WORLD_NAME, WORLD_VERSION, witDir, witSource } from './toolchain.js';
import type { JsEngine } from './bundle-ts.js';
import { renameImportNamespace, stageWasiWorld } from './wasi-world.js';

export const JS_ENGINES: readonly JsEngine[] = ['quickjs', 'starlingmonkey'];
export const DEFAULT_JS_ENGINE: JsEngine = 'quickjs';

function firstLines(err: unknown, n = 6): string {
  return String((err as Error)?.message ?? err)
    .split('\n')
    .filter((l) => l.trim())
    .slice(0, n)
    .join('\n  ');
}

/**
 * The engines report a plugin whose top-level code throws inside their own wording; pull out the
 * plugin's message so that it leads the error.
 */
function explain(engine: string, err: unknown): string {
  const text = String((err as Error)?.message ?? err);
  const thrown = /Failed to finish JavaScript module evaluation: (?:\w*Error: )?([^\n]+)/.exec(text) ?? /Exception while evaluating top-level script\n(?:\S+ )?([^\n]+)/.exec(text);
  if (thrown) return `the plugin's top-level code threw while ${engine} initialized it: ${thrown[1]!.trim()}\n  ${firstLines(err)}`;
  return `${engine} componentize failed:\n  ${firstLines(err)}`;
}

/**
 * `wasiImports`: the WASI interfaces (unversioned, e.g. `wasi:cli/environment`) the component
 * must import besides the world's own; none by default.
 */
export async function componentizeJs(source: string, engine: JsEngine, witVersion: string = WORLD_VERSION, wasiImports: readonly string[] = []): Promise<Uint8Array> {
  if (engine === 'quickjs') {
    const { componentize } = await import('componentize-qjs');
    const staged = wasiImports.length > 0 ? await stageWasiWorld(witVersion, wasiImports) : undefined;
    try {
      // stubWasi turns the QuickJS runtime's own WASI use into traps (never reached); the
      // plugin's WASI imports survive it under the wasx: namespace and are renamed back.
      const witPath = staged ? staged.dir : witDir(witVersion);
      const world = staged ? staged.world : WORLD_NAME;
      const result = await componentize({ witPath, jsSource: source, world, stubWasi: true, sync: true, optSize: true });
      const component = new Uint8Array(result.component);
      return staged ? renameImportNamespace(component) : component;
    } catch (cause) {
      throw new PluginError('build-failed', explain('QuickJS', cause), { cause });
    } finally {
      if (staged) await rm(staged.dir, { recursive: true, force: true });
    }
  }
  if (wasiImports.length > 0) {
    throw new PluginError(
      'build-failed',
      `the plugin needs WASI (${wasiImports.join(', ')}: its permissions env/filesystem/network/storage, or its own wasi: imports), which pocket-wit builds with the QuickJS engine only; build it with --engine quickjs`,
    );
  }
  const { componentize } = await import('@bytecodealliance/componentize-js');
  const dir = await mkdtemp(join(tmpdir(), 'pocket-wit-sm-'));
  try {
    const sourcePath = join(dir, 'plugin.js');
    await writeFile(sourcePath, source);
    // The WIT goes in as text: componentize-js reads paths through preview2-shim, which preopens nothing.
    // `witWorld` (inline WIT) is accepted by componentize-js but missing from its option types.
    const opts = {
      sourcePath,
      witWorld: witSource(witVersion),
      worldName: WORLD_NAME,
      disableFeatures: ['stdio', 'random', 'clocks', 'http', 'fetch-event'] as ('stdio' | 'random' | 'clocks' | 'http' | 'fetch-event')[],
    };
    const result = await componentize(opts);
    return new Uint8Array(result.component);
  } catch (cause) {
    throw new PluginError('build-failed', explain('StarlingMonkey', cause), { cause });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
