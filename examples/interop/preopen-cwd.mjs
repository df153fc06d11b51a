/**
 * Preload for running jco's and componentize-js's own CLIs (`jco embed --wit DIR`,
 * `componentize-js --wit DIR`) on @bytecodealliance/preview2-shim 0.26.1: those tools are
 * WebAssembly components running on the shim, and 0.26.1 preopens no directory by default, so
 * reading a WIT *path* fails with `reading file …/wit … (os error 44)`. This preopens the current
 * working directory (under its own absolute path) for the tool's process only, the way
 * preview2-shim 0.26.0 and earlier preopened the whole filesystem.
 *
 *   node --import=./preopen-cwd.mjs node_modules/.bin/jco embed core.wasm --wit wit -o out.wasm
 *
 * With a preview2-shim that preopens by default the preload is not needed: run the tools as usual.
 */
import { _setPreopens } from '@bytecodealliance/preview2-shim/filesystem';

_setPreopens({ [process.cwd()]: process.cwd() });
