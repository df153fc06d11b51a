/**
 * Reading and writing the top-level custom sections of a WebAssembly component, and telling
 * components apart from core modules and other files. Pure byte work: nothing is run.
 */

const MAGIC = [0x00, 0x61, 0x73, 0x6d];

/** What the first eight bytes say a file is. */
export type BinaryKind = 'component' | 'core-module' | 'not-wasm';

export function binaryKind(bytes: Uint8Array): BinaryKind {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) return 'not-wasm';
  // Core modules have version 1 and layer 0; components have layer 1.
  const layer = bytes[6]! | (bytes[7]! << 8);
  return layer === 1 ? 'component' : 'core-module';
}

function readU32(bytes: Uint8Array, offset: number): { value: number; next: number } {
  let result = 0;
  let shift = 0;
  let pos = offset;
  for (;;) {
    if (pos >= bytes.length) throw new RangeError('truncated LEB128 number');
    const byte = bytes[pos++]!;
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) break;
    shift += 7;
    if (shift > 28) throw new RangeError('LEB128 number too large');
  }
  return { value: result >>> 0, next: pos };
}

/** An unsigned LEB128 number at `at`: `[value, offset after it]` (for section walkers elsewhere). */
export function readLeb(bytes: Uint8Array, at: number): [number, number] {
  const { value, next } = readU32(bytes, at);
  return [value, next];
}

/** A length-prefixed UTF-8 name at `at`: `[name, offset after it]`. */
export function readWasmName(bytes: Uint8Array, at: number): [string, number] {
  const [len, start] = readLeb(bytes, at);
  return [new TextDecoder().decode(bytes.subarray(start, start + len)), start + len];
}

/** A number as unsigned LEB128 bytes. */
export function encodeU32(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Every top-level custom section of a wasm binary, by name (the last one wins). */
export function readCustomSections(bytes: Uint8Array): Map<string, Uint8Array> {
  const sections = new Map<string, Uint8Array>();
  let pos = 8;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  while (pos < bytes.length) {
    const id = bytes[pos++]!;
    const size = readU32(bytes, pos);
    const start = size.next;
    const end = start + size.value;
    if (end > bytes.length) throw new RangeError(`section ${id} runs past the end of the file`);
    if (id === 0) {
      const nameLen = readU32(bytes, start);
      const name = decoder.decode(bytes.subarray(nameLen.next, nameLen.next + nameLen.value));
      sections.set(name, bytes.subarray(nameLen.next + nameLen.value, end));
    }
    pos = end;
  }
  return sections;
}

/** A copy of `bytes` with one custom section appended at the top level. */
export function appendCustomSection(bytes: Uint8Array, name: string, payload: Uint8Array): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const body = [...encodeU32(nameBytes.length), ...nameBytes];
  const size = encodeU32(body.length + payload.length);
  const out = new Uint8Array(bytes.length + 1 + size.length + body.length + payload.length);
  out.set(bytes, 0);
  let pos = bytes.length;
  out[pos++] = 0;
  out.set(size, pos);
  pos += size.length;
  out.set(body, pos);
  pos += body.length;
  out.set(payload, pos);
  return out;
}

/**
 * A copy of `bytes` without any top-level custom section named `name` (every other section kept
 * as it is, in order); `bytes` itself when it has none. Nested sections (inside core modules or
 * inner components) are left alone.
 */
export function removeCustomSection(bytes: Uint8Array, name: string): Uint8Array {
  const keep: Uint8Array[] = [bytes.subarray(0, 8)];
  let removed = false;
  let pos = 8;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  while (pos < bytes.length) {
    const begin = pos;
    const id = bytes[pos++]!;
    const size = readU32(bytes, pos);
    const end = size.next + size.value;
    if (end > bytes.length) throw new RangeError(`section ${id} runs past the end of the file`);
    let drop = false;
    if (id === 0) {
      const nameLen = readU32(bytes, size.next);
      drop = decoder.decode(bytes.subarray(nameLen.next, nameLen.next + nameLen.value)) === name;
    }
    if (drop) removed = true;
    else keep.push(bytes.subarray(begin, end));
    pos = end;
  }
  if (!removed) return bytes;
  const out = new Uint8Array(keep.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of keep) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
