/// <reference path="./wasi.d.ts" />
/** `ctx.env`, backed by `wasi:cli/environment` (built in only when `permissions.env` is declared). */
import environment from 'wasi:cli/environment';
import { NodeError, type NodeEnv } from '../index.js';
import { rethrow } from './errors.js';

export function createEnv(declared: readonly string[]): NodeEnv {
  return {
    get(name: string): string | undefined {
      if (!declared.includes(name)) {
        throw new NodeError('permission-denied', `ctx.env.get("${name}"): ${name} is not in the plugin's env permissions (${declared.join(', ')}); add it to permissions.env in manifest.yaml`);
      }
      let vars: [string, string][];
      try {
        vars = environment.getEnvironment();
      } catch (thrown) {
        return rethrow(thrown, `ctx.env.get("${name}")`);
      }
      // The host exposes only the names it grants: a declared name it withholds reads as unset.
      for (const [key, value] of vars) if (key === name) return value;
      return undefined;
    },
  };
}
