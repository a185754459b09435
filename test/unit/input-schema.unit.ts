import { readFileSync } from 'node:fs';
import { ValidationFailedError } from '../../lambda/errors';
import { DEFAULT_STRATEGY, imageReferenceProblem, parseRolloutInput, requestedImageParameter } from '../../lambda/domain/input-schema';
import type { ApprovalMode, InsufficientDataPolicy, RolloutDefaults, RolloutRequest, TargetConfig } from '../../lambda/domain/types';
import { SCHEMA_PATH, schemaText } from '../../scripts/schema';
import { targetConfig } from '../support/fixtures';

const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout:1.4.2';
const DIGEST = `sha256:${'a1'.repeat(32)}`;

/** The messages below name both containers this service rolls out. */
function targetWith(defaults: RolloutDefaults = {}, containers = ['app', 'log-router']): TargetConfig {
  return targetConfig({ defaults, workload: { containers } });
}

/** The problems a rejected input reports; fails the test when the input is accepted. */
function problemsOf(raw: unknown, target = targetWith()): string[] {
  try {
    parseRolloutInput(raw, target);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationFailedError);
    return (error as ValidationFailedError).problems;
  }
  throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
}

describe('parseRolloutInput: accepted inputs', () => {
  it('fills every default for a bare image and sets the first container', () => {
    // Act
    const request = parseRolloutInput({ image: IMAGE }, targetWith());

    // Assess
    expect(request).toEqual<RolloutRequest>({
      images: { app: IMAGE },
      steps: [
        { weight: 10, bakeSeconds: 300 },
        { weight: 100, bakeSeconds: 0 },
      ],
      strategyName: DEFAULT_STRATEGY,
      approval: 'none',
      insufficientData: 'unhealthy',
      afterPromotion: 'scaleCanaryToZero',
      dryRun: false,
    });
    expect(DEFAULT_STRATEGY).toBe('Canary10Percent5Minutes');
  });

  it('keeps every field the input sets', () => {
    // Prepare
    const raw = {
      images: { app: IMAGE, 'log-router': `fluent/fluent-bit@${DIGEST}` },
      steps: [
        { weight: 5, bakeSeconds: 600 },
        { weight: 50, bakeSeconds: 0 },
      ],
      approval: 'everyStep',
      insufficientData: 'healthy',
      afterPromotion: 'keepCanary',
      dryRun: true,
      reason: 'release 1.4.2',
    };

    // Act
    const request = parseRolloutInput(raw, targetWith({ strategy: 'AllAtOnce', approval: 'beforeTraffic', insufficientData: 'healthy' }));

    // Assess
    expect(request).toEqual<RolloutRequest>({
      images: { app: IMAGE, 'log-router': `fluent/fluent-bit@${DIGEST}` },
      steps: raw.steps,
      strategyName: 'custom',
      approval: 'everyStep',
      insufficientData: 'healthy',
      afterPromotion: 'keepCanary',
      dryRun: true,
      reason: 'release 1.4.2',
    });
  });

  it.each<[string, RolloutDefaults, Record<string, unknown>, Pick<RolloutRequest, 'strategyName' | 'steps'>]>([
    ['the input strategy over the defaults', { steps: [{ weight: 20, bakeSeconds: 1 }] }, { strategy: 'AllAtOnce' }, { strategyName: 'AllAtOnce', steps: [{ weight: 100, bakeSeconds: 0 }] }],
    ['the default steps over the default strategy', { steps: [{ weight: 20, bakeSeconds: 1 }], strategy: 'AllAtOnce' }, {}, { strategyName: 'custom', steps: [{ weight: 20, bakeSeconds: 1 }] }],
    ['the default strategy when no default steps', { strategy: 'Linear50PercentEvery2Minutes' }, {}, { strategyName: 'Linear50PercentEvery2Minutes', steps: [{ weight: 50, bakeSeconds: 120 }, { weight: 100, bakeSeconds: 0 }] }],
    ['the input steps over the default strategy', { strategy: 'AllAtOnce' }, { steps: [{ weight: 1, bakeSeconds: 86_400 }] }, { strategyName: 'custom', steps: [{ weight: 1, bakeSeconds: 86_400 }] }],
  ])('uses %s', (_label, defaults, extra, expected) => {
    // Act
    const request = parseRolloutInput({ image: IMAGE, ...extra }, targetWith(defaults));

    // Assess
    expect(request).toMatchObject(expected);
  });

  it('takes approval, insufficientData and afterPromotion from the service defaults', () => {
    // Prepare
    const target = targetWith({ approval: 'beforePromote', insufficientData: 'healthy', afterPromotion: 'keepCanary' });

    // Act
    const request = parseRolloutInput({ image: IMAGE }, target);

    // Assess
    expect(request).toMatchObject({ approval: 'beforePromote', insufficientData: 'healthy', afterPromotion: 'keepCanary' });
  });

  it('copies the default steps so a caller cannot change the service config through the request', () => {
    // Prepare
    const target = targetWith({ steps: [{ weight: 20, bakeSeconds: 1 }] });

    // Act
    const request = parseRolloutInput({ image: IMAGE }, target);

    // Assess
    expect(request.steps).toEqual(target.defaults.steps);
    expect(request.steps).not.toBe(target.defaults.steps);
  });

  it('accepts 20 steps and a 256-character reason', () => {
    // Prepare
    const steps = Array.from({ length: 20 }, (_, i) => ({ weight: (i + 1) * 5, bakeSeconds: 0 }));

    // Act
    const request = parseRolloutInput({ image: IMAGE, steps, reason: 'r'.repeat(256) }, targetWith());

    // Assess
    expect(request.steps).toHaveLength(20);
    expect(request.reason).toHaveLength(256);
  });
});

describe('parseRolloutInput: rejected inputs', () => {
  it.each([null, [], 'nginx:1.27', 42, undefined, true])('rejects the non-object %p with one problem', (raw) => {
    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^the execution input must be a JSON object such as \{"image": "registry\/app:1\.2\.3"\}, got /);
  });

  it('reports every problem at once, each naming its field', () => {
    // Prepare
    const raw = {
      image: 'nginx',
      imgae: IMAGE,
      strategy: 'canary10percent5minutes',
      steps: [
        { weight: 50, bakeSeconds: 60 },
        { weight: 20, bake: 60 },
        { weight: 150.5, bakeSeconds: -1 },
      ],
      approval: 'beforepromote',
      dryRun: 'yes',
      reason: 'x'.repeat(300),
    };

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([
      'image "nginx" has no tag or digest; a bare repository means ":latest", which is not reproducible: pin a tag ("nginx:1.2.3") or a digest ("nginx@sha256:…")',
      'strategy "canary10percent5minutes" is not a known preset — did you mean "Canary10Percent5Minutes"?',
      'steps[1].bakeSeconds is missing; it must be an integer from 0 to 86400 (seconds)',
      'steps[1] has unknown field "bake" — did you mean "bakeSeconds"?',
      'steps[2].weight must be an integer from 1 to 100 (the percent of traffic on the canary), got 150.5',
      'steps[2].bakeSeconds must be an integer from 0 to 86400 (seconds), got -1',
      'steps[1].weight must be greater than steps[0].weight (50): weights only grow',
      'approval must be one of "none", "beforeTraffic", "beforePromote", "everyStep", got "beforepromote" — did you mean "beforePromote"?',
      'dryRun must be true or false, got "yes"',
      'reason must be at most 256 characters, got a string of 300 characters',
      'unknown field "imgae" — did you mean "image"?',
      'give either "strategy" or "steps", not both',
    ]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['neither image nor images', {}, 'give "image" (the image for container "app") or "images" (an object of container name to image)'],
    ['both image and images', { image: IMAGE, images: { app: IMAGE } }, 'give either "image" or "images", not both'],
    ['an image that is not a string', { image: 5 }, 'image must be an image reference string such as "registry/app:1.2.3", got 5'],
    ['images as a list', { images: [IMAGE] }, 'images must be an object that maps container names to images, such as {"app": "registry/app:1.2.3"}, got a list of 1'],
    ['empty images', { images: {} }, 'images must name at least one container (this service rolls out: "app", "log-router")'],
    ['an unknown container', { images: { web: IMAGE } }, 'images.web is not a container this service rolls out; allowed containers: "app", "log-router"'],
    ['a bad image under a quoted key', { images: { 'log-router': 'fluent-bit' } }, 'images["log-router"] "fluent-bit" has no tag or digest; a bare repository means ":latest", which is not reproducible: pin a tag ("fluent-bit:1.2.3") or a digest ("fluent-bit@sha256:…")'],
    ['a strategy that is not a string', { image: IMAGE, strategy: 10 }, 'strategy must be a preset name such as "Canary10Percent5Minutes", got 10'],
    ['an out-of-range preset', { image: IMAGE, strategy: 'Canary0Percent5Minutes' }, 'strategy "Canary0Percent5Minutes" is out of range: its percent must be from 1 to 99 (got 0)'],
    ['steps that are not a list', { image: IMAGE, steps: { weight: 10 } }, 'steps must be a list of steps such as [{"weight": 10, "bakeSeconds": 300}], got an object'],
    ['no steps', { image: IMAGE, steps: [] }, 'steps must hold at least one step, got a list of 0'],
    ['21 steps', { image: IMAGE, steps: Array.from({ length: 21 }, (_, i) => ({ weight: i + 1, bakeSeconds: 0 })) }, 'steps must hold at most 20 steps, got a list of 21'],
    ['a step that is not an object', { image: IMAGE, steps: [10] }, 'steps[0] must be an object such as {"weight": 10, "bakeSeconds": 300}, got 10'],
    ['a zero weight', { image: IMAGE, steps: [{ weight: 0, bakeSeconds: 0 }] }, 'steps[0].weight must be an integer from 1 to 100 (the percent of traffic on the canary), got 0'],
    ['a weight as a string', { image: IMAGE, steps: [{ weight: '10', bakeSeconds: 0 }] }, 'steps[0].weight must be an integer from 1 to 100 (the percent of traffic on the canary), got "10"'],
    ['a bake over a day', { image: IMAGE, steps: [{ weight: 10, bakeSeconds: 86_401 }] }, 'steps[0].bakeSeconds must be an integer from 0 to 86400 (seconds), got 86401'],
    ['a repeated weight', { image: IMAGE, steps: [{ weight: 10, bakeSeconds: 0 }, { weight: 10, bakeSeconds: 0 }] }, 'steps[1].weight must be greater than steps[0].weight (10): weights only grow'],
    ['a step with an unknown field far from any', { image: IMAGE, steps: [{ weight: 10, bakeSeconds: 0, colour: 'red' }] }, 'steps[0] has unknown field "colour"; accepted fields: weight, bakeSeconds'],
    ['an unknown approval mode', { image: IMAGE, approval: 'always' }, 'approval must be one of "none", "beforeTraffic", "beforePromote", "everyStep", got "always"'],
    ['an unknown insufficientData policy', { image: IMAGE, insufficientData: 'ignore' }, 'insufficientData must be one of "healthy", "unhealthy", got "ignore"'],
    ['an unknown afterPromotion', { image: IMAGE, afterPromotion: 'scaleToZero' }, 'afterPromotion must be one of "scaleCanaryToZero", "keepCanary", got "scaleToZero"'],
    ['a reason that is not a string', { image: IMAGE, reason: 7 }, 'reason must be a string, got 7'],
    ['a reason with a newline', { image: IMAGE, reason: 'ok\nERROR forged log line' }, 'reason must be printable text: no control characters (newlines, escapes) and no bidirectional overrides'],
    ['a reason with a bidirectional override', { image: IMAGE, reason: 'release \u202e2.4.1' }, 'reason must be printable text: no control characters (newlines, escapes) and no bidirectional overrides'],
    ['a snake_case field', { image: IMAGE, dry_run: true }, 'unknown field "dry_run" — did you mean "dryRun"?'],
    ['a window that does not parse', { image: IMAGE, windows: ['MON-FRI 9-17 Europe/Berlin'] }, 'windows[0] is not usable: deployment window "MON-FRI 9-17 Europe/Berlin" has an unreadable time range "9-17": must read like "MON-FRI 09:00-17:00 Europe/Berlin": days (MON…SUN, ranges and commas), a time range (HH:MM-HH:MM, 24:00 allowed as an end), an IANA time zone'],
    ['a freeze without a zone', { image: IMAGE, freezes: [{ start: '2026-12-20T18:00:00', end: '2026-12-21' }] }, 'freezes[0] is not usable: freeze 2026-12-20T18:00:00…2026-12-21 needs start and end as ISO-8601 dates ("2026-12-20") or date-times with a zone ("2026-12-20T18:00:00+01:00"), got "2026-12-20T18:00:00" and "2026-12-21"'],
    ['a field far from any', { image: IMAGE, cluster: 'prod' }, 'unknown field "cluster"; accepted fields: image, images, imageParameter, strategy, steps, approval, insufficientData, afterPromotion, dryRun, reason, windows, freezes'],
  ])('rejects %s', (_label, raw, problem) => {
    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toEqual([problem]);
  });

  it('says so when the service names no containers', () => {
    // Act
    const problems = problemsOf({ image: IMAGE }, targetWith({}, []));

    // Assess
    expect(problems).toEqual(['image cannot be used: this service names no containers to roll out']);
  });

  it.each<[string, RolloutDefaults, unknown[]]>([
    ['a bad default strategy', { strategy: 'Fast' }, [expect.stringMatching(/^the service's defaults\.strategy "Fast" is not a known preset; accepted forms: /)]],
    ['bad default steps', { steps: [{ weight: 30, bakeSeconds: 0 }, { weight: 20, bakeSeconds: -5 }] }, [
      "the service's defaults.steps[1].bakeSeconds must be an integer from 0 to 86400 (seconds), got -5",
      "the service's defaults.steps[1].weight must be greater than steps[0].weight (30): weights only grow",
    ]],
  ])('rejects %s when the input relies on the defaults', (_label, defaults, expected) => {
    // Act
    const problems = problemsOf({ image: IMAGE }, targetWith(defaults));

    // Assess
    expect(problems).toEqual(expected);
  });
});

describe('imageReferenceProblem', () => {
  it.each([
    'nginx:1.27',
    'library/nginx:1.27',
    IMAGE,
    'localhost:5000/team/app:v1',
    'localhost/app:1',
    'registry.example.com:443/a/b/c:1.0',
    'Registry.Example.com/app:1',
    '[::1]:5000/app:1',
    'my_app__x-y.z--w:V1_RC.2',
    `app@${DIGEST}`,
    `app:1.0@${DIGEST}`,
    `app:latest@${DIGEST}`,
    'app:latest-1.2',
    `ghcr.io/org/app:${'t'.repeat(128)}`,
  ])('accepts %s', (ref) => {
    // Act
    const problem = imageReferenceProblem(ref);

    // Assess
    expect(problem).toBeUndefined();
  });

  it.each<[string, RegExp]>([
    ['', /^must not be empty/],
    ['nginx :1', /must not contain whitespace/],
    ['nginx', /has no tag or digest; a bare repository means ":latest", which is not reproducible/],
    ['app:latest', /uses the tag "latest", which moves with every push and is not reproducible: pin a version tag \("app:1\.2\.3"\)/],
    ['registry.example.com/team/app:LATEST', /uses the tag "LATEST"/],
    ['localhost:5000/app', /has no tag or digest/],
    ['app@sha256:abc', /malformed digest "sha256:abc": expected "sha256:" followed by 64 lowercase hex characters/],
    [`app@sha256:${'A1'.repeat(32)}`, /malformed digest/],
    [`app@md5:${'a1'.repeat(32)}`, /malformed digest/],
    [`app@${DIGEST}@${DIGEST}`, /malformed digest/],
    ['app:-1', /invalid tag "-1"/],
    ['app:.1', /invalid tag "\.1"/],
    [`app:${'t'.repeat(129)}`, /invalid tag/],
    ['app:', /invalid tag ""/],
    [':1.0', /has no repository name/],
    ['MyApp:1', /uppercase letters in "MyApp"; repository paths must be lowercase/],
    ['MyOrg/app:1', /uppercase letters in "MyOrg"/],
    ['org/app-:1', /invalid path component "app-"/],
    ['org/_app:1', /invalid path component "_app"/],
    ['org/a___b:1', /invalid path component "a___b"/],
    ['org//app:1', /empty path component/],
    ['org/app/:1', /empty path component/],
    ['bad_host.com/app:1', /invalid registry "bad_host\.com"/],
    ['-registry.io/app:1', /invalid registry "-registry\.io"/],
    [`${'a'.repeat(256)}:1`, /longer than 255 characters/],
  ])('rejects %j', (ref, message) => {
    // Act
    const problem = imageReferenceProblem(ref);

    // Assess
    expect(problem).toMatch(message);
  });
});

describe("parseRolloutInput: the construct's settings are a floor", () => {
  // The gates: beforeTraffic = before the first step, beforePromote = before promotion, everyStep = both and every step.
  it.each<[ApprovalMode, ApprovalMode, boolean]>([
    ['none', 'none', true],
    ['none', 'beforeTraffic', true],
    ['none', 'beforePromote', true],
    ['none', 'everyStep', true],
    ['beforeTraffic', 'none', false],
    ['beforeTraffic', 'beforeTraffic', true],
    ['beforeTraffic', 'beforePromote', false],
    ['beforeTraffic', 'everyStep', true],
    ['beforePromote', 'none', false],
    ['beforePromote', 'beforeTraffic', false],
    ['beforePromote', 'beforePromote', true],
    ['beforePromote', 'everyStep', true],
    ['everyStep', 'none', false],
    ['everyStep', 'beforeTraffic', false],
    ['everyStep', 'beforePromote', false],
    ['everyStep', 'everyStep', true],
  ])('with the construct at approval %s, an input of %s is accepted: %s', (floor, approval, accepted) => {
    // Act
    const parse = () => parseRolloutInput({ image: IMAGE, approval }, targetWith({ approval: floor }));

    // Assess
    if (accepted) {
      expect(parse().approval).toBe(approval);
    } else {
      expect(parse).toThrow(new RegExp(`approval "${approval}" would drop an approval the service requires \\(the construct's approval is "${floor}"\\)`));
    }
  });

  it('keeps the construct\'s approval when the input names none', () => {
    expect(parseRolloutInput({ image: IMAGE }, targetWith({ approval: 'everyStep' })).approval).toBe('everyStep');
  });

  it.each<[InsufficientDataPolicy, InsufficientDataPolicy, boolean]>([
    ['healthy', 'healthy', true],
    ['healthy', 'unhealthy', true],
    ['unhealthy', 'unhealthy', true],
    ['unhealthy', 'healthy', false],
  ])('with the construct at insufficientData %s, an input of %s is accepted: %s', (floor, insufficientData, accepted) => {
    // Act
    const parse = () => parseRolloutInput({ image: IMAGE, insufficientData }, targetWith({ insufficientData: floor }));

    // Assess
    if (accepted) {
      expect(parse().insufficientData).toBe(insufficientData);
    } else {
      expect(parse).toThrow(/insufficientData "healthy" would loosen the service's health policy \(the construct's insufficientData is "unhealthy"\)/);
    }
  });

  it('refuses a loosening input when the construct left the safe default in place', () => {
    expect(() => parseRolloutInput({ image: IMAGE, insufficientData: 'healthy' }, targetWith())).toThrow(/insufficientData "healthy" would loosen/);
  });

  it('reports a loosened setting alongside the other problems', () => {
    expect(problemsOf({ image: 'nginx', approval: 'none' }, targetWith({ approval: 'beforePromote' }))).toEqual([
      expect.stringMatching(/^image "nginx" has no tag or digest/),
      'approval "none" would drop an approval the service requires (the construct\'s approval is "beforePromote"); an execution may only add approvals: give "beforePromote" or "everyStep", or leave approval out',
    ]);
  });
});

describe('parseRolloutInput: prototype keys', () => {
  it.each([
    ['{"images": {"__proto__": "registry.local/app:1.0.0"}}', 'images.__proto__'],
    ['{"images": {"app": "registry.local/app:1.0.0", "__proto__": {"app": "evil:1"}}}', 'images.__proto__'],
    ['{"images": {"constructor": "registry.local/app:1.0.0"}}', 'images.constructor'],
    ['{"images": {"prototype": "registry.local/app:1.0.0"}}', 'images.prototype'],
  ])('refuses %s as an unknown container', (json, field) => {
    // Act
    const parse = () => parseRolloutInput(JSON.parse(json), targetWith());

    // Assess
    expect(parse).toThrow(`${field} is not a container this service rolls out; allowed containers: "app", "log-router"`);
  });

  it('refuses a top-level "__proto__" as an unknown field', () => {
    expect(() => parseRolloutInput(JSON.parse('{"image": "registry.local/app:1.0.0", "__proto__": {"dryRun": true}}'), targetWith())).toThrow(
      /unknown field "__proto__"/,
    );
  });
});

describe('parseRolloutInput: the input forms', () => {
  const PARAMETER = '/serinus/releases/checkout';
  const target = () => targetConfig({ imageParameters: [PARAMETER], defaults: { strategy: 'AllAtOnce' } });
  const resolved = (value: string, version = 3) => ({ name: PARAMETER, value, version });
  const BY_DIGEST = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout@${DIGEST}`;
  // What an Amazon ECR source action writes (CodePipeline's image definitions file reference).
  const IMAGE_DETAIL = {
    ImageSizeInBytes: '44728918',
    ImageDigest: DIGEST,
    Version: '1.0',
    ImagePushedAtTime: 'Mon Jan 21 20:04:00 UTC 2019',
    RegistryId: '123456789012',
    RepositoryName: 'checkout',
    ImageURI: BY_DIGEST,
    ImageTags: ['release'],
  };
  const ALL_AT_ONCE = { steps: [{ weight: 100, bakeSeconds: 0 }], strategyName: 'AllAtOnce' };

  it.each<[string, unknown, ReturnType<typeof resolved> | undefined, Partial<RolloutRequest>]>([
    ['the rollout input (rollout.json)', { image: IMAGE, reason: 'release 1.4.2' }, undefined, { images: { app: IMAGE }, reason: 'release 1.4.2' }],
    ["an ECR source action's imageDetail.json", IMAGE_DETAIL, undefined, { images: { app: BY_DIGEST } }],
    ['an imageDetail.json with only ImageURI', { ImageURI: BY_DIGEST }, undefined, { images: { app: BY_DIGEST } }],
    [
      "a release train's imageParameter, once read",
      { imageParameter: PARAMETER, reason: 'weekly release train' },
      resolved(IMAGE),
      { images: { app: IMAGE }, reason: 'weekly release train', imageParameter: { name: PARAMETER, version: 3 } },
    ],
    ['an imageParameter with a strategy', { imageParameter: PARAMETER, strategy: 'Canary20Percent1Minutes' }, resolved(IMAGE), {
      images: { app: IMAGE },
      steps: [
        { weight: 20, bakeSeconds: 60 },
        { weight: 100, bakeSeconds: 0 },
      ],
      strategyName: 'Canary20Percent1Minutes',
      imageParameter: { name: PARAMETER, version: 3 },
    }],
  ])('normalises %s to the rollout request, defaults from the construct', (_form, raw, parameter, expected) => {
    // Act
    const request = parseRolloutInput(raw, target(), parameter);

    // Assess
    expect(request).toEqual({ ...rolloutRequestDefaults(), ...ALL_AT_ONCE, ...expected });
  });

  it.each<[string, unknown, ReturnType<typeof resolved> | undefined, RegExp]>([
    ['an imageDetail.json with a moving tag', { ImageURI: 'checkout:latest' }, undefined, /^ImageURI "checkout:latest" uses the tag "latest"/],
    ['an imageDetail.json whose ImageURI is not a string', { ImageURI: 42 }, undefined, /^ImageURI must be an image reference string/],
    [
      'an imageDetail.json mixed with rollout options',
      { ImageURI: BY_DIGEST, strategy: 'AllAtOnce' },
      undefined,
      /^strategy cannot be combined with "ImageURI" \(an Amazon ECR imageDetail.json carries only the image\); put the rollout options in a rollout.json/,
    ],
    ['an imageParameter the construct did not grant', { imageParameter: '/other/image' }, undefined, /^imageParameter "\/other\/image" is not a parameter this service may read; it may read: "\/serinus\/releases\/checkout"$/],
    ['an imageParameter that is not a parameter name', { imageParameter: 'not a name!' }, undefined, /^imageParameter must be the name of an SSM String parameter/],
    ['an imageParameter and an image', { imageParameter: PARAMETER, image: IMAGE }, resolved(IMAGE), /^give one of "image", "images" and "imageParameter", not several$/],
    [
      'an imageParameter that holds a moving tag',
      { imageParameter: PARAMETER },
      resolved('checkout:latest', 9),
      /^imageParameter "\/serinus\/releases\/checkout" \(version 9\) holds an image that cannot be rolled out: "checkout:latest" uses the tag "latest"/,
    ],
    ['an imageParameter that was not read', { imageParameter: PARAMETER }, undefined, /^imageParameter "\/serinus\/releases\/checkout" was not read before the input was parsed$/],
  ])('refuses %s, saying why', (_form, raw, parameter, message) => {
    // Act
    const parse = () => parseRolloutInput(raw, target(), parameter);

    // Assess
    expect(parse).toThrow(ValidationFailedError);
    let problems: string[] = [];
    try {
      parse();
    } catch (error) {
      problems = (error as ValidationFailedError).problems;
    }
    expect(problems).toEqual([expect.stringMatching(message)]);
  });

  it('names the parameter to read only when the construct granted it', () => {
    // Assess
    expect(requestedImageParameter({ imageParameter: PARAMETER }, target())).toBe(PARAMETER);
    expect(requestedImageParameter({ imageParameter: '/other/image' }, target())).toBeUndefined();
    expect(requestedImageParameter({ imageParameter: PARAMETER }, targetConfig())).toBeUndefined();
    expect(requestedImageParameter([PARAMETER], target())).toBeUndefined();
  });
});

function rolloutRequestDefaults(): RolloutRequest {
  return {
    images: {},
    steps: [],
    strategyName: '',
    approval: 'none',
    insufficientData: 'unhealthy',
    afterPromotion: 'scaleCanaryToZero',
    dryRun: false,
  };
}

describe('the JSON Schema of the execution input', () => {
  it('is the one the zod schema generates: run `npm run schema` after changing the input', () => {
    // Act
    const committed = readFileSync(SCHEMA_PATH, 'utf8');

    // Assess
    expect(committed).toBe(schemaText());
  });

  it('describes every field Validate accepts, and no other', () => {
    // Prepare
    const schema = JSON.parse(schemaText()) as { properties: Record<string, unknown>; additionalProperties: boolean };

    // Assess
    expect(Object.keys(schema.properties).sort()).toEqual(
      ['afterPromotion', 'approval', 'dryRun', 'freezes', 'image', 'imageParameter', 'images', 'insufficientData', 'reason', 'steps', 'strategy', 'windows'].sort(),
    );
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.approval).toMatchObject({ enum: ['none', 'beforeTraffic', 'beforePromote', 'everyStep'] });
  });
});
