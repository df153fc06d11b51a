/**
 * The WIT of a built component. wasm-tools (inside jco) prints the component's own world: what
 * it imports and exports, by versioned interface name. The packages those names point at come
 * from, in order: the WIT the component carries in its `pocket-wit:plugin` section (stamped by
 * `pocket-wit build`), the released `pocket:plugin` versions in `wit/`, the `wasi:` packages
 * jco ships, and `wasi:keyvalue` from `wit/deps`. The result is one {@link WitResolve} whose main package is `root:component`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { PluginError } from '../../host/src/errors.js';
import { readPluginSection } from '../../host/src/plugin-section.js';
import { SUPPORTED_WORLD_VERSIONS, WIT_PACKAGE, keyvalueWitBody, witSource } from '../../host/src/wit-world.js';
import { KEYVALUE_VERSION } from '../../host/src/sandbox/wasi/interfaces.js';
import { parseWitSource } from './load.js';
import type { WitResolve } from './model.js';

/** Where the types of each package came from, for reports. */
/** Where a package's WIT came from: carried by the component, a released `pocket:plugin`, jco's WASI, or pocket-wit's `wit/deps` (wasi:keyvalue). */
export type WitOrigin = 'embedded' | 'released' | 'jco-wasi' | 'pocket-wit-deps';

export interface ComponentWit {
  /**
   * Main package `root:component`, world `root`, plus every package it references; undefined
   * when the WIT of some package it uses is unknown (see `missing`).
   */
  resolve?: WitResolve;
  /** Packages the component uses whose WIT is unknown here (`ns:pkg@version`). */
  missing: string[];
  /** The text wasm-tools printed for the component's world. */
  rootText: string;
  /** `ns:pkg@version` → where its WIT came from. */
  origins: Map<string, WitOrigin>;
  /** `ns:pkg@version` → its WIT text (one package, as found). */
  texts: Map<string, string>;
  /** The `pocket:plugin` version the component exports `node` of, if any. */
  pluginVersion?: string;
  /** For a command plugin (world `pocket:plugin/command`, e.g. Go): the version its section names. */
  commandVersion?: string;
}

/** `package x:y@v;` + body → `package x:y@v { body }` (nested form, to put several in one text). */
export function nested(text: string): { id: string; block: string } {
  const m = /^\s*package\s+([a-z0-9-]+:[a-z0-9-]+(?:@[^\s;]+)?)\s*;/m.exec(text);
  if (!m) throw new PluginError('invalid-wit', 'a WIT text without a package line cannot be nested');
  const body = text.slice(0, m.index) + text.slice(m.index + m[0].length);
  return { id: m[1]!, block: `package ${m[1]} {\n${body}\n}\n` };
}

/** The folder of jco's bundled WASI WIT for one version (e.g. `0.2.3` → `.../builtin/0.2.3`), if any. */
function jcoWasiDir(version: string): string | undefined {
  try {
    // jco's package exports do not include package.json: resolve its entry (dist/api.js).
    const entry = createRequire(import.meta.url).resolve('@bytecodealliance/jco');
    const dir = join(dirname(dirname(entry)), 'lib', 'wit', 'builtin', version);
    return existsSync(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** The WIT text of a `wasi:` package at a version jco ships, or undefined. */
function jcoWasiPackage(name: string, version: string): string | undefined {
  const dir = jcoWasiDir(version);
  const file = dir && join(dir, `wasi-${name}`, 'package.wit');
  return file && existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

/** The `wasi:keyvalue` package the sandbox implements (wit/deps/wasi-keyvalue), as one text. */
function keyvalueWit(): string {
  return `package wasi:keyvalue@${KEYVALUE_VERSION};\n${keyvalueWitBody()}`;
}

/** Packages named in `text` as `ns:pkg/iface@version` (versioned references only). */
function referencedPackages(text: string): Map<string, { ns: string; name: string; version: string }> {
  const out = new Map<string, { ns: string; name: string; version: string }>();
  for (const m of text.matchAll(/\b([a-z][a-z0-9-]*):([a-z][a-z0-9-]*)\/[a-z][a-z0-9-]*@([0-9]+\.[0-9]+\.[0-9]+(?:[-+][0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)/g)) {
    out.set(`${m[1]}:${m[2]}@${m[3]}`, { ns: m[1]!, name: m[2]!, version: m[3]! });
  }
  return out;
}

/** Extract the WIT of a component (a `.wasm` file's bytes). */
export async function componentWitOf(bytes: Uint8Array, source = 'component'): Promise<ComponentWit> {
  const { componentWit } = await import('@bytecodealliance/jco');
  let rootText: string;
  try {
    rootText = await componentWit(bytes);
  } catch (cause) {
    throw new PluginError('invalid-plugin', `${source} is not a valid WebAssembly component: ${String((cause as Error).message ?? cause).split('\n')[0]}`, { cause });
  }
  const section = readPluginSection(bytes, source);
  const origins = new Map<string, WitOrigin>();
  const texts = new Map<string, string>();
  const blocks: string[] = [];
  const added = new Set<string>();
  const missing: string[] = [];

  // Packages to provide: every versioned reference, transitively through what we add.
  const queue = [...referencedPackages(rootText).entries()];
  while (queue.length > 0) {
    const [key, ref] = queue.shift()!;
    if (added.has(key)) continue;
    let text: string | undefined;
    let origin: WitOrigin | undefined;
    if (`${ref.ns}:${ref.name}` === WIT_PACKAGE) {
      if (section?.wit && section.world === `${WIT_PACKAGE}@${ref.version}`) [text, origin] = [section.wit, 'embedded'];
      else if (SUPPORTED_WORLD_VERSIONS.includes(ref.version)) [text, origin] = [witSource(ref.version), 'released'];
    } else if (ref.ns === 'wasi' && ref.name === 'keyvalue') {
      if (ref.version === KEYVALUE_VERSION) [text, origin] = [keyvalueWit(), 'pocket-wit-deps'];
    } else if (ref.ns === 'wasi') {
      const found = jcoWasiPackage(ref.name, ref.version);
      if (found) [text, origin] = [found, 'jco-wasi'];
    }
    added.add(key);
    if (!text || !origin) {
      missing.push(key);
      continue;
    }
    origins.set(key, origin);
    texts.set(key, text);
    blocks.push(nested(text).block);
    for (const next of referencedPackages(text)) queue.push(next);
  }

  const nodeExport = /export\s+pocket:plugin\/node@([^\s;]+);/.exec(rootText);
  const commandWorld = section ? /^pocket:plugin\/command@(.+)$/.exec(section.world) : null;
  const base = {
    rootText,
    origins,
    texts,
    missing,
    ...(nodeExport ? { pluginVersion: nodeExport[1]! } : {}),
    ...(commandWorld ? { commandVersion: commandWorld[1]! } : {}),
  };
  if (missing.length > 0) return base;
  return { ...base, resolve: parseWitSource(`${rootText}\n${blocks.join('\n')}`, `${source} (component WIT)`) };
}

