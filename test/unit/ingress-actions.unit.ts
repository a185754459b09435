import {
  actionAnnotationKey,
  type IngressBackends,
  planIngressRestore,
  readForwardSplit,
  withForwardWeights,
} from '../../lambda/domain/ingress-actions';
import type { Weights } from '../../lambda/domain/types';
import { ValidationFailedError } from '../../lambda/errors';

// Annotation shapes from the AWS Load Balancer Controller docs (guide/ingress/annotations,
// "actions.${action-name}"): camelCase is documented; the controller decodes with Go's
// encoding/json, which matches keys case-insensitively, so the older PascalCase form still works.
const backends: IngressBackends = { stableService: 'web', canaryService: 'web-canary', servicePort: '80' };
const WHERE = 'annotation alb.ingress.kubernetes.io/actions.split of ingress "shop"';

const camel = (stable: number, canary: number) =>
  JSON.stringify({
    type: 'forward',
    forwardConfig: {
      targetGroups: [
        { serviceName: 'web', servicePort: 80, weight: stable },
        { serviceName: 'web-canary', servicePort: 80, weight: canary },
      ],
    },
  });

describe('actionAnnotationKey', () => {
  it('is the controller annotation for the action name', () => {
    expect(actionAnnotationKey('split')).toBe('alb.ingress.kubernetes.io/actions.split');
  });
});

describe('readForwardSplit', () => {
  it.each<[string, string, Weights, boolean]>([
    ['camelCase', camel(90, 10), { stable: 90, canary: 10 }, true],
    [
      'PascalCase',
      '{"Type":"forward","ForwardConfig":{"TargetGroups":[{"ServiceName":"web","ServicePort":"80","Weight":999},{"ServiceName":"web-canary","ServicePort":"80","Weight":1}]}}',
      { stable: 999, canary: 1 },
      true,
    ],
    [
      'mixed casing, port as a string',
      '{"type":"forward","ForwardConfig":{"targetGroups":[{"ServiceName":"web","servicePort":"80","weight":100},{"serviceName":"web-canary","ServicePort":80,"Weight":0}]}}',
      { stable: 100, canary: 0 },
      true,
    ],
    [
      'stable alone without a weight (ALB default 1)',
      '{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"web","servicePort":80}]}}',
      { stable: 1, canary: 0 },
      false,
    ],
    [
      'stable alone at 100',
      '{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"web","servicePort":80,"weight":100}]}}',
      { stable: 100, canary: 0 },
      false,
    ],
    [
      'stickiness and unknown keys around',
      '{"type":"forward","x-note":"keep","forwardConfig":{"targetGroups":[{"serviceName":"web","servicePort":80,"weight":70},{"serviceName":"web-canary","servicePort":80,"weight":30}],"targetGroupStickinessConfig":{"enabled":true,"durationSeconds":200}}}',
      { stable: 70, canary: 30 },
      true,
    ],
  ])('reads %s', (_case, raw, weights, canaryAttached) => {
    // Act
    const split = readForwardSplit(raw, backends, WHERE);

    // Assess
    expect(split).toEqual({ weights, canaryAttached });
  });

  it('reads a named port by its name', () => {
    // Prepare
    const raw = '{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"web","servicePort":"http","weight":80},{"serviceName":"web-canary","servicePort":"http","weight":20}]}}';

    // Act
    const split = readForwardSplit(raw, { ...backends, servicePort: 'http' }, WHERE);

    // Assess
    expect(split.weights).toEqual({ stable: 80, canary: 20 });
  });

  it.each<[string, string | undefined, RegExp]>([
    ['a missing annotation', undefined, /does not exist; add it/],
    ['text that is not JSON', 'forward to web', /is not JSON/],
    ['a JSON list', '[]', /is not a JSON object/],
    ['a redirect', '{"type":"redirect","redirectConfig":{"host":"example.com","statusCode":"HTTP_302"}}', /is a "redirect" action/],
    ['no target groups', '{"type":"forward","forwardConfig":{"targetGroups":[]}}', /names no target groups/],
    ['the simplified schema', '{"type":"forward","targetGroupARN":"arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/x/1"}', /forwards to target group arn:.*neither the stable nor the canary/],
    [
      'a third service',
      '{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"web","servicePort":80,"weight":50},{"serviceName":"legacy","servicePort":80,"weight":50}]}}',
      /forwards to service "legacy" port 80, which is neither/,
    ],
    [
      'the stable Service on another port',
      '{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"web","servicePort":8080,"weight":100}]}}',
      /service "web" port 8080/,
    ],
    [
      'only the canary',
      '{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"web-canary","servicePort":80,"weight":100}]}}',
      /does not forward to the stable Service "web"/,
    ],
    [
      'the canary twice',
      '{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"web","servicePort":80,"weight":50},{"serviceName":"web-canary","servicePort":80,"weight":25},{"serviceName":"web-canary","servicePort":80,"weight":25}]}}',
      /lists the canary Service more than once/,
    ],
    [
      'a missing weight next to another target group',
      '{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"web","servicePort":80},{"serviceName":"web-canary","servicePort":80,"weight":0}]}}',
      /gives service "web" port 80 no weight/,
    ],
    [
      'a weight as a string',
      '{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"web","servicePort":80,"weight":"90"},{"serviceName":"web-canary","servicePort":80,"weight":10}]}}',
      /the weight "90"; a weight is a whole number from 0 to 999/,
    ],
    [
      'a weight over 999',
      '{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"web","servicePort":80,"weight":1000},{"serviceName":"web-canary","servicePort":80,"weight":0}]}}',
      /the weight 1000/,
    ],
  ])('refuses %s', (_case, raw, message) => {
    // Act
    const act = () => readForwardSplit(raw, backends, WHERE);

    // Assess
    expect(act).toThrow(ValidationFailedError);
    expect(act).toThrow(message);
  });
});

describe('withForwardWeights', () => {
  it('changes only the two weights of a camelCase action', () => {
    // Prepare
    const raw =
      '{"type":"forward","x-note":"keep","forwardConfig":{"targetGroups":[{"serviceName":"web","servicePort":80,"weight":90},' +
      '{"serviceName":"web-canary","servicePort":80,"weight":10}],"targetGroupStickinessConfig":{"enabled":true,"durationSeconds":200}}}';

    // Act
    const written = withForwardWeights(raw, backends, { stable: 75, canary: 25 }, WHERE);

    // Assess
    expect(written).toBe(
      '{"type":"forward","x-note":"keep","forwardConfig":{"targetGroups":[{"serviceName":"web","servicePort":80,"weight":75},' +
        '{"serviceName":"web-canary","servicePort":80,"weight":25}],"targetGroupStickinessConfig":{"enabled":true,"durationSeconds":200}}}',
    );
  });

  it('writes a PascalCase action back in camelCase, keeping its stickiness and unknown keys', () => {
    // Prepare
    const raw =
      '{"Type":"forward","ForwardConfig":{"TargetGroups":[{"ServiceName":"web","ServicePort":"80","Weight":100},' +
      '{"ServiceName":"web-canary","ServicePort":"80","Weight":0}],"TargetGroupStickinessConfig":{"Enabled":true,"DurationSeconds":200}},"Custom":1}';

    // Act
    const written = withForwardWeights(raw, backends, { stable: 90, canary: 10 }, WHERE);

    // Assess: the port keeps the form it was written in.
    expect(JSON.parse(written)).toEqual({
      type: 'forward',
      forwardConfig: {
        targetGroups: [
          { serviceName: 'web', servicePort: '80', weight: 90 },
          { serviceName: 'web-canary', servicePort: '80', weight: 10 },
        ],
        targetGroupStickinessConfig: { enabled: true, durationSeconds: 200 },
      },
      Custom: 1,
    });
  });

  it('adds the canary after the stable Service when the action has only stable', () => {
    // Prepare
    const raw = '{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"web","servicePort":80,"weight":1}]}}';

    // Act
    const written = withForwardWeights(raw, backends, { stable: 100, canary: 0 }, WHERE);

    // Assess
    expect(JSON.parse(written).forwardConfig.targetGroups).toEqual([
      { serviceName: 'web', servicePort: 80, weight: 100 },
      { serviceName: 'web-canary', servicePort: 80, weight: 0 },
    ]);
  });

  it('adds a canary on a named port with the name', () => {
    // Prepare
    const raw = '{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"web","servicePort":"http"}]}}';

    // Act
    const written = withForwardWeights(raw, { ...backends, servicePort: 'http' }, { stable: 100, canary: 0 }, WHERE);

    // Assess
    expect(JSON.parse(written).forwardConfig.targetGroups[1]).toEqual({ serviceName: 'web-canary', servicePort: 'http', weight: 0 });
  });

  it('lets the last of two spellings of a key win, as the controller does', () => {
    // Prepare
    const raw = '{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"web","servicePort":80,"Weight":5,"weight":90},{"serviceName":"web-canary","servicePort":80,"weight":10}]}}';

    // Act
    const split = readForwardSplit(raw, backends, WHERE);
    const written = withForwardWeights(raw, backends, { stable: 80, canary: 20 }, WHERE);

    // Assess
    expect(split.weights).toEqual({ stable: 90, canary: 10 });
    expect(written).not.toContain('Weight');
  });

  it('refuses what readForwardSplit refuses', () => {
    // Act
    const act = () => withForwardWeights('{"type":"redirect"}', backends, { stable: 90, canary: 10 }, WHERE);

    // Assess
    expect(act).toThrow(/is a "redirect" action/);
  });
});

describe('planIngressRestore', () => {
  const forward = (targetGroups: unknown[]) => JSON.stringify({ type: 'forward', forwardConfig: { targetGroups } });
  const web = (weight?: number) => ({ serviceName: 'web', servicePort: 80, ...(weight !== undefined && { weight }) });
  const canary = (weight: number) => ({ serviceName: 'web-canary', servicePort: 80, weight });
  const legacy = (weight: number) => ({ serviceName: 'legacy', servicePort: 80, weight });

  it.each<[string, string, unknown[] | undefined, RegExp[]]>([
    ['the canary with traffic', forward([web(90), canary(10)]), [web(100), canary(0)], []],
    ['already stable', forward([web(100), canary(0)]), undefined, []],
    ['both at 0', forward([web(0), canary(0)]), [web(100), canary(0)], [/gave the stable Service weight 0; set it to 100/]],
    ['an operator 999/1', forward([web(999), canary(1)]), [web(100), canary(0)], []],
    ['stable missing', forward([canary(100)]), [web(100), canary(0)], [/no longer forwarded to the stable Service "web"/]],
    ['canary missing', forward([web(100)]), [web(100), canary(0)], [/no longer listed the canary Service/]],
    [
      'a third service with traffic',
      forward([web(50), legacy(30), canary(20)]),
      [web(100), legacy(0), canary(0)],
      [/forwarded to service "legacy" port 80 \(weight 30\).*set to 0/],
    ],
    ['a third service at 0', forward([web(100), legacy(0), canary(0)]), undefined, [/also lists service "legacy" port 80 at weight 0/]],
    ['the canary twice', forward([web(50), canary(25), canary(25)]), [web(100), canary(0)], [/listed the canary Service 2 times/]],
    ['a string weight', forward([web(90), { ...canary(0), weight: '10' }]), [web(100), canary(0)], [/service "web-canary" port 80 the weight "10", which is not a whole number/]],
  ])('from %s', (_case, raw, written, findings) => {
    // Act
    const plan = planIngressRestore(raw, backends, WHERE);

    // Assess
    expect(plan.nothingToSteer).toBe(false);
    expect(plan.annotation === undefined ? undefined : JSON.parse(plan.annotation).forwardConfig.targetGroups).toEqual(written);
    expect(plan.findings).toHaveLength(findings.length);
    findings.forEach((finding, index) => expect(plan.findings[index]).toMatch(finding));
  });

  it('keeps the stickiness config and the casing it writes is camelCase', () => {
    // Prepare
    const raw =
      '{"Type":"forward","ForwardConfig":{"TargetGroups":[{"ServiceName":"web","ServicePort":80,"Weight":60},' +
      '{"ServiceName":"web-canary","ServicePort":80,"Weight":40}],"TargetGroupStickinessConfig":{"Enabled":true,"DurationSeconds":60}}}';

    // Act
    const plan = planIngressRestore(raw, backends, WHERE);

    // Assess
    expect(JSON.parse(plan.annotation!)).toEqual({
      type: 'forward',
      forwardConfig: {
        targetGroups: [web(100), canary(0)],
        targetGroupStickinessConfig: { enabled: true, durationSeconds: 60 },
      },
    });
  });

  it('puts a simplified-schema target group into forwardConfig at 0, with stable at 100', () => {
    // Prepare
    const arn = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/other/1';

    // Act
    const plan = planIngressRestore(JSON.stringify({ type: 'forward', targetGroupARN: arn }), backends, WHERE);

    // Assess
    expect(JSON.parse(plan.annotation!)).toEqual({
      type: 'forward',
      forwardConfig: { targetGroups: [web(100), canary(0), { targetGroupARN: arn, weight: 0 }] },
    });
    expect(plan.findings[0]).toMatch(/forwarded to target group arn:.*set to 0/);
  });

  it('leaves the canary out when four other target groups fill the action', () => {
    // Prepare
    const others = [1, 2, 3, 4].map((n) => ({ serviceName: `other-${n}`, servicePort: 80, weight: 10 }));

    // Act
    const plan = planIngressRestore(forward([web(60), ...others]), backends, WHERE);

    // Assess
    expect(JSON.parse(plan.annotation!).forwardConfig.targetGroups).toEqual([web(100), ...others.map((o) => ({ ...o, weight: 0 }))]);
  });

  it.each<[string, string | undefined, RegExp]>([
    ['a missing annotation', undefined, /does not exist/],
    ['a fixed response', '{"type":"fixed-response","fixedResponseConfig":{"statusCode":"503"}}', /is a "fixed-response" action, so it routes no traffic/],
  ])('has nothing to steer for %s', (_case, raw, finding) => {
    // Act
    const plan = planIngressRestore(raw, backends, WHERE);

    // Assess
    expect(plan).toEqual({ nothingToSteer: true, findings: [expect.stringMatching(finding)] });
  });

  it('replaces an annotation that is not JSON with a forward to stable and canary', () => {
    // Act
    const plan = planIngressRestore('{"type":"forward",', backends, WHERE);

    // Assess
    expect(plan.nothingToSteer).toBe(false);
    expect(JSON.parse(plan.annotation!)).toEqual({ type: 'forward', forwardConfig: { targetGroups: [web(100), canary(0)] } });
    expect(plan.findings).toEqual([expect.stringMatching(/was not a JSON object; replaced it/)]);
  });
});
