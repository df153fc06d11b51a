/**
 * `pocket-wit check --old <wit> --new <wit>`: the structural diff (`diff.ts`), which explains per
 * change whom it breaks and why, with wit-component's verdict (`oracle.ts`) for every world old
 * and new share, both ways. The verdict and the exit code are never weaker than the oracle's:
 * where it finds more than the diff does, the diff gets a `structural-mismatch` change.
 */
import { PluginError } from '../../host/src/errors.js';
import { loadWitSide } from './check-plugin.js';
import { applyOracle, diffWit, type Breaks, type OracleWorld, type WitDiff } from './diff.js';
import type { WitResolve } from './model.js';
import { oracleSemverCheck, worldNames, type OracleVerdict, type OracleWit } from './oracle.js';

/** wasmparser's reason as lines: the decoder's preamble and the byte offsets dropped. */
export function reasonLines(message: string): string[] {
  return message
    .split('\n')
    .map((l) => l.replace(/\s*\(at offset 0x[0-9a-f]+\)\s*$/, '').trim())
    .filter((l) => l !== '' && l !== 'Failed to decode wit component');
}

/** One direction's verdict; the first line naming the world itself (the harness's import) is dropped. */
function side(v: OracleVerdict, world: string): { ok: boolean; reason?: string[] } {
  if (v.ok) return { ok: true };
  const lines = reasonLines(v.message);
  if (lines.length > 1 && lines[0] === `type mismatch for import \`${world}\``) lines.shift();
  return { ok: false, reason: lines };
}

/** wit-parser or validation rejected one side of a call (`first` was its old world, `second` its new). */
function rejected(v: OracleVerdict, first: OracleWit, second: OracleWit): PluginError | undefined {
  const m = v.ok ? null : /^the (old|new) world \S+ does not make a component/.exec(v.message);
  if (!m) return undefined;
  const label = m[1] === 'old' ? first.label : second.label;
  return new PluginError('invalid-wit', `${label}: wit-parser or component validation rejects this WIT: ${(v as { message: string }).message}`);
}

/** semver_check both ways for every world both texts declare. */
export async function oracleWorlds(oldWit: OracleWit, newWit: OracleWit): Promise<OracleWorld[]> {
  const newWorlds = new Set(worldNames(newWit.text));
  const out: OracleWorld[] = [];
  for (const world of worldNames(oldWit.text)) {
    if (!newWorlds.has(world)) continue; // a removed world: the diff's world-removed says it
    const fwd = await oracleSemverCheck(oldWit, newWit, world);
    const err = rejected(fwd, oldWit, newWit);
    if (err) throw err;
    const back = await oracleSemverCheck(newWit, oldWit, world);
    const err2 = rejected(back, newWit, oldWit);
    if (err2) throw err2;
    const breaks: Breaks = !fwd.ok ? 'plugins' : !back.ok ? 'hosts' : 'none';
    out.push({ world, oldToNew: side(fwd, world), newToOld: side(back, world), breaks });
  }
  return out;
}

/** The diff of two resolved sides and their texts, with the oracle's verdict applied. */
export async function checkWitChangeOf(
  oldSide: { resolve: WitResolve; oracle: OracleWit },
  newSide: { resolve: WitResolve; oracle: OracleWit },
): Promise<WitDiff> {
  const diff = diffWit(oldSide.resolve, newSide.resolve);
  return applyOracle(diff, oldSide.resolve, newSide.resolve, await oracleWorlds(oldSide.oracle, newSide.oracle));
}

/** `check --old <path> --new <path>`: each a `.wit` file, a WIT folder or a `.wasm` component. */
export async function checkWitChange(oldPath: string, newPath: string): Promise<WitDiff> {
  return checkWitChangeOf(await loadWitSide(oldPath), await loadWitSide(newPath));
}
