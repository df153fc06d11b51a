/**
 * `pocket-wit stamp` through the real CLI (dist/pocket-wit.mjs): it adds the `pocket-wit:plugin`
 * section to a component another toolchain made, with the build's own code.
 *
 * The "upstream" components here are stand-ins: a component `pocket-wit build` made for an
 * example, with its `pocket-wit:plugin` section removed (`removeCustomSection`). Byte for byte
 * that is what the build's toolchain produced before stamping, so the stamped result can be
 * compared with the build's. Components truly built by upstream toolchains (componentize-js,
 * wit-bindgen + jco) are tested elsewhere.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { buildPlugin } from '../tools/build/build.js';
import { appendCustomSection, readCustomSections, readLeb, readWasmName, removeCustomSection } from '../host/src/component-sections.js';
import { PLUGIN_SECTION, readPluginSection, type PluginSection } from '../host/src/index.js';
import { ROOT, runCli, tempDir } from './helpers.js';

const work = tempDir('pocket-wit-stamp-');
const project = join(work, 'sentiment-analyzer');
let builtFile: string;
let builtSection: PluginSection;
let plain: Uint8Array;

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const sectionOf = (path: string): PluginSection => {
  const s = readPluginSection(readFileSync(path), path);
  assert.ok(s, `${path} has a ${PLUGIN_SECTION} section`);
  return s!;
};

/** How many top-level custom sections named `name` the binary has (readCustomSections keeps only the last). */
function countSections(bytes: Uint8Array, name: string): number {
  let n = 0;
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos]!;
    const [size, start] = readLeb(bytes, pos + 1);
    if (id === 0 && readWasmName(bytes, start)[0] === name) n++;
    pos = start + size;
  }
  return n;
}

/** A section-less copy of the built component (the stand-in for an upstream build) at `path`. */
function upstream(path: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, plain);
  return path;
}

test.before(async () => {
  cpSync(join(ROOT, 'examples/sentiment-analyzer'), project, { recursive: true, filter: (s) => !s.includes('/dist') });
  const r = await buildPlugin(project, { out: join(work, 'built.wasm') });
  builtFile = r.out;
  builtSection = sectionOf(builtFile);
  plain = removeCustomSection(r.bytes, PLUGIN_SECTION);
});

test('removeCustomSection drops every section of that name and keeps the rest in order', () => {
  const header = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);
  let bytes = appendCustomSection(header, 'keep', new TextEncoder().encode('a'));
  bytes = appendCustomSection(bytes, 'drop', new Uint8Array(200));
  bytes = appendCustomSection(bytes, 'other', new TextEncoder().encode('b'));
  bytes = appendCustomSection(bytes, 'drop', new TextEncoder().encode('again'));
  const out = removeCustomSection(bytes, 'drop');
  assert.equal([...readCustomSections(out).keys()], ['keep', 'other']);
  assert.equal([...out], [...appendCustomSection(appendCustomSection(header, 'keep', new TextEncoder().encode('a')), 'other', new TextEncoder().encode('b'))]);
  assert.is(removeCustomSection(out, 'drop'), out, 'nothing to drop: the same bytes');
  // The stand-in really has no section left, and only that section went.
  assert.is(countSections(plain, PLUGIN_SECTION), 0);
  assert.is(readPluginSection(plain), undefined);
});

test('stamp in place, manifest found in the parent folder: the section holds what build records', async () => {
  const file = upstream(join(project, 'dist', 'upstream.wasm'));
  const r = await runCli(['stamp', file, '--json']);
  assert.is(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(summary, {
    name: 'sentiment-analyzer',
    version: '1.0.0',
    file,
    out: file,
    inPlace: true,
    replaced: false,
    manifest: join(project, 'manifest.yaml'),
    world: 'pocket:plugin@0.2.1',
    engine: 'external',
    nodes: ['sentiment'],
    permissions: { memory: '10MB', timeout: '5s' },
    size: readFileSync(file).length,
    warnings: [],
  });
  assert.match(r.stderr, /^reading node definitions: done sentiment/m);
  const stamped = sectionOf(file);
  // Everything build records, the engine aside (build knows it; stamp says `external`).
  assert.equal({ ...stamped, engine: builtSection.engine }, builtSection);
  assert.is(stamped.engine, 'external');
  assert.is(stamped.world, builtSection.world);
  assert.equal(stamped.manifest, builtSection.manifest);
  assert.equal(stamped.nodes, builtSection.nodes);
  assert.is(stamped.wit, builtSection.wit);
  assert.is(countSections(readFileSync(file), PLUGIN_SECTION), 1);
});

test('stamp with the engine build records gives back the build output byte for byte; -o leaves the input alone', async () => {
  const file = upstream(join(project, 'dist', 'upstream-o.wasm'));
  const before = sha(file);
  const out = join(work, 'out', 'stamped.wasm');
  const r = await runCli(['stamp', file, '--manifest', join(project, 'manifest.yaml'), '--engine', 'quickjs', '-o', out]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^stamped sentiment-analyzer@1\.0\.0 → .*out\/stamped\.wasm\n  world: pocket:plugin@0\.2\.1   engine: quickjs\n  nodes: sentiment\n  manifest: .*manifest\.yaml   permissions: 10MB 5s\n$/);
  assert.not.match(r.stdout, /in place/);
  assert.is(sha(file), before, 'the input is not touched with -o');
  assert.is(readPluginSection(readFileSync(file)), undefined);
  assert.is(sha(out), sha(builtFile), 'same bytes as pocket-wit build');
});

test('the text output says when it stamped in place', async () => {
  const file = upstream(join(project, 'dist', 'upstream-text.wasm'));
  const r = await runCli(['stamp', file]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^stamped sentiment-analyzer@1\.0\.0 → .*upstream-text\.wasm \(in place\)\n  world: pocket:plugin@0\.2\.1   engine: external\n/);
});

test('a stamped component runs with `pocket-wit run`, and info describes it from the section', async () => {
  const file = upstream(join(project, 'dist', 'upstream-run.wasm'));
  assert.is((await runCli(['stamp', file])).code, 0);
  const r = await runCli(['run', file, 'sentiment', '--input', '{"text":"This is amazing and wonderful!"}', '--json']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout), { output: { sentiment: 'positive', score: 1, confidence: 1, keywords: ['amazing', 'wonderful'] }, next: 'high-positive' });
  const info = await runCli(['info', file, '--json']);
  assert.is(info.code, 0, info.stderr);
  const d = JSON.parse(info.stdout) as { name: string; engine: string; world: string; permissions: unknown; nodes: { type: string }[] };
  assert.is(d.name, 'sentiment-analyzer');
  assert.is(d.engine, 'external');
  assert.is(d.world, 'pocket:plugin@0.2.1');
  assert.equal(d.permissions, { memory: '10MB', timeout: '5s' });
  assert.equal(d.nodes.map((n) => n.type), ['sentiment']);
});

test('an already stamped component is refused without --force and left as it was; --force replaces the section', async () => {
  const file = join(work, 'again', 'built-copy.wasm');
  mkdirSync(join(work, 'again'), { recursive: true });
  cpSync(builtFile, file);
  const before = sha(file);
  const refused = await runCli(['stamp', file, '--manifest', join(project, 'manifest.yaml'), '--json']);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /error\[invalid-plugin\]: .*built-copy\.wasm already has a pocket-wit:plugin section \(sentiment-analyzer@1\.0\.0, pocket:plugin@0\.2\.1, engine quickjs\); pass --force to replace it/);
  assert.is((JSON.parse(refused.stdout) as { error: { code: string } }).error.code, 'invalid-plugin');
  assert.is(sha(file), before);

  // A changed manifest (same name and version) replaces the old one.
  const manifest = join(work, 'again', 'manifest.yaml');
  writeFileSync(manifest, readFileSync(join(project, 'manifest.yaml'), 'utf8').replace('description: Text sentiment analysis with configurable thresholds', 'description: Restamped'));
  const r = await runCli(['stamp', file, '--force', '--json']);
  assert.is(r.code, 0, r.stderr);
  assert.is((JSON.parse(r.stdout) as { replaced: boolean }).replaced, true);
  const bytes = readFileSync(file);
  assert.is(countSections(bytes, PLUGIN_SECTION), 1, 'exactly one section afterwards');
  const s = sectionOf(file);
  assert.is(s.manifest.description, 'Restamped');
  assert.is(s.engine, 'external');
  assert.equal(s.nodes, builtSection.nodes);
  assert.ok(Buffer.from(removeCustomSection(bytes, PLUGIN_SECTION)).equals(Buffer.from(plain)), 'the rest of the component is as it was');
});

test('--force also replaces a damaged section (without it, the damage is reported)', async () => {
  const file = join(work, 'damaged', 'damaged.wasm');
  mkdirSync(join(work, 'damaged'), { recursive: true });
  writeFileSync(file, appendCustomSection(plain, PLUGIN_SECTION, new TextEncoder().encode('{nope')));
  const m = join(project, 'manifest.yaml');
  const refused = await runCli(['stamp', file, '--manifest', m]);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /error\[invalid-plugin\]: .*damaged\.wasm: the pocket-wit:plugin section is not valid JSON/);
  const r = await runCli(['stamp', file, '--manifest', m, '--force']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /\(replaced its pocket-wit:plugin section\)/);
  assert.is(countSections(readFileSync(file), PLUGIN_SECTION), 1);
  assert.equal(sectionOf(file).nodes, builtSection.nodes);
});

test('a manifest of another name or version is refused, naming both values and the fix; nothing is written', async () => {
  const file = upstream(join(work, 'mismatch', 'dist', 'plugin.wasm'));
  const before = sha(file);
  const manifest = join(work, 'mismatch', 'manifest.yaml');
  const text = readFileSync(join(project, 'manifest.yaml'), 'utf8');
  writeFileSync(manifest, text.replace('name: sentiment-analyzer', 'name: other-plugin'));
  const name = await runCli(['stamp', file, '--json']);
  assert.is(name.code, 1);
  assert.match(name.stderr, /error\[invalid-manifest\]: .*manifest\.yaml does not describe .*plugin\.wasm: name "other-plugin" in the manifest, "sentiment-analyzer" in the component \(its metadata\(\) export\); set name: sentiment-analyzer and version: 1\.0\.0 in the manifest, or give this component's own manifest with --manifest/);
  assert.not.match(name.stderr, /\n\s+at /, 'no stack trace');
  const err = (JSON.parse(name.stdout) as { error: { code: string; details: unknown } }).error;
  assert.is(err.code, 'invalid-manifest');
  assert.equal(err.details, { manifest: { name: 'other-plugin', version: '1.0.0' }, component: { name: 'sentiment-analyzer', version: '1.0.0' } });

  writeFileSync(manifest, text.replace('version: 1.0.0', 'version: 2.0.0'));
  const version = await runCli(['stamp', file]);
  assert.is(version.code, 1);
  assert.match(version.stderr, /error\[invalid-manifest\]: .*version "2\.0\.0" in the manifest, "1\.0\.0" in the component/);
  assert.is(sha(file), before, 'a refused stamp writes nothing');
});

test('no manifest beside the component or in its parent folder: not-found, saying where it looked and --manifest', async () => {
  const file = upstream(join(work, 'lonely', 'a', 'b', 'plugin.wasm'));
  const r = await runCli(['stamp', file]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /error\[not-found\]: no manifest for .*plugin\.wasm: none beside it \(.*lonely\/a\/b\) or in its parent folder \(.*lonely\/a\); give one with --manifest <manifest\.yaml>/);
  const missing = await runCli(['stamp', file, '--manifest', join(work, 'nope.yaml')]);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /error\[not-found\]: --manifest .*nope\.yaml: no such file/);
  // A folder works when it holds a manifest.
  const ok = await runCli(['stamp', file, '--manifest', project]);
  assert.is(ok.code, 0, ok.stderr);
  assert.equal(sectionOf(file).manifest, builtSection.manifest);
});

test('an invalid manifest is reported by the manifest reader, every problem listed', async () => {
  const file = upstream(join(work, 'invalid', 'dist', 'plugin.wasm'));
  writeFileSync(join(work, 'invalid', 'manifest.yaml'), 'name: Bad Name\nversion: one\n');
  const r = await runCli(['stamp', file]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /error\[invalid-manifest\]: .*manifest\.yaml has 2 problems:\n  - name: "Bad Name" must be lowercase/);
});

test('not a component: a core module and a non-wasm file are refused with the usual errors; a bad --engine is a usage error', async () => {
  const core = join(work, 'core.wasm');
  writeFileSync(core, new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
  const c = await runCli(['stamp', core, '--manifest', join(project, 'manifest.yaml')]);
  assert.is(c.code, 1);
  assert.match(c.stderr, /error\[invalid-plugin\]: .*core\.wasm is a core WebAssembly module, not a component/);
  const text = await runCli(['stamp', join(project, 'manifest.yaml')]);
  assert.is(text.code, 1);
  assert.match(text.stderr, /error\[invalid-plugin\]: .*manifest\.yaml is not a WebAssembly file/);
  const none = await runCli(['stamp', join(work, 'missing.wasm')]);
  assert.is(none.code, 1);
  assert.match(none.stderr, /error\[not-found\]: no plugin file at .*missing\.wasm/);
  const engine = await runCli(['stamp', upstream(join(work, 'engine', 'p.wasm')), '--engine', 'Not A Name']);
  assert.is(engine.code, 2);
  assert.match(engine.stderr, /error\[usage\]: --engine "Not A Name" is not a name/);
});

test('manifest examples the component does not declare are warned about (test runs metadata()\'s examples)', async () => {
  const file = upstream(join(work, 'examples', 'dist', 'plugin.wasm'));
  writeFileSync(
    join(work, 'examples', 'manifest.yaml'),
    readFileSync(join(project, 'manifest.yaml'), 'utf8').replace('      - name: mixed', '      - name: only-in-manifest\n        input: { text: "sad" }\n      - name: mixed'),
  );
  const r = await runCli(['stamp', file, '--json']);
  assert.is(r.code, 0, r.stderr);
  const warnings = (JSON.parse(r.stdout) as { warnings: string[] }).warnings;
  assert.is(warnings.length, 1);
  assert.match(warnings[0]!, /example "only-in-manifest" of node "sentiment" is not among the examples .* declares, so `pocket-wit test` will not run it/);
  assert.match(r.stderr, /^warning: .*only-in-manifest/m);
});

test('a Go (command world) component is stamped pocket:plugin/command@<version>, as build stamps it', async () => {
  const go = join(work, 'json-transformer');
  cpSync(join(ROOT, 'examples/json-transformer'), go, { recursive: true, filter: (s) => !s.includes('/dist') });
  const b = await buildPlugin(go, { out: join(work, 'go-built.wasm') });
  const goSection = sectionOf(b.out);
  const file = join(go, 'dist', 'upstream.wasm');
  mkdirSync(join(go, 'dist'), { recursive: true });
  writeFileSync(file, removeCustomSection(b.bytes, PLUGIN_SECTION));
  const r = await runCli(['stamp', file, '--engine', 'go', '--json']);
  assert.is(r.code, 0, r.stderr);
  assert.is((JSON.parse(r.stdout) as { world: string }).world, 'pocket:plugin/command@0.2.1');
  assert.equal(sectionOf(file), goSection);
  assert.is(sha(file), sha(b.out));
  const run = await runCli(['run', file, 'json-transform', '--input', '{"data":{"a":{"b":{"c":1}}},"transform":"flatten"}', '--json']);
  assert.is(run.code, 0, run.stderr);
  assert.equal((JSON.parse(run.stdout) as { output: unknown }).output, { result: { 'a.b.c': 1 }, metadata: { operation: 'flatten', changes: 1 } });
});

test.run();
