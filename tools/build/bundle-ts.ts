/**
 * Bundles a TypeScript/JavaScript plugin into one ES module for a JS engine: the user's
 * `src/index.ts`, the guest SDK and typebox, with only the world's imports left external.
 * The project needs no `npm install`: `pocket-wit/guest` and `typebox` resolve to the
 * toolchain's own copies. Every import must resolve inside the project folder or to those
 * copies (see {@link confineImports}): a build never reads, let alone bakes in, other host files.
 */
import { build, type Message, type Plugin as EsbuildPlugin } from 'esbuild';
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { PluginError, WIT_PACKAGE, WORLD_VERSION, toolchainPackageDir, toolchainRootPath } from './toolchain.js';
import type { PluginProject } from './project.js';
import { WASI_ALIAS, declaredCapabilities, wasiInterfaceOf, wasiPackageVersion, type CapabilityName } from './wasi-world.js';

export type JsEngine = 'quickjs' | 'starlingmonkey';

function formatMessages(messages: Message[]): string {
  return messages
    .slice(0, 5)
    .map((m) => (m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ${m.text}` : m.text))
    .join('\n  ');
}

// A regex literal that follows `=`, `(`, `,` or `:` (so it cannot be a division).
const REGEX_LITERAL = /(?<=[=(,:]\s*)\/((?:\\.|\[(?:\\.|[^\]\\\n])*\]|[^/\\\n[])+)\/([dgimsuvy]*)/g;

/**
 * StarlingMonkey's SpiderMonkey is built without Unicode property data, so a regex literal with
 * `\p{...}` is a syntax error that fails the whole module. Dependencies (typebox's IDN formats)
 * carry such literals; they are rewritten to build at run time and, where the engine cannot,
 * to match nothing. Only the StarlingMonkey build does this.
 */
const unicodePropertyRegexFallback: EsbuildPlugin = {
  name: 'unicode-property-regex-fallback',
  setup(b) {
    b.onLoad({ filter: /node_modules[\\/].*\.m?js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('\\p{')) return undefined;
      const contents = text
        .split('\n')
        .map((line) =>
          line.includes('\\p{')
            ? line.replace(REGEX_LITERAL, (literal, body: string, flags: string) =>
                body.includes('\\p{')
                  ? `(() => { try { return new RegExp(${JSON.stringify(body)}, ${JSON.stringify(flags)}); } catch { return /(?!)/${flags.replace(/[^gimsy]/g, '')}; } })()`
                  : literal,
              )
            : line,
        )
        .join('\n');
      return { contents, loader: 'js' };
    });
  },
};

/** The manifest fields the guest runtime gets (`createNodeExports(plugin, host, manifestInfo)`). */
export function manifestInfo(project: PluginProject) {
  const m = project.manifest;
  return {
    name: m.name,
    version: m.version,
    description: m.description,
    author: m.author,
    license: m.license,
    permissions: m.permissions,
    nodes: m.nodes?.map((n) => ({ type: n.type, examples: n.examples })),
  };
}

/** Each capability's SDK module and the factory it exports (given the declared permission list). */
const CAPABILITY_MODULES: Record<CapabilityName, { module: string; factory: string; ctx: string }> = {
  env: { module: 'pocket-wit/guest/capabilities/env', factory: 'createEnv', ctx: 'env' },
  filesystem: { module: 'pocket-wit/guest/capabilities/fs', factory: 'createFiles', ctx: 'fs' },
  network: { module: 'pocket-wit/guest/capabilities/http', factory: 'createFetch', ctx: 'fetch' },
  storage: { module: 'pocket-wit/guest/capabilities/kv', factory: 'createKv', ctx: 'kv' },
};

/**
 * The generated entry module: wires the plugin's default export to the world's exports. The
 * capability modules (which import WASI) are imported only for `capabilities` (see
 * {@link linkedCapabilities}); `ctx.env` / `ctx.fs` / `ctx.fetch` are otherwise stubs that refuse.
 */
export function entrySource(project: PluginProject, engine: JsEngine, witVersion: string = WORLD_VERSION, capabilities: readonly CapabilityName[] = []): string {
  const hostModule = `${WIT_PACKAGE}/host@${witVersion}`;
  // QuickJS exposes an imported interface as the module's default export; StarlingMonkey as named exports.
  const importHost = engine === 'quickjs' ? `import host from ${JSON.stringify(hostModule)};` : `import * as host from ${JSON.stringify(hostModule)};`;
  const info = manifestInfo(project);
  const caps = capabilities;
  return [
    `import 'pocket-wit/guest/polyfills';`,
    importHost,
    `import plugin from ${JSON.stringify(project.entry)};`,
    `import { createNodeExports } from 'pocket-wit/guest/runtime';`,
    ...caps.map((c) => `import { ${CAPABILITY_MODULES[c].factory} } from ${JSON.stringify(CAPABILITY_MODULES[c].module)};`),
    `const manifest = ${JSON.stringify(info)};`,
    `const capabilities = { ${caps.map((c) => `${CAPABILITY_MODULES[c].ctx}: ${CAPABILITY_MODULES[c].factory}(manifest.permissions.${c})`).join(', ')} };`,
    `export const node = createNodeExports(plugin, host, manifest, capabilities);`,
    '',
  ].join('\n');
}

/**
 * Leaves `wasi:*` imports (the SDK's capabilities', or the plugin's own, e.g.
 * `import { createTcpSocket } from 'wasi:sockets/tcp-create-socket'`) external, renamed to the
 * stand-in namespace the build's world uses (see wasi-world.ts), and records them. This is
 * where a WASI import gets its version: whatever the source wrote (no version, as the SDK does,
 * or any 0.2.x), the bundle names `wasx:<package>/<interface>@<WASI_VERSION>`.
 */
function wasiExternals(found: Set<string>): EsbuildPlugin {
  return {
    name: 'pocket-wit-wasi-imports',
    setup(b) {
      b.onResolve({ filter: /^wasi:/ }, (args) => {
        const name = wasiInterfaceOf(args.path);
        found.add(name);
        return { path: `${WASI_ALIAS}:${name.slice('wasi:'.length)}@${wasiPackageVersion(name)}`, external: true };
      });
    },
  };
}

const CONFINED = Symbol.for('pocket-wit.confined');

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** The folders a plugin's imports may resolve into: the project, the guest SDK, typebox. */
export function allowedImportRoots(project: PluginProject): string[] {
  const root = toolchainRootPath();
  return [project.dir, join(root, 'guest-sdk', 'ts', 'src'), toolchainPackageDir('typebox', root)].map(realOrSelf);
}

function within(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Refuses every import (any kind: `import`, `require`, `import()`, and any loader, `with { type:
 * 'text' | 'json' | 'file' }` included) that resolves outside the project folder and outside
 * the toolchain's guest SDK and typebox, after following symbolic links: absolute paths,
 * `../` escapes and links out of the project alike. A plugin archive's sources, or a project
 * from elsewhere, cannot make the build read the host's files into the plugin.
 */
export function confineImports(project: PluginProject): EsbuildPlugin {
  const roots = allowedImportRoots(project);
  return {
    name: 'pocket-wit-confine-imports',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if ((args.pluginData as Record<symbol, unknown> | undefined)?.[CONFINED]) return undefined;
        const result = await b.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          namespace: args.namespace,
          resolveDir: args.resolveDir,
          with: args.with,
          pluginData: { [CONFINED]: true },
        });
        if (result.errors.length > 0 || result.external || result.namespace !== 'file' || !result.path) return undefined;
        const real = realOrSelf(result.path);
        if (roots.some((r) => within(real, r))) return undefined;
        const by = args.importer ? (args.importer === '<stdin>' ? 'the generated entry module' : relative(project.dir, args.importer) || args.importer) : 'the build';
        return {
          errors: [
            {
              text: `import "${args.path}" in ${by} resolves to ${real}, outside the project folder ${project.dir}; imports must stay inside the project (or be pocket-wit/guest and typebox, which the toolchain provides)`,
            },
          ],
        };
      });
    },
  };
}

/** How the plugin's own code would name each capability: `ctx.env`, `ctx.fs`, `ctx.fetch`. */
const CAPABILITY_WORDS: Record<CapabilityName, RegExp> = { env: /\benv\b/, filesystem: /\bfs\b/, network: /\bfetch\b/, storage: /\bkv\b/ };

/**
 * The capabilities to link in: declared in the manifest's permissions *and* named in the
 * plugin's own source files (the word `env`, `fs` or `fetch` anywhere in them, comments
 * included, so the test errs towards linking). A plugin that uses none of them imports no
 * WASI, whatever it declares (a declared permission is still reported in its metadata).
 */
export async function linkedCapabilities(project: PluginProject): Promise<CapabilityName[]> {
  const declared = declaredCapabilities(project.manifest.permissions);
  if (declared.length === 0) return [];
  const root = toolchainRootPath();
  const sdk = join(root, 'guest-sdk', 'ts', 'src');
  let files: string[];
  try {
    const result = await build({
      entryPoints: [project.entry],
      absWorkingDir: project.dir,
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'neutral',
      mainFields: ['module', 'main'],
      conditions: ['import', 'default'],
      external: [`${WIT_PACKAGE}/*`, 'wasi:*', 'pocket-wit/guest', 'pocket-wit/guest/*', 'typebox', 'typebox/*'],
      nodePaths: [dirname(toolchainPackageDir('typebox', root))],
      plugins: [confineImports(project)],
      logLevel: 'silent',
    });
    files = Object.keys(result.metafile.inputs).map((f) => resolve(project.dir, f));
  } catch {
    return declared; // the real bundle reports the problem
  }
  const own = files.filter((f) => !f.includes(`${sep}node_modules${sep}`) && !f.startsWith(sdk));
  const texts = await Promise.all(own.map((f) => readFile(f, 'utf8').catch(() => '')));
  return declared.filter((c) => texts.some((t) => CAPABILITY_WORDS[c].test(t)));
}

/** A bundled plugin: the module source and the WASI interfaces it imports (unversioned names). */
export interface BundledPlugin {
  source: string;
  /** The capabilities linked in (see {@link linkedCapabilities}). */
  capabilities: CapabilityName[];
  wasiImports: string[];
}

/** Bundle the project for `engine`; returns the module source. */
export async function bundlePlugin(project: PluginProject, engine: JsEngine, witVersion: string = WORLD_VERSION): Promise<string> {
  return (await bundlePluginWithImports(project, engine, witVersion)).source;
}

/** Bundle the project for `engine`; returns the module source and the WASI it imports. */
export async function bundlePluginWithImports(project: PluginProject, engine: JsEngine, witVersion: string = WORLD_VERSION): Promise<BundledPlugin> {
  const found = new Set<string>();
  const capabilities = await linkedCapabilities(project);
  const root = toolchainRootPath();
  const sdk = join(root, 'guest-sdk', 'ts', 'src');
  try {
    const result = await build({
      stdin: { contents: entrySource(project, engine, witVersion, capabilities), resolveDir: project.dir, sourcefile: 'pocket-wit-entry.js', loader: 'js' },
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'neutral',
      target: 'es2020',
      mainFields: ['module', 'main'],
      conditions: ['import', 'default'],
      external: [`${WIT_PACKAGE}/*`],
      alias: {
        'pocket-wit/guest/capabilities/env': join(sdk, 'capabilities', 'env.ts'),
        'pocket-wit/guest/capabilities/fs': join(sdk, 'capabilities', 'fs.ts'),
        'pocket-wit/guest/capabilities/http': join(sdk, 'capabilities', 'http.ts'),
        'pocket-wit/guest/capabilities/kv': join(sdk, 'capabilities', 'kv.ts'),
        'pocket-wit/guest/runtime': join(sdk, 'runtime.ts'),
        'pocket-wit/guest/polyfills': join(sdk, 'polyfills.ts'),
        'pocket-wit/guest': join(sdk, 'index.ts'),
      },
      nodePaths: [dirname(toolchainPackageDir('typebox', root))],
      plugins: [wasiExternals(found), confineImports(project), ...(engine === 'starlingmonkey' ? [unicodePropertyRegexFallback] : [])],
      logLevel: 'silent',
      legalComments: 'none',
      minify: true,
      keepNames: true,
    });
    const file = result.outputFiles[0];
    if (!file) throw new Error('esbuild produced no output');
    return { source: file.text, capabilities, wasiImports: [...found].sort() };
  } catch (cause) {
    if (cause instanceof PluginError) throw cause;
    const errors = (cause as { errors?: Message[] }).errors;
    const detail = errors?.length ? formatMessages(errors) : (cause as Error).message;
    throw new PluginError('build-failed', `bundling ${project.entry} failed:\n  ${detail}`, { cause });
  }
}
