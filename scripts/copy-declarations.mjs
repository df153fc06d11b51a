// Copies the generated WIT types (`host/src/generated/**/*.d.ts`, `guest-sdk/ts/src/generated/**/*.d.ts`,
// written by `npm run gen:types`) into dist/ beside the compiled modules. tsc never emits a .d.ts
// input, yet the emitted declarations import them (`./generated/wit/v0.2.1/interfaces/…`): without
// the copies an app type-checking `pocket-wit/host` with `skipLibCheck: false` fails to resolve them.
import { cpSync, existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let copied = 0;
for (const dir of ['host/src/generated', 'guest-sdk/ts/src/generated']) {
  const from = join(root, dir);
  if (!existsSync(from)) throw new Error(`${dir} is missing: run \`npm run gen:types\``);
  cpSync(from, join(root, 'dist', dir), { recursive: true, filter: (src) => !src.endsWith('.js') });
  copied += readdirSync(from, { recursive: true }).filter((f) => String(f).endsWith('.d.ts')).length;
}
if (copied === 0) throw new Error('no generated declarations to copy: run `npm run gen:types`');
