/**
 * pocket-wit/host: load WebAssembly component plugins for Pocket workflows and run their nodes.
 *
 * The stages, each its own module: component bytes (`readComponent`) → transpiled module
 * (`transpileComponent`, cached on disk) → compiled modules (`Engine`) → a runner with linked
 * instances (`sandbox/`: worker pool, command runner or in-process) → typed plugin (`Plugin`).
 * `loadPlugin` does them all.
 */
export { PluginError, ERROR_CODES, isPluginError, errorLocation, splitGuestStack, type Attempt, type ErrorCode, type ErrorContext } from './errors.js';
export { loadPlugin, type LoadOptions } from './load.js';
export { Plugin, type EffectivePermissions, type NodeCallOptions, type NodeResult, type PluginSource, type RunNodeOptions } from './plugin.js';
export type { JsonSchema, NodeDefinition, NodeExample, PluginMetadata } from './metadata.js';
export { CallHost, stderrLogSink, silentLogSink, type CallContext, type CallPhase, type HostCallEvent, type HostCalls, type LogLevel, type LogRecord, type LogSink, type SharedStore } from './host-api.js';
export { readComponent, type ComponentFile } from './component.js';
export { transpileComponent, checkWorld, type TranspiledComponent } from './transpile.js';
export { toPluginError, type Phase, type PhaseArgs, type PhaseResult, type PluginRunner, type RunnerContext, type RunnerFactory, type RunnerStats } from './runner.js';
export { NodeSchemas } from './node-schemas.js';
export type { NodeExports } from './world-versions/index.js';
export {
  readManifest,
  findManifestFile,
  validateManifest,
  resolvePermissions,
  parseSize,
  parseDuration,
  timeoutBoundProblem,
  memoryBoundProblem,
  MAX_TIMEOUT_MS,
  MAX_MEMORY_BYTES,
  ManifestSchema,
  type Manifest,
  type ManifestNode,
  type PermissionsDecl,
  type ResolvedPermissions,
} from './manifest.js';
export { readPluginSection, writePluginSection, PLUGIN_SECTION, type PluginSection } from './plugin-section.js';
export { defaultCacheDir } from './cache.js';
export { learnedMetadata, NOTHING_GRANTED } from './learned-metadata.js';
export * from './sandbox/index.js';
export { WIT_PACKAGE, WORLD_NAME, WORLD_VERSION, SUPPORTED_WORLD_VERSIONS, COMMAND_WORLD_VERSIONS, resolveWorldVersion, semverTrack, witDir, witSource } from './wit-world.js';
export * from './workflow/index.js';
export { MAX_CALLS_PER_STEP, type TraceSpan, type TraceCall, type SpanPhase } from './workflow/trace.js';
export * from './installed/index.js';
export { WatchedPlugin, type ReloadEvent, type WatchOptions } from './hot-reload.js';
export * from './storage/index.js';
