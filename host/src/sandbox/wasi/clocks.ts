/**
 * `wasi:clocks/*` and `wasi:random/*` for one instance: the real monotonic and wall clocks
 * (monotonic sleeps are pollables with a deadline, see io.ts) and cryptographic randomness from
 * `crypto.randomFillSync` (the "insecure" interfaces get the same).
 */
import { randomFillSync } from 'node:crypto';
import type { ClocksWallClock, WasiImports } from './contract.js';
import type { Io } from './io.js';

/** Largest random buffer handed out in one call (a guest asking for more gets this much). */
const MAX_RANDOM = 1 << 20;

const randomBytes = (len: bigint): Uint8Array => randomFillSync(new Uint8Array(Math.min(Number(len), MAX_RANDOM)));
const randomU64 = (): bigint => randomFillSync(new BigUint64Array(1))[0]!;

/** Builds the clock and random import entries. */
type ClocksAndRandomImports = Pick<
  WasiImports,
  'wasi:clocks/monotonic-clock' | 'wasi:clocks/wall-clock' | 'wasi:random/random' | 'wasi:random/insecure' | 'wasi:random/insecure-seed'
>;

export function createClocksAndRandom(io: Io): ClocksAndRandomImports {
  const seed: [bigint, bigint] = [randomU64(), randomU64()];
  return {
    'wasi:clocks/monotonic-clock': {
      now: (): bigint => process.hrtime.bigint(),
      resolution: (): bigint => 1n,
      subscribeDuration: (ns: bigint) => new io.Pollable(process.hrtime.bigint() + ns),
      subscribeInstant: (at: bigint) => new io.Pollable(at),
    },
    'wasi:clocks/wall-clock': {
      // The system's wall clock (Date.now), not timeOrigin + performance.now(): the monotonic
      // clock stops while the machine is suspended, so that sum falls behind the real time in a
      // long-lived process (seen: seconds behind after a VM pause). Its resolution is 1 ms.
      now(): ClocksWallClock.Datetime {
        const ms = Date.now();
        const seconds = Math.floor(ms / 1000);
        return { seconds: BigInt(seconds), nanoseconds: (ms - seconds * 1000) * 1_000_000 };
      },
      resolution: (): ClocksWallClock.Datetime => ({ seconds: 0n, nanoseconds: 1_000_000 }),
    },
    'wasi:random/random': { getRandomBytes: randomBytes, getRandomU64: randomU64 },
    'wasi:random/insecure': { getInsecureRandomBytes: randomBytes, getInsecureRandomU64: randomU64 },
    'wasi:random/insecure-seed': { insecureSeed: (): [bigint, bigint] => [seed[0], seed[1]] },
  };
}
