/**
 * Release trains: the synthesized `search` rollout of the sample app's release-train
 * stack, started with the input its schedule sends (`{"imageParameter": …}`).
 * - the image the SSM parameter holds is read, recorded and rolled out;
 * - a parameter that holds the image stable already runs ends at once, with a message and no lock;
 * - a train that meets a running rollout is refused by the lock, visibly (LockHeld and its cause).
 * And the input a CodePipeline stage passes on from an Amazon ECR source action (`imageDetail.json`).
 */
import { releaseTrainWorkflow } from '../support/flow-workflows';
import { CANDIDATE, STABLE, expectEndInvariants, holdBake, useWorkflow, type Flow } from './flow-support';

const { startFlow } = useWorkflow(releaseTrainWorkflow);

const PARAMETER = '/serinus/releases/search';
/** What the schedule sends (bin/pipelines.ts). */
const TRAIN_INPUT = { imageParameter: PARAMETER, reason: 'weekly release train' };
const PLAN = [10, 100];

let flow: Flow;

afterEach(async () => {
  await flow?.close();
});

const parameterReads = () => flow.engine.aws.calls.filter((call) => call.service === 'ssm');

it('reads the image from the parameter, records it with its version, and rolls it out', async () => {
  // Prepare
  flow = await startFlow();
  flow.engine.aws.ssm.put(PARAMETER, 'registry.local/app:1.9.0');
  const version = flow.engine.aws.ssm.put(PARAMETER, CANDIDATE);
  const bake = holdBake(flow, 0);

  // Act
  const execution = flow.engine.start(TRAIN_INPUT);
  await bake.running;
  const [record] = flow.engine.aws.dynamodb.items('serinus-rollouts') as Array<{ request: Record<string, unknown> }>;
  bake.release();
  const outcome = await execution.outcome;

  // Assess
  expect(outcome.status).toBe('SUCCEEDED');
  expect(record?.request).toMatchObject({
    images: { app: CANDIDATE },
    imageParameter: { name: PARAMETER, version: 2 },
    reason: 'weekly release train',
  });
  expect(version).toBe(2);
  expect(parameterReads()).toEqual([expect.objectContaining({ command: 'GetParameter', input: { Name: PARAMETER }, handler: 'validate', state: 'Validate' })]);
  await expectEndInvariants(flow, outcome, PLAN, { stableImage: CANDIDATE, canaryImage: CANDIDATE });
});

it("rolls out the image of an ECR source action's imageDetail.json, the input a CodePipeline stage passes on as it is", async () => {
  // Prepare: what the ECR source action writes (its other fields are ignored).
  flow = await startFlow();
  const imageDetail = { ImageURI: CANDIDATE, ImageTags: ['2.0.0'], RepositoryName: 'app', RegistryId: '123456789012' };
  const bake = holdBake(flow, 0);

  // Act
  const execution = flow.engine.start(imageDetail, 'codepipeline-0f1e2d3c');
  await bake.running;
  const [record] = flow.engine.aws.dynamodb.items('serinus-rollouts') as Array<{ request: Record<string, unknown> }>;
  bake.release();
  const outcome = await execution.outcome;

  // Assess
  expect(outcome.status).toBe('SUCCEEDED');
  expect(record?.request).toMatchObject({ images: { app: CANDIDATE } });
  expect(parameterReads()).toEqual([]);
  await expectEndInvariants(flow, outcome, PLAN, { stableImage: CANDIDATE, canaryImage: CANDIDATE });
});

it('ends with a no-op success and a message when stable already runs the image the parameter holds', async () => {
  // Prepare
  flow = await startFlow();
  const version = flow.engine.aws.ssm.put(PARAMETER, STABLE);

  // Act
  const outcome = await flow.engine.start(TRAIN_INPUT).outcome;

  // Assess
  expect(outcome.status).toBe('SUCCEEDED');
  expect(outcome.states).toEqual(['Validate', 'DryRun?', 'AlreadyRunning']);
  expect(outcome.output).toEqual({
    message: `nothing to roll out: stable already runs ${STABLE} (container "app"), the image SSM parameter "${PARAMETER}" holds at version ${version}`,
    images: { app: STABLE },
    imageParameter: { name: PARAMETER, version },
  });
  expect(flow.engine.mutations()).toEqual([]);
  await expectEndInvariants(flow, outcome, []);
});

it('is refused by the lock while another rollout holds the target: the execution fails with LockHeld naming the holder', async () => {
  // Prepare: a rollout waits for approval before its first step, so the canary has no traffic yet.
  flow = await startFlow();
  flow.engine.aws.ssm.put(PARAMETER, 'registry.local/app:3.0.0');
  const running = flow.engine.start({ image: CANDIDATE, approval: 'beforeTraffic' }, 'hotfix');
  const approval = await flow.engine.nextApproval();

  // Act
  const train = await flow.engine.start(TRAIN_INPUT, 'train').outcome;

  // Assess
  expect(train).toMatchObject({ status: 'FAILED', error: 'LockHeld' });
  expect(train.cause).toContain(`is locked by execution ${running.executionArn}`);
  expect(train.states).toEqual(['Validate', 'DryRun?', 'Lock', 'LockRefused']);
  // The running rollout goes on and promotes its own image.
  await flow.engine.approve(approval.token);
  const outcome = await running.outcome;
  expect(outcome.status).toBe('SUCCEEDED');
  await expectEndInvariants(flow, outcome, PLAN, { stableImage: CANDIDATE, canaryImage: CANDIDATE });
});
