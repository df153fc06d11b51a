/**
 * The memory cap: rewrites the maximum of every memory a core wasm module defines, before the
 * module is compiled, so the engine itself refuses to grow it past the plugin's limit
 * (`memory.grow` returns -1, the guest's allocator fails). Worker `resourceLimits` do not cover
 * wasm memory; this does.
 */
import { encodeU32 as leb, readLeb } from '../component-sections.js';

export const WASM_PAGE = 65536;

export interface CappedModule {
  /** The module with every defined memory's maximum set to at most the cap. */
  bytes: Uint8Array<ArrayBuffer>;
  /** The largest initial size (bytes) among the memories it defines; 0 when it defines none. */
  initialBytes: number;
}

/** Cap the memories a core module defines at `capBytes` (rounded down to whole 64 KiB pages). */
export function capModuleMemory(module: Uint8Array, capBytes: number): CappedModule {
  const capPages = Math.max(0, Math.floor(capBytes / WASM_PAGE));
  if (module.length < 8 || module[0] !== 0 || module[1] !== 0x61 || module[2] !== 0x73 || module[3] !== 0x6d) {
    throw new Error('not a core wasm module');
  }
  const parts: Uint8Array[] = [module.subarray(0, 8)];
  let initialBytes = 0;
  let pos = 8;
  while (pos < module.length) {
    const start = pos;
    const id = module[pos++]!;
    const [size, bodyAt] = readLeb(module, pos);
    pos = bodyAt;
    const body = module.subarray(pos, pos + size);
    pos += size;
    if (id !== 5) {
      parts.push(module.subarray(start, pos));
      continue;
    }
    // The memory section: vec(memtype); memtype = flags, min, [max].
    const [count, first] = readLeb(body, 0);
    let p = first;
    const out: number[] = [...leb(count)];
    for (let i = 0; i < count; i++) {
      const flags = body[p++]!;
      if (flags & 0x04) throw new Error('64-bit memories are not supported');
      const [min, afterMin] = readLeb(body, p);
      p = afterMin;
      let max: number | undefined;
      if (flags & 0x01) {
        [max, p] = readLeb(body, p);
      }
      initialBytes = Math.max(initialBytes, min * WASM_PAGE);
      const newMax = Math.max(min, max === undefined ? capPages : Math.min(max, capPages));
      out.push(flags | 0x01, ...leb(min), ...leb(newMax));
    }
    const section = new Uint8Array([5, ...leb(out.length), ...out]);
    parts.push(section);
  }
  const total = parts.reduce((n, b) => n + b.length, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const b of parts) {
    bytes.set(b, at);
    at += b.length;
  }
  return { bytes, initialBytes };
}
