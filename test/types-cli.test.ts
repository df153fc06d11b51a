/**
 * `pocket-wit types` output compiles with the tsconfig docs/PLUGINS.md recommends (the block after
 * `<!-- types-tsconfig -->`), for a WIT with a resource (classes implementing `Disposable`), host
 * and guest side, with the real `tsc`; and `%`-escaped worlds give sane file names.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, runCli, tempDir } from './helpers.js';

const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

const WIT = `package test:res@1.0.0;

interface %type {
  resource %stream {
    constructor(n: u32);
    next: func() -> option<u32>;
    sum: static func(s: borrow<%stream>) -> u64;
  }
  %record: func(s: borrow<%stream>) -> u32;
  take: func(s: own<%stream>) -> list<u32>;
}

world %world {
  import %type;
  export run: func() -> u32;
  export counter: interface {
    resource counter {
      constructor();
      bump: func() -> u32;
    }
  }
}
`;

/** The tsconfig.json of docs/PLUGINS.md, as written there. */
function recommendedTsconfig(): { compilerOptions: Record<string, unknown> } {
  const doc = readFileSync(join(ROOT, 'docs/PLUGINS.md'), 'utf8');
  const m = /<!-- types-tsconfig -->\n```json\n([\s\S]*?)\n```/.exec(doc);
  assert.ok(m, 'docs/PLUGINS.md has the types tsconfig block');
  return JSON.parse(m[1]!) as { compilerOptions: Record<string, unknown> };
}

function tsc(dir: string, compilerOptions: Record<string, unknown>): { status: number | null; out: string } {
  // Only the generated files, with the recommended options (nothing else from this repository).
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...compilerOptions, noEmit: true, types: [] }, include: ['**/*.d.ts'] }));
  const r = spawnSync(process.execPath, [TSC, '-p', dir], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

const wit = join(tempDir('pocket-wit-types-wit-'), 'res.wit');
writeFileSync(wit, WIT);

for (const side of ['guest', 'host'] as const) {
  test(`types --${side} --world %world: world.d.ts, and it compiles with the documented tsconfig`, async () => {
    const out = tempDir(`pocket-wit-types-${side}-`);
    const r = await runCli(['types', wit, '--out', out, `--${side}`, '--world', '%world', '--json']);
    assert.is(r.code, 0, r.stderr);
    const files = (JSON.parse(r.stdout) as { files: string[] }).files.map((f) => f.slice(out.length + 1)).sort();
    assert.equal(files, ['interfaces/counter.d.ts', 'interfaces/test-res-type.d.ts', 'world.d.ts']);
    assert.not.ok(readdirSync(out).some((f) => f.includes('%')), 'no % in a file name');
    const options = recommendedTsconfig().compilerOptions;
    const ok = tsc(out, options);
    assert.is(ok.status, 0, ok.out);
    if (side === 'guest') {
      // Guest-side resources are Disposable classes: without esnext.disposable they do not compile.
      const text = readFileSync(join(out, 'interfaces/test-res-type.d.ts'), 'utf8');
      assert.match(text, /implements Disposable/);
      assert.match(text, /\[Symbol\.dispose\]\(\): void;/);
      const bare = tsc(out, { ...options, lib: ['ES2022', 'DOM'] });
      assert.is(bare.status, 2, bare.out);
      assert.match(bare.out, /Cannot find name 'Disposable'/);
    } else {
      // Host-side files name WebAssembly.Module: the DOM library declares it.
      const noDom = tsc(out, { ...options, lib: ['ES2022', 'esnext.disposable'] });
      assert.is(noDom.status, 2, noDom.out);
      assert.match(noDom.out, /Cannot find namespace 'WebAssembly'/);
    }
  });
}

test('types without --world names the file world.d.ts; a plain world name is kept', async () => {
  const out = tempDir('pocket-wit-types-plain-');
  const r = await runCli(['types', join(ROOT, 'wit/v0.2.1'), '--out', out, '--guest', '--world', 'plugin']);
  assert.is(r.code, 0, r.stderr);
  assert.ok(existsSync(join(out, 'plugin.d.ts')));
  const one = join(tempDir('pocket-wit-types-one-'), 'one.wit');
  writeFileSync(one, 'package test:one@1.0.0;\n\nworld %interface {\n  export f: func() -> u32;\n}\n');
  const out2 = tempDir('pocket-wit-types-one-out-');
  const r2 = await runCli(['types', one, '--out', out2, '--host']);
  assert.is(r2.code, 0, r2.stderr);
  assert.equal(readdirSync(out2), ['world.d.ts']);
});

test.run();
