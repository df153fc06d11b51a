/**
 * `pocket-wit init`: each language's scaffold builds and runs as it is, and its test (the examples
 * in its manifest, run by `pocket-wit test`) passes; existing folders are never touched.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from './helpers.js';

const work = tempDir('pocket-wit-init-');
/** Each scaffold's answer to `{"name":""}`, compared across languages below. */
const emptyName = new Map<string, string>();

for (const lang of ['ts', 'rust', 'go', 'c'] as const) {
  test(`init --lang ${lang}: builds, its examples pass under pocket-wit test, and it runs`, async () => {
    const dir = join(work, `hello-${lang}`);
    const made = await runCli(['init', dir, '--lang', lang, '--json']);
    assert.is(made.code, 0, made.stderr);
    const result = JSON.parse(made.stdout) as { name: string; lang: string; files: string[] };
    assert.is(result.name, `hello-${lang}`);
    assert.ok(result.files.includes('manifest.yaml'));
    assert.match(readFileSync(join(dir, 'manifest.yaml'), 'utf8'), new RegExp(`^name: hello-${lang}\\n`));
    const t = await runCli(['test', dir]);
    assert.is(t.code, 0, t.stdout + t.stderr);
    assert.match(t.stdout, new RegExp(`hello-${lang}: 2 passed, 0 failed`));
    const r = await runCli(['run', dir, `hello-${lang}`, '--input', '{"name":"Ada"}', '--config', '{"greeting":"Hi"}', '--json']);
    assert.is(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout), { output: { message: 'Hi, Ada!' }, next: 'default' });
    // Every scaffold declares name's minLength; the host enforces it, whatever the language.
    const empty = await runCli(['run', dir, `hello-${lang}`, '--input', '{"name":""}', '--json']);
    assert.is(empty.code, 1, empty.stdout + empty.stderr);
    const { error } = JSON.parse(empty.stdout) as { error: { code: string; message: string } };
    assert.is(error.code, 'invalid-input');
    assert.match(error.message, /^input\.name: /);
    emptyName.set(lang, `error[${error.code}] ${error.message}`);
  });
}

test('the four scaffolds refuse {"name":""} with the same code and message', () => {
  const seen = (['ts', 'rust', 'go', 'c'] as const).map((lang) => `${lang}: ${emptyName.get(lang) ?? '(not run)'}`);
  assert.is(new Set(seen.map((l) => l.replace(/^\w+: /, ''))).size, 1, seen.join('\n'));
});

test('init refuses a folder that is not empty and writes nothing', async () => {
  const dir = join(work, 'taken');
  mkdirSync(dir);
  writeFileSync(join(dir, 'notes.txt'), 'mine');
  const r = await runCli(['init', dir]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /error\[invalid-input\]: .*taken already exists and is not an empty folder; pick a new folder \(nothing was written\)/);
  assert.is(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'mine');
});

test('init: an unknown language is a usage error; a bad name names the rule', async () => {
  const lang = await runCli(['init', join(work, 'x'), '--lang', 'cobol']);
  assert.is(lang.code, 2);
  assert.match(lang.stderr, /--lang must be one of ts, rust, go, c \(got "cobol"\)/);
  const name = await runCli(['init', join(work, 'y'), '--name', 'Bad Name']);
  assert.is(name.code, 1);
  assert.match(name.stderr, /"Bad Name" is not a plugin name \(the manifest's rule: lowercase letters, digits, .*\); use e\.g\. --name bad-name \(nothing was written\)/);
});

test.run();
