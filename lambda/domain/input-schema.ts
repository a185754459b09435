/**
 * The execution input: a zod schema for its shape, and the defaults that turn it into a
 * `RolloutRequest`. Every problem is reported at once, as a sentence that names the field.
 */
import * as z from 'zod';
import { ValidationFailedError } from '../errors';
import { MAX_STEPS, tryParseStrategy } from './strategy';
import { freezesInputSchema, parseFreeze, windowsInputSchema } from './windows-schema';
import {
  AFTER_PROMOTION,
  APPROVAL_MODES,
  INSUFFICIENT_DATA_POLICIES,
  type ApprovalMode,
  type InsufficientDataPolicy,
  type RolloutDefaults,
  type RolloutRequest,
  type StepSpec,
  type TargetConfig,
} from './types';

/** The preset used when neither the input nor the service's defaults name steps or a strategy. */
export const DEFAULT_STRATEGY = 'Canary10Percent5Minutes';

/** The options an execution gets when neither its input nor the service's defaults set them: the safe ones. */
export const DEFAULT_OPTIONS = {
  approval: 'none',
  insufficientData: 'unhealthy',
  afterPromotion: 'scaleCanaryToZero',
} as const satisfies Pick<RolloutRequest, 'approval' | 'insufficientData' | 'afterPromotion'>;
export { MAX_STEPS } from './strategy';
/**
 * The approval gates each mode opens. The construct's setting is a floor: an execution may choose a
 * mode that opens every gate the setting opens (and more), never one that drops a gate. `beforeTraffic`
 * and `beforePromote` open different gates, so neither may replace the other; `everyStep` may replace
 * any mode, and any mode may replace `none`.
 */
export const APPROVAL_GATES: Readonly<Record<ApprovalMode, readonly ApprovalGate[]>> = {
  none: [],
  beforeTraffic: ['firstStep'],
  beforePromote: ['promotion'],
  everyStep: ['firstStep', 'laterSteps', 'promotion'],
};
export type ApprovalGate = 'firstStep' | 'laterSteps' | 'promotion';

/** Whether `mode` asks for at least every approval `floor` asks for. */
export function approvalAtLeast(mode: ApprovalMode, floor: ApprovalMode): boolean {
  return APPROVAL_GATES[floor].every((gate) => APPROVAL_GATES[mode].includes(gate));
}

/** Whether `policy` is at least as strict as `floor`: `unhealthy` (missing data fails a bake) is stricter than `healthy`. */
export function insufficientDataAtLeast(policy: InsufficientDataPolicy, floor: InsufficientDataPolicy): boolean {
  return floor === 'healthy' || policy === 'unhealthy';
}

/** One day per step. */
export const MAX_BAKE_SECONDS = 86_400;
export const MAX_REASON_LENGTH = 256;


// Messages below complete a sentence that starts with the field path ("steps[1].weight …");
// `toProblems` adds the path and what was received.
const WEIGHT_RULE = 'must be an integer from 1 to 100 (the percent of traffic on the canary)';
const BAKE_RULE = `must be an integer from 0 to ${MAX_BAKE_SECONDS} (seconds)`;
const IMAGE_TYPE_RULE = 'must be an image reference string such as "registry/app:1.2.3"';

const stepSchema = z.strictObject(
  {
    weight: integerFrom(1, 100, WEIGHT_RULE),
    bakeSeconds: integerFrom(0, MAX_BAKE_SECONDS, BAKE_RULE),
  },
  { error: 'must be an object such as {"weight": 10, "bakeSeconds": 300}' },
);

const stepsSchema = z
  .array(stepSchema, { error: 'must be a list of steps such as [{"weight": 10, "bakeSeconds": 300}]' })
  .min(1, { error: 'must hold at least one step' })
  .max(MAX_STEPS, { error: `must hold at most ${MAX_STEPS} steps` })
  .superRefine(
    (steps, ctx) => {
      // Compares neighbours whose weights are numbers, so one bad weight does not hide the ordering of the rest.
      steps.forEach((step, i) => {
        const previous = i > 0 ? weightOf(steps[i - 1]) : undefined;
        const current = weightOf(step);
        if (previous !== undefined && current !== undefined && current <= previous) {
          ctx.addIssue({
            code: 'custom',
            path: [i, 'weight'],
            message: `must be greater than steps[${i - 1}].weight (${previous}): weights only grow`,
          });
        }
      });
    },
    { when: (payload) => Array.isArray(payload.value) },
  );

const imageSchema = z.string({ error: IMAGE_TYPE_RULE }).superRefine((ref, ctx) => {
  const problem = imageReferenceProblem(ref);
  if (problem !== undefined) {
    ctx.addIssue({ code: 'custom', message: problem });
  }
});

/**
 * A whole number in a range, reported as one sentence. `.int()` is avoided on purpose: zod marks
 * its issue `continue: false`, which skips every later refinement, so one `1.5` would hide the
 * cross-field problems.
 */
function integerFrom(min: number, max: number, rule: string) {
  return z.number({ error: rule }).refine((n) => Number.isInteger(n) && n >= min && n <= max, {
    error: (issue) => `${rule}, got ${describeValue(issue.input)}`,
  });
}

function rolloutInputSchema(containers: readonly string[], floors: Pick<RolloutDefaults, 'approval' | 'insufficientData'> = {}) {
  const approvalFloor = floors.approval ?? DEFAULT_OPTIONS.approval;
  const insufficientDataFloor = floors.insufficientData ?? DEFAULT_OPTIONS.insufficientData;
  return z
    .strictObject({
      image: imageSchema.optional(),
      // Its keys are checked on the raw input (`containerKeyProblems`): a parsed record loses "__proto__".
      images: z
        .record(z.string(), imageSchema, {
          error: 'must be an object that maps container names to images, such as {"app": "registry/app:1.2.3"}',
        })
        .optional(),
      // A release train's: the image is the value of this SSM parameter (see `input-forms.ts`).
      imageParameter: z
        .string({ error: 'must be the name of an SSM String parameter such as "/releases/app/image"' })
        .regex(SSM_PARAMETER_NAME, { error: 'must be the name of an SSM String parameter such as "/releases/app/image"' })
        .optional(),
      strategy: z
        .string({ error: 'must be a preset name such as "Canary10Percent5Minutes"' })
        .transform((name, ctx) => {
          const parsed = tryParseStrategy(name);
          if (!parsed.ok) {
            ctx.addIssue({ code: 'custom', message: parsed.problem });
            return z.NEVER;
          }
          return { name, steps: parsed.steps };
        })
        .optional(),
      steps: stepsSchema.optional(),
      approval: z.enum(APPROVAL_MODES).optional(),
      insufficientData: z.enum(INSUFFICIENT_DATA_POLICIES).optional(),
      afterPromotion: z.enum(AFTER_PROMOTION).optional(),
      dryRun: z.boolean({ error: 'must be true or false' }).optional(),
      // Kept on the record and written to logs: control and bidirectional-override characters could
      // forge a log line or make the text read differently from what it holds.
      reason: z
        .string({ error: 'must be a string' })
        .max(MAX_REASON_LENGTH, { error: `must be at most ${MAX_REASON_LENGTH} characters` })
        .refine((text) => !UNPRINTABLE.test(text), {
          error: 'must be printable text: no control characters (newlines, escapes) and no bidirectional overrides',
        })
        .optional(),
      // Deployment windows and freezes narrow the service's calendar (lambda/domain/windows.ts).
      windows: windowsInputSchema.optional(),
      freezes: freezesInputSchema.optional(),
    })
    .superRefine(
      // Runs even when fields failed, so a missing image is reported alongside a bad weight.
      (input, ctx) => {
        const has = (field: string) => (input as Record<string, unknown>)[field] !== undefined;
        if (has('imageParameter') && (has('image') || has('images'))) {
          ctx.addIssue({ code: 'custom', message: 'give one of "image", "images" and "imageParameter", not several' });
        } else if (has('image') && has('images')) {
          ctx.addIssue({ code: 'custom', message: 'give either "image" or "images", not both' });
        } else if (!has('image') && !has('images') && !has('imageParameter')) {
          ctx.addIssue({
            code: 'custom',
            message:
              containers.length > 0
                ? `give "image" (the image for container "${containers[0]}") or "images" (an object of container name to image)`
                : 'give "image" or "images"',
          });
        }
        if (has('image') && containers.length === 0) {
          ctx.addIssue({ code: 'custom', path: ['image'], message: 'cannot be used: this service names no containers to roll out' });
        }
        if (has('strategy') && has('steps')) {
          ctx.addIssue({ code: 'custom', message: 'give either "strategy" or "steps", not both' });
        }
        // The construct's safety settings are a floor: an input may tighten them, never loosen them.
        // The values were checked above; an unknown one is already reported.
        if (isOneOf(input.approval, APPROVAL_MODES) && !approvalAtLeast(input.approval, approvalFloor)) {
          const allowed = APPROVAL_MODES.filter((mode) => approvalAtLeast(mode, approvalFloor));
          ctx.addIssue({
            code: 'custom',
            path: ['approval'],
            message: `"${input.approval}" would drop an approval the service requires (the construct's approval is "${approvalFloor}"); an execution may only add approvals: give ${allowed.map((m) => `"${m}"`).join(' or ')}, or leave approval out`,
          });
        }
        if (isOneOf(input.insufficientData, INSUFFICIENT_DATA_POLICIES) && !insufficientDataAtLeast(input.insufficientData, insufficientDataFloor)) {
          ctx.addIssue({
            code: 'custom',
            path: ['insufficientData'],
            message: `"${input.insufficientData}" would loosen the service's health policy (the construct's insufficientData is "${insufficientDataFloor}"); an execution may only tighten it: give "unhealthy", or leave insufficientData out`,
          });
        }
      },
      { when: () => true },
    );
}

/**
 * Parses and normalises an execution input against the service it targets. Besides the rollout
 * input itself (what a `rollout.json` holds), it accepts the `imageDetail.json` of an Amazon ECR
 * source action, and an `imageParameter` once the caller has read that parameter (`parameter`).
 * @throws ValidationFailedError carrying every problem found, each naming its field.
 */
export function parseRolloutInput(raw: unknown, target: TargetConfig, parameter?: ResolvedImageParameter): RolloutRequest {
  if (!isPlainObject(raw)) {
    throw new ValidationFailedError(
      `the execution input must be a JSON object such as {"image": "registry/app:1.2.3"}, got ${describeValue(raw)}`,
    );
  }
  if (Object.hasOwn(raw, ECR_IMAGE_URI)) {
    const detail = ecrImageDetailSchema.safeParse(raw);
    if (!detail.success) throw new ValidationFailedError(unique(toProblems(detail.error.issues, raw)));
    return parseRolloutInput(detail.data, target);
  }
  const containers = target.workload.containers;
  const keyProblems = containerKeyProblems(raw.images, containers);
  const parsed = rolloutInputSchema(containers, target.defaults).safeParse(raw);
  const parameterProblems = parsed.success ? imageParameterProblems(parsed.data.imageParameter, target, parameter) : [];
  if (!parsed.success || keyProblems.length > 0 || parameterProblems.length > 0) {
    throw new ValidationFailedError(
      unique([...keyProblems, ...(parsed.error ? toProblems(parsed.error.issues, raw) : []), ...parameterProblems]),
    );
  }
  const input = parsed.data;
  const strategy = input.steps
    ? { name: 'custom', steps: input.steps }
    : (input.strategy ?? defaultStrategy(target));
  const defaults = target.defaults;
  const single = input.imageParameter !== undefined ? parameter?.value : input.image;
  const request: RolloutRequest = {
    images: single !== undefined ? { [containers[0]]: single } : { ...input.images },
    steps: strategy.steps.map(({ weight, bakeSeconds }) => ({ weight, bakeSeconds })),
    strategyName: strategy.name,
    approval: input.approval ?? defaults.approval ?? DEFAULT_OPTIONS.approval,
    insufficientData: input.insufficientData ?? defaults.insufficientData ?? DEFAULT_OPTIONS.insufficientData,
    afterPromotion: input.afterPromotion ?? defaults.afterPromotion ?? DEFAULT_OPTIONS.afterPromotion,
    dryRun: input.dryRun ?? false,
    ...(input.reason !== undefined && { reason: input.reason }),
    ...(input.imageParameter !== undefined && parameter && { imageParameter: { name: parameter.name, version: parameter.version } }),
  };
  if (input.windows !== undefined || input.freezes !== undefined) {
    return { ...request, calendar: { windows: input.windows ?? [], freezes: (input.freezes ?? []).map(parseFreeze) } };
  }
  return request;
}

/** An SSM parameter named by `imageParameter`, as read by the Validate use-case. */
export interface ResolvedImageParameter {
  readonly name: string;
  readonly value: string;
  readonly version: number;
}

/**
 * The SSM parameter an input names that this service may read, so the caller can read it before
 * parsing; `undefined` when the input names none, or one the construct did not grant.
 */
export function requestedImageParameter(raw: unknown, target: TargetConfig): string | undefined {
  const name = isPlainObject(raw) ? raw.imageParameter : undefined;
  return typeof name === 'string' && (target.imageParameters ?? []).includes(name) ? name : undefined;
}

/** Why the parameter an input names cannot give its image: not granted, not read, or not an image reference. */
function imageParameterProblems(name: string | undefined, target: TargetConfig, parameter: ResolvedImageParameter | undefined): string[] {
  if (name === undefined) return [];
  const allowed = target.imageParameters ?? [];
  if (!allowed.includes(name)) {
    const granted = allowed.length > 0 ? allowed.map((n) => JSON.stringify(n)).join(', ') : 'none (the construct names a parameter with ReleaseImage.fromParameter)';
    return [`imageParameter ${JSON.stringify(name)} is not a parameter this service may read; it may read: ${granted}`];
  }
  if (parameter?.name !== name) return [`imageParameter ${JSON.stringify(name)} was not read before the input was parsed`];
  const problem = imageReferenceProblem(parameter.value);
  return problem === undefined ? [] : [`imageParameter ${JSON.stringify(name)} (version ${parameter.version}) holds an image that cannot be rolled out: ${problem}`];
}

/**
 * The `imageDetail.json` an Amazon ECR source action writes: `ImageURI` is the image (by digest);
 * the other fields are ECR's metadata and are ignored. It carries no rollout options: those come
 * from the construct, or the build writes a `rollout.json` instead.
 */
export const ecrImageDetailSchema = z
  .looseObject({ ImageURI: imageSchema })
  .superRefine((detail, ctx) => {
    const options = Object.keys(detail).filter((key) => ROOT_FIELDS.includes(key));
    for (const key of options) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `cannot be combined with "${ECR_IMAGE_URI}" (an Amazon ECR imageDetail.json carries only the image); put the rollout options in a rollout.json with "image" instead`,
      });
    }
  })
  .transform((detail) => ({ image: detail.ImageURI }));

/**
 * The keys of `images` as the input holds them, before any parsing: `{"__proto__": …}` is an own
 * key of parsed JSON but vanishes from an object built by assignment, so it must be refused here.
 */
function containerKeyProblems(images: unknown, containers: readonly string[]): string[] {
  if (!isPlainObject(images)) return [];
  const allowed = containers.length > 0 ? containers.map((c) => `"${c}"`).join(', ') : 'none';
  const keys = Object.keys(images);
  if (keys.length === 0) return [`images must name at least one container (this service rolls out: ${allowed})`];
  return keys
    .filter((key) => !containers.includes(key))
    .map((key) => `${formatPath(['images', key])} is not a container this service rolls out; allowed containers: ${allowed}`);
}

/**
 * Why `ref` is not a usable image reference, or `undefined` when it is. Follows the Docker
 * reference grammar (`[registry[:port]/]path[:tag][@sha256:<64 hex>]`) and also requires a tag
 * or digest. The message completes a sentence that starts with the field name.
 *
 * Stricter than Docker in one way: Docker reads a first component with uppercase letters
 * (`MyOrg/app`) as a registry host; here it is a path component, so the mistake is reported
 * instead of becoming a pull from a host called "MyOrg".
 */
export function imageReferenceProblem(ref: string): string | undefined {
  if (ref.length === 0) {
    return 'must not be empty; give an image reference such as "registry/app:1.2.3"';
  }
  if (/\s/.test(ref)) {
    return `"${ref}" must not contain whitespace`;
  }
  let rest = ref;
  let digest: string | undefined;
  const at = ref.indexOf('@');
  if (at >= 0) {
    digest = ref.slice(at + 1);
    rest = ref.slice(0, at);
    if (!DIGEST.test(digest)) {
      return `"${ref}" has a malformed digest "${digest}": expected "sha256:" followed by 64 lowercase hex characters`;
    }
  }
  // A colon after the last slash starts the tag; one before it belongs to a registry port.
  let name = rest;
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    name = rest.slice(0, colon);
    if (!TAG.test(tag)) {
      return `"${ref}" has an invalid tag "${tag}": a tag is 1 to 128 letters, digits, "_", "." or "-" and does not start with "." or "-"`;
    }
  }
  if (name.length === 0) {
    return `"${ref}" has no repository name`;
  }
  if (name.length > MAX_NAME_LENGTH) {
    return `"${ref}" has a repository name longer than ${MAX_NAME_LENGTH} characters`;
  }
  const components = name.split('/');
  const first = components[0];
  if (components.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    if (!REGISTRY.test(first)) {
      return `"${ref}" has an invalid registry "${first}": expected host[:port], such as "123456789012.dkr.ecr.eu-west-1.amazonaws.com" or "localhost:5000"`;
    }
    components.shift();
  }
  for (const component of components) {
    if (component === '') {
      return `"${ref}" has an empty path component: look for a doubled or trailing "/"`;
    }
    if (!PATH_COMPONENT.test(component)) {
      return PATH_COMPONENT.test(component.toLowerCase())
        ? `"${ref}" has uppercase letters in "${component}"; repository paths must be lowercase`
        : `"${ref}" has an invalid path component "${component}": use lowercase letters and digits, separated by ".", "_", "__" or "-"`;
    }
  }
  if (digest === undefined && tag !== undefined && tag.toLowerCase() === 'latest') {
    return `"${ref}" uses the tag "${tag}", which moves with every push and is not reproducible: pin a version tag ("${name}:1.2.3") or a digest ("${name}@sha256:…")`;
  }
  if (tag === undefined && digest === undefined) {
    return `"${ref}" has no tag or digest; a bare repository means ":latest", which is not reproducible: pin a tag ("${name}:1.2.3") or a digest ("${name}@sha256:…")`;
  }
  return undefined;
}

// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const REGISTRY = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const MAX_NAME_LENGTH = 255;
/** An SSM parameter name (or hierarchy path); an ARN is not accepted, the construct grants by name. */
const SSM_PARAMETER_NAME = /^[A-Za-z0-9_.\-/]{1,2048}$/;

const ROOT_FIELDS = Object.keys(rolloutInputSchema([]).shape);
/** The field that marks an Amazon ECR imageDetail.json. */
const ECR_IMAGE_URI = 'ImageURI';
const STEP_FIELDS = Object.keys(stepSchema.shape);

/** The steps (and their name) to use when the input names neither steps nor a strategy. */
function defaultStrategy(target: TargetConfig): { name: string; steps: StepSpec[] } {
  const { steps, strategy } = target.defaults;
  // The construct validates its props; checking again here keeps a hand-built config from
  // slipping a bad plan past Validate.
  if (steps !== undefined) {
    const parsed = stepsSchema.safeParse(steps);
    if (!parsed.success) {
      const problems = toProblems(parsed.error.issues, steps, ['steps']);
      throw new ValidationFailedError(problems.map((p) => `the service's defaults.${p}`));
    }
    return { name: 'custom', steps: parsed.data };
  }
  const name = strategy ?? DEFAULT_STRATEGY;
  const parsed = tryParseStrategy(name);
  if (!parsed.ok) {
    throw new ValidationFailedError(`the service's defaults.strategy ${parsed.problem}`);
  }
  return { name, steps: parsed.steps };
}

type Issue = z.core.$ZodIssue;
type PathKey = PropertyKey;

/**
 * Turns zod issues into sentences. `raw` is what was parsed, so each sentence can say what was
 * received; `basePath` prefixes the paths when `raw` is part of a larger object.
 */
function toProblems(issues: readonly Issue[], raw: unknown, basePath: PathKey[] = []): string[] {
  return issues.flatMap((issue) => {
    const path = [...basePath, ...issue.path];
    const where = formatPath(path);
    const value = valueAt(raw, issue.path);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const accepted = path.length === 0 ? ROOT_FIELDS : isStepPath(path) ? STEP_FIELDS : [];
        return issue.keys.map((key) => {
          const subject = where ? `${where} has unknown field "${key}"` : `unknown field "${key}"`;
          const suggestion = closest(key, accepted);
          if (suggestion !== undefined) {
            return `${subject} — did you mean "${suggestion}"?`;
          }
          return accepted.length > 0 ? `${subject}; accepted fields: ${accepted.join(', ')}` : subject;
        });
      }
      case 'invalid_value': {
        const allowed = issue.values.map((v) => JSON.stringify(v)).join(', ');
        const suggestion = typeof value === 'string' ? closest(value, issue.values.map(String)) : undefined;
        const hint = suggestion !== undefined ? ` — did you mean "${suggestion}"?` : '';
        return [`${where} must be one of ${allowed}, got ${describeValue(value)}${hint}`];
      }
      case 'custom':
        return [where ? `${where} ${issue.message}` : issue.message];
      default:
        if (value === undefined) {
          return [`${where} is missing; it ${issue.message}`];
        }
        return [`${where} ${issue.message}, got ${describeValue(value)}`];
    }
  });
}

function isStepPath(path: readonly PathKey[]): boolean {
  return path.length === 2 && path[0] === 'steps' && typeof path[1] === 'number';
}

/** `['steps', 2, 'weight']` → `steps[2].weight`; `['images', 'my-app']` → `images["my-app"]`. */
function formatPath(path: readonly PathKey[]): string {
  return path
    .map((key, i) => {
      if (typeof key === 'number') {
        return `[${key}]`;
      }
      const text = String(key);
      if (/^[A-Za-z_$][\w$]*$/.test(text)) {
        return i === 0 ? text : `.${text}`;
      }
      return `[${JSON.stringify(text)}]`;
    })
    .join('');
}

function valueAt(raw: unknown, path: readonly PathKey[]): unknown {
  let current: unknown = raw;
  for (const key of path) {
    if (current === null || typeof current !== 'object') {
      return undefined;
    }
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function describeValue(value: unknown): string {
  if (value === undefined) {
    return 'nothing';
  }
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return `a list of ${value.length}`;
  }
  if (typeof value === 'object') {
    return 'an object';
  }
  if (typeof value === 'string') {
    return value.length > 60 ? `a string of ${value.length} characters` : JSON.stringify(value);
  }
  return String(value);
}

function isOneOf<T extends string>(value: unknown, values: readonly T[]): value is T {
  return typeof value === 'string' && (values as readonly string[]).includes(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function weightOf(step: unknown): number | undefined {
  const weight = isPlainObject(step) ? step.weight : undefined;
  return typeof weight === 'number' && Number.isFinite(weight) ? weight : undefined;
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

/**
 * The candidate `word` most likely misspells: the same once case and separators are ignored,
 * a prefix of it (`bake` → `bakeSeconds`), or within two edits (`imgae` → `image`).
 */
function closest(word: string, candidates: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');
  const target = norm(word);
  if (target.length === 0) {
    return undefined;
  }
  const exact = candidates.find((c) => norm(c) === target);
  if (exact !== undefined) {
    return exact;
  }
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(target, norm(candidate));
    if (distance <= 2 && distance < target.length && (best === undefined || distance < best.distance)) {
      best = { candidate, distance };
    }
  }
  if (best !== undefined) {
    return best.candidate;
  }
  return target.length >= 3 ? candidates.find((c) => norm(c).startsWith(target)) : undefined;
}

/** Optimal string alignment distance: Levenshtein plus adjacent transpositions. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * The execution input as a JSON Schema (draft 2020-12), generated from the zod schema Validate uses:
 * `npm run schema` writes it to schema/rollout-input.schema.json. It describes the shape; what
 * depends on the service (container names, the construct's approval floor) and the rules across
 * fields (image or images, strategy or steps) are Validate's, and the CLI checks them with zod.
 */
export function rolloutInputJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(rolloutInputSchema([]), { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
  return {
    $schema: schema.$schema,
    title: 'serinus rollout input',
    description: 'The input of a serinus rollout execution. Give "image" or "images"; "strategy" or "steps" (neither: the construct\'s strategy).',
    ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$schema')),
  };
}
