/**
 * Traffic weights. Reads are raw ELBv2 weights (0–999 each); serinus writes percentages that add
 * up to 100, so the weights it writes are raw weights as well.
 */
import { ValidationFailedError } from '../errors';
import type { Weights } from './types';

/**
 * The weights that put `percent` of the traffic on the canary.
 * @throws ValidationFailedError when `percent` is not an integer from 0 to 100.
 */
export function canaryWeights(percent: number): Weights {
  const weights: Weights = { stable: 100 - percent, canary: percent };
  assertPlanWeights(weights);
  return weights;
}

/** Raw comparison: 999/1 is not 100/0. */
export function sameWeights(a: Weights, b: Weights): boolean {
  return a.stable === b.stable && a.canary === b.canary;
}

/** `stable 90 / canary 10`; raw weights that do not add up to 100 also show the canary's share. */
export function formatWeights(w: Weights): string {
  const raw = `stable ${w.stable} / canary ${w.canary}`;
  const total = w.stable + w.canary;
  if (total === 100) return raw;
  if (total <= 0) return `${raw} (no traffic routed)`;
  return `${raw} (${roundShare((w.canary * 100) / total)}% on the canary)`;
}

function roundShare(percent: number): string {
  return String(Math.round(percent * 100) / 100);
}

/**
 * Guards invariant 5 at the edge where weights are written: only whole percentages that add up
 * to 100 (so never both zero) can reach a listener.
 * @throws ValidationFailedError listing every way the weights break that rule.
 */
export function assertPlanWeights(w: Weights): void {
  const problems: string[] = [];
  for (const side of ['stable', 'canary'] as const) {
    const value = w[side];
    if (!Number.isInteger(value) || value < 0 || value > 100) {
      problems.push(`the ${side} weight must be an integer from 0 to 100, got ${String(value)}`);
    }
  }
  if (problems.length === 0 && w.stable + w.canary !== 100) {
    problems.push(`weights must add up to 100, got stable ${w.stable} / canary ${w.canary} (${w.stable + w.canary})`);
  }
  if (problems.length > 0) {
    throw new ValidationFailedError(problems);
  }
}
