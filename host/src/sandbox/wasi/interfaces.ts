/**
 * The `wasi:*` interfaces the sandbox's per-instance WASI implementation (`createWasi`) provides,
 * by unversioned name — the keys jco's generated `instantiate(getCoreModule, imports)` expects.
 *
 * This covers everything jco's preview1 reactor adapter imports, plus the insecure random
 * interfaces, every `wasi:sockets` interface (all of which deny) and the outgoing side of
 * `wasi:http` (`types` and `outgoing-handler`), as of WASI 0.2.12.
 */
export const SANDBOX_WASI_INTERFACES: readonly string[] = Object.freeze([
  'wasi:cli/environment',
  'wasi:cli/exit',
  'wasi:cli/stdin',
  'wasi:cli/stdout',
  'wasi:cli/stderr',
  'wasi:cli/terminal-input',
  'wasi:cli/terminal-output',
  'wasi:cli/terminal-stdin',
  'wasi:cli/terminal-stdout',
  'wasi:cli/terminal-stderr',
  'wasi:clocks/monotonic-clock',
  'wasi:clocks/wall-clock',
  'wasi:filesystem/types',
  'wasi:filesystem/preopens',
  'wasi:io/error',
  'wasi:io/poll',
  'wasi:io/streams',
  'wasi:random/random',
  'wasi:random/insecure',
  'wasi:random/insecure-seed',
  'wasi:sockets/network',
  'wasi:sockets/instance-network',
  'wasi:sockets/ip-name-lookup',
  'wasi:sockets/tcp',
  'wasi:sockets/tcp-create-socket',
  'wasi:sockets/udp',
  'wasi:sockets/udp-create-socket',
  'wasi:http/types',
  'wasi:http/outgoing-handler',
]);
