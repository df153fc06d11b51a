/**
 * A plugin directory as a store of installed plugins: install (copy + lock entry), list (from
 * the lock file, with a metadata index so that listing many plugins reads no component twice),
 * open by name (integrity-checked), and remove.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { PluginError } from '../errors.js';
import { describeComponent, type PluginDescription } from './describe.js';
import type { PermissionsGrant } from '../sandbox/policy.js';
import { checkIntegrity, consentedGrant, consentFor, readLock, writeLock, type ConsentedPermissions, type LockEntry, type RegistrySource } from './lockfile.js';

const INDEX_FILE = '.pocket-index.json';

export interface InstalledPlugin extends PluginDescription {
  lock: LockEntry;
  /** False when the file's bytes differ from the lock entry. */
  intact: boolean;
}

interface IndexEntry {
  size: number;
  mtimeMs: number;
  description: PluginDescription;
}

function readIndex(dir: string): Record<string, IndexEntry> {
  try {
    return JSON.parse(readFileSync(join(dir, INDEX_FILE), 'utf8')) as Record<string, IndexEntry>;
  } catch {
    return {};
  }
}

/** The sha256 of a file's bytes, before anything parses them. */
async function fileSha256(path: string): Promise<string> {
  try {
    return createHash('sha256').update(await readFile(path)).digest('hex');
  } catch (err) {
    throw new PluginError('not-found', `cannot read installed plugin ${path}: ${(err as Error).message}; reinstall it`);
  }
}

/** A damaged file still gets a row (flagged by its hash), so `list` shows it instead of failing. */
async function describeOrPlaceholder(path: string, name: string, entry: LockEntry, size: number): Promise<PluginDescription> {
  try {
    return await describeComponent(path);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { name, version: entry.version, description: `unreadable: ${reason}`, nodes: [], permissions: {}, world: entry.world, engine: 'unknown', describedBy: 'section', sha256: await fileSha256(path), size, path };
  }
}

/** Every installed plugin of `dir`, sorted by name. Reads a component only when it changed. */
export async function listInstalled(dir: string): Promise<InstalledPlugin[]> {
  const lock = readLock(dir);
  const index = readIndex(dir);
  const fresh: Record<string, IndexEntry> = {};
  const out: InstalledPlugin[] = [];
  let changed = false;
  for (const [name, entry] of Object.entries(lock.plugins).sort(([a], [b]) => a.localeCompare(b))) {
    const path = join(dir, entry.file);
    if (!existsSync(path)) {
      throw new PluginError('not-found', `installed plugin ${name} is missing its component ${path}; reinstall it, or remove it with \`pocket-wit remove ${name}\``);
    }
    const st = statSync(path);
    let cached = index[entry.file];
    if (!cached || cached.size !== st.size || cached.mtimeMs !== st.mtimeMs) {
      cached = { size: st.size, mtimeMs: st.mtimeMs, description: await describeOrPlaceholder(path, name, entry, st.size) };
      changed = true;
    }
    fresh[entry.file] = cached;
    // The installed name (the lock key) may differ from the manifest's (`install --name`).
    out.push({ ...cached.description, name, path, lock: entry, intact: cached.description.sha256 === entry.sha256 });
  }
  if (changed || Object.keys(index).length !== Object.keys(fresh).length) {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, INDEX_FILE), JSON.stringify(fresh));
  }
  return out;
}

/** The component file of an installed plugin, after checking its bytes against the lock file. */
export async function openInstalled(dir: string, name: string): Promise<string> {
  const entry = readLock(dir).plugins[name];
  if (!entry) throw new PluginError('not-found', `no installed plugin named ${name} in ${dir}; see \`pocket-wit list\``);
  const path = join(dir, entry.file);
  checkIntegrity(name, entry, await fileSha256(path), path);
  return path;
}

export interface InstallRequest {
  /** The component to install (already validated by the caller). */
  file: string;
  /** Install under this name (default: the manifest's). */
  name?: string;
  /** Replace a different installed version. */
  force?: boolean;
  /** Recorded as where it came from. */
  source: string;
  /**
   * The permissions the user consented to (recorded in the lock entry; later loads get at most
   * these). Default: the component's embedded permissions, the ones a consent prompt shows.
   */
  consented?: ConsentedPermissions;
  /** Recorded for a plugin from an npm registry (replaces the previous record). */
  registry?: RegistrySource;
}

export type InstallOutcome = { status: 'installed' | 'replaced' | 'unchanged'; name: string; entry: LockEntry; previous?: LockEntry };

/** Copy a component into the plugin directory and record it in the lock file. */
export async function installComponent(dir: string, req: InstallRequest): Promise<InstallOutcome> {
  const description = await describeComponent(req.file);
  const name = req.name ?? description.name;
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) throw new PluginError('invalid-manifest', `"${name}" is not a valid plugin name: use lowercase letters, digits, ".", "_" or "-"`);
  const lock = readLock(dir);
  const previous = lock.plugins[name];
  const consented = req.consented ?? consentFor(description.permissions);
  if (previous && previous.sha256 === description.sha256) {
    // Installed again with the same bytes: the consent just given is the one that counts.
    const registry = req.registry ?? previous.registry;
    if (JSON.stringify(previous.consented) !== JSON.stringify(consented) || JSON.stringify(previous.registry) !== JSON.stringify(registry)) {
      lock.plugins[name] = { ...previous, consented, ...(registry ? { registry } : {}) };
      await writeLock(dir, lock);
    }
    return { status: 'unchanged', name, entry: lock.plugins[name]! };
  }
  if (previous && !req.force) {
    const what = previous.version === description.version ? `a different build of version ${previous.version}` : `version ${previous.version}`;
    throw new PluginError('invalid-plugin', `${name} is already installed (${what}); installing ${description.version} from ${req.source} would replace it: pass --force to replace it`, {
      details: { installed: previous.version, offered: description.version },
    });
  }
  const file = join(name, `${name}.wasm`);
  const target = join(dir, file);
  await mkdir(dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  await copyFile(req.file, tmp);
  await rename(tmp, target); // readers see the old file or the new one, never half of one
  await writeFile(join(dir, name, 'installed.json'), `${JSON.stringify({ name, version: description.version, description: description.description, permissions: description.permissions }, null, 2)}\n`);
  const entry: LockEntry = {
    version: description.version,
    sha256: description.sha256,
    file: relative(dir, target),
    source: req.source,
    world: description.world,
    installedAt: new Date().toISOString(),
    consented,
    ...(req.registry ? { registry: req.registry } : {}),
  };
  lock.plugins[name] = entry;
  await writeLock(dir, lock);
  return previous ? { status: 'replaced', name, entry, previous } : { status: 'installed', name, entry };
}

/** Remove an installed plugin's files and its lock entry. */
export async function removeInstalled(dir: string, name: string): Promise<LockEntry> {
  const lock = readLock(dir);
  const entry = lock.plugins[name];
  if (!entry) throw new PluginError('not-found', `no installed plugin named ${name} in ${dir}; see \`pocket-wit list\``);
  await rm(join(dir, name), { recursive: true, force: true });
  delete lock.plugins[name];
  await writeLock(dir, lock);
  return entry;
}

/**
 * When `file` lies in a plugin directory managed by `pocket-wit install`, check its bytes against
 * the lock file (throws `invalid-plugin` naming the plugin and both hashes). Other files pass.
 */
export async function verifyIfInstalled(file: string): Promise<void> {
  await grantForInstalled(file);
}

/**
 * The grant to load `file` with: for a plugin installed by `pocket-wit install` (its bytes
 * checked against the lock file first, as {@link verifyIfInstalled}), the permissions consented
 * to at install narrowed by `host`; for any other file, `host` as it is. Pass the result as
 * `loadPlugin`'s `permissions`.
 */
export async function grantForInstalled(file: string, host?: PermissionsGrant): Promise<PermissionsGrant | undefined> {
  const dir = dirname(dirname(file));
  if (!existsSync(join(dir, 'pocket-lock.json'))) return host;
  for (const [name, entry] of Object.entries(readLock(dir).plugins)) {
    if (join(dir, entry.file) !== file) continue;
    checkIntegrity(name, entry, await fileSha256(file), file);
    return consentedGrant(entry, host);
  }
  return host;
}
