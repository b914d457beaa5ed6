/**
 * Fleet rollouts in waves, free of I/O: parsing `--waves` and `--max-failures`, cutting the target list
 * into waves, and the stop rule.
 */

/** One `--waves` entry: how far the rollout has got once this wave is done (cumulative). */
export type WaveBound = { kind: 'percent'; value: number } | { kind: 'count'; value: number };

/** `--max-failures`: failures one wave may have; more stop the rollout. */
export type FailureLimit = { kind: 'percent'; value: number } | { kind: 'count'; value: number };

/** Why a `--waves` or `--max-failures` text was refused. */
export class RolloutSpecError extends Error {
  override readonly name = 'RolloutSpecError';
}

const PERCENT = /^(\d+(?:\.\d+)?)%$/;
const COUNT = /^\d+$/;

/**
 * Parses `--waves`, e.g. `1%,10%,100%` or `5,50,100%`: each entry is how many devices have been asked
 * once that wave is done, as a share of the target or a count; the entries must grow.
 */
export function parseWaves(text: string): WaveBound[] {
  const entries = text.split(',').map((entry) => entry.trim());
  if (entries.length === 0 || entries.some((entry) => entry === '')) {
    throw new RolloutSpecError('--waves needs a comma-separated list such as 1%,10%,100% or 5,50,100%');
  }
  const bounds = entries.map((entry): WaveBound => {
    const percent = PERCENT.exec(entry);
    if (percent) {
      const value = Number(percent[1]);
      if (!(value > 0 && value <= 100)) throw new RolloutSpecError(`--waves: ${entry} is not in (0%, 100%]`);
      return { kind: 'percent', value };
    }
    if (COUNT.test(entry) && Number(entry) > 0 && Number.isSafeInteger(Number(entry))) {
      return { kind: 'count', value: Number(entry) };
    }
    throw new RolloutSpecError(`--waves: "${entry}" is neither a count (5) nor a percentage (10%)`);
  });
  for (let i = 1; i < bounds.length; i += 1) {
    const [a, b] = [bounds[i - 1], bounds[i]] as [WaveBound, WaveBound];
    if (a.kind === b.kind && b.value <= a.value) {
      throw new RolloutSpecError('--waves: each wave must reach further than the one before');
    }
  }
  return bounds;
}

/** Parses `--max-failures`: a count (`2`) or a share of each wave (`10%`). */
export function parseFailureLimit(text: string): FailureLimit {
  const entry = text.trim();
  const percent = PERCENT.exec(entry);
  if (percent) {
    const value = Number(percent[1]);
    if (value > 100) throw new RolloutSpecError('--max-failures: a percentage is at most 100%');
    return { kind: 'percent', value };
  }
  if (COUNT.test(entry) && Number.isSafeInteger(Number(entry)))
    return { kind: 'count', value: Number(entry) };
  throw new RolloutSpecError(`--max-failures must be a count (2) or a percentage (10%), got "${entry}"`);
}

/**
 * Cuts `deviceIds` (in their order) into waves. A percentage rounds up, so every wave of a small fleet
 * still takes at least one device; bounds that add nobody are dropped, and when the last bound stops
 * short of the whole target a final wave takes the rest. Without bounds: one wave of everything.
 */
export function planWaves(deviceIds: readonly string[], bounds: readonly WaveBound[] = []): string[][] {
  const total = deviceIds.length;
  const waves: string[][] = [];
  let done = 0;
  for (const bound of bounds) {
    const reach =
      bound.kind === 'count' ? Math.min(total, bound.value) : Math.ceil((total * bound.value) / 100 - 1e-9);
    if (reach <= done) continue;
    waves.push(deviceIds.slice(done, reach));
    done = reach;
  }
  if (done < total) waves.push(deviceIds.slice(done));
  return waves;
}

/** Whether `failures` in a wave of `size` devices exceed `limit` (the wave "fails too often"). */
export function exceedsLimit(failures: number, size: number, limit: FailureLimit | undefined): boolean {
  if (limit === undefined) return false;
  return limit.kind === 'count' ? failures > limit.value : failures * 100 > limit.value * size;
}

/** `--max-failures` as people write it. */
export function describeLimit(limit: FailureLimit): string {
  return limit.kind === 'count' ? String(limit.value) : `${limit.value}%`;
}
