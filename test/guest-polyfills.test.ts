/**
 * The TypeScript SDK's UTF-8 polyfill (QuickJS has no TextEncoder/TextDecoder), against Node's own
 * as the oracle: random strings mixing ASCII, 2-, 3- and 4-byte characters and lone surrogates
 * (which both encode as U+FFFD), and random bytes (never a throw, U+FFFD for what is malformed).
 * The polyfill runs here under Node; in a plugin the same code runs in QuickJS.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';

type Coder = { encode(s: string): Uint8Array } & { decode(b: Uint8Array): string };

/** The polyfill's classes (the module installs them once, when the globals are missing). */
async function loadPolyfills(): Promise<{ enc: Coder; dec: Coder }> {
  const g = globalThis as Record<string, unknown>;
  const saved = { TextEncoder: g.TextEncoder, TextDecoder: g.TextDecoder };
  delete g.TextEncoder;
  delete g.TextDecoder;
  try {
    await import('../guest-sdk/ts/src/polyfills.js');
    const Enc = g.TextEncoder as new () => Coder;
    const Dec = g.TextDecoder as new () => Coder;
    assert.is.not(Enc, saved.TextEncoder);
    return { enc: new Enc(), dec: new Dec() };
  } finally {
    Object.assign(g, saved);
  }
}

let loaded: Promise<{ enc: Coder; dec: Coder }> | undefined;
const polyfills = (): Promise<{ enc: Coder; dec: Coder }> => (loaded ??= loadPolyfills());

function randomString(n: number): string {
  let s = '';
  for (let j = 0; j < n; j++) {
    const r = Math.random();
    if (r < 0.5) s += String.fromCharCode(32 + Math.floor(Math.random() * 95));
    else if (r < 0.7) s += String.fromCodePoint(0x80 + Math.floor(Math.random() * 0x780));
    else if (r < 0.85) s += String.fromCodePoint(0x800 + Math.floor(Math.random() * 0x7000)); // below the surrogates
    else if (r < 0.95) s += String.fromCodePoint(0x10000 + Math.floor(Math.random() * 0xfffff));
    else s += String.fromCharCode(0xd800 + Math.floor(Math.random() * 0x800)); // a lone surrogate
  }
  return s;
}

test('encode and decode agree with Node on random text, large values included', async () => {
  const { enc, dec } = await polyfills();
  const node = { enc: new TextEncoder(), dec: new TextDecoder() };
  for (let i = 0; i < 400; i++) {
    const s = randomString(i % 50 === 0 ? 40_000 : Math.floor(Math.random() * 300));
    const bytes = node.enc.encode(s);
    assert.equal(Buffer.from(enc.encode(s)), Buffer.from(bytes), `encode #${i}`);
    assert.is(dec.decode(bytes), node.dec.decode(bytes), `decode #${i}`);
  }
});

test('decode never throws on malformed bytes and replaces them', async () => {
  const { dec } = await polyfills();
  for (let i = 0; i < 2000; i++) {
    const bytes = new Uint8Array(Math.floor(Math.random() * 40)).map(() => Math.floor(Math.random() * 256));
    const text = dec.decode(bytes);
    assert.type(text, 'string');
  }
  assert.is(dec.decode(new Uint8Array([0xf7, 0xbf, 0xbf, 0xbf])), '\ufffd');
  assert.is(dec.decode(new Uint8Array([0x68, 0x69])), 'hi');
});

test.run();
