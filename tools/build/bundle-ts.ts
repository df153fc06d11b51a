/**
 * Bundles a TypeScript/JavaScript plugin into one ES module for a JS engine: the user's
 * `src/index.ts`, the guest SDK and typebox, with only the world's imports left external.
 * The project needs no `npm install`: `pocket-wit/guest` and `typebox` resolve to the
 * toolchain's own copies.
 */
import { build, type Message, type Plugin as EsbuildPlugin } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PluginError, WIT_PACKAGE, WORLD_VERSION, toolchainRootPath } from './toolchain.js';
import type { PluginProject } from './project.js';

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

/** The generated entry module: wires the plugin's default export to the world's exports. */
export function entrySource(project: PluginProject, engine: JsEngine, witVersion: string = WORLD_VERSION): string {
  const hostModule = `${WIT_PACKAGE}/host@${witVersion}`;
  // QuickJS exposes an imported interface as the module's default export; StarlingMonkey as named exports.
  const importHost = engine === 'quickjs' ? `import host from ${JSON.stringify(hostModule)};` : `import * as host from ${JSON.stringify(hostModule)};`;
  return [
    `import 'pocket-wit/guest/polyfills';`,
    importHost,
    `import plugin from ${JSON.stringify(project.entry)};`,
    `import { createNodeExports } from 'pocket-wit/guest/runtime';`,
    `export const node = createNodeExports(plugin, host, ${JSON.stringify(manifestInfo(project))});`,
    '',
  ].join('\n');
}

/** Bundle the project for `engine`; returns the module source. */
export async function bundlePlugin(project: PluginProject, engine: JsEngine, witVersion: string = WORLD_VERSION): Promise<string> {
  const root = toolchainRootPath();
  const sdk = join(root, 'guest-sdk', 'ts', 'src');
  try {
    const result = await build({
      stdin: { contents: entrySource(project, engine, witVersion), resolveDir: project.dir, sourcefile: 'pocket-wit-entry.js', loader: 'js' },
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'neutral',
      target: 'es2020',
      mainFields: ['module', 'main'],
      conditions: ['import', 'default'],
      external: [`${WIT_PACKAGE}/*`],
      alias: {
        'pocket-wit/guest/runtime': join(sdk, 'runtime.ts'),
        'pocket-wit/guest/polyfills': join(sdk, 'polyfills.ts'),
        'pocket-wit/guest': join(sdk, 'index.ts'),
      },
      nodePaths: [join(root, 'node_modules')],
      plugins: engine === 'starlingmonkey' ? [unicodePropertyRegexFallback] : [],
      logLevel: 'silent',
      legalComments: 'none',
      minify: true,
      keepNames: true,
    });
    const file = result.outputFiles[0];
    if (!file) throw new Error('esbuild produced no output');
    return file.text;
  } catch (cause) {
    const errors = (cause as { errors?: Message[] }).errors;
    const detail = errors?.length ? formatMessages(errors) : (cause as Error).message;
    throw new PluginError('build-failed', `bundling ${project.entry} failed:\n  ${detail}`, { cause });
  }
}
