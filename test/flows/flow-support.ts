import type { SynthesizedWorkflow } from '../../local/synthesized-workflow';
import { LocalEngine, shutdownLocalEngines, type ExecutionOutcome, type LocalEngineOptions, type LocalExecution } from '../../local/local-engine';
import { RolloutObserver } from '../../local/rollout-observer';
import { sampleTarget, type SampleRouterKind, type SampleTargetOptions } from '../../local/sample-targets';
import type { TargetConfig } from '../../lambda/domain/types';
import { synthesizeSampleWorkflow } from '../../local/sample-workflow';

/** The sample app's rollout, as every flow runs it unless its module says otherwise (`useWorkflow`). */
const SAMPLE = (): SynthesizedWorkflow => synthesizeSampleWorkflow();

/** Workflows synthesized for this jest file, one per builder: a module's variant never replaces another module's workflow. */
const workflows = new Map<() => SynthesizedWorkflow, SynthesizedWorkflow>();

function workflowOf(builder: () => SynthesizedWorkflow): SynthesizedWorkflow {
  let workflow = workflows.get(builder);
  if (!workflow) {
    workflow = builder();
    workflows.set(builder, workflow);
  }
  return workflow;
}

/** Flows on one synthesized workflow. */
export interface Flows {
  /** flow-support's `startFlow`, on this workflow. */
  startFlow(options?: LocalEngineOptions): Promise<Flow>;
}

/**
 * Flows on a variant of the sample (e.g. with hooks), for the module that builds it: at its top,
 * `const { startFlow } = useWorkflow(() => …)`. Only the flows it starts run the variant; every other
 * flow, in this module or another one loaded beside it, still runs the sample. The variant is built
 * once per builder, before the first test of the block it is declared in (outside any test's timeout).
 */
export function useWorkflow(builder: () => SynthesizedWorkflow): Flows {
  beforeAll(() => {
    workflowOf(builder);
  }, 120_000);
  return {
    startFlow: async (options = {}) => observed(await startEngine(workflowOf(builder), options)),
  };
}

// Synthesis takes seconds (more on a busy machine): done once per jest file, outside any test's timeout.
// A jest file of several flow modules imports this module first, so these hooks span all of them:
// the fake Kubernetes API is shut down once, after the last module's flows.
beforeAll(() => {
  sampleWorkflow();
}, 120_000);

afterAll(() => shutdownLocalEngines());

/** The sample app's rollout, synthesized once per jest file (bundling skipped). */
export function sampleWorkflow(): SynthesizedWorkflow {
  return workflowOf(SAMPLE);
}

export const CANDIDATE = 'registry.local/app:2.0.0';
export const STABLE = 'registry.local/app:1.0.0';

/** Wait states and retry intervals pass at once; bakes end when their schedule fires (at once, unless held). */
export const FLOW_SPEED = 1_000_000;

export interface Flow {
  readonly engine: LocalEngine;
  readonly observer: RolloutObserver;
  /** The target the flow's executions steer (and its observer watches). */
  readonly target: TargetConfig;
  /** Starts an execution against `target`. */
  start(input: unknown, name?: string): LocalExecution;
  close(): Promise<void>;
}

/** A flow on the sample. */
export async function startFlow(options: LocalEngineOptions = {}): Promise<Flow> {
  return observed(await startEngine(sampleWorkflow(), options));
}

/**
 * A flow on the sample steered by another router kind (local/sample-targets.ts): the engine seeds
 * the kind's world for it and runs the sample's definition against it, with no synth of its own.
 */
export async function startFlowFor(kind: SampleRouterKind, target: SampleTargetOptions = {}, options: LocalEngineOptions = {}): Promise<Flow> {
  const engine = await startEngine(sampleWorkflow(), options);
  const config = sampleTarget(engine.target, kind, target);
  engine.addTarget(config);
  return observed(engine, config);
}

/**
 * Another flow on a running engine (one engine per module): a new target of `kind` seeded in it, with
 * its own observer. Its close ends the observer only; the module closes the engine's flow.
 */
export function flowFor(engine: LocalEngine, kind: SampleRouterKind, target: SampleTargetOptions = {}): Flow {
  const config = sampleTarget(engine.target, kind, target);
  engine.addTarget(config);
  const flow = observed(engine, config);
  return { ...flow, close: async () => flow.observer.close() };
}

async function startEngine(workflow: SynthesizedWorkflow, options: LocalEngineOptions): Promise<LocalEngine> {
  // Deterministic by default: a rollout completes before its PATCH answers, a bake's schedule fires
  // as soon as it is created. Tests hold what they need open (scheduler.hold, kube.holdRollout, holds).
  const engine = await LocalEngine.start(workflow, {
    speed: FLOW_SPEED,
    rolloutDelayMs: 0,
    schedulerFiring: 'immediate',
    stableImage: STABLE,
    ...options,
  });
  // The reassert fires once the fence period has passed, as in AWS: only when a test passes it
  // (`engine.passFence()`), never at once behind a handler of the stopped execution still running.
  engine.aws.scheduler.hold((schedule) => schedule.name.startsWith('serinus-reassert-'));
  return engine;
}

/** A flow around a started engine and one of its targets: its observer, and a close that ends both. */
export function observed(engine: LocalEngine, target: TargetConfig = engine.target): Flow {
  const observer = new RolloutObserver(engine, target);
  const workflow = target === engine.target ? engine.workflow : engine.workflowFor(target);
  return {
    engine,
    observer,
    target,
    start: (input, name) => engine.start(input, name, workflow),
    close: async () => {
      observer.close();
      await engine.close();
    },
  };
}

export function steps(...weights: number[]): Array<{ weight: number; bakeSeconds: number }> {
  return weights.map((weight) => ({ weight, bakeSeconds: 60 }));
}

export interface EndState {
  /** The one image the stable Deployment may run at the end. @default STABLE */
  readonly stableImage?: string;
  /** The one image the canary Deployment may run at the end. @default STABLE (what it ran before) */
  readonly canaryImage?: string;
  /** Names of the schedules expected to be left (e.g. a later rollout's safety schedule). @default none */
  readonly schedules?: readonly RegExp[];
  /** Whether a lock may still be held (a later rollout's). @default false */
  readonly locked?: boolean;
}

/**
 * The invariants of DESIGN.md §2 that hold at the end of every execution, whatever its status, once
 * the fence period of an ended rollout has passed (its reassert schedule fired). With `end`, also
 * the Deployments and the schedules left: each has exactly one right value.
 */
export async function expectEndInvariants(flow: Flow, outcome: ExecutionOutcome, planWeights: number[], end?: EndState): Promise<void> {
  // Each test asserts its own status; this only checks it is a final one.
  const { engine, observer } = flow;
  await engine.passFence();
  // 1. Stable carries all the traffic: raw weights, so 999/1 is not 100/0.
  expect(observer.currentWeights()).toEqual({ stable: 100, canary: 0 });
  // 3. The lock is released.
  if (!end?.locked) expect(engine.aws.dynamodb.items('serinus-rollouts')).toEqual([]);
  // 5. Weights only take values the plan names (a replica ratio: the splits whole pods give), never
  // reaching a canary without healthy targets.
  for (const sample of observer.weights.filter((w) => w.source === 'api')) {
    if (observer.world.exactWeights) expect([0, ...planWeights]).toContain(sample.canary);
    expect(sample.stable + sample.canary).toBe(100);
    if (sample.canary > 0) expect(sample.canaryHealthyTargets).toBeGreaterThan(0);
  }
  // 2. Nothing changed before Validate and the lock succeeded: the first mutation is the lock.
  const mutating = engine.aws.calls.filter((c) => c.mutating);
  if (mutating.length > 0) {
    expect(mutating[0]).toMatchObject({ service: 'dynamodb', command: 'PutCommand' });
  }
  // No bake schedule outlives its execution.
  expect(engine.aws.scheduler.pending().filter((schedule) => !schedule.recurring)).toEqual([]);
  expect(['SUCCEEDED', 'FAILED', 'ABORTED']).toContain(outcome.status);
  if (!end) return;
  // The canary is scaled back and runs what it ran before; stable runs the one right image.
  const { namespace, stableDeployment, canaryDeployment } = flow.target.workload;
  const image = (name: string) => engine.kube.deployment(namespace, name).spec.template.spec.containers.map((c) => c.image);
  expect(engine.kube.deployment(namespace, canaryDeployment).spec.replicas).toBe(0);
  expect(image(canaryDeployment)).toEqual([end.canaryImage ?? STABLE]);
  expect(image(stableDeployment)).toEqual([end.stableImage ?? STABLE]);
  // No schedule is left (safety, reassert, bake) but the expected ones.
  const left = engine.aws.scheduler.pending().map((schedule) => schedule.name);
  expect(left).toHaveLength(end.schedules?.length ?? 0);
  for (const name of end.schedules ?? []) expect(left).toContainEqual(expect.stringMatching(name));
}

/**
 * Keeps the bake of step `index` (0-based) open: its schedule does not fire until `release()`.
 * `running` resolves once the bake has started and its handler has returned.
 */
export function holdBake(flow: Flow, index: number): { running: Promise<void>; release(): void } {
  const hold = flow.engine.aws.scheduler.hold((schedule) => schedule.name.endsWith(`-step-${index}`));
  return {
    running: hold.reached.then(() => flow.engine.idle()),
    release: hold.release,
  };
}
