/**
 * The in-process runner: one instance on the caller's thread, no isolation, no memory cap, no
 * WASI, no timeout. Only for trusted plugins and for measuring what isolation costs. Created at
 * load (so a plugin that cannot start fails there); an instance that trapped is discarded and
 * the next call gets a fresh one. Calls are synchronous underneath, so the instance never serves
 * two calls at once.
 */
import { PluginError } from '../errors.js';
import type { CallHost } from '../host-api.js';
import { toPluginError, type PhaseResult, type RunnerFactory } from '../runner.js';
import { hostImportsFor, nodeExportsFor, type NodeExports } from '../world-versions/index.js';
import { instantiateGlue } from './instantiate.js';

export const inProcessRunner: RunnerFactory = async (transpiled, { name, engine }) => {
  if (transpiled.imports.some((i) => i.startsWith('wasi:'))) {
    throw new PluginError('incompatible', `${name} imports WASI, which only the sandbox provides; load it with isolation 'worker' (the default)`);
  }
  const compiled = await engine.compile(transpiled, { name });
  const glue = await engine.glue(transpiled);
  const version = transpiled.linkVersion;
  let current: CallHost | undefined;
  let instance: NodeExports | undefined;
  const imports = hostImportsFor(version, () => current);
  /** The current instance's memories (for `stats`). */
  let memories: WebAssembly.Memory[] = [];
  const create = (): NodeExports => {
    const found: WebAssembly.Memory[] = [];
    const exports = nodeExportsFor(version, instantiateGlue(glue, compiled.modules, imports, name, { onMemory: (memory) => void found.push(memory) }), name);
    memories = found;
    return exports;
  };
  const get = (): NodeExports => (instance ??= create());

  function invoke<T>(host: CallHost, fn: (node: NodeExports) => T): T {
    const node = get();
    const previous = current;
    current = host;
    try {
      return fn(node);
    } catch (thrown) {
      const err = toPluginError(thrown, { plugin: name, ...(host.ctx.node ? { node: host.ctx.node } : {}), phase: host.phase }, host.limits);
      if (err.code === 'trap') instance = undefined;
      throw err;
    } finally {
      current = previous;
    }
  }

  try {
    get();
  } catch (thrown) {
    compiled.release();
    throw thrown instanceof PluginError ? thrown : new PluginError('trap', `${name} failed to start: ${(thrown as Error).message}`, { cause: thrown });
  }

  return {
    async metadata(host) {
      return invoke(host, (node) => node.metadata());
    },
    async call(phase, args, host) {
      return invoke(host, (node) => (node[phase] as (...a: string[]) => PhaseResult[typeof phase])(...args));
    },
    stats() {
      return { instances: instance ? 1 : 0, memoryBytes: instance ? memories.reduce((n, m) => n + m.buffer.byteLength, 0) : 0 };
    },
    async close() {
      instance = undefined;
      compiled.release();
    },
  };
};
