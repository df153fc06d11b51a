/**
 * The sandbox policy of one loaded plugin: what its manifest asks for, narrowed by what the
 * embedding app grants (an app, or `pocket-wit run --timeout/--memory`, can only take away),
 * with directories resolved to real host paths. Everything the worker enforces comes from here.
 */
import { existsSync, realpathSync, statfsSync, statSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { isAbsolute, normalize, parse, posix, relative, resolve, sep } from 'node:path';
import { resolveCallLimits, type CallLimits } from '../call-limits.js';
import { PluginError } from '../errors.js';
import { memoryBoundProblem, parseDuration, parseSize, resolvePermissions, timeoutBoundProblem, type PermissionsDecl } from '../manifest.js';
import type { DirGrant } from './wasi/fs.js';
import { defaultStorage, type KvBackend, type StorageGrant } from '../storage/index.js';
export { formatBytes } from './format.js';
import { formatBytes } from './format.js';

/** What a host grants at most. Omitted fields grant what the plugin asks for. */
export interface PermissionsGrant {
  /** Cap on linear memory: bytes, or a size like `"32MB"`. */
  memory?: number | string;
  /** Per-call time limit: milliseconds, or a duration like `"2s"`. */
  timeout?: number | string;
  /** Environment variables the plugin may read (among those it asks for). */
  env?: string[];
  /**
   * Directories the plugin may use (among those it asks for), in the manifest's form:
   * `./data` read-only, `./out:rw` writable. Relative to `baseDir`.
   */
  filesystem?: string[];
  /** Hosts the plugin may reach over HTTP(S) (among those it asks for). */
  network?: string[];
  /**
   * Persistent storage (`permissions.storage`): `false` grants none; otherwise the buckets it may
   * open (among those it asks for) and a smaller quota.
   */
  storage?: false | { buckets?: string[]; quota?: number | string };
}

/**
 * Limits on what crosses the boundary in one call: the request and the response, and the caps of
 * `CallLimits` (action name, error message and details, logs, store writes, HTTP bodies).
 */
export interface SizeLimits extends Partial<CallLimits> {
  /** Largest request (the JSON arguments of one phase, in bytes); default 16 MB. */
  maxInputBytes?: number;
  /** Largest response (the JSON a phase returns, in bytes); default 16 MB. */
  maxOutputBytes?: number;
}

export const DEFAULT_MAX_INPUT = 16 * 1024 * 1024;
export const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;

/** A granted directory, with the manifest entry it came from. */
export interface GrantedDir extends DirGrant {
  /** The manifest's entry, e.g. `./out:rw`. */
  entry: string;
}

export interface SandboxPolicy {
  memoryBytes: number;
  timeoutMs: number;
  /** Names the plugin may read, with the host's values (names not set on the host are absent). */
  env: [string, string][];
  envNames: string[];
  dirs: GrantedDir[];
  network: string[];
  /** Its storage buckets, quota and backend; absent when it has no storage. */
  storage?: StorageGrant;
  maxInputBytes: number;
  maxOutputBytes: number;
  /** The caps `CallHost` and the worker enforce on each call (defaults and the host's overrides). */
  callLimits: CallLimits;
  /** Problems that did not stop the load (a granted directory that does not exist). */
  warnings: string[];
}

// A grant out of bounds is refused, not clamped: it is the host's mistake, said with the fix.
function sizeOf(v: number | string, what: string): number {
  if (typeof v === 'number' && !Number.isFinite(v)) throw new PluginError('invalid-input', `${what} must be a positive number of bytes, got ${v}`);
  const bytes = typeof v === 'number' ? v : parseSize(v);
  const problem = memoryBoundProblem(bytes);
  if (problem) throw new PluginError('invalid-input', `the host's grant of ${what}${typeof v === 'number' ? '' : ` "${v}"`} ${problem}`);
  return bytes;
}

function durationOf(v: number | string, what: string): number {
  if (typeof v === 'number' && !Number.isFinite(v)) throw new PluginError('invalid-input', `${what} must be a positive number of milliseconds, got ${v}`);
  const ms = typeof v === 'number' ? v : parseDuration(v);
  const problem = timeoutBoundProblem(ms);
  if (problem) throw new PluginError('invalid-input', `the host's grant of ${what}${typeof v === 'number' ? '' : ` "${v}"`} ${problem}`);
  return ms;
}

/** Split a filesystem entry: `./out:rw` → `{ path: './out', writable: true }`. */
export function parseDirEntry(entry: string): { path: string; writable: boolean } {
  const m = /^(.*?)(?::(rw|ro))?$/.exec(entry.trim())!;
  return { path: m[1]!, writable: m[2] === 'rw' };
}

/**
 * Where the guest sees a directory: a relative entry keeps its path under `/` (`./data` →
 * `/data`, `in/raw` → `/in/raw`); an absolute one, or one leaving the base (`../x`), keeps its
 * absolute host path.
 */
export function guestPathOf(path: string, hostAbs: string): string {
  if (isAbsolute(path)) return hostAbs.split(sep).join('/');
  const norm = normalize(path).split(sep).join('/');
  if (norm === '..' || norm.startsWith('../')) return hostAbs.split(sep).join('/');
  return posix.join('/', norm === '.' ? '' : norm) || '/';
}

function inside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Host trees a plugin is never granted, whatever its manifest asks: pseudo-filesystems and
 * device trees. A directory inside one (after symlinks are resolved) is refused.
 */
export const REFUSED_TREES: readonly { path: string; what: string }[] = [
  { path: '/proc', what: "the process filesystem: the host process's environment, memory (/proc/self/mem) and open files" },
  { path: '/sys', what: "the kernel's devices and settings" },
  { path: '/dev', what: 'the device tree: disks, terminals, shared memory (/dev/shm)' },
  { path: '/run', what: "system services' sockets (e.g. Docker's), credentials and shared memory" },
];

/**
 * Pseudo-filesystems refused wherever they are mounted (Linux `statfs` magic numbers): a procfs
 * mounted outside /proc (containers often have the host's at /host/proc) is as dangerous.
 */
const PSEUDO_FILESYSTEMS = new Map<number, string>([
  [0x9fa0, "a proc filesystem: the host process's environment, memory (/proc/self/mem) and open files"],
  [0x62656572, "a sysfs filesystem: the kernel's devices and settings"],
  [0x1cd1, 'a devpts filesystem: terminals'],
  ...(
    [
      [0x27e0eb, 'cgroup'],
      [0x63677270, 'cgroup2'],
      [0x64626720, 'debugfs'],
      [0x74726163, 'tracefs'],
      [0x73636673, 'securityfs'],
      [0xcafe4a11, 'bpf'],
      [0x62656570, 'configfs'],
      [0xde5e81e4, 'efivarfs'],
      [0x42494e4d, 'binfmt_misc'],
      [0x6165676c, 'pstore'],
      [0x6e736673, 'nsfs'],
      [0x65735543, 'fusectl'],
      [0xf97cff8c, 'selinuxfs'],
    ] as const
  ).map(([magic, fs]): [number, string] => [magic, `a ${fs} filesystem: kernel state, not files`]),
]);

function realOrSame(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** The user's home directories ($HOME, and the account's own when it differs), real paths. */
function homeDirs(): string[] {
  const homes = [homedir()];
  try {
    homes.push(userInfo().homedir);
  } catch {
    // no passwd entry (some containers): $HOME alone
  }
  return [...new Set(homes.filter((h) => h && isAbsolute(h)).map(realOrSame))];
}

/**
 * Why a plugin may not be granted the host directory `host` (a real, absolute path), or
 * undefined when it may: the root, a home directory as a whole or a folder holding one, a
 * pseudo-filesystem or device tree.
 */
export function refusedDirReason(host: string): string | undefined {
  if (host === parse(host).root) return "the host's root directory, the whole filesystem";
  if (process.platform === 'linux') {
    let type: number | undefined;
    try {
      type = statfsSync(host).type;
    } catch {
      // not stat-able: the checks below still apply
    }
    const what = type === undefined ? undefined : PSEUDO_FILESYSTEMS.get(type);
    if (what) return `on ${what}`;
  }
  for (const tree of REFUSED_TREES) {
    for (const root of new Set([tree.path, realOrSame(tree.path)])) {
      if (inside(host, root)) return `inside ${tree.path}, ${tree.what}`;
    }
  }
  for (const home of homeDirs()) {
    if (host === home) return "the user's home directory as a whole, where keys, credentials and shell history live";
    if (inside(home, host)) return `a folder holding the user's home directory (${home}), where keys, credentials and shell history live`;
  }
  return undefined;
}

/** The policy for a plugin that asks for `decl`, given what the host grants. */
export function resolvePolicy(
  name: string,
  decl: PermissionsDecl | undefined,
  options: { grant?: PermissionsGrant; baseDir: string; limits?: SizeLimits; hostEnv?: Record<string, string | undefined>; storage?: KvBackend },
): SandboxPolicy {
  let asked;
  try {
    asked = resolvePermissions(decl);
  } catch (err) {
    throw new PluginError('invalid-manifest', `${name}: its permissions are invalid: ${(err as Error).message}`);
  }
  const grant = options.grant ?? {};
  const memoryBytes = grant.memory === undefined ? asked.memoryBytes : Math.min(asked.memoryBytes, sizeOf(grant.memory, 'permissions.memory'));
  const timeoutMs = grant.timeout === undefined ? asked.timeoutMs : Math.min(asked.timeoutMs, durationOf(grant.timeout, 'permissions.timeout'));
  const envNames = grant.env === undefined ? asked.env : asked.env.filter((n) => grant.env!.includes(n));
  const hostEnv = options.hostEnv ?? process.env;
  const env = envNames.filter((n) => hostEnv[n] !== undefined).map((n): [string, string] => [n, hostEnv[n]!]);
  const network = grant.network === undefined ? asked.network : asked.network.filter((h) => grant.network!.map((g) => g.toLowerCase()).includes(h.toLowerCase()));

  const granted = grant.filesystem?.map((e) => {
    const { path, writable } = parseDirEntry(e);
    return { abs: resolve(options.baseDir, path), writable };
  });
  const dirs: GrantedDir[] = [];
  const warnings: string[] = [];
  const refused: { entry: string; host: string; reason: string }[] = [];
  for (const entry of asked.filesystem) {
    const { path, writable } = parseDirEntry(entry);
    const abs = resolve(options.baseDir, path);
    let ok = true;
    let canWrite = writable;
    if (granted) {
      const cover = granted.filter((g) => inside(abs, g.abs));
      ok = cover.length > 0;
      canWrite = writable && cover.some((g) => g.writable);
    }
    if (!ok) continue;
    // Refused by where it leads after symlinks (`./link` → /proc/self), and by its own path
    // (`/proc/self/nothing`, which does not exist, is refused all the same).
    const real = realOrSame(abs);
    const reason = refusedDirReason(real) ?? (real === abs ? undefined : refusedDirReason(abs));
    if (reason) {
      refused.push({ entry, host: real, reason });
      continue;
    }
    if (!existsSync(abs) || !statSync(abs).isDirectory()) {
      // Not fatal: tools that only read a plugin's metadata load it away from its data.
      warnings.push(`permissions.filesystem "${entry}" is ${abs}, which is not a directory: the plugin runs without it (create it, or load the plugin with baseDir set to its project folder)`);
      continue;
    }
    const host = realpathSync(abs);
    const guest = guestPathOf(path, host);
    if (dirs.some((d) => d.guest === guest)) {
      throw new PluginError('invalid-manifest', `${name}: permissions.filesystem names ${guest} twice`);
    }
    dirs.push({ entry, guest, host, writable: canWrite });
  }
  if (refused.length > 0) {
    const what = refused.map((r) => `permissions.filesystem "${r.entry}" is refused: it resolves to ${r.host}, ${r.reason}`);
    const fix =
      '  grant a specific folder instead (for example "./data"), or load the plugin without filesystem access ' +
      '(permissions: { filesystem: [] } in the host API, --deny-fs on pocket-wit run and flow)';
    throw new PluginError(
      'permission-denied',
      refused.length === 1 ? `${name}: ${what[0]}\n${fix}` : `${name}: ${refused.length} filesystem permissions are refused:\n${what.map((w) => `  - ${w}`).join('\n')}\n${fix}`,
      { context: { plugin: name }, details: { refused } },
    );
  }
  let storage: StorageGrant | undefined;
  if (asked.storage && grant.storage !== false) {
    const g = grant.storage ?? {};
    const buckets = g.buckets === undefined ? asked.storage.buckets : asked.storage.buckets.filter((b) => g.buckets!.includes(b));
    const quotaBytes = g.quota === undefined ? asked.storage.quotaBytes : Math.min(asked.storage.quotaBytes, sizeOf(g.quota, 'permissions.storage.quota'));
    if (buckets.length > 0) storage = { namespace: name, buckets, quotaBytes, backend: options.storage ?? defaultStorage() };
  }
  return {
    memoryBytes,
    timeoutMs,
    env,
    envNames,
    dirs,
    network,
    ...(storage ? { storage } : {}),
    maxInputBytes: options.limits?.maxInputBytes ?? DEFAULT_MAX_INPUT,
    maxOutputBytes: options.limits?.maxOutputBytes ?? DEFAULT_MAX_OUTPUT,
    callLimits: resolveCallLimits(options.limits),
    warnings,
  };
}

/** Whether `url`'s host is one of `allowed` (`host` or `host:port`; case-insensitive). */
export function hostAllowed(url: string, allowed: string[]): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return allowed.some((a) => {
    const want = a.trim().toLowerCase();
    return want === host || want === u.host.toLowerCase();
  });
}

/**
 * What a plugin is granted beyond its memory cap and timeout, in one line (`env API_KEY; fs
 * /data → /home/me/proj/data (ro); net api.example.com`), or undefined when nothing: what
 * `pocket-wit run` and `flow` print on stderr before running. Takes `plugin.permissions`.
 */
export function describeGrant(p: {
  env: readonly string[];
  filesystem: readonly DirGrant[];
  network: readonly string[];
  storage?: { buckets: readonly string[]; quotaBytes: number } | undefined;
}): string | undefined {
  const parts: string[] = [];
  if (p.env.length > 0) parts.push(`env ${p.env.join(', ')}`);
  if (p.filesystem.length > 0) parts.push(`fs ${p.filesystem.map((d) => `${d.guest} → ${d.host} (${d.writable ? 'rw' : 'ro'})`).join(', ')}`);
  if (p.network.length > 0) parts.push(`net ${p.network.join(', ')}`);
  if (p.storage) parts.push(`storage ${p.storage.buckets.join(', ')} (quota ${formatBytes(p.storage.quotaBytes)})`);
  return parts.length > 0 ? parts.join('; ') : undefined;
}
