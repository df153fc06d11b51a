/**
 * Globals the JS engines lack but bundled libraries expect. QuickJS has no TextEncoder or
 * TextDecoder (typebox's hashing uses TextEncoder); UTF-8 is all a plugin needs. Imported
 * first by the generated entry module, so it runs before any library code.
 */
/**
 * UTF-8 through the engine's own URI functions where it can (native code: `encodeURIComponent`
 * and `decodeURIComponent` do the UTF-8 work, `String.fromCharCode.apply` and `escape` move bytes
 * to and from a byte string), about 10x faster than a code-point loop in QuickJS's interpreter
 * on large values (storage, files, HTTP bodies). Input they refuse (a lone surrogate, bytes
 * that are not UTF-8) takes the code-point loop, which replaces what is malformed with U+FFFD.
 */
declare function escape(s: string): string;
declare function unescape(s: string): string;

/** Bytes per `String.fromCharCode.apply` (engines limit the number of arguments). */
const CHUNK = 8192;

function encodeSlow(input: string): Uint8Array {
  const out: number[] = [];
  for (const ch of input) {
    let cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd; // lone surrogate
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  }
  return new Uint8Array(out);
}

function decodeSlow(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i++]!;
    let cp = 0xfffd;
    if (b < 0x80) cp = b;
    else if (b >= 0xc0 && b < 0xe0 && i < bytes.length) cp = ((b & 31) << 6) | (bytes[i++]! & 63);
    else if (b >= 0xe0 && b < 0xf0 && i + 1 < bytes.length) cp = ((b & 15) << 12) | ((bytes[i++]! & 63) << 6) | (bytes[i++]! & 63);
    else if (b >= 0xf0 && i + 2 < bytes.length) cp = ((b & 7) << 18) | ((bytes[i++]! & 63) << 12) | ((bytes[i++]! & 63) << 6) | (bytes[i++]! & 63);
    out += String.fromCodePoint(cp > 0x10ffff ? 0xfffd : cp); // a malformed 4-byte sequence
  }
  return out;
}

class Utf8Encoder {
  readonly encoding = 'utf-8';
  encode(input = ''): Uint8Array {
    let binary: string;
    try {
      binary = unescape(encodeURIComponent(input));
    } catch {
      return encodeSlow(input);
    }
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  }
}

class Utf8Decoder {
  readonly encoding = 'utf-8';
  decode(input?: ArrayBuffer | ArrayBufferView): string {
    if (!input) return '';
    const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    let binary = '';
    for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK) as unknown as number[]);
    try {
      return decodeURIComponent(escape(binary));
    } catch {
      return decodeSlow(bytes);
    }
  }
}

const g = globalThis as Record<string, unknown>;
if (typeof g.TextEncoder === 'undefined') g.TextEncoder = Utf8Encoder;
if (typeof g.TextDecoder === 'undefined') g.TextDecoder = Utf8Decoder;
