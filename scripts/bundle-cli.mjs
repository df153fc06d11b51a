// Bundles the compiled CLI (dist/tools/cli.js) into one file, dist/pocket-wit.mjs: loading one
// module instead of hundreds (typebox alone is hundreds of small files) more than halves the
// CLI's start-up. Toolchains stay external (they are loaded on demand); the worker entry points
// stay the compiled files under dist/host/src. npm's libraries (publish, install npm:, search) too:
// only the registry commands load them.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/tools/cli.js'],
  outfile: 'dist/pocket-wit.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['esbuild', 'componentize-qjs', '@bytecodealliance/*', 'bullmq', 'ioredis', 'typescript', 'pacote', 'libnpmpublish', 'libnpmsearch', 'npm-registry-fetch', 'better-sqlite3'],
  banner: { js: "import { createRequire as __pwCreateRequire } from 'node:module'; const require = __pwCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
