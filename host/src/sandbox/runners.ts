/**
 * Which runner runs a plugin: one choice, made from the component's kind and `loadPlugin`'s
 * `isolation` option. Every runner has the `RunnerFactory` shape.
 *
 * | kind \ isolation | `worker` (default)                   | `in-process`                 |
 * | plugin component | `workerRunner`: a pool of workers    | `inProcessRunner`: no limits |
 * | command (Go)     | `commandRunner`: a long-lived worker | refused: commands need a worker |
 */
import { PluginError } from '../errors.js';
import type { RunnerFactory } from '../runner.js';
import type { TranspiledComponent } from '../transpile.js';
import { commandRunner } from './command-runner.js';
import { inProcessRunner } from './in-process-runner.js';
import { workerRunner } from './worker-runner.js';

/**
 * `worker`: every call in a worker thread, memory capped, time limited, WASI per instance (the
 * default). `in-process`: on the caller's thread with no isolation, limits or WASI (trusted
 * plugins and measurements only).
 */
export type Isolation = 'worker' | 'in-process';

export function selectRunner(transpiled: TranspiledComponent, isolation: Isolation, name: string): RunnerFactory {
  if (isolation !== 'worker' && isolation !== 'in-process') {
    throw new PluginError('invalid-input', `isolation must be 'worker' or 'in-process', got ${JSON.stringify(isolation)}`);
  }
  if (transpiled.kind === 'command') {
    if (isolation === 'in-process') {
      throw new PluginError('invalid-input', `${name} is a command plugin (a WASI program, e.g. Go), which runs only in a worker; load it with isolation 'worker' (the default)`);
    }
    return commandRunner;
  }
  return isolation === 'in-process' ? inProcessRunner : workerRunner;
}
