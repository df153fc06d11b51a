/**
 * The TypeScript bundler resolves only files inside the project and the toolchain's own guest
 * SDK and typebox: an import of a host file (absolute path, `../` escape, a symlink out of the
 * project, as text, json or file) fails the build with `build-failed`, naming the import and the
 * file that imported it, and the host file's contents never reach the output. Real esbuild
 * builds through the library and the real CLI.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundlePluginWithImports } from '../tools/build/bundle-ts.js';
import { buildPlugin } from '../tools/build/build.js';
import { readProject } from '../tools/build/project.js';
import { expectError, runCli, tempDir } from './helpers.js';

const work = tempDir('pocket-wit-confine-');
// A host file the plugin must never see, outside every project below.
const SECRET = 'host-secret-7f3a91';
const outside = join(work, 'outside');
mkdirSync(outside);
writeFileSync(join(outside, 'secret.txt'), SECRET);
writeFileSync(join(outside, 'secret.json'), JSON.stringify({ secret: SECRET }));
writeFileSync(join(outside, 'lib.ts'), `export const leaked = ${JSON.stringify(SECRET)};\n`);

/** A TypeScript plugin project whose src/index.ts starts with `imports` and returns `value`. */
function project(name: string, imports: string, value: string, setup?: (dir: string) => void): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'manifest.yaml'), `name: ${name}\nversion: 1.0.0\ndescription: imports a host file\n`);
  writeFileSync(
    join(dir, 'src/index.ts'),
    `import { definePlugin, Type } from 'pocket-wit/guest';\n${imports}\nexport default definePlugin({ nodes: [{ type: 'leak', category: 'test', description: 'returns what it imported', input: Type.Object({}), exec() { return { value: ${value} }; } }] });\n`,
  );
  setup?.(dir);
  return dir;
}

const refusal = (spec: string) => new RegExp(`import "${spec.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}" in src/index\\.ts resolves to .*, outside the project folder .*; imports must stay inside the project`);

const cases: [string, string, string, ((dir: string) => void)?][] = [
  ['absolute path as text', `import s from ${JSON.stringify(join(outside, 'secret.txt'))} with { type: 'text' };`, 's'],
  ['../ escape as text', `import s from '../../outside/secret.txt' with { type: 'text' };`, 's'],
  ['../../.. escape to an absolute location', `import s from '${'../'.repeat(12)}${join(outside, 'secret.txt').slice(1)}' with { type: 'text' };`, 's'],
  ['../ escape as json', `import s from '../../outside/secret.json' with { type: 'json' };`, 's.secret'],
  ['../ escape as file', `import s from '../../outside/secret.txt' with { type: 'file' };`, 's'],
  ['../ escape as a module', `import { leaked } from '../../outside/lib.ts';`, 'leaked'],
  ['a symlinked file', `import s from './link.txt' with { type: 'text' };`, 's', (d) => symlinkSync(join(outside, 'secret.txt'), join(d, 'src/link.txt'))],
  ['a symlinked directory', `import { leaked } from './vendor/lib.ts';`, 'leaked', (d) => symlinkSync(outside, join(d, 'src/vendor'))],
  ['a dynamic import()', `const load = () => import('../../outside/lib.ts');`, '(load(), 1)'],
];

for (const [what, imports, value, setup] of cases) {
  test(`an import of a host file outside the project fails the build: ${what}`, async () => {
    const dir = project(`leak-${what.replace(/[^a-z]+/g, '-')}`.replace(/-+$/, ''), imports, value, setup);
    const spec = /from '([^']+)'|from ("[^"]+")|import\('([^']+)'\)/.exec(imports)!;
    const name = spec[1] ?? (spec[2] ? (JSON.parse(spec[2]) as string) : spec[3]!);
    const err = await expectError(bundlePluginWithImports(readProject(dir), 'quickjs'), 'build-failed', refusal(name));
    assert.not.ok(err.message.includes(SECRET));
  });
}

test('the same imports inside the project build, and carry the file (the refusal is about where, not how)', async () => {
  const dir = project('inside', `import s from './data/note.txt' with { type: 'text' };\nimport j from './data/note.json' with { type: 'json' };`, 's + j.n', (d) => {
    mkdirSync(join(d, 'src/data'));
    writeFileSync(join(d, 'src/data/note.txt'), 'inside-note-51c2');
    writeFileSync(join(d, 'src/data/note.json'), '{"n":"inside-json-8d0e"}');
    // A symlink that stays inside the project is fine too.
    symlinkSync(join(d, 'src/data/note.txt'), join(d, 'src/alias.txt'));
  });
  const bundled = await bundlePluginWithImports(readProject(dir), 'quickjs');
  assert.ok(bundled.source.includes('inside-note-51c2'));
  assert.ok(bundled.source.includes('inside-json-8d0e'));
});

test('buildPlugin refuses before componentizing; the error names the import and the importing file', async () => {
  const dir = project('leak-build', `import s from '../../outside/secret.txt' with { type: 'text' };`, 's');
  const err = await expectError(buildPlugin(dir, {}), 'build-failed', refusal('../../outside/secret.txt'));
  assert.match(err.message, /src\/index\.ts:2:\d+: /);
});

test('pocket-wit build: the refusal is a clear error, no stack trace', async () => {
  const dir = project('leak-cli', `import s from ${JSON.stringify(join(outside, 'secret.txt'))} with { type: 'text' };`, 's');
  const r = await runCli(['build', dir]);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /error\[build-failed\]: bundling .*index\.ts failed:/);
  assert.match(r.stderr, refusal(join(outside, 'secret.txt')));
  assert.not.match(r.stderr, /\n\s+at .*\(.*:\d+:\d+\)/);
  assert.not.ok(r.stderr.includes(SECRET));
});

test.run();
