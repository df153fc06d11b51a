/**
 * Differential tests: `pocket-wit check --old --new` against wit-component's semver_check (the
 * oracle, tools/wit/oracle.ts, jco's compiled wasm-tools, run in this process).
 *
 * For every generated pair (test/wit-oracle-gen.ts: every kind of WIT item, both directions, every
 * bump kind in 0.0.x, 0.x and ≥ 1.0) and every pair of the catalogues (test/fixtures/wit-pairs,
 * test/fixtures/wit-real), the oracle's three-level verdict per world (compatible both ways: none;
 * only old → new: hosts; old → new incompatible: plugins) is compared with
 *   - check's verdict (diff + oracle, `checkWitChangeOf`): never a smaller bump than the oracle's,
 *     never `ok` where the oracle's bump is missing;
 *   - the diff alone (`diffWit`): the same level, except the documented policy difference
 *     ('unused-interface': check judges an interface no world uses; semver_check does not see it).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkWitChangeOf, oracleWorlds } from '../tools/wit/compat.js';
import { applyOracle, diffWit, formatDiff, semverVerdict, type Breaks, type WitChange, type WitDiff } from '../tools/wit/diff.js';
import { loadWitPath, parseWitSource } from '../tools/wit/load.js';
import type { WitResolve } from '../tools/wit/model.js';
import { oracleText, oracleTextOf, worldNames, type OracleWit } from '../tools/wit/oracle.js';
import { ROOT, runCli, tempDir } from './helpers.js';
import { generatePairs, MUTATIONS, type Policy } from './wit-oracle-gen.js';

const RANK: Record<Breaks, number> = { none: 0, hosts: 1, plugins: 2 };
const BUMP_RANK = { none: 0, patch: 1, minor: 2, major: 3 } as const;

function level(changes: readonly Pick<WitChange, 'breaks'>[]): Breaks {
  return changes.reduce<Breaks>((m, c) => (RANK[c.breaks] > RANK[m] ? c.breaks : m), 'none');
}

interface Side {
  resolve: WitResolve;
  oracle: OracleWit;
}

interface Outcome {
  name: string;
  policy?: Policy;
  oracle: Breaks;
  diff: Breaks;
  check: WitDiff;
  /** The verdict the oracle's level alone gives, with the same versions. */
  oracleVerdict: ReturnType<typeof semverVerdict>;
}

/** The oracle's level for a pair: a world removed breaks plugins; else the worst of the shared worlds. */
async function judge(name: string, a: Side, b: Side, policy?: Policy): Promise<Outcome> {
  const check = await checkWitChangeOf(a, b);
  const removed = worldNames(a.oracle.text).some((w) => !worldNames(b.oracle.text).includes(w));
  const oracle = removed ? 'plugins' : level(check.oracle ?? []);
  const diff = level(diffWit(a.resolve, b.resolve).changes);
  const oracleVerdict = semverVerdict(oracle === 'none' ? [] : [{ kind: 'oracle', path: '', breaks: oracle }], a.resolve.main.id, b.resolve.main.id);
  return { name, ...(policy ? { policy } : {}), oracle, diff, check, oracleVerdict };
}

const side = (text: string, label: string): Side => ({ resolve: parseWitSource(text, label), oracle: oracleTextOf(text, label) });

const generated = generatePairs();
const outcomes: Outcome[] = [];
const catalogue: Outcome[] = [];

test('the generator: at least 80 pairs, every mutation both ways, every bump kind in every series', () => {
  assert.ok(generated.length >= 80, `${generated.length} pairs`);
  assert.is(generated.length, MUTATIONS.length * 2);
  const combos = new Set(generated.map((p) => `${p.oldVersion.startsWith('0.0.') ? '0.0' : p.oldVersion.startsWith('0.') ? '0.x' : '1.x'} ${p.bump}`));
  assert.is(combos.size, 9, [...combos].join(', '));
});

test('generated pairs: check is never weaker than semver_check, and the diff agrees but for documented policy', async () => {
  const started = performance.now();
  for (const p of generated) outcomes.push(await judge(p.name, side(p.old, `${p.name} (old)`), side(p.new, `${p.name} (new)`), p.policy));
  const ms = performance.now() - started;
  const weaker = outcomes.filter((o) => BUMP_RANK[o.check.semver.required] < BUMP_RANK[o.oracleVerdict.required] || (o.check.ok && !o.oracleVerdict.ok));
  assert.equal(weaker.map((o) => o.name), [], 'check must never be weaker than the oracle');
  const under = outcomes.filter((o) => RANK[o.diff] < RANK[o.oracle]);
  assert.equal(under.map((o) => `${o.name}: diff ${o.diff}, oracle ${o.oracle}`), [], 'the diff alone under-reports');
  const over = outcomes.filter((o) => RANK[o.diff] > RANK[o.oracle]);
  assert.equal(over.filter((o) => !o.policy).map((o) => `${o.name}: diff ${o.diff}, oracle ${o.oracle}`), [], 'undocumented differences');
  // The policy difference, counted: 3 mutations of unused interfaces, both ways.
  assert.equal(over.map((o) => o.policy), Array(6).fill('unused-interface'));
  assert.equal(outcomes.filter((o) => o.policy).length, 6, 'every policy pair differs');
  // No structural-mismatch had to be added: the diff explains everything the oracle finds.
  assert.equal(outcomes.filter((o) => o.check.changes.some((c) => c.kind === 'structural-mismatch')).map((o) => o.name), []);
  // Every level occurs, and check's ok matches the oracle's where they agree on the level.
  for (const l of ['none', 'hosts', 'plugins'] as const) assert.ok(outcomes.some((o) => o.oracle === l), `no pair at level ${l}`);
  for (const o of outcomes.filter((x) => x.diff === x.oracle)) assert.is(o.check.ok, o.oracleVerdict.ok, o.name);
  assert.ok(ms < 90_000, `${Math.round(ms)} ms for ${generated.length} pairs`);
});

test('the issue\'s cases: a type renamed and aliased back breaks plugins; unreached exported types count; a new name for the same structure breaks hosts', () => {
  const by = (prefix: string): Outcome[] => outcomes.filter((o) => o.name.startsWith(prefix));
  const levels = (prefix: string): string[] => by(prefix).map((o) => `${o.diff}/${o.oracle}`);
  assert.equal(levels('type-renamed-aliased-back '), ['plugins/plugins', 'plugins/plugins']);
  assert.equal(levels('record-added-export-unreached '), ['plugins/plugins', 'hosts/hosts']);
  assert.equal(levels('alias-retyped-export-unreached '), ['plugins/plugins', 'plugins/plugins']);
  assert.equal(levels('alias-chain-added-import '), ['hosts/hosts', 'plugins/plugins']);
  assert.equal(levels('use-other-same-structure '), ['hosts/hosts', 'plugins/plugins']);
  assert.equal(levels('record-added-import-unreached '), ['none/none', 'none/none']);
  const renamed = by('type-renamed-aliased-back (fwd)')[0]!;
  assert.ok(renamed.check.changes.some((c) => c.kind === 'type-removed' && c.path === 'interface:types/record:point' && c.breaks === 'plugins'), formatDiff(renamed.check));
});

test('the catalogues (wit-pairs, wit-real) against the oracle: only the documented policy difference', async () => {
  const pairs = join(ROOT, 'test/fixtures/wit-pairs');
  for (const name of readdirSync(pairs).filter((n) => /^\d\d-/.test(n)).sort()) {
    const load = async (f: string): Promise<Side> => ({ resolve: await loadWitPath(join(pairs, name, f)), oracle: await oracleText(join(pairs, name, f)) });
    catalogue.push(await judge(name, await load('old.wit'), await load('new.wit')));
  }
  const real = join(ROOT, 'test/fixtures/wit-real');
  const old = { resolve: await loadWitPath(join(real, 'old')), oracle: await oracleText(join(real, 'old')) };
  for (const name of readdirSync(real).filter((n) => /^\d\d-/.test(n)).sort()) {
    catalogue.push(await judge(`real ${name}`, old, { resolve: await loadWitPath(join(real, name)), oracle: await oracleText(join(real, name)) }));
  }
  assert.ok(catalogue.length >= 80, `${catalogue.length}`);
  const weaker = catalogue.filter((o) => BUMP_RANK[o.check.semver.required] < BUMP_RANK[o.oracleVerdict.required] || (o.check.ok && !o.oracleVerdict.ok));
  assert.equal(weaker.map((o) => o.name), []);
  const differ = catalogue.filter((o) => o.diff !== o.oracle).map((o) => `${o.name}: diff ${o.diff}, oracle ${o.oracle}`);
  // 41: an interface of the package that no world uses, added: check says hosts (other packages may import it).
  assert.equal(differ, ['41-library-interface-added: diff hosts, oracle none']);
});

test('applyOracle: where semver_check finds more than the diff, a structural-mismatch with its reason decides the verdict', () => {
  const a = parseWitSource('package t:p@1.0.0;\ninterface h { f: func(); }\nworld w { import h; }');
  const b = parseWitSource('package t:p@1.0.1;\ninterface h { f: func(); }\nworld w { import h; }');
  const d = diffWit(a, b);
  assert.ok(d.ok);
  const reason = ['type mismatch for import `t:p/h`', 'missing expected export `f`'];
  const forced = applyOracle(d, a, b, [{ world: 'w', oldToNew: { ok: false, reason }, newToOld: { ok: true }, breaks: 'plugins' }]);
  assert.equal(forced.changes, [{ kind: 'structural-mismatch', path: 'world:w', breaks: 'plugins', new: 'a component of the old world no longer fits the new world', reason }]);
  assert.not.ok(forced.ok);
  assert.is(forced.semver.required, 'major');
  const text = formatDiff(forced);
  assert.match(text, /structural-mismatch\s+world:w/);
  assert.match(text, /\n {4}missing expected export `f`/);
  assert.match(text, /world w: old plugins do not fit the new world \(breaks plugins\)/);
  const hosts = applyOracle(d, a, b, [{ world: 'w', oldToNew: { ok: true }, newToOld: { ok: false, reason }, breaks: 'hosts' }]);
  assert.is(hosts.changes[0]?.breaks, 'hosts');
  assert.is(hosts.semver.required, 'minor');
  // Nothing more than the diff: the changes stay as they are, the oracle is carried along.
  const same = applyOracle(d, a, b, [{ world: 'w', oldToNew: { ok: true }, newToOld: { ok: true }, breaks: 'none' }]);
  assert.equal(same.changes, d.changes);
  assert.is(same.oracle?.length, 1);
});

test('oracleWorlds: a WIT wit-parser rejects is invalid-wit, naming the side', async () => {
  const good = oracleTextOf('package t:p@1.0.0;\ninterface h { f: func(); }\nworld w { import h; }', 'good.wit');
  const bad = oracleTextOf('package t:p@1.0.1;\ninterface h { flags e {} f: func(x: e); }\nworld w { import h; }', 'bad.wit');
  try {
    await oracleWorlds(good, bad);
    assert.unreachable('a rejected WIT');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'invalid-wit');
    assert.match(String((err as Error).message), /^bad\.wit: wit-parser or component validation rejects this WIT/);
  }
});

test('the CLI (dist): exit codes and --json carry the oracle verdict per world', async () => {
  const dir = tempDir('pocket-wit-oracle-');
  const write = (name: string, text: string): string => {
    mkdirSync(join(dir, name), { recursive: true });
    const file = join(dir, name, 'pkg.wit');
    writeFileSync(file, text);
    return file;
  };
  const pick = (prefix: string): (typeof generated)[number] => generated.find((p) => p.name.startsWith(prefix))!;
  const cases: [string, 0 | 1, Breaks][] = [
    ['type-renamed-aliased-back (fwd) 1.4.2 → 2.0.0', 0, 'plugins'],
    ['type-renamed-aliased-back (back) 0.0.3 → 0.0.4', 0, 'plugins'],
    ['use-other-same-structure (fwd) 0.4.2 → 0.4.3', 0, 'hosts'],
    ['use-other-same-structure (back) 1.4.2 → 1.4.3', 1, 'plugins'],
    ['record-added-export-unreached (back) 1.4.2 → 1.4.3', 1, 'hosts'],
    ['record-added-import-unreached (fwd)', 0, 'none'],
  ];
  for (const [prefix, exit, breaks] of cases) {
    const p = pick(prefix);
    assert.ok(p, prefix);
    const slug = p.name.replace(/[^a-z0-9]+/gi, '-');
    const r = await runCli(['check', '--old', write(`${slug}-old`, p.old), '--new', write(`${slug}-new`, p.new), '--json']);
    assert.is(r.code, exit, `${p.name}\n${r.stdout}${r.stderr}`);
    const json = JSON.parse(r.stdout) as WitDiff;
    assert.equal(json.oracle?.map((w) => [w.world, w.breaks]), [['plugin', breaks]], p.name);
    assert.is(level(json.changes), breaks, p.name);
  }
  const p = pick('type-renamed-aliased-back (fwd)');
  const text = await runCli(['check', '--old', join(dir, `${p.name.replace(/[^a-z0-9]+/gi, '-')}-old`), '--new', join(dir, `${p.name.replace(/[^a-z0-9]+/gi, '-')}-new`)]);
  assert.match(text.stdout, /type-removed\s+interface:types\/record:point/);
  assert.match(text.stdout, /world plugin: old plugins do not fit the new world \(breaks plugins\)/);
});

test.run();
