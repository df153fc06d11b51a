/**
 * Builds Go plugin projects (a `go.mod` next to the manifest): Go 1.23 has no `go:wasmexport`, so
 * the plugin is a WASI command (`GOOS=wasip1 GOARCH=wasm go build`), wrapped with the preview1
 * *command* adapter into a component of the world `pocket:plugin/command`. The project finds the
 * Go SDK (`pocket.dev/plugin`, in `guest-sdk/go`) through a generated `go.work`; the manifest and
 * the world version are built in with `-ldflags -X`.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginError } from '../../../host/src/errors.js';
import { toolchainRootPath, witSource } from '../toolchain.js';
import { TOOLS, findTool, runTool } from '../toolchains.js';
import { componentFromCore } from '../wrap-core.js';
import type { LanguageBuilder } from './builder.js';

function kb(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.round(n / 1024)} KB`;
}

/** Where Go keeps its build cache and module cache: ~/.cache/pocket-wit/go (or the temp dir). */
function goCacheRoot(): string {
  let home = '';
  try {
    home = homedir();
  } catch {
    // no home directory: use the temp dir
  }
  return join(home || tmpdir(), '.cache', 'pocket-wit', 'go');
}

export const buildGo: LanguageBuilder = async (project, ctx) => {
  if (!/^world command\b/m.test(witSource(ctx.witVersion))) {
    throw new PluginError('build-failed', `Go plugins need pocket:plugin@0.2.1 or later (the world "command"); ${ctx.witVersion} has no command world`);
  }
  const go = findTool(TOOLS.go, `the Go plugin ${project.manifest.name}`);
  const sdk = join(toolchainRootPath(), 'guest-sdk', 'go');
  const tmp = await mkdtemp(join(tmpdir(), 'pocket-wit-go-'));
  try {
    const work = join(tmp, 'go.work');
    await writeFile(work, `go 1.23\n\nuse (\n\t${JSON.stringify(project.dir)}\n\t${JSON.stringify(sdk)}\n)\n`);
    const cache = goCacheRoot();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      GOOS: 'wasip1',
      GOARCH: 'wasm',
      GOWORK: work,
      GOTOOLCHAIN: 'local',
      GOPROXY: 'off',
      GOFLAGS: '',
      CGO_ENABLED: '0',
      GOCACHE: process.env.GOCACHE ?? join(cache, 'build'),
      GOPATH: process.env.GOPATH ?? join(cache, 'path'),
      GOMODCACHE: process.env.GOMODCACHE ?? join(cache, 'path', 'pkg', 'mod'),
    };
    const manifest = Buffer.from(JSON.stringify(project.manifest)).toString('base64');
    const ldflags = `-s -w -X pocket.dev/plugin.manifestB64=${manifest} -X pocket.dev/plugin.worldVersion=${ctx.witVersion}`;
    const out = join(tmp, 'plugin.wasm');
    await ctx.steps.step(
      'compiling Go (GOOS=wasip1)',
      async () => runTool(go, ['build', '-trimpath', '-ldflags', ldflags, '-o', out, '.'], { cwd: project.dir, env, what: `go build in ${project.dir}` }),
    );
    const core = new Uint8Array(await readFile(out));
    const component = await ctx.steps.step(
      'wrapping as a wasi:cli/run component',
      () => componentFromCore(core, { witSource: witSource(ctx.witVersion), world: 'command', adapter: 'command', source: `${project.manifest.name} (Go)` }),
      (b) => kb(b.length),
    );
    return { component, engine: 'go', world: `pocket:plugin/command@${ctx.witVersion}` };
  } catch (err) {
    if (err instanceof PluginError) throw err;
    throw new PluginError('build-failed', `building the Go plugin ${project.manifest.name} failed: ${(err as Error).message}`, { cause: err });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
};
