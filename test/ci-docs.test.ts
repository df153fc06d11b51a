/**
 * docs/CI.md: the pipeline shown there is its file (`<!-- ci-file: ... -->` marker, byte for
 * byte), the file is valid YAML with the two jobs the page describes, every `pocket-wit` command
 * and flag its `run:` steps use exists in the real CLI, every `scripts/` path they use exists, and
 * the plain-script version (scripts/ci/check-plugin.sh) is there, executable and documented.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { ROOT, runCli } from './helpers.js';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  if?: string;
  needs?: string | string[];
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  strategy?: { matrix?: Record<string, unknown[]> };
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const CI_MD = readFileSync(join(ROOT, 'docs/CI.md'), 'utf8');
const SCRIPT = join(ROOT, 'scripts/ci/check-plugin.sh');

/** The files shown in docs/CI.md: path → the text of the yaml block after its marker. */
function ciBlocks(): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const m of CI_MD.matchAll(/<!-- ci-file: (\S+) -->\n```yaml\n([\s\S]*?)^```$/gm)) blocks.set(m[1]!, m[2]!);
  return blocks;
}

function workflow(): { path: string; wf: Workflow } {
  const [path] = [...ciBlocks().keys()];
  const doc = parseDocument(readFileSync(join(ROOT, path!), 'utf8'));
  assert.equal(doc.errors.map((e) => e.message), [], 'YAML errors');
  return { path: path!, wf: doc.toJS() as Workflow };
}

const runs = (job: Job): string[] => job.steps.flatMap((s) => (s.run ? [s.run] : []));
const uses = (job: Job, action: string): Step[] => job.steps.filter((s) => s.uses?.startsWith(`${action}@`));

test('docs/CI.md shows its pipeline file byte for byte', () => {
  const blocks = ciBlocks();
  assert.equal([...blocks.keys()], ['docs/ci/pocket-wit.yml']);
  for (const [path, text] of blocks) {
    assert.ok(existsSync(join(ROOT, path)), `${path} exists`);
    assert.is(text, readFileSync(join(ROOT, path), 'utf8'), `the block after <!-- ci-file: ${path} --> differs from the file`);
  }
});

test('the pipeline: on pull_request and push; a plugin job on Node 20 and 22; a WIT job for pull requests; a tag publishes', () => {
  const { wf } = workflow();
  assert.ok('pull_request' in wf.on, 'on: pull_request');
  assert.ok('push' in wf.on, 'on: push');
  assert.equal(Object.keys(wf.jobs).sort(), ['plugin', 'publish', 'wit']);

  // publish: only for a v* tag, after the plugin job, with provenance and the token through .npmrc.
  assert.equal((wf.on.push as { tags?: string[] }).tags, ['v*']);
  const publish = wf.jobs.publish!;
  assert.match(publish.if ?? '', /startsWith\(github\.ref, 'refs\/tags\/v'\)/);
  assert.is(publish.needs, 'plugin');
  assert.is(publish.permissions?.['id-token'], 'write');
  assert.is(uses(publish, 'actions/setup-node')[0]!.with?.['registry-url'], 'https://registry.npmjs.org');
  const step = publish.steps.find((st) => /\bpocket-wit publish\b/.test(st.run ?? ''));
  assert.ok(step, 'pocket-wit publish');
  assert.match(step!.run!, /--provenance/);
  assert.is(step!.env?.NODE_AUTH_TOKEN, '${{ secrets.NPM_TOKEN }}');

  const plugin = wf.jobs.plugin!;
  assert.equal(plugin.strategy?.matrix?.node, [20, 22]);
  const setup = uses(plugin, 'actions/setup-node');
  assert.is(setup.length, 1);
  assert.is(setup[0]!.with?.['node-version'], '${{ matrix.node }}');
  assert.ok(runs(plugin).includes('npm ci'), 'npm ci');
  assert.ok(runs(plugin).some((r) => /\bpocket-wit build\b/.test(r)), 'pocket-wit build');
  const check = runs(plugin).find((r) => /\bpocket-wit check\b/.test(r));
  assert.ok(check, 'pocket-wit check of the plugin');
  assert.not.match(check!, /--old|--new/);
  assert.match(check!, /--json > "\$RUNNER_TEMP\/reports\/plugin-check\.json"/);
  assert.is(uses(plugin, 'actions/upload-artifact').length, 1);
  const pluginDir = wf.env?.PLUGIN_DIR;
  assert.ok(pluginDir && existsSync(join(ROOT, pluginDir, 'manifest.yaml')), `PLUGIN_DIR ${pluginDir} is a plugin project`);

  const wit = wf.jobs.wit!;
  assert.match(wit.if ?? '', /github\.event_name == 'pull_request'/);
  assert.is(wit.env?.BASE_SHA, '${{ github.event.pull_request.base.sha }}');
  const checkout = uses(wit, 'actions/checkout');
  assert.is(checkout.length, 1);
  assert.is(checkout[0]!.with?.['fetch-depth'], 0);
  assert.ok(runs(wit).some((r) => /git diff --quiet "\$BASE_SHA" HEAD -- wit\//.test(r)), 'does its work only when wit/ changed');
  assert.ok(runs(wit).some((r) => /git worktree add\b.*"\$BASE_SHA"/.test(r)), 'git worktree add of the base commit');
  const compare = runs(wit).find((r) => /\bpocket-wit check --old\b/.test(r));
  assert.ok(compare, 'pocket-wit check --old --new');
  assert.match(compare!, /--new "\$new"/);
  assert.match(compare!, /--json > "\$RUNNER_TEMP\/reports\/wit-check\.json"/);
  const upload = uses(wit, 'actions/upload-artifact');
  assert.is(upload.length, 1);
  assert.is(upload[0]!.with?.name, 'wit-check');
});

/** The commands of the real CLI, and the flags of each. */
async function cliCommands(): Promise<Set<string>> {
  const help = await runCli(['--help']);
  assert.is(help.code, 0, help.stderr);
  const section = help.stdout.split(/\nCommands:\n/)[1]!.split(/\n\n/)[0]!;
  return new Set(section.split('\n').map((l) => l.trim().split(/\s+/)[0]!).filter(Boolean));
}

async function cliFlags(command: string): Promise<Set<string>> {
  const help = await runCli([command, '--help']);
  assert.is(help.code, 0, help.stderr);
  const section = help.stdout.split(/\nOptions:\n/)[1] ?? '';
  return new Set([...section.matchAll(/(?:^|[\s,])(--?[a-zA-Z][\w-]*)/gm)].map((m) => m[1]!));
}

/** Every `pocket-wit <command> ...` in a run script, with the flags it passes (through `set --` and "$@" too). */
function pocketWitCalls(run: string): { command: string; flags: string[]; line: string }[] {
  const lines = run.replace(/\\\n/g, ' ').split('\n');
  const setFlags = lines.flatMap((l) => [...(/\bset -- (.*)$/.exec(l)?.[1] ?? '').matchAll(/(?:^|\s)(--?[a-zA-Z][\w-]*)/g)].map((m) => m[1]!));
  const calls: { command: string; flags: string[]; line: string }[] = [];
  for (const line of lines) {
    for (const m of line.matchAll(/\bpocket-wit\s+([a-z][a-z-]*)([^;|&>]*)/g)) {
      const flags = [...m[2]!.matchAll(/(?:^|\s)(--?[a-zA-Z][\w-]*)/g)].map((f) => f[1]!.split('=')[0]!);
      if (m[2]!.includes('"$@"')) flags.push(...setFlags);
      calls.push({ command: m[1]!, flags, line: line.trim() });
    }
  }
  return calls;
}

test('every run step that calls pocket-wit names a command and flags the CLI has; scripts/ paths exist', async () => {
  const { wf } = workflow();
  const commands = await cliCommands();
  assert.ok(commands.has('check') && commands.has('build'), [...commands].join(' '));
  const flagsOf = new Map<string, Set<string>>();
  const used = new Set<string>();
  for (const [name, job] of Object.entries(wf.jobs)) {
    for (const run of runs(job)) {
      for (const call of pocketWitCalls(run)) {
        assert.ok(commands.has(call.command), `job ${name}: pocket-wit ${call.command} is not a command (${call.line})`);
        if (!flagsOf.has(call.command)) flagsOf.set(call.command, await cliFlags(call.command));
        for (const flag of call.flags) {
          assert.ok(flagsOf.get(call.command)!.has(flag), `job ${name}: pocket-wit ${call.command} has no flag ${flag} (${call.line})`);
        }
        if (call.command === 'check' && call.flags.includes('--old')) assert.ok(call.flags.includes('--new'), call.line);
        used.add(`${call.command}${call.flags.includes('--old') ? ' --old' : ''}`);
      }
      for (const m of run.matchAll(/(?:^|[\s"'=])(?:\.\/)?(scripts\/[\w./-]+)/g)) {
        const path = join(ROOT, m[1]!);
        assert.ok(existsSync(path), `job ${name}: ${m[1]} does not exist`);
        if (path.endsWith('.sh')) assert.ok((statSync(path).mode & 0o111) !== 0, `${m[1]} is not executable`);
      }
    }
  }
  assert.equal([...used].sort(), ['build', 'check', 'check --old', 'publish']);
});

test('scripts/ci/check-plugin.sh exists, is executable, and CI.md documents its variables', () => {
  assert.ok(existsSync(SCRIPT), 'scripts/ci/check-plugin.sh exists');
  assert.ok((statSync(SCRIPT).mode & 0o111) !== 0, 'scripts/ci/check-plugin.sh is executable');
  const script = readFileSync(SCRIPT, 'utf8');
  const vars = new Set([...script.matchAll(/\$\{([A-Z_]+)[:}]/g)].map((m) => m[1]!));
  assert.equal([...vars].sort(), ['HOST_WIT', 'OUT_DIR', 'PLUGIN_DIR', 'POCKET_WIT', 'WIT_NEW', 'WIT_OLD']);
  for (const v of vars) assert.match(CI_MD, new RegExp(`^\\| [^|\\n]*\`${v}\`[^|\\n]*\\|`, 'm'), `CI.md has a table row for ${v}`);
  assert.match(CI_MD, /scripts\/ci\/check-plugin\.sh/);
});

test.run();
