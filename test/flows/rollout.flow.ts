/**
 * The synthesized state machine, run end to end with aws-local-stepfunctions against the real
 * handlers and adapters, stateful AWS fakes and a fake Kubernetes API. Each flow asserts its own
 * outcome and the invariants of DESIGN.md §2.
 */
import { CANDIDATE, STABLE, expectEndInvariants, holdBake, sampleWorkflow, startFlow, steps, type Flow } from './flow-support';
import { albTarget } from '../../lambda/adapters/alb-target';
import { SDK_LOGGER_MIDDLEWARE } from '../../lambda/adapters/client-config';

const NAMESPACE = () => flow.engine.target.workload.namespace;
const STABLE_DEPLOYMENT = () => flow.engine.target.workload.stableDeployment;
const CANARY_DEPLOYMENT = () => flow.engine.target.workload.canaryDeployment;
const CONTAINER = () => flow.engine.target.workload.containers[0]!;
const ALARM = () => flow.engine.target.alarmNames[0]!;

let flow: Flow;

afterEach(async () => {
  await flow?.close();
});

describe('flow 1: a healthy rollout', () => {
  it('shifts 10 → 50 → 100, promotes, returns traffic to stable, scales the canary down and unlocks', async () => {
    // Prepare
    flow = await startFlow();

    // Act
    const execution = flow.engine.start({ image: CANDIDATE, steps: steps(10, 50, 100), reason: 'release 2.0.0' });
    const outcome = await execution.outcome;

    // Assess
    expect(outcome).toMatchObject({
      status: 'SUCCEEDED',
      output: { result: 'promoted', weights: { stable: 100, canary: 0 }, images: { [CONTAINER()]: CANDIDATE } },
    });
    expect(flow.observer.canaryWeights()).toEqual([10, 50, 100, 0]);
    expect(flow.engine.kube.deployment(NAMESPACE(), STABLE_DEPLOYMENT()).spec.template.spec.containers[0]!.image).toBe(CANDIDATE);
    expect(flow.engine.kube.deployment(NAMESPACE(), CANARY_DEPLOYMENT()).spec.replicas).toBe(0);
    expect(flow.observer.stableImages()).toEqual([STABLE, CANDIDATE]);
    await expectEndInvariants(flow, outcome, [10, 50, 100]);
    // The runtime's clients skip the SDK's logging middleware, which masks and copies every input
    // and output for a logger that drops them (lambda/adapters/client-config.ts).
    const clients = [...flow.engine.aws.handlerClients];
    expect(clients.length).toBeGreaterThanOrEqual(5);
    for (const client of clients) expect(client.middlewareStack.identify()).not.toContainEqual(expect.stringContaining(SDK_LOGGER_MIDDLEWARE));
    console.log(
      `flow 1: ${outcome.states.length} state transitions, ${flow.engine.invocations.length} Lambda invocations for a 3-step rollout`,
    );
  });
});

describe('flow 2: an alarm fires during the bake of step 2', () => {
  it('fails the bake at once through the alarm event and rolls back', async () => {
    // Prepare
    flow = await startFlow();
    const bake = holdBake(flow, 1);
    const execution = flow.engine.start({ image: CANDIDATE, steps: [{ weight: 10, bakeSeconds: 60 }, { weight: 50, bakeSeconds: 86_400 }] });
    await bake.running;
    const callsBefore = flow.engine.aws.calls.length;
    const invocationsBefore = flow.engine.invocations.length;

    // Act
    const alarmAt = Date.now();
    await flow.engine.aws.cloudwatch.setState(ALARM(), 'ALARM', 'Threshold Crossed: 5xx rate 12% > 5%');
    const outcome = await execution.outcome;

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'CanaryUnhealthy' });
    expect(outcome.cause).toMatch(/went to ALARM/);
    expect(outcome.cause).toMatch(/Rolled back: /);
    // The day-long bake did not run to its end: its schedule was deleted, never delivered.
    expect(flow.engine.aws.scheduler.deliveries.map((d) => d.name)).not.toContainEqual(expect.stringMatching(/step-1$/));
    await expectEndInvariants(flow, outcome, [10, 50]);
    expect(flow.observer.stableImages()).toEqual([STABLE]);

    const after = flow.engine.aws.calls.slice(callsBefore);
    const revert = after.findIndex(
      (c) => c.command === 'ModifyListener' && JSON.stringify(c.input).includes('"Weight":100') && flow.observer.weights.at(-1)?.canary === 0,
    );
    const sequence = after.slice(0, revert + 1).map((c) => `${c.service}:${c.command}`);
    const revertAt = flow.observer.weights.find((w) => w.at >= alarmAt && w.canary === 0)!.at;
    const invocations = flow.engine.invocations.slice(invocationsBefore).filter((i) => i.startedAt <= revertAt);
    expect(sequence).toContain('sfn:SendTaskFailure');
    expect(sequence.at(-1)).toBe('elbv2:ModifyListener');
    console.log(
      `flow 2: alarm → stable in ${revertAt - alarmAt} ms, ${invocations.length} Lambda invocations (${invocations.map((i) => i.handler).join(' → ')}); calls: ${sequence.join(' → ')}`,
    );
  });
});

describe('flow 3: an alarm already in ALARM before the first step', () => {
  it('fails at the pre-shift gate: the canary never gets weight and no bake is scheduled', async () => {
    // Prepare
    flow = await startFlow();
    await flow.engine.aws.cloudwatch.setState(ALARM(), 'ALARM', 'already failing', { emitEvent: false });

    // Act
    const outcome = await flow.engine.start({ image: CANDIDATE, steps: steps(10, 100) }).outcome;

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'CanaryUnhealthy' });
    expect(outcome.cause).toMatch(/refusing to shift step 1 to 10%/);
    // ShiftWeight refused before its write: the run never reached a bake.
    expect(outcome.states).toContain('ShiftWeight');
    expect(outcome.states).not.toContain('Bake');
    expect(flow.observer.canaryWeights().filter((weight) => weight > 0)).toEqual([]);
    expect(flow.observer.weights.every((sample) => sample.canary === 0)).toBe(true);
    // The only schedule is the safety schedule created with the lock; no bake was scheduled.
    const created = flow.engine.aws.calls.filter((c) => c.command === 'CreateSchedule').map((c) => (c.input as { Name: string }).Name);
    expect(created).toEqual([expect.stringMatching(/^serinus-safety-/)]);
    await expectEndInvariants(flow, outcome, [10, 100]);
  });
});

describe('flow 4: an alarm flips and recovers during a bake with no event delivered', () => {
  it('is caught by the history check at the bake end', async () => {
    // Prepare
    flow = await startFlow();
    const bake = holdBake(flow, 0);
    const execution = flow.engine.start({ image: CANDIDATE, steps: [{ weight: 10, bakeSeconds: 600 }, { weight: 100, bakeSeconds: 60 }] });
    await bake.running;

    // Act
    await flow.engine.aws.cloudwatch.setState(ALARM(), 'ALARM', 'blip', { emitEvent: false });
    await flow.engine.aws.cloudwatch.setState(ALARM(), 'OK', 'recovered', { emitEvent: false });
    bake.release();
    const outcome = await execution.outcome;

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'CanaryUnhealthy' });
    expect(outcome.cause).toMatch(/ALARM/);
    expect(outcome.states).toContain('CheckHealth');
    expect(flow.engine.alarmEvents).toEqual([]);
    await expectEndInvariants(flow, outcome, [10, 100]);
  });
});

describe('flow 5: invalid input', () => {
  it('fails at Validate and changes nothing', async () => {
    // Prepare
    flow = await startFlow();

    // Act
    const outcome = await flow.engine.start({ imgae: CANDIDATE, steps: [{ weight: 50, bakeSeconds: 60 }, { weight: 10, bakeSeconds: 60 }] })
      .outcome;

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'ValidationFailed' });
    expect(outcome.cause).toMatch(/imgae/);
    expect(outcome.cause).toMatch(/steps/);
    expect(outcome.states).toEqual(['Validate']);
    expect(flow.engine.mutations()).toEqual([]);
    await expectEndInvariants(flow, outcome, []);
  });
});

describe('flow 6: a second execution on the same listener', () => {
  it('is refused by the lock while the first carries on to promotion', async () => {
    // Prepare
    flow = await startFlow();
    const canaryRollout = flow.engine.kube.holdRollout(NAMESPACE(), CANARY_DEPLOYMENT());
    const first = flow.engine.start({ image: CANDIDATE, steps: steps(10, 100) }, 'first');
    await canaryRollout.reached;

    // Act
    const second = await flow.engine.start({ image: 'registry.local/app:3.0.0', steps: steps(20) }, 'second').outcome;
    await canaryRollout.release();
    const outcome = await first.outcome;

    // Assess
    expect(second).toMatchObject({ status: 'FAILED', error: 'LockHeld', cleanup: { held: false } });
    expect(second.cause).toMatch(/first/);
    expect(outcome).toMatchObject({ status: 'SUCCEEDED', output: { images: { [CONTAINER()]: CANDIDATE } } });
    expect(flow.observer.canaryWeights()).toEqual([10, 100, 0]);
    await expectEndInvariants(flow, outcome, [10, 100]);
  });
});

describe('flow 7: promotion fails', () => {
  it('restores the stable images and keeps traffic on stable', async () => {
    // Prepare
    flow = await startFlow();
    // The stable Deployment's next rollout is the promotion.
    flow.engine.kube.failNextRollout(NAMESPACE(), STABLE_DEPLOYMENT());

    // Act
    const outcome = await flow.engine.start({ image: CANDIDATE, steps: steps(10, 100) }).outcome;

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'RolloutStuck' });
    expect(outcome.cause).toMatch(/progress deadline|ProgressDeadlineExceeded/i);
    expect(flow.observer.stableImages()).toEqual([STABLE, CANDIDATE, STABLE]);
    expect(flow.engine.kube.deployment(NAMESPACE(), STABLE_DEPLOYMENT()).spec.template.spec.containers[0]!.image).toBe(STABLE);
    await expectEndInvariants(flow, outcome, [10, 100]);
  });
});

describe('flow 8: drift', () => {
  it('stops and reverts when the weights change outside serinus mid-bake', async () => {
    // Prepare
    flow = await startFlow();
    const traffic = albTarget(flow.engine.target.traffic);
    const bake = holdBake(flow, 0);
    const execution = flow.engine.start({ image: CANDIDATE, steps: [{ weight: 10, bakeSeconds: 300 }, { weight: 100, bakeSeconds: 60 }] });
    await bake.running;

    // Act
    flow.engine.aws.elbv2.setWeightsOutOfBand(traffic.ruleArn ?? traffic.listenerArn, {
      [traffic.stableTargetGroupArn]: 70,
      [traffic.canaryTargetGroupArn]: 30,
    });
    bake.release();
    const outcome = await execution.outcome;

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'DriftDetected' });
    expect(outcome.cause).toMatch(/stable 70 \/ canary 30/);
    await expectEndInvariants(flow, outcome, [10, 100]);
  });
});

describe('flow 10: approvals', () => {
  it('waits before promotion until a person approves', async () => {
    // Prepare
    flow = await startFlow();
    const execution = flow.engine.start({ image: CANDIDATE, steps: steps(10, 100), approval: 'beforePromote' });
    await flow.engine.nextApproval();
    expect(flow.engine.kube.deployment(NAMESPACE(), STABLE_DEPLOYMENT()).spec.template.spec.containers[0]!.image).toBe(STABLE);
    // What `serinus approve` reads: the token on the rollout record, nothing pasted from a message.
    const [record] = flow.engine.aws.dynamodb.items('serinus-rollouts') as Array<{ approval?: { token: string; gate: string } }>;
    expect(record?.approval).toMatchObject({ token: expect.any(String), gate: 'promotion' });
    const service = flow.engine.target.service;
    expect(flow.engine.aws.sns.messages).toEqual([
      expect.objectContaining({ message: expect.stringContaining(`promote app=${CANDIDATE}`) }),
    ]);
    expect(flow.engine.aws.sns.messages[0]!.message).toContain(`serinus approve ${service}`);
    expect(flow.engine.aws.eventbridge.detailTypes()).toContain('Rollout Awaiting Approval');

    // Act
    await flow.engine.approve(record!.approval!.token);
    const outcome = await execution.outcome;

    // Assess
    expect(outcome).toMatchObject({ status: 'SUCCEEDED' });
    expect(flow.observer.stableImages()).toEqual([STABLE, CANDIDATE]);
    expect(flow.engine.aws.eventbridge.detailTypes()).toEqual([
      'Rollout Started',
      'Rollout Step Reached',
      'Rollout Step Reached',
      'Rollout Awaiting Approval',
      'Rollout Promoted',
    ]);
    await expectEndInvariants(flow, outcome, [10, 100]);
  });

  it('rolls back when a person rejects', async () => {
    // Prepare
    flow = await startFlow();
    const execution = flow.engine.start({ image: CANDIDATE, steps: steps(10, 100), approval: 'beforePromote' });
    const request = await flow.engine.nextApproval();

    // Act
    await flow.engine.reject(request.token, 'p99 looks worse than I like');
    const outcome = await execution.outcome;

    // Assess
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'ApprovalRejected' });
    expect(outcome.cause).toMatch(/p99 looks worse/);
    expect(flow.engine.aws.eventbridge.events.at(-1)).toMatchObject({
      source: 'serinus',
      detailType: 'Rollout Rolled Back',
      detail: { service: flow.engine.target.service, weights: { stable: 100, canary: 0 }, reason: expect.stringMatching(/p99 looks worse/) },
    });
    expect(flow.observer.stableImages()).toEqual([STABLE]);
    await expectEndInvariants(flow, outcome, [10, 100]);
  });
});

describe('execution history', () => {
  /** History events Step Functions records per state entered, by state type (Lambda task: entered, scheduled, started, succeeded, exited). */
  const EVENTS_PER_STATE: Record<string, number> = { Task: 6, Choice: 2, Pass: 2, Wait: 2, Succeed: 2, Fail: 2 };

  it('stays far under 25,000 events with 24-hour bakes: a bake is one waiting task, not a poll', async () => {
    // Prepare
    flow = await startFlow({ speed: 400_000 });
    const day = 86_400;

    // Act
    const outcome = await flow.engine.start({
      image: CANDIDATE,
      steps: [{ weight: 10, bakeSeconds: day }, { weight: 50, bakeSeconds: day }, { weight: 100, bakeSeconds: day }],
    }).outcome;

    // Assess
    const { States } = sampleWorkflow().definition;
    const events = outcome.states.reduce((sum, state) => sum + EVENTS_PER_STATE[States[state]!.Type]!, 2);
    expect(outcome.status).toBe('SUCCEEDED');
    expect(events).toBeLessThan(1_000);
    console.log(`history: 3 bakes of 24 h → ${outcome.states.length} states entered, about ${events} history events (limit 25,000)`);
  });
});
