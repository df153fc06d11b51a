/**
 * Records a `wit/v<version>/` folder as released: the sha256 of each of its files goes into
 * `wit/RELEASED.json`, and `test/wit-released.test.ts` fails from then on when the folder changes
 * (a released world is frozen: a change is a new version folder, docs/COMPATIBILITY.md).
 *
 *   npx tsx scripts/wit-release.ts 0.2.1     record wit/v0.2.1 (refused when already recorded)
 *   npx tsx scripts/wit-release.ts --check   exit 1 when a recorded folder differs from its hashes
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const RELEASED_PATH = join(root, 'wit', 'RELEASED.json');

export interface ReleasedFile {
  /** What the file is for. */
  comment: string;
  /** Version → file name → `sha256:<hex>` of the file's bytes. */
  released: Record<string, Record<string, string>>;
}

/** The hashes of a version folder's files as they are now (every file, sorted by name). */
export function folderHashes(version: string): Record<string, string> {
  const dir = join(root, 'wit', `v${version}`);
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort()) {
    out[name] = `sha256:${createHash('sha256').update(readFileSync(join(dir, name))).digest('hex')}`;
  }
  return out;
}

export function readReleased(): ReleasedFile {
  return JSON.parse(readFileSync(RELEASED_PATH, 'utf8')) as ReleasedFile;
}

/** Each recorded folder's differences from its hashes: `v0.2.0/world.wit changed`, … */
export function releasedDrift(): string[] {
  const problems: string[] = [];
  for (const [version, files] of Object.entries(readReleased().released)) {
    if (!existsSync(join(root, 'wit', `v${version}`))) {
      problems.push(`wit/v${version}/ is released but missing`);
      continue;
    }
    const now = folderHashes(version);
    for (const name of Object.keys(files)) if (!(name in now)) problems.push(`wit/v${version}/${name} was removed`);
    for (const [name, hash] of Object.entries(now)) {
      if (!(name in files)) problems.push(`wit/v${version}/${name} was added`);
      else if (files[name] !== hash) problems.push(`wit/v${version}/${name} changed (released ${files[name]}, now ${hash})`);
    }
  }
  return problems;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = process.argv[2];
  if (arg === '--check') {
    const drift = releasedDrift();
    for (const p of drift) console.error(p);
    console.log(drift.length === 0 ? 'every released wit/ folder is as released' : `${drift.length} change(s) to released folders`);
    process.exit(drift.length === 0 ? 0 : 1);
  }
  if (!arg || !/^\d+\.\d+\.\d+/.test(arg)) {
    console.error('usage: npx tsx scripts/wit-release.ts <version> | --check');
    process.exit(2);
  }
  const file = existsSync(RELEASED_PATH) ? readReleased() : { comment: '', released: {} };
  if (file.released[arg]) {
    console.error(`wit/v${arg} is already released; a change to it is a new version folder (docs/COMPATIBILITY.md)`);
    process.exit(1);
  }
  file.comment =
    'The sha256 of every file of each released wit/v<version>/ folder, recorded at release by scripts/wit-release.ts. Released folders are frozen: test/wit-released.test.ts fails when one changes. Never edit an entry.';
  file.released[arg] = folderHashes(arg);
  writeFileSync(RELEASED_PATH, `${JSON.stringify(file, null, 2)}\n`);
  console.log(`recorded wit/v${arg} (${Object.keys(file.released[arg]!).length} files) in wit/RELEASED.json`);
}
