/**
 * What the sandbox's WASI is, for code that checks or builds plugins against it.
 *
 * {@link WASI_VERSION}: the one WASI version everything is built and checked against — the
 * version of the WASI WIT jco ships (`lib/wit/builtin/<version>`, which its preview1 adapter
 * imports and which the TypeScript build stages), written out nowhere else in the sources.
 * Guest code imports WASI interfaces by unversioned name (`wasi:filesystem/types`); the build
 * pins them to this version (tools/build/bundle-ts.ts, tools/build/wasi-world.ts).
 *
 * {@link SANDBOX_WASI_INTERFACES}: the interfaces the per-instance WASI provides, read off what
 * `createWasi` builds (index.ts): everything jco's preview1 reactor adapter imports, plus the
 * insecure random interfaces, every `wasi:sockets` interface (all of which deny) and the
 * outgoing side of `wasi:http` (`types` and `outgoing-handler`).
 */
export { SANDBOX_WASI_INTERFACES } from './index.js';

/** The WASI 0.2 release plugins are built against and the sandbox implements. */
export const WASI_VERSION = '0.2.12';

/**
 * The `wasi:keyvalue` proposal's version the sandbox implements (plugin storage): a package of its
 * own, versioned apart from WASI 0.2 (its WIT is in `wit/deps/wasi-keyvalue`).
 */
export const KEYVALUE_VERSION = '0.2.0-draft';

/** The version a `wasi:` interface is built and checked against: {@link KEYVALUE_VERSION} for `wasi:keyvalue`, else {@link WASI_VERSION}. */
export function wasiPackageVersion(name: string): string {
  return name.startsWith('wasi:keyvalue/') ? KEYVALUE_VERSION : WASI_VERSION;
}
