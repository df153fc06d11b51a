/**
 * The sandbox: everything that runs a plugin's instances. Every runner has one shape
 * (`RunnerFactory`), chosen by `selectRunner` from the component's kind and the `isolation`
 * option: the worker pool (the default: every call in a worker thread, memory capped, time
 * limited, WASI per instance from its permissions), the command runner (Go) and the in-process
 * runner (trusted plugins).
 *
 * policy (manifest permissions ∩ host grant) → engine (compiled, capped modules) → runner
 * (workers sharing `WorkerHost`, one instance each) → `PluginRunner`.
 */
export { resolvePolicy, hostAllowed, parseDirEntry, DEFAULT_MAX_INPUT, DEFAULT_MAX_OUTPUT } from './policy.js';
export type { PermissionsGrant, SizeLimits, SandboxPolicy, GrantedDir } from './policy.js';
export type { DirGrant } from './wasi/fs.js';
export { Engine, sharedEngine, type CompiledModules } from './engine.js';
export { selectRunner, type Isolation } from './runners.js';
export { workerRunner, defaultPoolSize } from './worker-runner.js';
export { inProcessRunner } from './in-process-runner.js';
export { commandRunner, COMMAND_WASI_INTERFACES } from './command-runner.js';
export { capModuleMemory, WASM_PAGE } from './memory-cap.js';
export { SANDBOX_WASI_INTERFACES } from './wasi/interfaces.js';
