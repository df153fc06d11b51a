/**
 * The sandbox: every plugin call runs in a worker thread of the plugin's pool, with its memory
 * capped, its time limited, and WASI built from its permissions for that instance only.
 *
 * policy (manifest permissions ∩ host grant) → capped, compiled modules → plugin threads (one
 * instance each, per-instance WASI) → the pool (`sandboxRunner`), a `PluginRunner`.
 */
export { resolvePolicy, hostAllowed, parseDirEntry, DEFAULT_MAX_INPUT, DEFAULT_MAX_OUTPUT } from './policy.js';
export type { PermissionsGrant, SizeLimits, SandboxPolicy, GrantedDir } from './policy.js';
export { sandboxRunner, defaultPoolSize, type SandboxRunnerOptions } from './sandbox-runner.js';
export { capModuleMemory, WASM_PAGE } from './memory-cap.js';
export { SANDBOX_WASI_INTERFACES } from './wasi/interfaces.js';
