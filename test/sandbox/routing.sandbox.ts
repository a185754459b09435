/**
 * `npm start -- --routing <kind>`: one short healthy run per routing mode, with real HTTP traffic
 * through the proxy, checking that the proxy followed the mode's data plane (listener rules, the
 * Ingress-reconciled rule, the VirtualService, ready pods) and that tester requests are counted
 * apart; and the option refusals of the command line. The alarms are not computed here: these runs
 * are about routing, and a loaded machine's latency must not roll them back.
 */
import { synthesizeSampleWorkflow } from '../../local/sample-workflow';
import type { SynthesizedWorkflow } from '../../local/synthesized-workflow';
import { parseCommandLine } from '../../sandbox/cli';
import type { RoutedInterval, SandboxRun } from '../../sandbox/run-model';
import type { RoutingKind } from '../../sandbox/routing-modes';
import { CANDIDATE_IMAGE, SandboxUsageError, runSandbox, type SandboxOptions } from '../../sandbox/sandbox';
import { routerHasTesterRoute } from '../../sandbox/worlds';
import { sink } from './sink';

/** A 1-minute bake passes in 125–250 ms; 200 req/s with 1 in 10 carrying the tester header. */
const SHORT: Partial<SandboxOptions> = { speed: 480, ratePerSecond: 200, bakeSeconds: 60, tailMs: 250, computeAlarms: false, live: false, color: false };

let workflow: SynthesizedWorkflow;

beforeAll(() => {
  workflow = synthesizeSampleWorkflow();
});

async function run(routing: RoutingKind): Promise<{ run: SandboxRun; text: string }> {
  const output = sink();
  const result = await runSandbox({ scenario: 'healthy', routing, workflow, output, ...SHORT });
  return { run: result, text: output.text };
}

const percent = (split: { stable: number; canary: number }) => Math.round((split.canary * 100) / (split.stable + split.canary));

/**
 * The proxy sent each route's requests as that route's split said at that moment: none to a side
 * at 0, and within two requests of the share otherwise (a smooth round robin keeps its turns
 * across a change).
 */
function expectFollowed(intervals: readonly RoutedInterval[]): void {
  for (const interval of intervals) {
    const total = interval.routed.stable + interval.routed.canary;
    const splitTotal = interval.split.stable + interval.split.canary;
    const expectedCanary = (total * interval.split.canary) / splitTotal;
    if (interval.split.canary === 0) expect({ interval, canary: interval.routed.canary }).toEqual({ interval, canary: 0 });
    else if (interval.split.stable === 0) expect({ interval, stable: interval.routed.stable }).toEqual({ interval, stable: 0 });
    else expect({ interval, off: Math.abs(interval.routed.canary - expectedCanary) <= 2 }).toEqual({ interval, off: true });
  }
}

/** The invariants of every mode's healthy run, and the main route's splits in order. */
function expectPromotedFollowing(outcome: { run: SandboxRun }, route: string): number[] {
  const { summary, routed, weights } = outcome.run;
  expect(summary).toMatchObject({ result: 'promoted', ok: true, finalWeights: { stable: 100, canary: 0 }, stableImage: CANDIDATE_IMAGE, canaryReplicas: 0 });
  expect(summary.requests.dropped).toBe(0);
  expect(weights.at(-1)).toMatchObject({ stable: 100, canary: 0 });
  expectFollowed(routed);
  // The users' requests all took the steered route; its splits are the ones the data plane showed.
  const main = routed.filter((interval) => interval.route === route);
  expect(main.reduce((sum, i) => sum + i.routed.stable + i.routed.canary - i.tester, 0)).toBe(summary.requests.total);
  const shown = weights.map((w) => w.canary);
  const followed = main.map((interval) => percent(interval.split));
  expect(isSubsequence(followed, shown)).toBe(true);
  expect(followed.at(-1)).toBe(0);
  return followed;
}

function isSubsequence(part: readonly number[], whole: readonly number[]): boolean {
  let at = 0;
  for (const value of part) {
    while (at < whole.length && whole[at] !== value) at += 1;
    if (at === whole.length) return false;
  }
  return true;
}

describe('--routing: the proxy follows the data plane of each mode', () => {
  it('alb-listener: the listener default action’s weights; the tester header goes by a header rule once the router has one', async () => {
    // Act
    const outcome = await run('alb-listener');

    // Assess
    const followed = expectPromotedFollowing(outcome, 'default action');
    expect(followed).toEqual([0, 10, 50, 100, 0]);
    const tester = outcome.run.summary.tester!;
    expect(tester.total).toBeGreaterThan(0);
    expect(tester.routed).toBe(await routerHasTesterRoute('alb'));
    const headerRule = outcome.run.routed.filter((i) => i.route !== 'default action');
    if (tester.routed) {
      expect(headerRule.every((i) => i.split.stable === 0 && i.routed.canary === i.tester)).toBe(true);
      expect(tester.canaryAtWeightZero).toBeGreaterThan(0);
    } else {
      expect(headerRule).toEqual([]);
      expect(tester.canaryAtWeightZero).toBe(0);
    }
  });

  it('alb-rule: the rule at priority 10, behind a listener that answers 404 by default', async () => {
    // Act
    const outcome = await run('alb-rule');

    // Assess
    expect(expectPromotedFollowing(outcome, 'rule 10')).toEqual([0, 10, 50, 100, 0]);
    expect(outcome.run.routed.some((i) => i.route === 'default action')).toBe(false);
  });

  it('ingress: the listener rule the controller reconciled from the annotation, not the annotation', async () => {
    // Act
    const outcome = await run('ingress');

    // Assess
    expect(expectPromotedFollowing(outcome, 'rule 1')).toEqual([0, 10, 50, 100, 0]);
    // The proxy evaluates the listener's rules: the one the controller created from the Ingress
    // (priority 1), never the annotation serinus edits.
    expect(outcome.text).toContain('ALB listener whose rule the Load Balancer Controller reconciles from Ingress checkout-ingress/checkout');
    // No tester route on an Ingress-owned listener: no tester traffic either.
    expect(outcome.run.summary.tester).toBeUndefined();
  });

  it('istio: the VirtualService route’s weights, and the tester header’s match route to the canary', async () => {
    // Act
    const outcome = await run('istio');

    // Assess
    expect(expectPromotedFollowing(outcome, 'route primary')).toEqual([0, 10, 50, 100, 0]);
    const testerRoute = outcome.run.routed.filter((i) => i.route === 'route serinus-tester-primary');
    expect(testerRoute.length).toBeGreaterThan(0);
    // Only requests with the header took it, and all of them went to the canary.
    for (const interval of testerRoute) expect(interval).toMatchObject({ split: { stable: 0 }, routed: { stable: 0, canary: interval.tester } });
    const tester = outcome.run.summary.tester!;
    expect(tester).toMatchObject({ header: 'x-canary: always', routed: true });
    expect(tester.byVersion.v2).toBeGreaterThan(0);
    expect(tester.canaryAtWeightZero).toBeGreaterThan(0);
    expect(outcome.text).toMatch(/tester route +open: requests with x-canary: always go to the canary/);
    expect(outcome.text).toMatch(/tester route +closed/);
  });

  it('replica-ratio: requests spread over the ready pods of both Deployments', async () => {
    // Act
    const outcome = await run('replica-ratio');

    // Assess
    const followed = expectPromotedFollowing(outcome, 'ready pods');
    // Pods come and go one by one: the split passes through mixes of both Deployments' ready pods.
    const mixed = outcome.run.routed.filter((i) => i.split.stable > 0 && i.split.canary > 0 && i.routed.canary > 0);
    expect(mixed.length).toBeGreaterThan(0);
    expect(followed).toContain(100);
    expect(outcome.run.summary.tester).toBeUndefined();
  });
});

describe('--routing and --tester-header on the command line', () => {
  it.each<[string, string[], Record<string, unknown>]>([
    ['alb-listener by default, with the default tester header', [], { routing: 'alb-listener', testerHeader: { name: 'x-canary', value: 'always' } }],
    ['istio with a header of its own', ['--routing', 'istio', '--tester-header', 'x-try=me'], { routing: 'istio', testerHeader: { name: 'x-try', value: 'me' } }],
    ['alb-rule without tester traffic', ['--routing=alb-rule', '--tester-header', 'none'], { routing: 'alb-rule' }],
    ['ingress: no tester header by default', ['--routing', 'ingress'], { routing: 'ingress' }],
    ['replica-ratio: none, said explicitly', ['--routing', 'replica-ratio', '--tester-header', 'none'], { routing: 'replica-ratio' }],
  ])('%s', (_name, argv, expected) => {
    // Act
    const parsed = parseCommandLine(argv, false, '/tmp');

    // Assess
    if (parsed.help) throw new Error('asked for the usage');
    expect({ routing: parsed.options.routing, testerHeader: parsed.options.testerHeader }).toEqual(expected);
  });

  it.each<[string[], RegExp]>([
    [['--routing', 'nginx'], /--routing must be one of alb-listener, alb-rule, ingress, istio, replica-ratio; got "nginx"/],
    [['--routing', 'ingress', '--tester-header', 'x-canary=always'], /the ingress routing has no tester route: the AWS Load Balancer Controller owns the listener’s rules.*\(--routing ingress\)/],
    [['--routing', 'replica-ratio', '--tester-header', 'x-canary=always'], /the replica-ratio routing has no tester route: every pod behind the Service takes its share/],
    [['--tester-header', 'x-canary'], /--tester-header must be name=value \(e.g. x-canary=always\) or none; got "x-canary"/],
    [['--tester-header', 'x canary=1'], /--tester-header must be name=value/],
    [['--tester-header', 'x-canary='], /--tester-header: the value must be 1–128 visible ASCII characters/],
    [['--routing', 'istio', '--tester-header', 'x.canary=1'], /Istio accepts header names of letters, digits, "-" and "_" only; got "x.canary"/],
  ])('%j is refused', (argv, message) => {
    // Act
    const parse = () => parseCommandLine(argv, false, '/tmp');

    // Assess
    expect(parse).toThrow(SandboxUsageError);
    expect(parse).toThrow(message);
  });

  it('runSandbox refuses a tester header for a mode without a tester route, before anything starts', async () => {
    // Act
    const attempt = runSandbox({ scenario: 'healthy', routing: 'replica-ratio', testerHeader: { name: 'x-canary', value: 'always' }, workflow, output: sink() });

    // Assess
    await expect(attempt).rejects.toThrow(SandboxUsageError);
    await expect(attempt).rejects.toThrow(/replica-ratio routing has no tester route/);
  });
});
