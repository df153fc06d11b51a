/**
 * Turns a bundled JS module into a `pocket:plugin` component with one of two engines:
 * QuickJS (componentize-qjs, the default: small, fast to build and to call) or
 * StarlingMonkey (componentize-js). Both build with no WASI imports at all.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginError, WORLD_NAME, WORLD_VERSION, witDir, witSource } from './toolchain.js';
import type { JsEngine } from './bundle-ts.js';

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

export async function componentizeJs(source: string, engine: JsEngine, witVersion: string = WORLD_VERSION): Promise<Uint8Array> {
  if (engine === 'quickjs') {
    const { componentize } = await import('componentize-qjs');
    try {
      const result = await componentize({ witPath: witDir(witVersion), jsSource: source, world: WORLD_NAME, stubWasi: true, sync: true, optSize: true });
      return new Uint8Array(result.component);
    } catch (cause) {
      throw new PluginError('build-failed', explain('QuickJS', cause), { cause });
    }
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
