/**
 * "Did you mean" for typos: the closest of some known words to a word a user wrote (a manifest or
 * workflow key, a node type, an action), by edit distance (`fastest-levenshtein`), or nothing when
 * no known word is close enough to be a likely typo.
 */
import { distance } from 'fastest-levenshtein';

/**
 * The known word closest to `word`, when it is a likely typo of it: at most a third of the
 * word's length in edits (at least 1, at most 3), or the same word in another case, or one is
 * the other with a prefix/suffix of at most 3 letters. Ties go to the earlier candidate.
 */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  const limit = Math.min(3, Math.max(1, Math.ceil(word.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    const c = candidate.toLowerCase();
    let d = c === lower ? 0 : distance(lower, c);
    if (d > limit && (c.includes(lower) || lower.includes(c)) && Math.abs(c.length - lower.length) <= 3 && Math.min(c.length, lower.length) >= 3) d = limit;
    if (d <= limit && d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** ` (did you mean "x"?)` for a likely typo, else an empty string: for the end of an error message. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const match = closestMatch(word, candidates);
  return match === undefined ? '' : ` (did you mean "${match}"?)`;
}
