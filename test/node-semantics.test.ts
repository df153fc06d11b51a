/**
 * Node semantics are the host's, the same for every language: the same node types, written in
 * TypeScript, Rust, Go and C (test/fixtures/semantics-{ts,rust,go,c}, byte-for-byte the same
 * schemas), loaded with `loadPlugin` and run with `runNode`, must behave identically:
 * - a store write (set or delete) in exec is refused: `permission-denied`, and the store is unchanged;
 * - a store write in post is applied;
 * - the host applies the config schema's defaults at every depth before the plugin runs;
 * - the host validates the input against the node's schema: `invalid-input` naming the path,
 *   with the same code and message whatever the plugin's language; valid input arrives as given.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadPlugin, PluginError, type Plugin } from '../host/src/index.js';
import { built, CACHE_DIR } from './helpers.js';

const LANGUAGES = ['ts', 'rust', 'go', 'c'] as const;
/**
 * Each language through the default runner (workers; Go's command runner), and the component
 * languages once more through the in-process runner: the rules are the host's, so every runner
 * must give the same results.
 */
const LANGS = [...LANGUAGES, 'ts in-process', 'rust in-process', 'c in-process'] as const;
type Lang = (typeof LANGS)[number];

const KEY = 'semantics';
const plugins = new Map<Lang, Plugin>();

test.before(async () => {
  // Built once per run (helpers' `built` memoizes; cargo and Go keep their own caches).
  const files = await Promise.all(LANGUAGES.map((lang) => built(`test/fixtures/semantics-${lang}`)));
  for (const [i, lang] of LANGUAGES.entries()) {
    plugins.set(lang, await loadPlugin(files[i]!, { cacheDir: CACHE_DIR }));
    if (lang !== 'go') plugins.set(`${lang} in-process`, await loadPlugin(files[i]!, { cacheDir: CACHE_DIR, isolation: 'in-process' }));
  }
});

test.after(async () => {
  for (const p of plugins.values()) await p.close();
});

const plugin = (lang: Lang): Plugin => plugins.get(lang)!;

type Outcome = { ok: true; output: unknown; next: string } | { ok: false; code: string; message: string };

async function outcome(p: Promise<{ output: unknown; next: string }>): Promise<Outcome> {
  try {
    const r = await p;
    return { ok: true, output: r.output, next: r.next };
  } catch (err) {
    assert.instance(err, PluginError, `expected a PluginError, got ${String(err)}`);
    return { ok: false, code: (err as PluginError).code, message: (err as PluginError).message };
  }
}

function expectFailure(o: Outcome, code: string, what: string): { code: string; message: string } {
  if (o.ok) assert.unreachable(`${what}: expected error[${code}], got output ${JSON.stringify(o.output)}`);
  const f = o as { code: string; message: string };
  assert.is(f.code, code, `${what}: ${f.message}`);
  return f;
}

const storeEntries = (store: Map<string, unknown>) => Object.fromEntries(store.entries());

// ---- the published schemas -------------------------------------------------------------------

test('every fixture offers the same node types with byte-for-byte the same schemas', () => {
  const described = LANGS.map((lang) =>
    JSON.stringify(plugin(lang).metadata.nodes.map((n) => [n.type, n.category, n.description, n.configSchema, n.inputSchema, n.outputSchema])),
  );
  for (const [i, lang] of LANGS.entries()) assert.is(described[i], described[0], `${lang} differs from ts`);
  assert.equal(plugin('ts').metadata.nodes.map((n) => n.type), ['write-in-exec', 'delete-in-exec', 'write-in-post', 'defaults', 'validate']);
});

// ---- the store -------------------------------------------------------------------------------

for (const lang of LANGS) {
  test(`${lang}: a store set in exec is permission-denied and not applied`, async () => {
    const store = new Map<string, unknown>([[KEY, { by: 'before' }], ['other', 1]]);
    const o = await outcome(plugin(lang).runNode('write-in-exec', { input: {}, store }));
    expectFailure(o, 'permission-denied', 'write-in-exec');
    assert.equal(storeEntries(store), { [KEY]: { by: 'before' }, other: 1 });
  });

  test(`${lang}: a store delete in exec is permission-denied and the key stays`, async () => {
    const store = new Map<string, unknown>([[KEY, { by: 'before' }]]);
    const o = await outcome(plugin(lang).runNode('delete-in-exec', { input: {}, store }));
    expectFailure(o, 'permission-denied', 'delete-in-exec');
    assert.equal(storeEntries(store), { [KEY]: { by: 'before' } });
  });

  test(`${lang}: a store write in post is applied`, async () => {
    const store = new Map<string, unknown>();
    const o = await outcome(plugin(lang).runNode('write-in-post', { input: {}, store }));
    assert.equal(o, { ok: true, output: 'ok', next: 'default' });
    assert.equal(storeEntries(store), { [KEY]: { by: 'write-in-post' } });
  });
}

// ---- config defaults -------------------------------------------------------------------------

const FULL_DEFAULTS = { greeting: 'Hello', style: { punctuation: '!', upper: false, deep: { level: 3 } } };

for (const lang of LANGS) {
  test(`${lang}: config {} arrives with every default, nested ones included`, async () => {
    const o = await outcome(plugin(lang).runNode('defaults', { input: {}, config: {} }));
    assert.equal(o, { ok: true, output: FULL_DEFAULTS, next: 'default' });
  });

  test(`${lang}: config {"style":{"upper":true}} keeps upper and gets the other defaults`, async () => {
    const o = await outcome(plugin(lang).runNode('defaults', { input: {}, config: { style: { upper: true } } }));
    assert.equal(o, { ok: true, output: { greeting: 'Hello', style: { punctuation: '!', upper: true, deep: { level: 3 } } }, next: 'default' });
  });
}

// ---- input validation ------------------------------------------------------------------------

/** Each invalid input and what its message must start with. */
const INVALID: { name: string; input: Record<string, unknown>; message: RegExp }[] = [
  { name: 'n below the minimum', input: { n: 0, name: 'a' }, message: /^input\.n: / },
  { name: 'n not an integer', input: { n: 'x', name: 'a' }, message: /^input\.n: / },
  { name: 'n missing', input: { name: 'a' }, message: /^input: missing required field n(?![\w-])/ },
  { name: 'an extra property', input: { n: 1, name: 'a', extra: 1 }, message: /^input\.extra: |^input: .*\bextra\b/ },
  { name: 'name shorter than minLength', input: { n: 1, name: '' }, message: /^input\.name: / },
];

/** Outcomes per case and language, for the cross-language comparison. */
const invalidOutcomes = new Map<string, Map<Lang, Outcome>>();

for (const lang of LANGS) {
  for (const c of INVALID) {
    test(`${lang}: validate refuses ${JSON.stringify(c.input)} (${c.name}) with invalid-input naming the path`, async () => {
      const o = await outcome(plugin(lang).runNode('validate', { input: c.input }));
      if (!invalidOutcomes.has(c.name)) invalidOutcomes.set(c.name, new Map());
      invalidOutcomes.get(c.name)!.set(lang, o);
      const f = expectFailure(o, 'invalid-input', `validate ${JSON.stringify(c.input)}`);
      assert.match(f.message, c.message);
    });
  }

  test(`${lang}: validate returns a valid input {n:2,name:"a"} as given`, async () => {
    const o = await outcome(plugin(lang).runNode('validate', { input: { n: 2, name: 'a' } }));
    assert.equal(o, { ok: true, output: { n: 2, name: 'a' }, next: 'default' });
  });
}

for (const c of INVALID) {
  test(`the same code and message in every language: ${JSON.stringify(c.input)} (${c.name})`, () => {
    const byLang = invalidOutcomes.get(c.name);
    const seen = LANGS.map((lang) => {
      const o = byLang?.get(lang);
      return o ? (o.ok ? `ok ${JSON.stringify(o.output)}` : `error[${o.code}] ${o.message}`) : '(not run)';
    });
    const report = LANGS.map((lang, i) => `${lang}: ${seen[i]}`).join('\n');
    for (const [i] of LANGS.entries()) assert.is(seen[i], seen[0], report);
  });
}



test('a command plugin (Go) cannot run in-process: invalid-input naming the fix', async () => {
  const file = await built('test/fixtures/semantics-go');
  try {
    await loadPlugin(file, { cacheDir: CACHE_DIR, isolation: 'in-process' });
    assert.unreachable('expected a refusal');
  } catch (err) {
    assert.instance(err, PluginError);
    assert.is((err as PluginError).code, 'invalid-input');
    assert.match((err as PluginError).message, /command plugin .* runs only in a worker; load it with isolation 'worker'/);
  }
});
test.run();
