/** What the build tools take from the host library (one import point for tools/build). */
export { PluginError, SUPPORTED_WORLD_VERSIONS, WIT_PACKAGE, WORLD_NAME, WORLD_VERSION, witDir, witSource, writePluginSection } from '../../host/src/index.js';
export { toolchainRoot as toolchainRootPath } from '../../host/src/wit-world.js';
