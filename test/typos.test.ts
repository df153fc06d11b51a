/**
 * Typos are loud (issue #17): unknown keys in manifests and workflows, connection actions a node
 * never returns, config keys a node's schema does not know; and `validate` checks an up-to-date
 * project without rebuilding it. Everything through the real CLI and a real TypeScript plugin.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from './helpers.js';

const work = tempDir('pocket-wit-typos-');
const env = { POCKET_HOME: join(work, 'home'), POCKET_PLUGIN_PATH: '' };

const MANIFEST = `name: typo-greeter
version: 1.0.0
description: Greets, for the typo tests
engine: quickjs
`;

const SOURCE = `import { definePlugin, Type } from 'pocket-wit/guest';

const exec = (input: { name: string }, ctx: { config: { greeting: string } }) => ({ message: \`\${ctx.config.greeting}, \${input.name}!\` });

export default definePlugin({
  nodes: [
    {
      type: 'greet',
      category: 'demo',
      description: 'Greets by name; its config schema does not say whether other keys are allowed',
      config: Type.Object({ greeting: Type.String({ default: 'Hello' }) }),
      input: Type.Object({ name: Type.String({ minLength: 1 }) }),
      exec,
    },
    {
      type: 'strict-greet',
      category: 'demo',
      description: 'Greets by name; its config schema refuses other keys',
      config: Type.Object({ greeting: Type.String({ default: 'Hello' }) }, { additionalProperties: false }),
      input: Type.Object({ name: Type.String({ minLength: 1 }) }),
      exec,
    },
  ],
});
`;

function project(name: string, manifest: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'manifest.yaml'), manifest);
  writeFileSync(join(dir, 'src', 'index.ts'), SOURCE);
  return dir;
}

/** The plugin project, built once through the CLI (`engine: quickjs` in its manifest). */
const greeter = project('typo-greeter', MANIFEST);
let building: Promise<string> | undefined;
function builtGreeter(): Promise<string> {
  building ??= runCli(['build', greeter], { env }).then((r) => {
    assert.is(r.code, 0, r.stdout + r.stderr);
    return join(greeter, 'dist', 'typo-greeter.wasm');
  });
  return building;
}

function workflow(name: string, text: string): string {
  const file = join(work, name);
  writeFileSync(file, text);
  return file;
}

test('manifest: descripton and permisions are refused by validate and build, with did-you-mean', async () => {
  const dir = project('typo-manifest', 'name: typo-manifest\nversion: 1.0.0\ndescripton: Greets\npermisions:\n  env: [GREETING]\n');
  const v = await runCli(['validate', dir], { env });
  assert.is(v.code, 1, v.stdout + v.stderr);
  assert.match(v.stdout, 'problem [manifest]: unknown key "descripton" (did you mean "description"?)');
  assert.match(v.stdout, 'problem [manifest]: unknown key "permisions" (did you mean "permissions"?)');
  const b = await runCli(['build', dir], { env });
  assert.is(b.code, 1, b.stdout + b.stderr);
  assert.match(b.stderr, 'error[invalid-manifest]');
  assert.match(b.stderr, 'has 2 problems');
  assert.match(b.stderr, 'unknown key "descripton" (did you mean "description"?)');
  assert.match(b.stderr, 'unknown key "permisions" (did you mean "permissions"?)');
  // Nested mappings too: a permission and a node entry's key.
  const nested = project('typo-nested', 'name: typo-nested\nversion: 1.0.0\npermissions:\n  netwrok: [api.example.com]\nnodes:\n  - { type: greet, category: demo, description: d, exmples: [] }\n');
  const n = await runCli(['build', nested], { env });
  assert.is(n.code, 1, n.stdout + n.stderr);
  assert.match(n.stderr, 'permissions: unknown key "netwrok" (did you mean "network"?)');
  assert.match(n.stderr, 'nodes.0: unknown key "exmples" (did you mean "examples"?)');
});

test('manifest: engine quickjs is accepted (the greeter builds with it), engine v8 is refused naming both engines', async () => {
  await builtGreeter(); // its manifest says engine: quickjs
  const dir = project('typo-engine', 'name: typo-engine\nversion: 1.0.0\nengine: v8\n');
  for (const command of ['build', 'validate']) {
    const r = await runCli([command, dir], { env });
    assert.is(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, 'engine: "v8" is not a JavaScript engine pocket-wit builds with; write quickjs or starlingmonkey');
  }
});

test('workflow: an unknown key is refused at its line, with did-you-mean; a node\'s plugin key is accepted', async () => {
  const file = workflow('typo-keys.yaml', 'name: keys\nstart: a\nnodes:\n  - name: a\n    type: echo\n    tiemout: 5s\nconnections:\n  - { from: a, to: a, acton: again }\n');
  const r = await runCli(['flow', file, '--check'], { env });
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, `${file}:6:14: error: nodes.0: unknown key "tiemout" (did you mean "timeout"?)`);
  assert.match(r.stderr, 'connections.0: unknown key "acton" (did you mean "action"?)');
  const ok = workflow('plugin-key.yaml', 'name: keys\nstart: a\nnodes:\n  - { name: a, type: echo, plugin: pocket }\n');
  const k = await runCli(['flow', ok, '--check'], { env });
  assert.not.match(k.stderr, /unknown key/);
});

test('workflow: action "vaild" after a validate node is refused by flow --check and by flow, before anything runs', async () => {
  const file = workflow(
    'typo-action.yaml',
    'name: actions\nstart: check\nnodes:\n  - name: check\n    type: validate\n    config: { schema: { type: object }, on_invalid: route }\n  - name: done\n    type: echo\n    config: { message: reached }\nconnections:\n  - { from: check, to: done, action: vaild }\n  - { from: check, to: done, action: default }\n',
  );
  const expected = 'connection from "check" (validate) has action "vaild", which it never returns (did you mean "valid"?); it returns: valid, invalid';
  const c = await runCli(['flow', file, '--check'], { env });
  assert.is(c.code, 1, c.stdout + c.stderr);
  assert.match(c.stderr, `${file}:11:38: error: ${expected} (at connections.0.action)`);
  const r = await runCli(['flow', file, '--input', '{}', '--json'], { env });
  assert.is(r.code, 1, r.stdout + r.stderr);
  const error = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
  assert.is(error.code, 'invalid-workflow'); // refused when checked, before the run
  assert.match(error.message, expected);
  // The same workflow spelled right runs through both nodes.
  const fixed = workflow('fixed-action.yaml', readText(file).replace('action: vaild', 'action: valid'));
  const f = await runCli(['flow', fixed, '--input', '{}', '--json'], { env });
  assert.is(f.code, 0, f.stdout + f.stderr);
  assert.equal(JSON.parse(f.stdout).path, ['check', 'done']);
  // on_invalid: error never routes "invalid".
  const strict = workflow('error-action.yaml', readText(fixed).replace(', on_invalid: route', '').replace('action: valid }', 'action: invalid }'));
  const s = await runCli(['flow', strict, '--check'], { env });
  assert.is(s.code, 1, s.stdout + s.stderr);
  assert.match(s.stderr, 'has action "invalid", which it never returns with its config: it returns "invalid" only with on_invalid: route; it returns: valid');
});

test('config: greting is refused where the schema says additionalProperties: false, else warned once; flow --check, flow and run', async () => {
  await builtGreeter();
  const plugins = join(greeter, 'dist');
  const strict = workflow('strict-config.yaml', 'name: cfg\nstart: hi\nnodes:\n  - name: hi\n    type: strict-greet\n    config: { greting: Hi }\n');
  const s = await runCli(['flow', strict, '--check', '--plugins', plugins], { env });
  assert.is(s.code, 1, s.stdout + s.stderr);
  assert.match(s.stderr, 'config of node "hi" (strict-greet): unknown key "greting" (did you mean "greeting"?)');

  const open = workflow('open-config.yaml', 'name: cfg\nstart: hi\nnodes:\n  - name: hi\n    type: greet\n    config: { greting: Hi }\n');
  const warning = `warning: node "hi": config key "greting" is not in greet's config schema (did you mean "greeting"?)`;
  const c = await runCli(['flow', open, '--check', '--plugins', plugins], { env });
  assert.is(c.code, 0, c.stdout + c.stderr);
  assert.match(c.stderr, warning);
  const f = await runCli(['flow', open, '--input', '{"name":"Ada"}', '--json', '--plugins', plugins], { env });
  assert.is(f.code, 0, f.stdout + f.stderr);
  assert.is(f.stderr.split(warning).length - 1, 1, f.stderr); // once, not per visit
  assert.equal(JSON.parse(f.stdout).output, { message: 'Hello, Ada!' });

  const wasm = join(plugins, 'typo-greeter.wasm');
  const r = await runCli(['run', wasm, 'greet', '--input', '{"name":"Ada"}', '--config', '{"greting":"Hi"}', '--json'], { env });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, `warning: node "greet": config key "greting" is not in greet's config schema (did you mean "greeting"?)`);
  const rs = await runCli(['run', wasm, 'strict-greet', '--input', '{"name":"Ada"}', '--config', '{"greting":"Hi"}'], { env });
  assert.is(rs.code, 1, rs.stdout + rs.stderr);
  assert.match(rs.stderr, 'config.greting: not allowed, the schema admits no such key (did you mean "greeting"?)');
  // Spelled right: no warning.
  const ok = await runCli(['run', wasm, 'greet', '--input', '{"name":"Ada"}', '--config', '{"greeting":"Hi"}', '--json'], { env });
  assert.is(ok.code, 0, ok.stderr);
  assert.not.match(ok.stderr, /warning/);
});

test('validate: an up-to-date project is checked without a rebuild; a newer source is rebuilt', async () => {
  const wasm = await builtGreeter();
  const past = new Date(statSync(wasm).mtimeMs - 60_000); // sources older than the component
  utimesSync(join(greeter, 'manifest.yaml'), past, past);
  utimesSync(join(greeter, 'src', 'index.ts'), past, past);
  const before = statSync(wasm).mtimeMs;
  const v = await runCli(['validate', greeter], { env });
  assert.is(v.code, 0, v.stdout + v.stderr);
  assert.match(v.stdout, 'ok: typo-greeter 1.0.0 is valid');
  assert.match(v.stderr, 'up to date with its sources, not rebuilt');
  assert.is(statSync(wasm).mtimeMs, before);
  // A source newer than the component: validate builds it (to its default output).
  const future = new Date(Date.now() + 1_000);
  utimesSync(join(greeter, 'src', 'index.ts'), future, future);
  const again = await runCli(['validate', greeter], { env });
  assert.is(again.code, 0, again.stdout + again.stderr);
  assert.not.match(again.stderr, 'not rebuilt');
  assert.ok(statSync(wasm).mtimeMs > before, 'the component was rebuilt');
});

function readText(file: string): string {
  return readFileSync(file, 'utf8');
}

test.run();
