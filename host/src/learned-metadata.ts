/**
 * What the host knows of a plugin component that has no `pocket-wit:plugin` section (one built
 * by another toolchain: componentize-js, wit-bindgen and jco, ...): its `metadata()` answer,
 * learned once by calling it in the sandbox with nothing granted, and kept by the component's
 * sha256 in the cache folder (`<cache>/metadata/<sha256>.json`). The permissions a section-less
 * plugin asks for are the ones its metadata declares: they are what `install` asks consent for
 * and what later loads start from (narrowed by any grant), so the metadata is learned under
 * nothing granted and the first answer is the one that counts for those bytes.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCacheDir } from './cache.js';
import type { PluginMetadata } from './metadata.js';
import type { PermissionsGrant } from './sandbox/policy.js';

/** The grant a section-less plugin's metadata is learned under: no env, files or network. */
export const NOTHING_GRANTED: PermissionsGrant = Object.freeze({ env: [], filesystem: [], network: [], storage: false }) as PermissionsGrant;

/** Marks cache entries; an entry of another format is learned again. */
const FORMAT = 1;

interface Entry {
  format: number;
  sha256: string;
  metadata: PluginMetadata;
}

function entryPath(sha256: string, cacheDir?: string): string {
  return join(cacheDir ?? defaultCacheDir(), 'metadata', `${sha256}.json`);
}

/** The metadata learned earlier for these bytes, if any (a damaged entry counts as none). */
export function learnedMetadata(sha256: string, cacheDir?: string): PluginMetadata | undefined {
  if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
  try {
    const entry = JSON.parse(readFileSync(entryPath(sha256, cacheDir), 'utf8')) as Partial<Entry>;
    if (entry.format !== FORMAT || entry.sha256 !== sha256 || !entry.metadata || typeof entry.metadata.name !== 'string' || !Array.isArray(entry.metadata.nodes)) return undefined;
    return entry.metadata;
  } catch {
    return undefined;
  }
}

/**
 * Keep what a section-less plugin's `metadata()` answered under nothing granted. The first answer
 * for these bytes stays: an entry that exists is not replaced. Failing to write is not an error
 * (the next load learns it again).
 */
export function rememberMetadata(sha256: string, metadata: PluginMetadata, cacheDir?: string): void {
  if (!/^[0-9a-f]{64}$/.test(sha256) || learnedMetadata(sha256, cacheDir)) return;
  const path = entryPath(sha256, cacheDir);
  try {
    mkdirSync(join(path, '..'), { recursive: true });
    const tmp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, JSON.stringify({ format: FORMAT, sha256, metadata } satisfies Entry));
    renameSync(tmp, path); // readers see the whole entry or none
  } catch {
    // A read-only cache folder: nothing is kept.
  }
}
