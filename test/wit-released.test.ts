/**
 * Released worlds are frozen: `wit/RELEASED.json` holds the sha256 of every file of each released
 * `wit/v<version>/` folder, recorded at release (`scripts/wit-release.ts`); any change to such a
 * folder fails here. A change to the contract is a new version folder (docs/COMPATIBILITY.md).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { folderHashes, readReleased, releasedDrift } from '../scripts/wit-release.js';
import { SUPPORTED_WORLD_VERSIONS, WORLD_VERSION } from '../host/src/index.js';
import { ROOT } from './helpers.js';

const folders = readdirSync(join(ROOT, 'wit'))
  .filter((d) => /^v\d/.test(d))
  .map((d) => d.slice(1));

test('no released wit/ folder has changed since its release', () => {
  const drift = releasedDrift();
  assert.equal(drift, [], `released folders are frozen; make a new version folder instead:\n${drift.join('\n')}`);
});

test('every supported version and every folder but an unreleased newest one is recorded as released', () => {
  const released = Object.keys(readReleased().released);
  for (const v of SUPPORTED_WORLD_VERSIONS) assert.ok(released.includes(v), `${v} is supported but not recorded in wit/RELEASED.json`);
  const newest = [...folders].sort().pop();
  for (const v of folders) if (v !== newest) assert.ok(released.includes(v), `wit/v${v} is older than the newest folder, so released, but not recorded`);
  assert.ok(released.includes(WORLD_VERSION), 'the build target is released');
});

test('0.2.0 is as it was released (without the world `command`, which 0.2.1 released)', () => {
  // The hash of wit/v0.2.0/world.wit at its release (commit 006f9bf).
  assert.is(readReleased().released['0.2.0']!['world.wit'], 'sha256:cf63ae9afb2d14183d988bcc933f92efc29998d047e3583e20d9f8986aa55d14');
  assert.is(folderHashes('0.2.0')['world.wit'], 'sha256:cf63ae9afb2d14183d988bcc933f92efc29998d047e3583e20d9f8986aa55d14');
});

test('scripts/wit-release.ts --check agrees, and refuses to record a released version again', () => {
  const check = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/wit-release.ts'), '--check'], { cwd: ROOT, encoding: 'utf8' });
  assert.is(check.status, 0, check.stdout + check.stderr);
  const again = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/wit-release.ts'), WORLD_VERSION], { cwd: ROOT, encoding: 'utf8' });
  assert.is(again.status, 1);
  assert.match(again.stderr, /is already released; a change to it is a new version folder/);
});

test.run();
