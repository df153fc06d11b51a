/**
 * The parts of the WASI interfaces the SDK's capabilities use, as componentize-qjs exposes
 * them: each interface is the module's default export; resources are classes; a function
 * returning a top-level `result` returns the ok value or throws an `Error` whose `payload` is
 * the error value (an enum's case name, or a variant `{ tag, val }`); u64 are numbers;
 * `option<T>` is `T | null`; a nested `result` is `{ tag: 'ok' | 'err', val }`.
 * Owned handles are released with `[Symbol.dispose]()`.
 *
 * The build resolves these names only when the plugin's permissions grant the capability
 * (the world then imports the interface); otherwise the SDK never imports them.
 *
 * The modules are named without a version: the build pins every `wasi:` import to the one WASI
 * version it targets (`WASI_VERSION`, host/src/sandbox/wasi/interfaces.ts) when it bundles the
 * plugin (tools/build/bundle-ts.ts), so no SDK source names that version.
 */
interface WasiDisposable {
  [Symbol.dispose](): void;
}

declare module 'wasi:cli/environment' {
  const environment: { getEnvironment(): [string, string][] };
  export default environment;
}

declare module 'wasi:io/streams' {
  export interface InputStream extends WasiDisposable {
    blockingRead(len: number): Uint8Array;
  }
  export interface OutputStream extends WasiDisposable {
    blockingWriteAndFlush(contents: Uint8Array): void;
  }
}

declare module 'wasi:filesystem/types' {
  export interface DescriptorFlags { read?: boolean; write?: boolean }
  export interface OpenFlags { create?: boolean; directory?: boolean; exclusive?: boolean; truncate?: boolean }
  export interface PathFlags { symlinkFollow?: boolean }
  export interface DirectoryEntry { type: string; name: string }
  export interface DirectoryEntryStream extends WasiDisposable {
    readDirectoryEntry(): DirectoryEntry | null;
  }
  export interface Descriptor extends WasiDisposable {
    openAt(pathFlags: PathFlags, path: string, openFlags: OpenFlags, flags: DescriptorFlags): Descriptor;
    read(length: number, offset: number): [Uint8Array, boolean];
    write(buffer: Uint8Array, offset: number): number;
    readDirectory(): DirectoryEntryStream;
  }
  const types: { Descriptor: unknown };
  export default types;
}

declare module 'wasi:filesystem/preopens' {
  import type { Descriptor } from 'wasi:filesystem/types';
  const preopens: { getDirectories(): [Descriptor, string][] };
  export default preopens;
}

declare module 'wasi:http/types' {
  import type { InputStream, OutputStream } from 'wasi:io/streams';
  export type Method = { tag: 'get' | 'head' | 'post' | 'put' | 'delete' | 'connect' | 'options' | 'trace' | 'patch' } | { tag: 'other'; val: string };
  export type Scheme = { tag: 'HTTP' | 'HTTPS' } | { tag: 'other'; val: string };
  export interface Pollable extends WasiDisposable {
    block(): void;
  }
  export interface Fields extends WasiDisposable {
    entries(): [string, Uint8Array][];
  }
  export interface OutgoingBody extends WasiDisposable {
    write(): OutputStream;
  }
  export interface OutgoingRequest extends WasiDisposable {
    setMethod(method: Method): void;
    setScheme(scheme: Scheme | null): void;
    setAuthority(authority: string | null): void;
    setPathWithQuery(path: string | null): void;
    body(): OutgoingBody;
  }
  export interface IncomingBody extends WasiDisposable {
    stream(): InputStream;
  }
  export interface IncomingResponse extends WasiDisposable {
    status(): number;
    headers(): Fields;
    consume(): IncomingBody;
  }
  export type ErrorCode = { tag: string; val?: unknown };
  export type Nested<T, E> = { tag: 'ok'; val: T } | { tag: 'err'; val: E };
  export interface FutureIncomingResponse extends WasiDisposable {
    subscribe(): Pollable;
    get(): Nested<Nested<IncomingResponse, ErrorCode>, undefined> | null;
  }
  const types: {
    Fields: { fromList(entries: [string, Uint8Array][]): Fields };
    OutgoingRequest: new (headers: Fields) => OutgoingRequest;
    OutgoingBody: { finish(body: OutgoingBody, trailers: Fields | null): void };
  };
  export default types;
}

declare module 'wasi:http/outgoing-handler' {
  import type { FutureIncomingResponse, OutgoingRequest } from 'wasi:http/types';
  const handler: { handle(request: OutgoingRequest, options: null): FutureIncomingResponse };
  export default handler;
}

declare module 'wasi:keyvalue/store' {
  export interface Bucket extends WasiDisposable {
    get(key: string): Uint8Array | null | undefined;
    set(key: string, value: Uint8Array): void;
    delete(key: string): void;
    exists(key: string): boolean;
    listKeys(cursor: number | bigint | null | undefined): { keys: string[]; cursor: number | bigint | null | undefined };
  }
  const store: { open(identifier: string): Bucket };
  export default store;
}

declare module 'wasi:keyvalue/atomics' {
  import type { Bucket } from 'wasi:keyvalue/store';
  const atomics: { increment(bucket: Bucket, key: string, delta: number | bigint): number | bigint };
  export default atomics;
}
