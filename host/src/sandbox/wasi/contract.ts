/**
 * The contract the sandbox's WASI is checked against, at compile time: for every `wasi:*`
 * interface it provides, the TypeScript declaration jco generates from the WASI WIT and ships
 * in `@bytecodealliance/preview2-shim` (`types/interfaces/wasi-*.d.ts`, reached through the
 * package's `./interfaces/*` export). These are the shipped files, imported as types only:
 * nothing of preview2-shim runs in the sandbox.
 *
 * Each builder (cli.ts, clocks.ts, fs.ts, http.ts, io.ts, sockets.ts) returns its part of
 * {@link WasiImports}, and every resource class `implements` its shipped class, so a function,
 * method, parameter, result or error shape that drifts from the WIT is a compile error.
 *
 * The shipped declarations leave out two functions the sandbox provides (an `@unstable` WIT
 * feature, or one newer than the WIT they were generated from); they are added below, next to
 * their interface, and commented.
 */
import type * as CliEnvironment from '@bytecodealliance/preview2-shim/interfaces/wasi-cli-environment';
import type * as CliExit from '@bytecodealliance/preview2-shim/interfaces/wasi-cli-exit';
import type * as CliStderr from '@bytecodealliance/preview2-shim/interfaces/wasi-cli-stderr';
import type * as CliStdin from '@bytecodealliance/preview2-shim/interfaces/wasi-cli-stdin';
import type * as CliStdout from '@bytecodealliance/preview2-shim/interfaces/wasi-cli-stdout';
import type * as CliTerminalInput from '@bytecodealliance/preview2-shim/interfaces/wasi-cli-terminal-input';
import type * as CliTerminalOutput from '@bytecodealliance/preview2-shim/interfaces/wasi-cli-terminal-output';
import type * as CliTerminalStderr from '@bytecodealliance/preview2-shim/interfaces/wasi-cli-terminal-stderr';
import type * as CliTerminalStdin from '@bytecodealliance/preview2-shim/interfaces/wasi-cli-terminal-stdin';
import type * as CliTerminalStdout from '@bytecodealliance/preview2-shim/interfaces/wasi-cli-terminal-stdout';
import type * as ClocksMonotonicClock from '@bytecodealliance/preview2-shim/interfaces/wasi-clocks-monotonic-clock';
import type * as ClocksWallClock from '@bytecodealliance/preview2-shim/interfaces/wasi-clocks-wall-clock';
import type * as FilesystemPreopens from '@bytecodealliance/preview2-shim/interfaces/wasi-filesystem-preopens';
import type * as FilesystemTypes from '@bytecodealliance/preview2-shim/interfaces/wasi-filesystem-types';
import type * as HttpOutgoingHandler from '@bytecodealliance/preview2-shim/interfaces/wasi-http-outgoing-handler';
import type * as HttpTypes from '@bytecodealliance/preview2-shim/interfaces/wasi-http-types';
import type * as IoError from '@bytecodealliance/preview2-shim/interfaces/wasi-io-error';
import type * as IoPoll from '@bytecodealliance/preview2-shim/interfaces/wasi-io-poll';
import type * as IoStreams from '@bytecodealliance/preview2-shim/interfaces/wasi-io-streams';
import type * as RandomInsecure from '@bytecodealliance/preview2-shim/interfaces/wasi-random-insecure';
import type * as RandomInsecureSeed from '@bytecodealliance/preview2-shim/interfaces/wasi-random-insecure-seed';
import type * as RandomRandom from '@bytecodealliance/preview2-shim/interfaces/wasi-random-random';
import type * as SocketsInstanceNetwork from '@bytecodealliance/preview2-shim/interfaces/wasi-sockets-instance-network';
import type * as SocketsIpNameLookup from '@bytecodealliance/preview2-shim/interfaces/wasi-sockets-ip-name-lookup';
import type * as SocketsNetwork from '@bytecodealliance/preview2-shim/interfaces/wasi-sockets-network';
import type * as SocketsTcp from '@bytecodealliance/preview2-shim/interfaces/wasi-sockets-tcp';
import type * as SocketsTcpCreateSocket from '@bytecodealliance/preview2-shim/interfaces/wasi-sockets-tcp-create-socket';
import type * as SocketsUdp from '@bytecodealliance/preview2-shim/interfaces/wasi-sockets-udp';
import type * as SocketsUdpCreateSocket from '@bytecodealliance/preview2-shim/interfaces/wasi-sockets-udp-create-socket';

export type {
  CliEnvironment,
  CliExit,
  CliTerminalInput,
  CliTerminalOutput,
  ClocksWallClock,
  FilesystemTypes,
  HttpTypes,
  IoError,
  IoPoll,
  IoStreams,
  SocketsIpNameLookup,
  SocketsNetwork,
  SocketsTcp,
  SocketsUdp,
};

/**
 * What implementing a shipped interface module means: its functions exactly as declared; a
 * resource the WIT gives a constructor (e.g. `fields`, `outgoing-request`) exactly as declared,
 * constructor and static functions included; a resource without one (declared with a private
 * constructor: only the host creates them) as a class with any constructor the host likes,
 * whose instances are the shipped class and which has the shipped static functions.
 */
export type Implementation<M> = {
  [K in keyof M]: M[K] extends (...args: never) => unknown
    ? M[K]
    : M[K] extends new (...args: never) => unknown
      ? M[K]
      : M[K] extends { prototype: infer I }
        ? Omit<M[K], 'prototype'> & (new (...args: never) => I)
        : M[K];
};

/** The import object `createWasi` builds: one entry per `wasi:*` interface, by unversioned name. */
export type WasiImports = {
  'wasi:cli/environment': Implementation<typeof CliEnvironment>;
  /**
   * `exit-with-code` is in jco's WIT of WASI_VERSION but not in the shipped declaration (generated from
   * a WIT where it was still `@unstable(feature = cli-exit-with-code)`); the sandbox provides it
   * (it throws `WasiExit`, like `exit`).
   */
  'wasi:cli/exit': Implementation<typeof CliExit> & { exitWithCode(statusCode: number): void };
  'wasi:cli/stdin': Implementation<typeof CliStdin>;
  'wasi:cli/stdout': Implementation<typeof CliStdout>;
  'wasi:cli/stderr': Implementation<typeof CliStderr>;
  'wasi:cli/terminal-input': Implementation<typeof CliTerminalInput>;
  'wasi:cli/terminal-output': Implementation<typeof CliTerminalOutput>;
  'wasi:cli/terminal-stdin': Implementation<typeof CliTerminalStdin>;
  'wasi:cli/terminal-stdout': Implementation<typeof CliTerminalStdout>;
  'wasi:cli/terminal-stderr': Implementation<typeof CliTerminalStderr>;
  'wasi:clocks/monotonic-clock': Implementation<typeof ClocksMonotonicClock>;
  'wasi:clocks/wall-clock': Implementation<typeof ClocksWallClock>;
  'wasi:filesystem/types': Implementation<typeof FilesystemTypes>;
  'wasi:filesystem/preopens': Implementation<typeof FilesystemPreopens>;
  'wasi:io/error': Implementation<typeof IoError>;
  'wasi:io/poll': Implementation<typeof IoPoll>;
  'wasi:io/streams': Implementation<typeof IoStreams>;
  'wasi:random/random': Implementation<typeof RandomRandom>;
  'wasi:random/insecure': Implementation<typeof RandomInsecure>;
  'wasi:random/insecure-seed': Implementation<typeof RandomInsecureSeed>;
  /**
   * `network-error-code` is `@unstable(feature = network-error-code)` in the WIT, so the shipped
   * declaration leaves it out; the sandbox provides it (no socket error ever carries one).
   */
  'wasi:sockets/network': Implementation<typeof SocketsNetwork> & { networkErrorCode(err: IoError.Error): SocketsNetwork.ErrorCode | undefined };
  'wasi:sockets/instance-network': Implementation<typeof SocketsInstanceNetwork>;
  'wasi:sockets/ip-name-lookup': Implementation<typeof SocketsIpNameLookup>;
  'wasi:sockets/tcp': Implementation<typeof SocketsTcp>;
  'wasi:sockets/tcp-create-socket': Implementation<typeof SocketsTcpCreateSocket>;
  'wasi:sockets/udp': Implementation<typeof SocketsUdp>;
  'wasi:sockets/udp-create-socket': Implementation<typeof SocketsUdpCreateSocket>;
  'wasi:http/types': Implementation<typeof HttpTypes>;
  'wasi:http/outgoing-handler': Implementation<typeof HttpOutgoingHandler>;
  /** `wasi:keyvalue@0.2.0-draft`: not among preview2-shim's declarations; typed in keyvalue.ts. */
  'wasi:keyvalue/store': object;
  'wasi:keyvalue/atomics': object;
};

/** The unversioned name of an interface the sandbox provides, e.g. `wasi:filesystem/types`. */
export type WasiInterfaceName = keyof WasiImports;
