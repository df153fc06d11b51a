/** Installed plugins: the plugin directory, its lock file, and reading plugins without running them. */
export { pocketHome, pluginsDir, LOCK_FILE } from './home.js';
export { readLock, writeLock, checkIntegrity, consentFor, consentedGrant, intersectGrants, type ConsentedPermissions, type LockEntry, type LockFile, type RegistrySource } from './lockfile.js';
export { describeComponent, EXTERNAL_ENGINE, summarizePermissions, type PluginDescription } from './describe.js';
export { listInstalled, openInstalled, installComponent, removeInstalled, verifyIfInstalled, grantForInstalled, type InstalledPlugin, type InstallRequest, type InstallOutcome } from './store.js';
export { permissionGrowth, describeGrowth, type PermissionGrowth } from './consent-diff.js';
export { probePlugin, type ProbeResult, type ExampleResult } from './probe.js';
export { withUnpackedArchive, DEFAULT_UNPACK_LIMITS, UNPACK_PREFIX, type UnpackLimits } from './unpack.js';
