/** diffWit over the catalogue of WIT change pairs (test/fixtures/wit-pairs), formatDiff and renderType. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { diffWit, formatDiff, renderType, type WitChange } from '../tools/wit/diff.js';
import { loadWitPath, parseWitSource } from '../tools/wit/load.js';
import type { TypeRef, WitType } from '../tools/wit/model.js';

const PAIRS = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'wit-pairs');

interface Expected {
  description: string;
  changes: Pick<WitChange, 'kind' | 'path' | 'breaks'>[];
  ok: boolean;
}

const pairs = readdirSync(PAIRS, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

const key = (c: Pick<WitChange, 'kind' | 'path' | 'breaks'>): string => `${c.breaks.padEnd(7)} ${c.kind} ${c.path}`;

test('the catalogue holds at least 40 pairs', () => {
  assert.ok(pairs.length >= 40, `${pairs.length} pairs`);
});

for (const name of pairs) {
  test(`pair ${name}`, async () => {
    const dir = join(PAIRS, name);
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
    const d = diffWit(await loadWitPath(join(dir, 'old.wit')), await loadWitPath(join(dir, 'new.wit')));
    const got = d.changes.map(key).sort();
    const want = expected.changes.map(key).sort();
    assert.equal(got, want, `${expected.description}\n${formatDiff(d)}`);
    assert.is(d.ok, expected.ok, `${expected.description}\n${d.semver.message}`);
    assert.is(d.semver.ok, d.ok);
  });
}

test('changes are sorted by path, then kind', async () => {
  for (const name of pairs) {
    const dir = join(PAIRS, name);
    const d = diffWit(await loadWitPath(join(dir, 'old.wit')), await loadWitPath(join(dir, 'new.wit')));
    const sorted = [...d.changes].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
    assert.equal(d.changes, sorted, name);
  }
});

test('a package diffed against itself has no changes', async () => {
  const wit = await loadWitPath(join(dirname(PAIRS), '..', '..', 'wit', 'v0.1.0'));
  const d = diffWit(wit, wit);
  assert.equal(d.changes, []);
  assert.ok(d.ok);
  assert.is(d.semver.required, 'none');
});

test('the project WIT 0.1.0 -> 0.2.0: cancelled added to the imported host; a 0.x patch is enough', async () => {
  const root = join(dirname(PAIRS), '..', '..', 'wit');
  const d = diffWit(await loadWitPath(join(root, 'v0.1.0')), await loadWitPath(join(root, 'v0.2.0')));
  assert.equal(
    d.changes.map((c) => [c.kind, c.path, c.breaks]),
    [
      ['function-added', 'interface:host/func:cancelled', 'hosts'],
    ],
  );
  assert.is(d.package, 'pocket:plugin');
  assert.is(d.semver.required, 'patch');
  assert.ok(d.ok, d.semver.message);
});

const HEAD = `interface api {\n  record report { name: string, count: u32 }\n  get: func(id: u32) -> report;\n}\nworld plugin {\n  export api;\n}\n`;

test('old and new are WIT spellings', () => {
  const d = diffWit(
    parseWitSource(`package t:p@0.1.0;\n${HEAD}`),
    parseWitSource(`package t:p@0.1.1;\n${HEAD.replace('count: u32', 'count: u64').replace('id: u32', 'id: string, all: bool')}`),
  );
  const by = (kind: string): WitChange | undefined => d.changes.find((c) => c.kind === kind);
  assert.equal(by('field-retyped'), { kind: 'field-retyped', path: 'interface:api/record:report/field:count', old: 'u32', new: 'u64', breaks: 'plugins' });
  assert.equal(by('param-retyped'), { kind: 'param-retyped', path: 'interface:api/func:get/param:id', old: 'u32', new: 'string', breaks: 'plugins' });
  assert.equal(by('param-added'), { kind: 'param-added', path: 'interface:api/func:get/param:all', new: 'all: bool', breaks: 'plugins' });
  assert.not.ok(d.ok);
  assert.is(d.semver.required, 'minor');
  assert.is(d.semver.message, '3 changes break existing plugins: a 0.x package needs a minor bump (0.1.0 → 0.2.0), but the new version is 0.1.1');
});

test('formatDiff groups by whom a change breaks and ends with the verdict', () => {
  const d = diffWit(
    parseWitSource(`package t:p@1.0.0;\ninterface host {\n  log: func(msg: string);\n  now: func() -> u64;\n}\n${HEAD.replace('export api;', 'export api;\n  import host;')}\nworld tool {\n  export api;\n}`),
    parseWitSource(`package t:p@2.0.0;\ninterface host {\n  log: func(msg: string, level: u8);\n  sleep: func(ms: u32);\n}\n${HEAD.replace('export api;', 'export api;\n  import host;')}`),
  );
  const text = formatDiff(d);
  assert.not.match(text, /\x1b\[/);
  const lines = text.split('\n');
  assert.is(lines[0], 'WIT diff of t:p 1.0.0 → 2.0.0: 4 changes');
  const plugins = lines.indexOf('Breaks existing plugins (3):');
  const hosts = lines.indexOf('Breaks existing hosts (1):');
  assert.ok(plugins > 0 && hosts > plugins, text);
  assert.match(text, /param-added\s+interface:host\/func:log\/param:level {2}\+ level: u8/);
  assert.match(text, /function-removed\s+interface:host\/func:now {2}- func\(\) -> u64/);
  assert.match(text, /function-added\s+interface:host\/func:sleep {2}\+ func\(ms: u32\)/);
  assert.match(text, /world-removed\s+world:tool/);
  assert.is(lines.at(-1), 'semver ok: 3 changes break existing plugins, 1 breaks existing hosts: a 1.x package needs a major bump (1.0.0 → 2.0.0), and the new version is 2.0.0');
  assert.not.match(text, /^Safe/m);
});

test('formatDiff with color uses ANSI codes, and reports no changes', () => {
  const w = parseWitSource(`package t:p@1.0.0;\n${HEAD}`);
  const d = diffWit(w, w);
  assert.match(formatDiff(d, { color: true }), /\x1b\[/);
  const plain = formatDiff(d);
  assert.match(plain, /: no changes\n/);
  assert.match(plain, /semver ok: no changes: no version bump is needed \(1\.0\.0 → 1\.0\.0\)$/);
});

test('semver without versions: a breaking change cannot be shown, anything else passes', () => {
  const wit = (v: string, t: string): ReturnType<typeof parseWitSource> =>
    parseWitSource(`package t:p${v};\ninterface host {\n  log: func(msg: ${t});\n}\nworld w {\n  import host;\n}\n`);
  const breaking = diffWit(wit('', 'string'), wit('', 'u32'));
  assert.is(breaking.semver.required, 'major');
  assert.not.ok(breaking.ok);
  assert.match(breaking.semver.message, /no version/);
  assert.ok(diffWit(wit('', 'string'), wit('', 'string')).ok);
  const dropped = diffWit(wit('@1.0.0', 'string'), wit('', 'u32'));
  assert.is(dropped.semver.oldVersion, '1.0.0');
  assert.is(dropped.semver.newVersion, undefined);
  assert.not.ok(dropped.ok);
  // Leaving a prerelease may break anything.
  assert.ok(diffWit(wit('@1.0.0-rc.1', 'string'), wit('@1.0.0', 'u32')).ok);
});

test('types that spell the same are told apart by their owner', async () => {
  const dir = join(PAIRS, pairs.find((n) => n.endsWith('type-moved-and-changed'))!);
  const d = diffWit(await loadWitPath(join(dir, 'old.wit')), await loadWitPath(join(dir, 'new.wit')));
  const c = d.changes.find((x) => x.kind === 'param-retyped');
  assert.is(c?.old, 'host.size');
  assert.is(c?.new, 'types.size');
});

test('renderType spells WIT', () => {
  const ref = (name: string): TypeRef => ({ owner: { package: { namespace: 'wasi', name: 'io' }, interface: 'streams' }, name });
  const u8: WitType = { kind: 'primitive', name: 'u8' };
  const cases: [WitType, string][] = [
    [{ kind: 'result', ok: { kind: 'list', element: u8 }, err: { kind: 'named', ref: ref('stream-error') } }, 'result<list<u8>, stream-error>'],
    [{ kind: 'result' }, 'result'],
    [{ kind: 'result', ok: u8 }, 'result<u8>'],
    [{ kind: 'result', err: { kind: 'primitive', name: 'string' } }, 'result<_, string>'],
    [{ kind: 'list', element: u8, length: 4 }, 'list<u8, 4>'],
    [{ kind: 'option', inner: { kind: 'tuple', items: [u8, { kind: 'primitive', name: 'f64' }] } }, 'option<tuple<u8, f64>>'],
    [{ kind: 'borrow', resource: ref('input-stream') }, 'borrow<input-stream>'],
    [{ kind: 'own', resource: ref('input-stream') }, 'own<input-stream>'],
    [{ kind: 'future' }, 'future'],
    [{ kind: 'stream', inner: u8 }, 'stream<u8>'],
  ];
  for (const [t, text] of cases) assert.is(renderType(t), text);
});

test('a change in a dependency matters only through what the main package uses', () => {
  const dep = (t: string, extra: string): string => `package a:dep {\n  interface t {\n    record r { x: ${t} }\n    record unused { y: ${t} }\n    ${extra}\n  }\n}\n`;
  const api = `interface api {\n  use a:dep/t.{r};\n  f: func(v: r);\n}\n`;
  const rows = (d: ReturnType<typeof diffWit>): string[][] => d.changes.map((c) => [c.kind, c.path, c.breaks]);
  // A library interface: only the used record shows, where it is used.
  const lib = `package a:main@1.0.0;\n${api}`;
  assert.equal(rows(diffWit(parseWitSource(lib + dep('u32', '')), parseWitSource(lib + dep('u64', 'g: func();')))), [
    ['field-retyped', 'interface:api/record:r/field:x', 'plugins'],
  ]);
  // A world importing `api` imports the dependency's interface too (elaborated): diffed there, once.
  const world = `${lib}world w {\n  import api;\n}\n`;
  assert.equal(rows(diffWit(parseWitSource(world + dep('u32', '')), parseWitSource(world + dep('u64', 'g: func();')))), [
    ['function-added', 'world:w/import:a:dep/t/func:g', 'hosts'],
    ['field-retyped', 'world:w/import:a:dep/t/record:r/field:x', 'plugins'],
    ['field-retyped', 'world:w/import:a:dep/t/record:unused/field:y', 'none'],
  ]);
});

test.run();
