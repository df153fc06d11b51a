/** The TypeScript types generated from wit/ are committed; they must match what wit/ generates now. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

test('host and guest types in */generated/wit are up to date with wit/', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/gen-types.ts'), '--check'], { cwd: ROOT, encoding: 'utf8' });
  assert.is(r.status, 0, `${r.stdout}${r.stderr}\nrun \`npm run gen:types\` and commit the result`);
  assert.match(r.stdout, /generated types are up to date/);
});

test.run();
