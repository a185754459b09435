/**
 * CodeDeploy-style strategy presets, expanded into explicit traffic steps.
 */
import { ValidationFailedError } from '../errors';
import type { StepSpec } from './types';

/** A plan holds at most this many steps, so the execution history stays small and a rollout readable. */
export const MAX_STEPS = 20;
export const MIN_PRESET_PERCENT = 1;
export const MAX_PRESET_PERCENT = 99;
export const MIN_PRESET_MINUTES = 1;
/** One day: a longer bake belongs in explicit steps, where it is visible. */
export const MAX_PRESET_MINUTES = 1440;

const ACCEPTED_FORMS =
  'CanaryXPercentYMinutes (e.g. Canary10Percent5Minutes), ' +
  'LinearXPercentEveryYMinutes (e.g. Linear10PercentEvery1Minute) or AllAtOnce, ' +
  `with X from ${MIN_PRESET_PERCENT} to ${MAX_PRESET_PERCENT} and Y from ${MIN_PRESET_MINUTES} to ${MAX_PRESET_MINUTES}`;

// The singular "Minute" is accepted for both families because CodeDeploy spells it that way
// for one minute (Linear10PercentEvery1Minute) and people carry the habit over.
const CANARY = /^Canary(\d+)Percent(\d+)Minutes?$/;
const LINEAR = /^Linear(\d+)PercentEvery(\d+)Minutes?$/;
const ALL_AT_ONCE = 'AllAtOnce';

/** The outcome of reading a preset name, for callers that collect problems instead of throwing. */
export type StrategyParse =
  | { readonly ok: true; readonly steps: StepSpec[] }
  /** `problem` completes a sentence that starts with the field name: `strategy <problem>`. */
  | { readonly ok: false; readonly problem: string };

/**
 * Expands a preset name into steps.
 * @throws ValidationFailedError naming the accepted forms when the name is not a valid preset.
 */
export function parseStrategy(name: string): StepSpec[] {
  const parsed = tryParseStrategy(name);
  if (!parsed.ok) {
    throw new ValidationFailedError(`strategy ${parsed.problem}`);
  }
  return parsed.steps;
}

export function tryParseStrategy(name: string): StrategyParse {
  if (name === ALL_AT_ONCE) {
    return { ok: true, steps: [{ weight: 100, bakeSeconds: 0 }] };
  }
  const canary = CANARY.exec(name);
  if (canary) {
    return withRange(name, canary, (percent, bakeSeconds) => [
      { weight: percent, bakeSeconds },
      { weight: 100, bakeSeconds: 0 },
    ]);
  }
  const linear = LINEAR.exec(name);
  if (linear) {
    const parsed = withRange(name, linear, (percent, bakeSeconds) => linearSteps(percent, bakeSeconds));
    if (parsed.ok && parsed.steps.length > MAX_STEPS) {
      const smallest = Math.ceil(100 / MAX_STEPS);
      return {
        ok: false,
        problem: `"${name}" expands to ${parsed.steps.length} steps, more than the ${MAX_STEPS} a rollout may have; use at least ${smallest} percent per step`,
      };
    }
    return parsed;
  }
  const suggestion = canonicalSpelling(name);
  const hint = suggestion ? ` — did you mean "${suggestion}"?` : `; accepted forms: ${ACCEPTED_FORMS}`;
  return { ok: false, problem: `"${name}" is not a known preset${hint}` };
}

/** A short human form of the steps, such as `10%·5m → 100%`. */
export function describeSteps(steps: readonly StepSpec[]): string {
  return steps
    .map((step) => (step.bakeSeconds > 0 ? `${step.weight}%·${formatDuration(step.bakeSeconds)}` : `${step.weight}%`))
    .join(' → ');
}

/** `90` → `1m30s`, `3600` → `1h`, `0` → `0s`. */
export function formatDuration(totalSeconds: number): string {
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const parts = [hours > 0 ? `${hours}h` : '', minutes > 0 ? `${minutes}m` : '', seconds > 0 ? `${seconds}s` : ''];
  return parts.join('') || '0s';
}

function withRange(
  name: string,
  match: RegExpExecArray,
  build: (percent: number, bakeSeconds: number) => StepSpec[],
): StrategyParse {
  const percent = Number(match[1]);
  const minutes = Number(match[2]);
  const problems: string[] = [];
  if (!Number.isSafeInteger(percent) || percent < MIN_PRESET_PERCENT || percent > MAX_PRESET_PERCENT) {
    problems.push(`its percent must be from ${MIN_PRESET_PERCENT} to ${MAX_PRESET_PERCENT} (got ${match[1]})`);
  }
  if (!Number.isSafeInteger(minutes) || minutes < MIN_PRESET_MINUTES || minutes > MAX_PRESET_MINUTES) {
    problems.push(`its minutes must be from ${MIN_PRESET_MINUTES} to ${MAX_PRESET_MINUTES} (got ${match[2]})`);
  }
  if (problems.length > 0) {
    return { ok: false, problem: `"${name}" is out of range: ${problems.join(' and ')}` };
  }
  return { ok: true, steps: build(percent, minutes * 60) };
}

function linearSteps(percent: number, bakeSeconds: number): StepSpec[] {
  const steps: StepSpec[] = [];
  for (let weight = percent; weight < 100; weight += percent) {
    steps.push({ weight, bakeSeconds });
  }
  // Full traffic on the canary is the last step; promotion follows at once, as in CodeDeploy.
  steps.push({ weight: 100, bakeSeconds: 0 });
  return steps;
}

/**
 * The preset a near-miss most likely meant: wrong case, or a CodeDeploy deployment-config name
 * (`CodeDeployDefault.ECSCanary10Percent5Minutes`).
 */
function canonicalSpelling(name: string): string | undefined {
  const bare = name.trim().replace(/^CodeDeployDefault\.(ECS|Lambda)?/i, '');
  if (bare.toLowerCase() === ALL_AT_ONCE.toLowerCase()) {
    return ALL_AT_ONCE;
  }
  const canary = new RegExp(CANARY.source, 'i').exec(bare);
  if (canary) {
    return `Canary${canary[1]}Percent${canary[2]}Minutes`;
  }
  const linear = new RegExp(LINEAR.source, 'i').exec(bare);
  if (linear) {
    return `Linear${linear[1]}PercentEvery${linear[2]}${linear[2] === '1' ? 'Minute' : 'Minutes'}`;
  }
  return undefined;
}
