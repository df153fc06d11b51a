/**
 * A bounded spin on a shared word: how a sandbox thread waits a few microseconds for the other
 * side before it sleeps (`Atomics.wait`), since waking a sleeping thread costs far more than a
 * short spin when the answer is quick (tens of µs to a millisecond, depending on the machine).
 *
 * The clock is read once every `POLLS_PER_CLOCK` polls: reading it allocates (`performance.now`
 * goes through `process.hrtime`'s array), and a spin that reads it on every poll fills the young
 * generation — a 100 µs spin made about 15 KB of garbage, which brought on the very scavenges
 * (0.5 ms on a plugin worker, several ms on the host thread) that showed as the calls' tail.
 */
const POLLS_PER_CLOCK = 128;

/** Poll `words[index]` for up to `micros` µs while it is `value`; returns what it is then. */
export function spinWhile(words: Int32Array, index: number, value: number, micros: number): number {
  if (micros <= 0) return Atomics.load(words, index);
  const until = performance.now() + micros / 1000;
  for (;;) {
    for (let i = 0; i < POLLS_PER_CLOCK; i++) {
      const now = Atomics.load(words, index);
      if (now !== value) return now;
    }
    if (performance.now() >= until) return value;
  }
}
