/**
 * The lock file of a plugin directory (`pocket-lock.json`): for every installed plugin, its
 * version, the sha256 of its component, where it came from and the permissions the user
 * consented to at install. Loading an installed plugin whose bytes no longer match is refused;
 * one that matches is granted at most what was consented to.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { PluginError } from '../errors.js';
import { DEFAULT_MEMORY, DEFAULT_STORAGE_QUOTA, DEFAULT_TIMEOUT, parseDuration, parseSize, type PermissionsDecl } from '../manifest.js';
import type { PermissionsGrant } from '../sandbox/policy.js';
import { LOCK_FILE } from './home.js';

const { normalize } = posix;

/**
 * The permissions shown at the consent prompt and accepted, every field present (the defaults
 * written out, so that a later change of default never widens what was accepted).
 */
export interface ConsentedPermissions {
  memory: string;
  timeout: string;
  env: string[];
  filesystem: string[];
  network: string[];
  /** Storage buckets and quota (`permissions.storage`); absent: no storage. */
  storage?: { buckets: string[]; quota: string };
}

/** Where a plugin installed from an npm registry (`install npm:`) came from: what `outdated` and `update` use. */
export interface RegistrySource {
  /** The npm package name. */
  package: string;
  /** The semver range updates stay within (what was asked for, else `^<version>`). */
  range: string;
  /** The registry it was fetched from. */
  registry: string;
  /** The registry's integrity (sha512) of the tarball, checked on download. */
  integrity: string;
  /** The tarball URL. */
  resolved: string;
}

export interface LockEntry {
  version: string;
  /** Hex sha256 of the installed component. */
  sha256: string;
  /** The component, relative to the plugin directory. */
  file: string;
  /** What it was installed from (a path). */
  source: string;
  /** The world it targets, e.g. `pocket:plugin@0.1.0`. */
  world: string;
  installedAt: string;
  /**
   * What the user consented to at install (from the component's embedded manifest). Entries
   * written before this field existed have none: their component's embedded permissions count
   * as consented.
   */
  consented?: ConsentedPermissions;
  /** Set for a plugin installed from an npm registry. */
  registry?: RegistrySource;
}

export interface LockFile {
  lockfileVersion: 1;
  plugins: Record<string, LockEntry>;
}

export function readLock(dir: string): LockFile {
  const path = join(dir, LOCK_FILE);
  if (!existsSync(path)) return { lockfileVersion: 1, plugins: {} };
  let parsed: Partial<LockFile>;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockFile>;
  } catch (err) {
    throw new PluginError('invalid-plugin', `${path} is not valid JSON (${(err as Error).message}); restore it or reinstall the plugins`);
  }
  if (parsed.lockfileVersion !== 1 || typeof parsed.plugins !== 'object' || parsed.plugins === null) {
    throw new PluginError('invalid-plugin', `${path} has an unknown format; reinstall the plugins`);
  }
  return { lockfileVersion: 1, plugins: parsed.plugins };
}

export async function writeLock(dir: string, lock: LockFile): Promise<void> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  const sorted: LockFile = { lockfileVersion: 1, plugins: Object.fromEntries(Object.entries(lock.plugins).sort(([a], [b]) => a.localeCompare(b))) };
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(sorted, null, 2)}\n`);
  await rename(tmp, path);
}

/** Refuse bytes that differ from what was installed. */
export function checkIntegrity(name: string, entry: LockEntry, sha256: string, path: string): void {
  if (entry.sha256 !== sha256) {
    throw new PluginError(
      'invalid-plugin',
      `installed plugin ${name} (${path}) does not match its lock entry: expected sha256 ${entry.sha256}, found ${sha256}; the file was changed after install — reinstall it with \`pocket-wit install <source> --force\``,
      { details: { plugin: name, expected: entry.sha256, actual: sha256, path } },
    );
  }
}

/** The consent record of permissions as a component declares them (defaults written out). */
export function consentFor(decl: PermissionsDecl | undefined): ConsentedPermissions {
  return {
    memory: decl?.memory ?? DEFAULT_MEMORY,
    timeout: decl?.timeout ?? DEFAULT_TIMEOUT,
    env: [...(decl?.env ?? [])],
    filesystem: [...(decl?.filesystem ?? [])],
    network: [...(decl?.network ?? [])],
    ...(decl?.storage ? { storage: { buckets: [...decl.storage.buckets], quota: decl.storage.quota ?? DEFAULT_STORAGE_QUOTA } } : {}),
  };
}

/**
 * The grant to load an installed plugin with: what was consented to at install (the lock
 * entry's record), narrowed further by `host` when given. A grant only narrows what the
 * component asks for, so the plugin gets at most the consent. An entry without a record (older
 * lock files) yields `host` unchanged: the component's embedded permissions count as consented.
 */
export function consentedGrant(entry: LockEntry, host?: PermissionsGrant): PermissionsGrant | undefined {
  const c = entry.consented;
  if (!c) return host;
  const grant: PermissionsGrant = {
    memory: c.memory,
    timeout: c.timeout,
    env: [...c.env],
    filesystem: [...c.filesystem],
    network: [...c.network],
    // Consent recorded before storage existed, or without it: none.
    storage: c.storage ? { buckets: [...c.storage.buckets], quota: c.storage.quota } : false,
  };
  if (!host) return grant;
  return intersectGrants(grant, host);
}

function smaller<T extends number | string>(a: T, b: T | undefined, parse: (v: string) => number): T {
  if (b === undefined) return a;
  const n = (v: T) => (typeof v === 'number' ? v : parse(v));
  return n(b) < n(a) ? b : a;
}

/**
 * What both grants allow: the smaller memory cap and timeout, the env names and hosts in both,
 * and the directories of `a` that `b` names too or lies under, compared as written (writable
 * only when both say `:rw`).
 */
export function intersectGrants(a: PermissionsGrant, b: PermissionsGrant): PermissionsGrant {
  const out: PermissionsGrant = {};
  const memory = a.memory === undefined ? b.memory : smaller(a.memory, b.memory, parseSize);
  const timeout = a.timeout === undefined ? b.timeout : smaller(a.timeout, b.timeout, parseDuration);
  if (memory !== undefined) out.memory = memory;
  if (timeout !== undefined) out.timeout = timeout;
  const both = (x: string[] | undefined, y: string[] | undefined, norm: (s: string) => string = (s) => s): string[] | undefined =>
    x === undefined ? y : y === undefined ? x : x.filter((v) => y.some((w) => norm(w) === norm(v)));
  const env = both(a.env, b.env);
  const network = both(a.network, b.network, (h) => h.toLowerCase());
  if (env) out.env = env;
  if (network) out.network = network;
  if (a.filesystem === undefined || b.filesystem === undefined) {
    const fs = a.filesystem ?? b.filesystem;
    if (fs) out.filesystem = fs;
  } else {
    const dir = (e: string) => normalize(e.trim().replace(/:(ro|rw)$/, '')).replace(/\/$/, '');
    const covers = (f: string, e: string) => dir(f) === dir(e) || dir(e).startsWith(`${dir(f)}/`);
    out.filesystem = a.filesystem.flatMap((e) => {
      const other = b.filesystem!.filter((f) => covers(f, e));
      if (other.length === 0) return [];
      return [e.endsWith(':rw') && other.some((f) => f.endsWith(':rw')) ? e : dir(e)];
    });
  }
  // Storage: none when either grants none; else the buckets both name and the smaller quota.
  if (a.storage === false || b.storage === false) out.storage = false;
  else if (a.storage === undefined || b.storage === undefined) {
    const s = a.storage ?? b.storage;
    if (s) out.storage = s;
  } else {
    const buckets = both(a.storage.buckets, b.storage.buckets);
    const quota = a.storage.quota === undefined ? b.storage.quota : smaller(a.storage.quota, b.storage.quota, parseSize);
    out.storage = { ...(buckets ? { buckets } : {}), ...(quota !== undefined ? { quota } : {}) };
  }
  return out;
}
