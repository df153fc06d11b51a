/**
 * The memory cap: one limit for the whole instance of a plugin, however many linear memories its
 * core modules define. Before the modules are compiled, the cap is split across the memories they
 * define and each memory's maximum is rewritten to its share, so the engine itself refuses to grow
 * one past it (`memory.grow` returns -1, the guest's allocator fails). Worker `resourceLimits` do
 * not cover wasm memory; this does.
 *
 * The split (`planMemoryCap`): the memory with the largest initial size (the plugin's own; the
 * first one on a tie) is the main memory and gets the headroom; every other memory (an adapter's,
 * a stub's) gets its initial size plus {@link SIDE_MEMORY_ALLOWANCE_BYTES}, or its own declared
 * maximum when that is lower. The main memory's maximum is the cap minus the others' maxima, so
 * the maxima add up to at most the cap. A component whose memories cannot all start under the cap
 * that way (`fits: false`) is refused at load (`Engine.compile`, `memory-limit`).
 *
 * That holds for one instance of each core module. A component may instantiate a module more than
 * once; each instance has its own memories, so `instantiateGlue` adds up the maxima of every core
 * instance as it is created, and refuses the instance once the sum passes the cap.
 */
import { encodeU32 as leb, readLeb } from '../component-sections.js';

export const WASM_PAGE = 65536;
/** The most a wasm32 memory can address (65,536 pages): 4 GiB. */
export const WASM32_MAX_BYTES = 65536 * WASM_PAGE;
/** What a memory besides the main one may grow beyond its initial size: 4 pages, 256 KiB. */
export const SIDE_MEMORY_ALLOWANCE_BYTES = 4 * WASM_PAGE;
const SIDE_ALLOWANCE_PAGES = SIDE_MEMORY_ALLOWANCE_BYTES / WASM_PAGE;

/** A memory a core module defines (not one it imports), in pages. */
export interface DefinedMemory {
  min: number;
  /** The declared maximum; absent when the module declares none. */
  max?: number;
  shared: boolean;
}

/** What a core module says about memories: how many it imports, which it defines, which it exports. */
export interface ModuleMemories {
  imported: number;
  defined: DefinedMemory[];
  /** Export name → index among the defined memories (re-exported imported memories are left out). */
  exports: Record<string, number>;
}

/** One memory's share of the cap, in bytes. */
export interface MemoryShare {
  minBytes: number;
  maxBytes: number;
}

/** The cap's split for one core module: what each instance of it may hold. */
export interface ModuleMemoryPlan {
  /** The sum of the maxima of the memories it defines (bytes): what one instance of it counts. */
  maxBytes: number;
  /** Its defined memories, in order. */
  memories: MemoryShare[];
  /** The exported ones, by export name (the sandbox watches them). */
  exports: Record<string, MemoryShare>;
}

/** How a cap is split across a component's core modules. Plain data: it crosses to workers. */
export interface MemoryPlan {
  capBytes: number;
  /** What the component needs at start: the main memory's initial size plus every other memory's share. */
  neededBytes: number;
  /** Whether every memory gets at least its initial size. */
  fits: boolean;
  /** How many memories the modules define. */
  memoryCount: number;
  /** By core module file name. */
  modules: Record<string, ModuleMemoryPlan>;
}

function checkMagic(module: Uint8Array): void {
  if (module.length < 8 || module[0] !== 0 || module[1] !== 0x61 || module[2] !== 0x73 || module[3] !== 0x6d) {
    throw new Error('not a core wasm module');
  }
}

/** Walk a module's sections: `[id, body start, body end, section start]`. */
function* sections(module: Uint8Array): Generator<[number, number, number, number]> {
  let pos = 8;
  while (pos < module.length) {
    const start = pos;
    const id = module[pos++]!;
    const [size, bodyAt] = readLeb(module, pos);
    if (bodyAt + size > module.length) throw new Error('truncated section');
    yield [id, bodyAt, bodyAt + size, start];
    pos = bodyAt + size;
  }
}

/** Skip a signed LEB128 number (a heap type). */
function skipLeb(bytes: Uint8Array, at: number): number {
  while (bytes[at++]! & 0x80);
  return at;
}

/** Skip a value or reference type (with the typed-references forms `(ref null? ht)`). */
function skipValType(bytes: Uint8Array, at: number): number {
  const t = bytes[at++]!;
  return t === 0x63 || t === 0x64 ? skipLeb(bytes, at) : at;
}

/** Read limits: `[flags, min, max?, next]` (64-bit memories and tables are refused). */
function readLimits(bytes: Uint8Array, at: number, what: string): [number, number, number | undefined, number] {
  const flags = bytes[at++]!;
  if (flags & 0x04) throw new Error(`64-bit ${what}s are not supported`);
  let min: number;
  let max: number | undefined;
  [min, at] = readLeb(bytes, at);
  if (flags & 0x01) [max, at] = readLeb(bytes, at);
  return [flags, min, max, at];
}

/** What a core module imports, defines and exports of memories. */
export function readModuleMemories(module: Uint8Array): ModuleMemories {
  checkMagic(module);
  let imported = 0;
  const defined: DefinedMemory[] = [];
  const byIndex = new Map<string, number>();
  for (const [id, start, end] of sections(module)) {
    if (id === 2) {
      // Imports: module name, field name, kind, description. Only memories are counted, but every
      // entry is walked to find them.
      let [count, p] = readLeb(module, start);
      for (let i = 0; i < count; i++) {
        for (let n = 0; n < 2; n++) {
          const [len, at] = readLeb(module, p);
          p = at + len;
        }
        const kind = module[p++]!;
        if (kind === 0x00) [, p] = readLeb(module, p);
        else if (kind === 0x01) [, , , p] = readLimits(module, skipValType(module, p), 'table');
        else if (kind === 0x02) {
          [, , , p] = readLimits(module, p, 'memory');
          imported++;
        } else if (kind === 0x03) p = skipValType(module, p) + 1;
        else if (kind === 0x04) [, p] = readLeb(module, p + 1);
        else throw new Error(`unknown import kind ${kind}`);
      }
      if (p !== end) throw new Error('malformed import section');
    } else if (id === 5) {
      let [count, p] = readLeb(module, start);
      for (let i = 0; i < count; i++) {
        let flags: number, min: number, max: number | undefined;
        [flags, min, max, p] = readLimits(module, p, 'memory');
        defined.push({ min, ...(max !== undefined ? { max } : {}), shared: (flags & 0x02) !== 0 });
      }
    } else if (id === 7) {
      let [count, p] = readLeb(module, start);
      for (let i = 0; i < count; i++) {
        const [len, at] = readLeb(module, p);
        const name = new TextDecoder().decode(module.subarray(at, at + len));
        const kind = module[at + len]!;
        let index: number;
        [index, p] = readLeb(module, at + len + 1);
        if (kind === 0x02) byIndex.set(name, index);
      }
    }
  }
  const exports: Record<string, number> = {};
  for (const [name, index] of byIndex) if (index >= imported) exports[name] = index - imported;
  return { imported, defined, exports };
}

/**
 * Split `capBytes` across the memories `modules` define (in the order given; the first of equal
 * largest initial sizes is the main memory). Returns each module's shares; `fits` is false when
 * the main memory would get less than its initial size.
 */
export function planMemoryCap(modules: readonly { file: string; memories: ModuleMemories }[], capBytes: number): MemoryPlan {
  const capPages = Math.max(0, Math.floor(capBytes / WASM_PAGE));
  let main: DefinedMemory | undefined;
  let memoryCount = 0;
  for (const { memories } of modules) {
    for (const m of memories.defined) {
      memoryCount++;
      if (!main || m.min > main.min) main = m;
    }
  }
  const sideMax = (m: DefinedMemory): number => Math.min(m.max ?? Infinity, m.min + SIDE_ALLOWANCE_PAGES);
  let sidePages = 0;
  for (const { memories } of modules) for (const m of memories.defined) if (m !== main) sidePages += sideMax(m);
  const mainMax = main ? Math.min(main.max ?? Infinity, capPages - sidePages) : 0;
  const fits = !main || mainMax >= main.min;
  const plan: MemoryPlan = {
    capBytes,
    neededBytes: ((main?.min ?? 0) + sidePages) * WASM_PAGE,
    fits,
    memoryCount,
    modules: {},
  };
  for (const { file, memories } of modules) {
    const shares = memories.defined.map((m): MemoryShare => ({
      minBytes: m.min * WASM_PAGE,
      // A plan that does not fit is refused before anything is instantiated; its main memory keeps its initial size.
      maxBytes: (m === main ? Math.max(mainMax, m.min) : sideMax(m)) * WASM_PAGE,
    }));
    const exports: Record<string, MemoryShare> = {};
    for (const [name, index] of Object.entries(memories.exports)) if (shares[index]) exports[name] = shares[index];
    plan.modules[file] = { maxBytes: shares.reduce((n, s) => n + s.maxBytes, 0), memories: shares, exports };
  }
  return plan;
}

/** Rewrite the maximum of each memory `module` defines to `maxBytes[i]` (whole pages). */
export function rewriteMemoryMaxima(module: Uint8Array, maxBytes: readonly number[]): Uint8Array<ArrayBuffer> {
  checkMagic(module);
  const parts: Uint8Array[] = [module.subarray(0, 8)];
  let last = 8;
  for (const [id, start, end, sectionStart] of sections(module)) {
    if (id !== 5) continue;
    parts.push(module.subarray(last, sectionStart));
    const [count, first] = readLeb(module, start);
    let p = first;
    const out: number[] = [...leb(count)];
    for (let i = 0; i < count; i++) {
      let flags: number, min: number;
      [flags, min, , p] = readLimits(module, p, 'memory');
      const newMax = Math.max(min, Math.floor(maxBytes[i]! / WASM_PAGE));
      out.push(flags | 0x01, ...leb(min), ...leb(newMax));
    }
    if (p !== end) throw new Error('malformed memory section');
    parts.push(new Uint8Array([5, ...leb(out.length), ...out]));
    last = end;
  }
  parts.push(module.subarray(last));
  const total = parts.reduce((n, b) => n + b.length, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const b of parts) {
    bytes.set(b, at);
    at += b.length;
  }
  return bytes;
}

export interface CappedModule {
  /** The module with its memories' maxima rewritten to their shares of the cap. */
  bytes: Uint8Array<ArrayBuffer>;
  /** What it needs at start under the split (bytes); 0 when it defines no memory. */
  initialBytes: number;
  plan: MemoryPlan;
}

/** Cap one core module on its own: its memories split `capBytes` as a component's would. */
export function capModuleMemory(module: Uint8Array, capBytes: number): CappedModule {
  const plan = planMemoryCap([{ file: 'module', memories: readModuleMemories(module) }], capBytes);
  const bytes = rewriteMemoryMaxima(module, plan.modules.module!.memories.map((s) => s.maxBytes));
  return { bytes, initialBytes: plan.neededBytes, plan };
}
