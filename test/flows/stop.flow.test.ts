/**
 * A stopped execution runs no Catch. For every state the workflow can be stopped in, stop it
 * there, deliver the status-change event to cleanup as EventBridge would, and check that traffic
 * ended on stable, the canary is rolled back and the lock is released.
 */
import { sampleWorkflow, CANDIDATE, STABLE, expectEndInvariants, startFlow, waitFor, type Flow } from './flow-support';

const TERMINAL = new Set(['Succeed', 'Fail']);
const stoppable = Object.entries(sampleWorkflow().definition.States)
  .filter(([, state]) => !TERMINAL.has(state.Type))
  .map(([name]) => name);

let flow: Flow;

afterEach(async () => {
  await flow?.close();
});

it('covers every non-terminal state of the definition', () => {
  // Every state but the terminal ones, the dry-run exit and the lock's refusal.
  expect(stoppable).toEqual(expect.arrayContaining(['Validate', 'Lock', 'DeployCanary', 'Bake', 'ApproveStep', 'PromoteStable', 'Finish', 'Rollback']));
});

it.each(stoppable)('stopped in %s: cleanup leaves stable at 100%% and the lock released', async (state) => {
  // Prepare
  flow = await startFlow();
  // Rollback is only reached on failure: an alarm already in ALARM fails the first bake.
  if (state === 'Rollback') {
    await flow.engine.aws.cloudwatch.setState(flow.engine.target.alarmNames[0]!, 'ALARM', 'failing', { emitEvent: false });
  }
  // Approve every gate except the one being stopped in.
  flow.engine.onApproval((request) => {
    if (request.state !== state) void flow.engine.approve(request.token);
  });
  const execution = flow.engine.start({
    image: CANDIDATE,
    steps: [
      { weight: 10, bakeSeconds: 60 },
      { weight: 100, bakeSeconds: 60 },
    ],
    approval: 'everyStep',
  });

  // Act
  await execution.entered(state);
  execution.abort();
  const outcome = await execution.outcome;

  // Assess
  expect(outcome.status).toBe('ABORTED');
  // Choice and Pass states finish at once, so the stop can land in the state right after them.
  const instantaneous = ['Choice', 'Pass'].includes(sampleWorkflow().definition.States[state]!.Type);
  if (instantaneous) expect(outcome.states).toContain(state);
  else expect(outcome.states.at(-1)).toBe(state);
  expectEndInvariants(flow, outcome, [10, 100]);
  const { namespace, canaryDeployment, stableDeployment } = flow.engine.target.workload;
  expect(flow.engine.kube.deployment(namespace, canaryDeployment).spec.replicas).toBe(0);
  // Stopped before promotion finished, stable keeps (or gets back) its image.
  if (!['Finish'].includes(state) || outcome.cleanup) {
    const image = flow.engine.kube.deployment(namespace, stableDeployment).spec.template.spec.containers[0]!.image;
    expect([STABLE, CANDIDATE]).toContain(image);
    if (state !== 'Finish') expect(image).toBe(STABLE);
  }
});

it('a lost status event: the sweeper finds the stopped execution and rolls it back', async () => {
  // Prepare
  flow = await startFlow();
  flow.engine.deliverStatusEvents = false;
  const execution = flow.engine.start({ image: CANDIDATE, steps: [{ weight: 10, bakeSeconds: 3600 }] });
  await execution.entered('Bake');
  await waitFor(() => flow.observer.currentWeights().canary === 10, 'the canary to get traffic');
  execution.abort();
  const outcome = await execution.outcome;
  expect(outcome.cleanup).toBeUndefined();
  expect(flow.observer.currentWeights()).toEqual({ stable: 90, canary: 10 });

  // Act
  const swept = await flow.engine.sweep();

  // Assess
  expect(swept).toEqual({ checked: 1, swept: [execution.executionArn] });
  expectEndInvariants(flow, outcome, [10]);
  const { namespace, canaryDeployment } = flow.engine.target.workload;
  expect(flow.engine.kube.deployment(namespace, canaryDeployment).spec.replicas).toBe(0);
});

it('the sweeper leaves a running rollout alone', async () => {
  // Prepare
  flow = await startFlow();
  const execution = flow.engine.start({ image: CANDIDATE, steps: [{ weight: 10, bakeSeconds: 3600 }] });
  await execution.entered('Bake');
  await waitFor(() => flow.observer.currentWeights().canary === 10, 'the canary to get traffic');

  // Act
  const swept = await flow.engine.sweep();

  // Assess
  expect(swept).toEqual({ checked: 1, swept: [] });
  expect(flow.observer.currentWeights()).toEqual({ stable: 90, canary: 10 });
  execution.abort();
  expectEndInvariants(flow, await execution.outcome, [10]);
});
