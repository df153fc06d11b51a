/**
 * Plugins through a real npm registry (verdaccio on a free port, test/registry.ts), all through
 * the real CLI: publish two versions (and a scoped copy), search, install a range, run it by
 * name, outdated, update within the range, an update asking for a new host (refused with --yes
 * alone, granted with --grant-new-permissions), a tarball changed in the registry's storage
 * (refused on integrity), a workflow's missing plugins installed by `flow --install-missing`,
 * and the errors a user meets (no token, a version published twice, no registry there).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { publish as npmPublish } from 'libnpmpublish';
import { create } from 'tar';
import { join } from 'node:path';
import { clearNpmEnvironment, startRegistry, type Registry } from './registry.js';
import { spawn } from 'node:child_process';
import { CACHE_DIR, CLI, ROOT, runCli, tempDir, type CliResult } from './helpers.js';

clearNpmEnvironment();
const PLUGIN = 'sentiment-analyzer';
const work = tempDir('pocket-registry-work-');
let registry: Registry;
let home = tempDir('pocket-registry-home-');
const env = (extra: Record<string, string> = {}): Record<string, string> => ({ ...registry.env, POCKET_HOME: home, POCKET_PLUGIN_PATH: '', ...extra });
const cli = (args: string[], extra: Record<string, string> = {}) => runCli(args, { env: env(extra), cwd: work });
const lock = (h = home) => JSON.parse(readFileSync(join(h, 'plugins', 'pocket-lock.json'), 'utf8')) as { plugins: Record<string, { version: string; source: string; consented: { network: string[]; memory: string }; registry?: { package: string; range: string; registry: string; integrity: string } }> };

/** The sentiment example at `version`, optionally asking for more (a host, more memory). */
function project(version: string, more = false): string {
  const dir = join(work, `v${version}`);
  cpSync(join(ROOT, 'examples/sentiment-analyzer'), dir, { recursive: true, filter: (s) => !s.includes('/dist') });
  let manifest = readFileSync(join(dir, 'manifest.yaml'), 'utf8').replace('version: 1.0.0', `version: ${version}`);
  if (more) manifest = manifest.replace('  memory: 10MB\n', '  memory: 20MB\n  network: [api.example.com]\n');
  writeFileSync(join(dir, 'manifest.yaml'), manifest);
  return dir;
}

/**
 * Run the CLI on a pseudo-terminal (util-linux `script`), answering its `[y/N]` question with
 * `answer`; stdout and stderr arrive together as the terminal's output.
 */
function inTerminal(args: string[], answer: string): Promise<CliResult & { asked: string }> {
  const quote = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;
  const child = spawn('script', ['-qec', [process.execPath, CLI, ...args].map(quote).join(' '), '/dev/null'], {
    cwd: work,
    env: { ...process.env, ...env(), POCKET_WIT_CACHE: CACHE_DIR, TERM: 'dumb' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let asked = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const q = /[^\n]*\[y\/N\] /.exec(out);
    if (q && !asked) {
      asked = q[0];
      child.stdin.write(`${answer}\n`);
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      child.stdin.end();
      resolve({ code: code ?? -1, stdout: out.replace(/\r\n/g, '\n'), stderr: '', asked: asked.trim() });
    });
  });
}

async function publish(dir: string, ...args: string[]): Promise<void> {
  const r = await cli(['publish', dir, ...args]);
  assert.is(r.code, 0, r.stderr);
}

test.before(async () => {
  registry = await startRegistry();
});
test.after(async () => {
  await registry.stop();
});

test('publish: builds, validates, packs as an npm package and publishes with the .npmrc token', async () => {
  const dir = project('1.0.0');
  const dry = await cli(['publish', dir, '--dry-run', '--json']);
  assert.is(dry.code, 0, dry.stderr);
  const plan = JSON.parse(dry.stdout) as { name: string; version: string; registry: string; published: boolean; files: string[] };
  assert.equal([plan.name, plan.version, plan.registry, plan.published], [PLUGIN, '1.0.0', registry.url, false]);
  assert.ok(plan.files.includes('plugin.wasm') && plan.files.includes('manifest.yaml'), plan.files.join());
  assert.not.ok(existsSync(join(registry.storage, PLUGIN)), 'a dry run publishes nothing');

  const r = await cli(['publish', dir]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^published ${PLUGIN}@1\\.0\\.0 to ${registry.url.replace(/[./]/g, '\\$&')} \\(latest\\)\ninstall it with: pocket-wit install npm:${PLUGIN}@\\^1\\.0\\.0`));
  assert.match(r.stderr, /running metadata and examples in a worker: done/);
  const doc = (await (await fetch(`${registry.url}${PLUGIN}`)).json()) as { versions: Record<string, { keywords: string[]; pocket: { plugin: string; world: string; component: string; nodes: string[] } }> };
  const v = doc.versions['1.0.0']!;
  assert.ok(v.keywords.includes('pocket-plugin'));
  assert.equal(v.pocket, { plugin: PLUGIN, world: 'pocket:plugin@0.2.1', component: 'plugin.wasm', nodes: ['sentiment'] });

  // The same copy under a scope, for the workflow pin test below (the build is up to date).
  await publish(dir, '--scope', '@acme');
});

test('publish refuses: the same version twice, no token, a project with a failing example', async () => {
  const again = await cli(['publish', join(work, 'v1.0.0')]);
  assert.is(again.code, 1);
  assert.match(again.stderr, /error\[invalid-input\]: sentiment-analyzer@1\.0\.0 is already published on .*; raise version in manifest\.yaml/);

  const noToken = await cli(['publish', project('1.0.1')], { NPM_TOKEN: 'not-a-token' });
  assert.is(noToken.code, 1);
  assert.match(noToken.stderr, /error\[permission-denied\]: sentiment-analyzer@1\.0\.1: the registry .* refused .*; log in with `npm login --registry/);

  const owned = join(work, 'owned-word-stats');
  cpSync(join(ROOT, 'examples/c-word-stats'), owned, { recursive: true, filter: (s) => !s.includes('/dist') });
  writeFileSync(join(owned, 'manifest.yaml'), readFileSync(join(owned, 'manifest.yaml'), 'utf8').replace('name: c-word-stats', 'name: owned-word-stats').replace('dist/c-word-stats.wasm', 'dist/owned-word-stats.wasm'));
  const taken = await cli(['publish', owned]);
  assert.is(taken.code, 1);
  assert.match(taken.stderr, /error\[permission-denied\]: owned-word-stats@1\.0\.0: the registry .* refused .*; if the name belongs to someone else, publish under your own scope with `--scope @you`/);

  const broken = project('1.0.2');
  writeFileSync(join(broken, 'manifest.yaml'), readFileSync(join(broken, 'manifest.yaml'), 'utf8').replace('score: 1, confidence: 1', 'score: 0.5, confidence: 1'));
  const bad = await cli(['publish', broken]);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /error\[invalid-plugin\]: sentiment-analyzer 1\.0\.2 was not published: 1 problem found\n  - \[example\]/);
  const versions = Object.keys(((await (await fetch(`${registry.url}${PLUGIN}`)).json()) as { versions: object }).versions);
  assert.equal(versions, ['1.0.0'], 'nothing but 1.0.0 reached the registry');
});

test('search finds plugins by word; a word that matches none says so', async () => {
  const r = await cli(['search', 'sentiment', '--json']);
  assert.is(r.code, 0, r.stderr);
  const hits = JSON.parse(r.stdout) as { name: string; version: string }[];
  assert.equal(hits.map((h) => `${h.name}@${h.version}`).sort(), [`@acme/${PLUGIN}@1.0.0`, `${PLUGIN}@1.0.0`]);
  const text = await cli(['search', 'sentiment']);
  assert.match(text.stdout, /^NAME\s+VERSION\s+DESCRIPTION\n/);
  const all = await cli(['search', '--json']);
  assert.is(all.code, 0, all.stderr);
  assert.equal((JSON.parse(all.stdout) as { name: string }[]).map((h) => h.name).sort(), [`@acme/${PLUGIN}`, PLUGIN], 'no words: every plugin');
  const none = await cli(['search', 'zebra-unicorn']);
  assert.is(none.code, 0, none.stderr);
  assert.match(none.stdout, /^no plugins found on http:\/\/127\.0\.0\.1:\d+\/ for "zebra-unicorn"/);
});

test('install npm:<package>@<range>: integrity recorded, runs by name', async () => {
  // npm sets npm_config_cache for what it runs (npx, scripts): downloads still go to our own cache.
  const npmCache = join(work, 'npm-cache');
  const r = await cli(['install', `npm:${PLUGIN}@^1.0.0`, '--yes'], { npm_config_cache: npmCache });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^installed sentiment-analyzer 1\.0\.0 → /);
  assert.ok(existsSync(join(home, 'cache', 'npm')) && !existsSync(npmCache), 'downloads are cached in $POCKET_HOME/cache/npm');
  assert.match(r.stderr, /sentiment-analyzer 1\.0\.0: Text sentiment analysis.*\n  nodes: sentiment \(ai\)\n  permissions: 10MB 5s/);
  const entry = lock().plugins[PLUGIN]!;
  assert.is(entry.source, `npm:${PLUGIN}@1.0.0`);
  assert.equal({ ...entry.registry, integrity: undefined }, { package: PLUGIN, range: '^1.0.0', registry: registry.url, integrity: undefined, resolved: `${registry.url}${PLUGIN}/-/${PLUGIN}-1.0.0.tgz` });
  assert.match(entry.registry!.integrity, /^sha512-/);
  const info = await cli(['info', PLUGIN]);
  assert.is(info.code, 0, info.stderr);
  assert.match(info.stdout, new RegExp(`  from: npm:${PLUGIN}@1\\.0\\.0\n  registry: http://127\\.0\\.0\\.1:\\d+/ \\(package ${PLUGIN}, updates within \\^1\\.0\\.0, integrity sha512-`));
  const listed = JSON.parse((await cli(['list', '--json'])).stdout) as { name: string; source: string; registry?: { range: string } }[];
  assert.equal(listed.map((p) => [p.name, p.source, p.registry?.range]), [[PLUGIN, `npm:${PLUGIN}@1.0.0`, '^1.0.0']]);
  const run = await cli(['run', PLUGIN, 'sentiment', '--input', '{"text":"wonderful"}', '--json']);
  assert.is(run.code, 0, run.stderr);
  assert.is((JSON.parse(run.stdout) as { output: { sentiment: string } }).output.sentiment, 'positive');
});

test('without a terminal and without --yes, install npm: asks and installs nothing', async () => {
  const h = tempDir('pocket-registry-home-');
  const r = await runCli(['install', `npm:${PLUGIN}`], { env: env({ POCKET_HOME: h }), cwd: work });
  assert.is(r.code, 2);
  assert.match(r.stderr, /cannot ask without a terminal; pass --yes to confirm/);
  assert.not.ok(existsSync(join(h, 'plugins', 'pocket-lock.json')));
});

test('outdated and update within the range; update asking for a new host needs --grant-new-permissions', async () => {
  await publish(project('1.1.0'));
  const out = await cli(['outdated', '--json']);
  assert.is(out.code, 0, out.stderr);
  assert.equal(JSON.parse(out.stdout), [{ name: PLUGIN, package: PLUGIN, current: '1.0.0', wanted: '1.1.0', latest: '1.1.0', range: '^1.0.0', registry: registry.url }]);
  const table = await cli(['outdated']);
  assert.match(table.stdout, /^NAME\s+CURRENT\s+WANTED\s+LATEST\s+RANGE\s+PACKAGE\nsentiment-analyzer\s+1\.0\.0\s+1\.1\.0\s+1\.1\.0\s+\^1\.0\.0\s+sentiment-analyzer\nupdate with: pocket-wit update/);

  const same = await cli(['update', '--yes']);
  assert.is(same.code, 0, same.stderr);
  assert.match(same.stdout, /^replaced sentiment-analyzer 1\.1\.0 \(was 1\.0\.0\)/);
  assert.is(lock().plugins[PLUGIN]!.version, '1.1.0');

  await publish(project('1.2.0', true));
  const refused = await cli(['update', PLUGIN, '--yes']);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /sentiment-analyzer 1\.2\.0 asks for more than 1\.1\.0 was granted:\n  memory: 10MB → 20MB\n  network: \+ api\.example\.com \(had: none\)\n/);
  assert.match(refused.stderr, /error\[permission-denied\]: sentiment-analyzer 1\.2\.0 asks for more permissions than the installed 1\.1\.0 was granted \(memory, network\), and --yes does not consent to new permissions; nothing was changed/);
  assert.is(lock().plugins[PLUGIN]!.version, '1.1.0', 'the refused update changed nothing');
  assert.equal(lock().plugins[PLUGIN]!.consented.network, []);

  // On a terminal the question is asked even with --yes; "n" changes nothing.
  const declined = await inTerminal(['update', PLUGIN, '--yes'], 'n');
  assert.is(declined.asked, 'grant sentiment-analyzer 1.2.0 these new permissions and update it? [y/N]', declined.stdout);
  assert.is(declined.code, 0, declined.stdout);
  assert.match(declined.stdout, /network: \+ api\.example\.com \(had: none\)[\s\S]*not updated/);
  assert.is(lock().plugins[PLUGIN]!.version, '1.1.0');

  const granted = await cli(['update', PLUGIN, '--grant-new-permissions']);
  assert.is(granted.code, 0, granted.stderr);
  assert.match(granted.stdout, /^replaced sentiment-analyzer 1\.2\.0 \(was 1\.1\.0\)/);
  assert.equal(lock().plugins[PLUGIN]!.consented.network, ['api.example.com']);
  assert.is(lock().plugins[PLUGIN]!.consented.memory, '20MB');
  const none = await cli(['update', '--yes']);
  assert.match(none.stdout, /^nothing to update in /);
});

test('a tarball changed in the registry after publishing is refused on integrity; nothing is installed', async () => {
  // An attacker with write access to the registry's storage swaps 1.1.0's tarball for another build.
  const store = join(registry.storage, PLUGIN);
  copyFileSync(join(store, `${PLUGIN}-1.0.0.tgz`), join(store, `${PLUGIN}-1.1.0.tgz`));
  const h = tempDir('pocket-registry-home-');
  const r = await runCli(['install', `npm:${PLUGIN}@1.1.0`, '--yes'], { env: env({ POCKET_HOME: h }), cwd: work });
  assert.is(r.code, 1);
  assert.match(r.stderr, /error\[invalid-plugin\]: sentiment-analyzer@1\.1\.0: the tarball from http:\/\/127\.0\.0\.1:\d+\/ does not match the integrity the registry recorded at publish .*; it was changed after publishing, so nothing was installed/);
  assert.not.ok(existsSync(join(h, 'plugins', 'pocket-lock.json')));
});

test('flow --install-missing installs what the workflow pins (an npm: alias too), with consent', async () => {
  home = tempDir('pocket-registry-home-');
  const wf = join(work, 'wf.yaml');
  writeFileSync(wf, `name: review\nstart: mood\nplugins:\n  ${PLUGIN}: "npm:@acme/${PLUGIN}@^1.0.0"\nnodes:\n  - name: mood\n    type: sentiment\n`);
  const missing = await cli(['flow', wf, '--input', '{"text":"wonderful"}']);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /unknown node type "sentiment"|requires plugin sentiment-analyzer/);

  const noConsent = await cli(['flow', wf, '--install-missing', '--input', '{"text":"wonderful"}']);
  assert.is(noConsent.code, 2);
  assert.match(noConsent.stderr, /the workflow pins sentiment-analyzer \^1\.0\.0, which is not installed: installing npm:@acme\/sentiment-analyzer@\^1\.0\.0/);
  assert.match(noConsent.stderr, /cannot ask without a terminal; pass --yes to confirm/);

  const r = await cli(['flow', wf, '--install-missing', '--yes', '--input', '{"text":"wonderful"}', '--json']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /installed sentiment-analyzer 1\.0\.0\n/);
  assert.is((JSON.parse(r.stdout) as { output: { sentiment: string } }).output.sentiment, 'positive');
  assert.is(lock().plugins[PLUGIN]!.registry!.package, `@acme/${PLUGIN}`);

  // Pinned past what is installed, from a package whose newer version asks for a host.
  writeFileSync(wf, readFileSync(wf, 'utf8').replace(`"npm:@acme/${PLUGIN}@^1.0.0"`, '"^1.2.0"'));
  const growth = await cli(['flow', wf, '--install-missing', '--yes', '--input', '{"text":"wonderful"}']);
  assert.is(growth.code, 1);
  assert.match(growth.stderr, /installed is 1\.0\.0: updating from npm:sentiment-analyzer/);
  assert.match(growth.stderr, /error\[permission-denied\]: sentiment-analyzer 1\.2\.0 asks for more permissions than the installed 1\.0\.0 was granted/);
  const ok = await cli(['flow', wf, '--install-missing', '--grant-new-permissions', '--input', '{"text":"wonderful"}', '--json']);
  assert.is(ok.code, 0, ok.stderr);
  assert.is(lock().plugins[PLUGIN]!.version, '1.2.0');
});

/** Publish a package made by hand (an attacker does not use `pocket-wit publish`): `files` under package/. */
async function publishByHand(pkg: Record<string, unknown>, files: Record<string, string | Buffer | { symlink: string }>): Promise<void> {
  const stage = tempDir('pocket-registry-evil-');
  mkdirSync(join(stage, 'package'));
  writeFileSync(join(stage, 'package', 'package.json'), JSON.stringify(pkg));
  for (const [name, body] of Object.entries(files)) {
    if (typeof body === 'object' && !Buffer.isBuffer(body)) symlinkSync(body.symlink, join(stage, 'package', name));
    else writeFileSync(join(stage, 'package', name), body);
  }
  await create({ gzip: true, file: join(stage, 'p.tgz'), cwd: stage, portable: true }, ['package']);
  await npmPublish(pkg, readFileSync(join(stage, 'p.tgz')), { registry: registry.url, [`${registry.url.replace(/^http:/, '')}:_authToken`]: registry.env.NPM_TOKEN });
}

test('hostile packages: install scripts never run, a package that is no plugin, a version that lies, a symlink', async () => {
  const manifest = readFileSync(join(work, 'v1.0.0', 'manifest.yaml'), 'utf8');
  const wasm = readFileSync(join(work, 'v1.0.0', 'dist', `${PLUGIN}.wasm`));
  const marker = join(work, 'scripts-ran');
  const script = `node -e "require('fs').writeFileSync('${marker}', 'ran')"`;
  const h = tempDir('pocket-registry-home-');
  const install = (spec: string) => runCli(['install', spec, '--yes', '--name', spec.replace(/^npm:/, '')], { env: env({ POCKET_HOME: h }), cwd: work });

  await publishByHand({ name: 'evil-scripts', version: '1.0.0', keywords: ['pocket-plugin'], scripts: { preinstall: script, install: script, postinstall: script, prepare: script } }, { 'manifest.yaml': manifest, 'plugin.wasm': wasm });
  const scripts = await install('npm:evil-scripts');
  assert.is(scripts.code, 0, scripts.stderr);
  assert.not.ok(existsSync(marker), 'no npm lifecycle script of a plugin package ever runs');

  await publishByHand({ name: 'not-a-plugin', version: '1.0.0' }, { 'index.js': 'module.exports = 1;\n' });
  const none = await install('npm:not-a-plugin');
  assert.is(none.code, 1);
  assert.match(none.stderr, /error\[invalid-plugin\]: not-a-plugin-1\.0\.0\.tgz holds no plugin \(no manifest\.yaml at its top or in package\/\)/);

  await publishByHand({ name: 'version-lie', version: '9.0.0' }, { 'manifest.yaml': manifest, 'plugin.wasm': wasm });
  const lie = await install('npm:version-lie');
  assert.is(lie.code, 1);
  assert.match(lie.stderr, /error\[invalid-plugin\]: version-lie@9\.0\.0 holds plugin sentiment-analyzer 1\.0\.0: its package and plugin versions differ, so it was not installed/);

  await publishByHand({ name: 'symlinked', version: '1.0.0' }, { 'manifest.yaml': manifest, 'plugin.wasm': { symlink: '/etc/passwd' } });
  const link = await install('npm:symlinked');
  assert.is(link.code, 1);
  assert.match(link.stderr, /error\[invalid-plugin\]: .* was refused: entry package\/plugin\.wasm is a symbolic link/);
  assert.equal(Object.keys(lock(h).plugins), ['evil-scripts'], 'only the well-formed package was installed');
});

test('a scoped registry from the project .npmrc; a C plugin publishes and installs the same way', async () => {
  // The user's default registry does not answer; the project's .npmrc sends @acme to the real one.
  const dir = join(work, 'c-word-stats');
  cpSync(join(ROOT, 'examples/c-word-stats'), dir, { recursive: true, filter: (s) => !s.includes('/dist') });
  const userrc = join(work, 'user.npmrc');
  writeFileSync(userrc, `registry=http://127.0.0.1:1/\n${registry.url.replace(/^http:/, '')}:_authToken=\${NPM_TOKEN}\n`);
  writeFileSync(join(dir, '.npmrc'), `@acme:registry=${registry.url}\n`);
  const r = await cli(['publish', dir, '--scope', '@acme', '--json'], { npm_config_userconfig: userrc });
  assert.is(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { name: string; registry: string }).name, '@acme/c-word-stats');
  assert.is((JSON.parse(r.stdout) as { registry: string }).registry, registry.url);
  const elsewhere = await cli(['publish', dir, '--json'], { npm_config_userconfig: userrc });
  assert.is(elsewhere.code, 1, 'unscoped, it goes to the user registry, which does not answer');
  assert.match(elsewhere.stderr, /error\[registry-unavailable\]: c-word-stats@1\.0\.0: cannot reach the registry http:\/\/127\.0\.0\.1:1\//);

  const h = tempDir('pocket-registry-home-');
  const inH = (args: string[]) => runCli(args, { env: env({ POCKET_HOME: h }), cwd: work });
  const i = await inH(['install', 'npm:@acme/c-word-stats@~1.0.0', '--yes', '--name', 'wc']);
  assert.is(i.code, 0, i.stderr);
  const run = await inH(['run', 'wc', 'word-stats', '--input', '{"text":"one two\\nthree"}', '--json']);
  assert.is(run.code, 0, run.stderr);
  assert.equal((JSON.parse(run.stdout) as { output: { words: number; lines: number } }).output.words, 3);

  // An update keeps the name it was installed under.
  writeFileSync(join(dir, 'manifest.yaml'), readFileSync(join(dir, 'manifest.yaml'), 'utf8').replace('version: 1.0.0', 'version: 1.0.1'));
  assert.is((await cli(['publish', dir, '--scope', '@acme'], { npm_config_userconfig: userrc })).code, 0);
  const u = await inH(['update', '--yes']);
  assert.is(u.code, 0, u.stderr);
  assert.match(u.stdout, /^replaced wc 1\.0\.1 \(was 1\.0\.0\)/);
  assert.equal(Object.keys(lock(h).plugins), ['wc']);
});

test('errors name the fix: no registry there, no such package, a malformed spec, a plugin not from a registry', async () => {
  const down = await cli(['install', `npm:${PLUGIN}`, '--yes', '--registry', 'http://127.0.0.1:1/']);
  assert.is(down.code, 1);
  assert.match(down.stderr, /error\[registry-unavailable\]: sentiment-analyzer@latest: cannot reach the registry http:\/\/127\.0\.0\.1:1\/ \(.*ECONNREFUSED.*\); check --registry/);
  const nothing = await cli(['install', 'npm:no-such-plugin-here', '--yes']);
  assert.is(nothing.code, 1);
  assert.match(nothing.stderr, /error\[not-found\]: no-such-plugin-here@latest: the registry .* has no such package or version/);
  const range = await cli(['install', `npm:${PLUGIN}@^7.0.0`, '--yes']);
  assert.is(range.code, 1);
  assert.match(range.stderr, /error\[not-found\]: sentiment-analyzer@\^7\.0\.0: /);
  const spec = await cli(['install', 'npm:Not A Name', '--yes']);
  assert.is(spec.code, 1);
  assert.match(spec.stderr, /error\[invalid-input\]: "npm:Not A Name" does not name an npm package: write npm:<package>\[@range\]/);
  const local = await cli(['install', join(work, 'v1.0.0'), '--yes', '--name', 'local-copy']);
  assert.is(local.code, 0, local.stderr);
  const upd = await cli(['update', 'local-copy']);
  assert.is(upd.code, 1);
  assert.match(upd.stderr, /error\[invalid-input\]: local-copy was installed from .*v1\.0\.0, not from a registry/);
  const flag = await cli(['flow', join(work, 'wf.yaml'), '--yes']);
  assert.is(flag.code, 2);
  assert.match(flag.stderr, /--yes goes with --install-missing/);
});

test.run();
