/**
 * The lock file of a plugin directory (`pocket-lock.json`): for every installed plugin, its
 * version, the sha256 of its component and where it came from. Loading an installed plugin
 * whose bytes no longer match is refused.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PluginError } from '../errors.js';
import { LOCK_FILE } from './home.js';

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
