/**
 * The `npm start` sandbox: one real rollout, end to end, on localhost and without an AWS account.
 *
 * The state machine synthesized from the CDK app runs in the local engine (real handlers, stateful
 * AWS fakes, a fake Kubernetes API). Around it: two app versions, a proxy that routes each request
 * as the routing mode's data plane does (listener rules, an Ingress-reconciled rule, a
 * VirtualService, ready pods), a traffic generator (part of it carrying the tester header), and
 * alarms computed from the proxy's results that emit the same alarm events the deployed engine
 * receives.
 */
import type { FakeDeployment } from '../local/fake-kubernetes';
import type { ApprovalRequest, ExecutionOutcome, LocalEngine, LocalExecution } from '../local/local-engine';
import type { SynthesizedWorkflow } from '../local/synthesized-workflow';
import type { RolloutRecord, StepSpec, TesterHeader, Weights } from '../lambda/domain/types';
import { ENV } from '../lambda/handler-names';
import { AlarmEvaluator, SlidingWindow, managedAlarmSpecs, windowStats, type AlarmChange, type Observation } from './alarms';
import { SMOKE_TEST_FUNCTION, smokeTest, smokeTestContext } from './smoke-test';
import { startVersionApp, type VersionApp, type VersionBehaviour } from './apps';
import { Progress, formatDuration, palette, terminalMode, type AlarmView, type EventKind, type Output, type ProgressSnapshot } from './progress';
import { startWeightedProxy, type TargetGroupName, type WeightedProxy } from './proxy';
import type { RouteDecision, Split } from './data-plane';
import { ROUTING_KINDS, ROUTING_MODES, TESTER_EVERY, isRoutingKind, testerHeaderFor, type RoutingKind } from './routing-modes';
import { prepareWorld, type SandboxWorld } from './worlds';
import type {
  MarkKind,
  RoutedInterval,
  RolloutResult,
  SandboxRun,
  SandboxSummary,
  Scenario,
  TesterSummary,
  TimelineMark,
  TrafficSample,
  Version,
  WeightPoint,
} from './run-model';
import { startTraffic, type Response, type Traffic } from './traffic';

export const STABLE_IMAGE = 'registry.local/checkout:1.0.0';
export const CANDIDATE_IMAGE = 'registry.local/checkout:2.0.0';

export const DEFAULTS = {
  /** 2-minute bakes in about 4–6 s: the default run takes about half a minute. */
  speed: 30,
  ratePerSecond: 100,
  bakeSeconds: 120,
  /** At 100 req/s and 10% on the canary, 3 s hold 30 canary requests: above the alarms' minimum of 20. */
  alarmWindowMs: 3000,
  sampleIntervalMs: 1000,
  /** Traffic continues this long after the rollout ends, to show who serves afterwards. */
  tailMs: 1000,
  /** How long the approval gate visibly waits before acting on --approve or --reject. */
  decisionDelayMs: 1000,
  /** The traffic generator's bound in time (its bound in count is this times the rate). */
  maxTrafficMs: 10 * 60_000,
} as const;

export const SCENARIO_NAMES: readonly Scenario[] = ['healthy', 'faulty', 'slow', 'abort', 'approval', 'smoke'];

export interface ScenarioSpec {
  /** One sentence: what happens and what serinus should do. */
  readonly story: string;
  readonly v1: VersionBehaviour;
  readonly v2: VersionBehaviour;
  readonly expected: RolloutResult;
  /** The canary weights of the plan. */
  readonly weights: readonly number[];
  readonly approval?: 'beforePromote';
  /** An alarm event must have reached serinus. */
  readonly expectsAlarm?: boolean;
  /** A `beforeTraffic` lifecycle hook smoke-tests v2 directly before any weight moves (sandbox/smoke-test.ts). */
  readonly smokeTest?: boolean;
}

const HEALTHY: VersionBehaviour = { errorRatePercent: 0, latencyMs: 8, jitterMs: 8 };

export const SCENARIOS: Record<Scenario, ScenarioSpec> = {
  healthy: {
    story: 'v2 behaves like v1: serinus shifts 10% → 50% → 100%, bakes at each step, then promotes v2',
    v1: HEALTHY,
    v2: HEALTHY,
    expected: 'promoted',
    weights: [10, 50, 100],
  },
  faulty: {
    story: 'v2 answers 1 request in 4 with a 500: the error-rate alarm fires and serinus rolls back',
    v1: HEALTHY,
    v2: { ...HEALTHY, errorRatePercent: 25 },
    expected: 'rolled_back',
    weights: [10, 50, 100],
    expectsAlarm: true,
  },
  slow: {
    story: '1 v2 request in 10 takes 2 s: the p99 latency alarm fires and serinus rolls back',
    v1: HEALTHY,
    v2: { ...HEALTHY, slowPercent: 10, slowLatencyMs: 2000 },
    expected: 'rolled_back',
    weights: [10, 50, 100],
    expectsAlarm: true,
  },
  abort: {
    story: 'the execution is stopped mid-bake (the console’s Stop): the cleanup path puts traffic back on stable',
    v1: HEALTHY,
    v2: HEALTHY,
    expected: 'aborted',
    weights: [10, 50, 100],
  },
  approval: {
    story: 'the rollout pauses before promotion until a person approves (promote) or rejects (roll back)',
    v1: HEALTHY,
    v2: HEALTHY,
    expected: 'promoted',
    weights: [10, 50, 100],
    approval: 'beforePromote',
  },
  smoke: {
    story: 'v2 answers every request with a 500: the beforeTraffic smoke test catches it and serinus rolls back before any user request reaches v2',
    v1: HEALTHY,
    v2: { ...HEALTHY, errorRatePercent: 100 },
    expected: 'rolled_back',
    weights: [10, 50, 100],
    smokeTest: true,
  },
};

/** How the approval scenario's gate is answered. */
export type ApprovalDecision = 'approve' | 'reject' | 'prompt';

/** A keyboard, for the approval prompt (process.stdin on a terminal). */
export interface KeyInput {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  on(event: 'data', listener: (data: Buffer | string) => void): unknown;
  off(event: 'data', listener: (data: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface SandboxOptions {
  readonly scenario: Scenario;
  /** What steers the traffic, and what the proxy follows. @default 'alb-listener' */
  readonly routing?: RoutingKind;
  /**
   * The header 1 request in 10 carries; null for none.
   * @default - `x-canary: always` for the modes with a tester route (alb-listener, alb-rule, istio), none for the others
   */
  readonly testerHeader?: TesterHeader | null;
  /** Simulated seconds per real second: bakes, Wait states and schedules. @default 30 */
  readonly speed?: number;
  /** @default 100 */
  readonly ratePerSecond?: number;
  /** Each step's bake, in simulated seconds. @default 120 */
  readonly bakeSeconds?: number;
  /** The approval scenario only: answer with a flag, or ask on the terminal. @default 'prompt' */
  readonly approval?: ApprovalDecision;
  /** @default process.stdout */
  readonly output?: Output;
  /** Where a keypress answers the approval prompt. @default process.stdin */
  readonly input?: KeyInput;
  /** Redraw a live panel in place. @default - when the output is a terminal and `CI` is not set */
  readonly live?: boolean;
  /** @default - when the output is a terminal and `NO_COLOR` is not set */
  readonly color?: boolean;
  /** Stops the rollout (cleanup path) and ends the run early. */
  readonly signal?: AbortSignal;
  /** The synthesized workflow, when the caller already has it. @default - synthesized from the CDK app */
  readonly workflow?: SynthesizedWorkflow;
  /** Real milliseconds of the alarms' sliding window. @default 3000 */
  readonly alarmWindowMs?: number;
  /** @default 1000 */
  readonly sampleIntervalMs?: number;
  /** @default 1000 */
  readonly tailMs?: number;
  /** @default 1000 */
  readonly decisionDelayMs?: number;
  /**
   * Compute the managed alarms from the proxy's results. Off, every alarm stays OK: a run about
   * routing that a loaded machine's latency must not roll back. @default true
   */
  readonly computeAlarms?: boolean;
  /** The traffic generator's time bound. @default 600000 */
  readonly maxTrafficMs?: number;
}

/** Options that cannot work; nothing was started. */
export class SandboxUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxUsageError';
  }
}

const STATE_NOTES: Record<string, string> = {
  Validate: 'checking the input, the listener, the Deployments and the alarms',
  Lock: 'taking the lock: one rollout per listener',
  CheckHealth: 'reading the alarms and their history since the bake began',
  PromoteStable: 'promoting: the stable Deployment gets the candidate image',
  Finish: 'all traffic to stable, scaling the canary down, releasing the lock',
  Rollback: 'rolling back: traffic to stable, canary rolled back, lock released',
};

const ACTIVITY: Record<string, string> = {
  Validate: 'validating',
  Lock: 'taking the lock',
  DeployCanary: 'starting v2 on the canary Deployment',
  CheckCanaryReady: 'waiting for the canary pods',
  BeforeTrafficHook: 'smoke-testing v2 before it gets traffic',
  WaitForCanary: 'waiting for the canary pods',
  ShiftWeight: 'shifting weights',
  Bake: 'baking',
  CheckHealth: 'checking health',
  ApproveStep: 'waiting for approval',
  ApprovePromotion: 'waiting for approval',
  PromoteStable: 'promoting v2 on the stable Deployment',
  CheckStableReady: 'waiting for the stable pods',
  WaitForStable: 'waiting for the stable pods',
  Finish: 'finishing',
  Rollback: 'rolling back',
  Promoted: 'promoted',
  RolledBack: 'rolled back',
  RollbackFailed: 'rollback failed',
};

/** The fakes stub the SDK clients' prototypes, so one run at a time per process. */
let running = false;

/** Runs one scenario to its end and closes everything it started. */
export async function runSandbox(options: SandboxOptions): Promise<SandboxRun> {
  if (running) throw new SandboxUsageError('a sandbox run is already going in this process: the AWS fakes are process-wide');
  const scenario = SCENARIOS[options.scenario];
  if (!scenario) throw new SandboxUsageError(`unknown scenario "${options.scenario}": use one of ${SCENARIO_NAMES.join(', ')}`);
  const speed = options.speed ?? DEFAULTS.speed;
  const ratePerSecond = options.ratePerSecond ?? DEFAULTS.ratePerSecond;
  const bakeSeconds = options.bakeSeconds ?? DEFAULTS.bakeSeconds;
  if (!(speed >= 1 && speed <= 10_000)) throw new SandboxUsageError(`speed must be from 1 to 10000, got ${speed}`);
  if (!(ratePerSecond >= 1 && ratePerSecond <= 2_000)) throw new SandboxUsageError(`the request rate must be from 1 to 2000 per second, got ${ratePerSecond}`);
  const routing = options.routing ?? 'alb-listener';
  if (!isRoutingKind(routing)) throw new SandboxUsageError(`unknown routing "${String(routing)}": use one of ${ROUTING_KINDS.join(', ')}`);
  const tester = testerHeaderFor(routing, options.testerHeader);
  if ('refusal' in tester) throw new SandboxUsageError(`${tester.refusal} (routing ${routing})`);
  const input: KeyInput = options.input ?? process.stdin;
  const decision: ApprovalDecision = options.approval ?? 'prompt';
  if (options.scenario === 'approval' && decision === 'prompt' && !input.isTTY) {
    throw new SandboxUsageError('the approval scenario waits for a keypress, but the input is not a terminal: pass --approve or --reject');
  }
  quietLocalRuntime();
  running = true;

  const output = options.output ?? process.stdout;
  const mode = terminalMode(output);
  const color = options.color ?? mode.color;
  const progress = new Progress(output, { live: options.live ?? mode.live, color });
  const run = new SandboxRecorder(options.scenario, routing, tester.header, speed, ratePerSecond, options.alarmWindowMs ?? DEFAULTS.alarmWindowMs, progress, color, (output.columns ?? 100) - 1);
  const closers: Array<() => Promise<void> | void> = [];
  closers.push(progress.captureForeignWrites([process.stdout, process.stderr]));
  try {
    return await run.execute({
      options,
      scenario,
      bakeSeconds,
      decision,
      input,
      closers,
    });
  } finally {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch {
        // Closing is best effort: one failure must not keep the rest open.
      }
    }
    progress.close();
    running = false;
  }
}

/**
 * The handlers log through Powertools and sign EKS tokens with the default credential chain: keep
 * their logs out of the terminal, and give them throwaway credentials so nothing looks for a real
 * account (the token only ever reaches the fake Kubernetes API on 127.0.0.1).
 */
function quietLocalRuntime(): void {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_SERVICE_NAME ??= 'serinus';
  process.env.AWS_ACCESS_KEY_ID = 'AKIDSERINUSSANDBOX';
  process.env.AWS_SECRET_ACCESS_KEY = 'serinus-sandbox-not-a-secret';
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
}

interface ExecuteArgs {
  readonly options: SandboxOptions;
  readonly scenario: ScenarioSpec;
  readonly bakeSeconds: number;
  readonly decision: ApprovalDecision;
  readonly input: KeyInput;
  readonly closers: Array<() => Promise<void> | void>;
}

interface ServedBy {
  version?: Version;
  available: number;
}

/** The parts of a started run that the poll loop and the panel read. */
interface Running {
  readonly engine: LocalEngine;
  readonly execution: LocalExecution;
  readonly steps: readonly StepSpec[];
  readonly evaluator: AlarmEvaluator;
  readonly traffic: Traffic;
  readonly proxy: WeightedProxy;
  readonly world: SandboxWorld;
}

/** One run: wires the parts together and records what the report and the summary need. */
class SandboxRecorder {
  private readonly startedAt = Date.now();
  private readonly marks: TimelineMark[] = [];
  /** Every weight change of the steered listener or rule; the last is the split in force now. */
  private readonly weights: WeightPoint[] = [{ at: 0, stable: 100, canary: 0 }];
  /** When each of `weights` took effect (epoch ms). */
  private readonly weightTimes: number[] = [Date.now()];
  /** The canary weights serinus wrote (the rollout record's), in order. */
  private readonly written: number[] = [];
  private readonly routed: RoutedInterval[] = [];
  /** The open interval of each route. */
  private readonly openIntervals = new Map<string, RoutedInterval>();
  private readonly testerByVersion: Record<Version, number> = { v1: 0, v2: 0 };
  private testerTotal = 0;
  private testerUnanswered = 0;
  private testerCanaryAtZero = 0;
  /** Whether serinus was given the tester header (set once the world is built). */
  private testerRouted = false;
  private readonly samples: TrafficSample[] = [];
  /** Who answered each request, by its position in the order of sending. */
  private readonly servedBySeq: Array<Version | undefined> = [];
  private readonly byVersion: Record<Version, number> = { v1: 0, v2: 0 };
  private readonly versionWindows: Record<Version, SlidingWindow>;
  private readonly targetWindows: Record<TargetGroupName, SlidingWindow>;
  private readonly answered: Record<TargetGroupName, Observation[]> = { stable: [], canary: [] };
  private readonly served: Record<TargetGroupName, ServedBy> = { stable: { available: 0 }, canary: { available: 0 } };
  private total = 0;
  private errors = 0;
  private waitingFor?: string;
  private expected: RolloutResult = 'promoted';
  /** The plan step whose weight was written last; -1 before the first. */
  private stepIndex = -1;
  private summarized = false;
  /** Set once the execution has ended: what the panel shows instead of the last state. */
  private ended?: string;
  /** Catches up with the execution's states, so an event prints after the states that led to it. */
  private catchUp: () => void = () => undefined;
  private interrupted = false;
  private sampleIntervalMs: number = DEFAULTS.sampleIntervalMs;

  constructor(
    private readonly scenario: Scenario,
    private readonly routing: RoutingKind,
    private readonly testerHeader: TesterHeader | undefined,
    private readonly speed: number,
    private readonly ratePerSecond: number,
    private readonly windowMs: number,
    private readonly progress: Progress,
    private readonly color: boolean,
    private readonly width: number,
  ) {
    this.versionWindows = { v1: new SlidingWindow(windowMs), v2: new SlidingWindow(windowMs) };
    this.targetWindows = { stable: new SlidingWindow(windowMs), canary: new SlidingWindow(windowMs) };
  }

  private elapsed(): number {
    return Date.now() - this.startedAt;
  }

  private event(kind: EventKind, title: string, detail = ''): void {
    // Once the summary is out, closing the fakes must not print under it.
    if (this.summarized) return;
    this.progress.event(this.elapsed(), kind, title, detail);
  }

  private mark(kind: MarkKind, label: string): void {
    this.marks.push({ at: this.elapsed(), kind, label });
  }

  async execute(args: ExecuteArgs): Promise<SandboxRun> {
    const { options, scenario, bakeSeconds, closers } = args;
    this.expected = scenario.expected;
    if (this.scenario === 'approval' && args.decision === 'reject') this.expected = 'rolled_back';
    const steps = scenario.weights.map((weight) => ({ weight, bakeSeconds }));
    const signal = options.signal;
    this.sampleIntervalMs = options.sampleIntervalMs ?? DEFAULTS.sampleIntervalMs;

    this.progress.print(`\n  serinus sandbox · scenario ${this.scenario}: ${scenario.story}.`);
    this.progress.print(`  routing ${this.routing}: ${ROUTING_MODES[this.routing].story}.`);
    this.progress.print(
      `  time runs ×${this.speed}: ${formatDuration(bakeSeconds * 1000)} bakes take about ${(bakeSeconds / this.speed).toFixed(1)}–${((bakeSeconds + 60) / this.speed).toFixed(1)} s ` +
        `(a bake ends on a whole minute, as EventBridge Scheduler fires); traffic: ${this.ratePerSecond} req/s` +
        `${this.testerHeader ? `, 1 request in ${TESTER_EVERY} with the tester header ${this.testerHeader.name}: ${this.testerHeader.value}` : ''}\n`,
    );

    // Loaded here, not at the top: `--help` and a bad flag answer at once, without the CDK and the engine.
    const { LocalEngine } = await import('../local/local-engine');
    let workflow = options.workflow;
    if (!workflow) {
      const began = Date.now();
      const { synthesizeSampleWorkflow } = await import('../local/sample-workflow');
      workflow = synthesizeSampleWorkflow(scenario.smokeTest ? smokeTestContext() : {});
      this.event('info', 'synthesized', `the CDK app's state machine: ${Object.keys(workflow.definition.States).length} states, ${Object.keys(workflow.definedAlarms).length} managed alarms (${Date.now() - began} ms)`);
    }
    if (signal?.aborted) throw new SandboxUsageError('interrupted before the rollout started');

    const apps: Record<Version, VersionApp> = {
      v1: await startVersionApp('v1', scenario.v1),
      v2: await startVersionApp('v2', scenario.v2),
    };
    closers.push(() => apps.v1.close(), () => apps.v2.close());

    // The replica ratio waits for pods to be ready after each scale (10 reads 2 s apart): its pods
    // start in 6 simulated seconds, and its pauses run on the rollout's clock rather than at once.
    const pods = this.routing === 'replica-ratio';
    const engine = await LocalEngine.start(workflow, {
      speed: this.speed,
      stableImage: STABLE_IMAGE,
      rolloutDelayMs: Math.round(pods ? Math.max(5, 6_000 / this.speed) : Math.min(800, Math.max(20, 24_000 / this.speed))),
      ...(pods && { retryTimeScale: this.speed }),
    });
    closers.push(() => engine.close());
    // Before any request flows: a handler's first load blocks this process, which also runs the
    // proxy and both apps, and would read as canary latency.
    await engine.loadHandlers();
    const world: SandboxWorld = await prepareWorld(this.routing, engine, workflow, this.testerHeader);
    closers.push(() => world.close());
    this.testerRouted = world.testerRouted;
    if (this.testerHeader && !world.testerRouted) {
      this.event('info', 'tester', `the ${world.target.traffic.kind} router has no tester route: requests with ${this.testerHeader.name} go by the weights like any other`);
    }
    const { workload } = world.target;
    const container = workload.containers[0]!;

    // Which version each target group serves: the image its Deployment's available pods run.
    const versionOf = (image: string | undefined): Version | undefined =>
      image === STABLE_IMAGE ? 'v1' : image === CANDIDATE_IMAGE ? 'v2' : undefined;
    const track = (which: TargetGroupName, deployment: FakeDeployment): void => {
      const image = deployment.spec.template.spec.containers.find((c) => c.name === container)?.image;
      const rolledOut =
        (deployment.status.observedGeneration ?? 0) >= deployment.metadata.generation &&
        !(deployment.status.conditions ?? []).some((c) => c.reason === 'ProgressDeadlineExceeded');
      const before = this.served[which];
      const next: ServedBy = { version: rolledOut ? versionOf(image) : before.version, available: deployment.status.availableReplicas ?? 0 };
      this.served[which] = next;
      if (next.version !== before.version || next.available !== before.available) {
        const pods = next.available === 0 ? 'no pods available' : `${next.available} pod${next.available === 1 ? '' : 's'} available, serving ${next.version ?? 'an unknown image'}`;
        this.event('pods', deployment.metadata.name, `${pods}${before.available > 0 && before.version && next.version !== before.version && next.available > 0 ? ` (was ${before.version})` : ''}`);
      }
    };
    const deploymentOf = (which: TargetGroupName) =>
      engine.kube.deployment(workload.namespace, which === 'stable' ? workload.stableDeployment : workload.canaryDeployment);
    this.served.stable = { version: versionOf(STABLE_IMAGE), available: deploymentOf('stable').status.availableReplicas ?? 0 };
    this.served.canary = { version: versionOf(STABLE_IMAGE), available: deploymentOf('canary').status.availableReplicas ?? 0 };
    engine.kube.onChange((namespace, name, deployment) => {
      if (namespace !== workload.namespace) return;
      if (name === workload.stableDeployment) track('stable', deployment);
      else if (name === workload.canaryDeployment) track('canary', deployment);
    });

    const proxy: WeightedProxy = await startWeightedProxy({
      dataPlane: world.dataPlane,
      upstream: (side) => {
        const served = this.served[side];
        return served.version && served.available > 0 ? { version: served.version, port: apps[served.version].port } : undefined;
      },
      ...(this.testerHeader && { testerHeader: this.testerHeader }),
      onForward: (decision, tester, at) => {
        const targetGroup = decision.side;
        this.routedBy(decision, tester, at);
        if (tester && targetGroup === 'canary' && world.split().canary === 0) this.testerCanaryAtZero += 1;
        const id = this.targetWindows[targetGroup].begin(at);
        return (result) => {
          const observation = result.version ? { at: result.at, status: result.status, latencyMs: result.latencyMs } : undefined;
          this.targetWindows[targetGroup].end(id, observation);
          if (observation) this.answered[targetGroup].push(observation);
        };
      },
    });
    closers.push(() => proxy.close());

    const specs =
      options.computeAlarms === false ? [] : managedAlarmSpecs(workflow.definedAlarms).filter((spec) => world.target.alarmNames.includes(spec.name));
    const evaluator = new AlarmEvaluator({
      specs,
      canary: this.targetWindows.canary,
      stable: this.targetWindows.stable,
      setState: (name, state, reason) => engine.aws.cloudwatch.setState(name, state, reason),
    });
    closers.push(() => evaluator.stop());
    evaluator.onChange((change) => this.alarmChanged(change));

    this.event(
      'info',
      'localhost',
      `v1 :${apps.v1.port} · v2 :${apps.v2.port} · ${world.dataPlane.describe} ${proxy.url} · ${specs.length} alarms computed from its results`,
    );

    // Below the alarms' minimum request count a canary's error rate does not count, as in CloudWatch.
    const minimum = Math.min(...specs.map((spec) => spec.minimumRequests));
    const perWindow = (this.ratePerSecond * (steps[0]!.weight / 100) * this.windowMs) / 1000;
    if (specs.length > 0 && perWindow < minimum) {
      this.event(
        'info',
        'note',
        `at ${this.ratePerSecond} req/s a ${steps[0]!.weight}% canary answers about ${Math.floor(perWindow)} requests per ${(this.windowMs / 1000).toFixed(0)} s window, below the alarms' minimum of ${minimum}: they only judge it at higher weights (try --rate ${Math.ceil((minimum * 1.5 * 1000 * 100) / (steps[0]!.weight * this.windowMs))})`,
      );
    }

    const traffic: Traffic = startTraffic({
      url: proxy.url,
      ratePerSecond: this.ratePerSecond,
      maxDurationMs: options.maxTrafficMs ?? DEFAULTS.maxTrafficMs,
      maxRequests: Math.ceil(this.ratePerSecond * ((options.maxTrafficMs ?? DEFAULTS.maxTrafficMs) / 1000)),
      onResponse: (response) => this.responded(response),
      ...(this.testerHeader && { tester: { header: this.testerHeader, every: TESTER_EVERY } }),
    });
    closers.push(() => traffic.stop());
    evaluator.start();

    let alarmAt: number | undefined;
    let revertPending = false;
    world.onSplitChange((split) => {
      this.catchUp();
      const last = this.weights.at(-1)!;
      if (split.stable === last.stable && split.canary === last.canary) return;
      const point = { at: this.elapsed(), ...split };
      this.stepReached(point.canary, steps);
      this.weights.push(point);
      this.weightTimes.push(Date.now());
      let detail = '';
      if (point.canary === 0 && (revertPending || engine.alarmEvents.length > 0)) {
        const first = engine.alarmEvents[0];
        if (first && alarmAt === undefined) {
          alarmAt = first.at;
          detail = `back on stable ${Date.now() - first.at} ms after the alarm event`;
        } else {
          detail = 'back on stable';
        }
        this.mark('revert', 'traffic back on stable');
      }
      this.event('weights', `${point.stable} / ${point.canary}`, `stable ${point.stable}% · canary ${point.canary}%${detail ? ` — ${detail}` : ''}`);
    });

    if (scenario.smokeTest) {
      engine.registerHook(SMOKE_TEST_FUNCTION, smokeTest(`http://127.0.0.1:${apps.v2.port}/`, (passed, reason) => this.event(passed ? 'info' : 'fail', 'smoke test', reason)));
    }

    // The rollout.
    const execution = engine.start(
      {
        image: CANDIDATE_IMAGE,
        steps,
        reason: `serinus sandbox: ${this.scenario} (routing ${this.routing})`,
        ...(scenario.approval && { approval: scenario.approval }),
      },
      undefined,
      world.workflow,
    );
    this.event('step', 'execution', `${execution.name}: ${CANDIDATE_IMAGE} in ${steps.map((s) => `${s.weight}%`).join(' → ')}, ${formatDuration(bakeSeconds * 1000)} bakes`);

    let finished = false;
    const stopExecution = (why: string): void => {
      if (finished) return;
      revertPending = true;
      this.mark('abort', why);
      this.event('fail', 'stop', `${why}: the execution stops without running a Catch; the status-change event sends cleanup`);
      execution.abort();
    };
    const onAbort = () => {
      this.interrupted = true;
      stopExecution('interrupted');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    closers.push(() => signal?.removeEventListener('abort', onAbort));
    if (signal?.aborted) onAbort();

    const ended = new AbortController();
    closers.push(() => ended.abort());
    engine.onApproval((request) => void this.approvalRequested(engine, request, args, ended.signal, () => (revertPending = true), onAbort));

    const running: Running = { engine, execution, steps, evaluator, traffic, proxy, world };
    const watch = this.watch(running, stopExecution);
    closers.push(() => watch.stop());
    const outcome = await execution.outcome;
    finished = true;
    ended.abort();
    watch.drain();
    if (outcome.status === 'ABORTED') {
      // A stopped rollout keeps its canary and its ended record until the reassert, one function
      // timeout later (a handler still running must find pods). The sandbox skips that wait.
      this.event('state', 'reassert', 'the fence period passes: the reassert rolls the canary back and releases the lock');
      await engine.passFence();
    }

    const result: RolloutResult =
      outcome.status === 'SUCCEEDED' && (outcome.output as { result?: string } | undefined)?.result === 'promoted'
        ? 'promoted'
        : outcome.status === 'ABORTED'
          ? 'aborted'
          : 'rolled_back';
    this.ended = result.replace('_', ' ');
    this.mark('end', this.ended);
    this.event(result === this.expected ? 'ok' : 'fail', result.replace('_', ' '), describeOutcome(outcome));

    // Traffic carries on for a moment, so the last requests show who serves after the end.
    await sleep(options.tailMs ?? DEFAULTS.tailMs);
    await traffic.stop();
    watch.stop();
    await evaluator.stop();
    this.sample();

    const firstAlarm = engine.alarmEvents[0];
    const revertIndex = firstAlarm ? this.weights.findIndex((w, i) => i > 0 && this.weightTimes[i]! >= firstAlarm.at && w.canary === 0) : -1;
    const finalWeights = world.split();
    if (this.written.at(-1) !== finalWeights.canary && this.written.length > 0) this.written.push(finalWeights.canary);
    const summary = this.summarize({
      engine,
      world,
      finalWeights,
      droppedBy: proxy.droppedBy,
      outcome,
      result,
      steps,
      scenario,
      alarmToRevertMs: firstAlarm && revertIndex > 0 ? this.weightTimes[revertIndex]! - firstAlarm.at : null,
      evaluatorErrors: evaluator.errors.length,
    });
    this.progress.update(this.snapshot(running));
    this.progress.close();
    this.progress.print(renderSummary(summary, this.written, this.color, Math.min(120, this.width)));
    this.summarized = true;

    return {
      summary,
      startedAt: new Date(this.startedAt).toISOString(),
      weights: this.weights,
      traffic: this.samples,
      marks: this.marks,
      lastServed: this.lastServed(100),
      routed: this.routed,
    };
  }

  /** Counts the request in the interval of its route and split; a new split opens a new interval. */
  private routedBy(decision: RouteDecision, tester: boolean, at: number): void {
    let open = this.openIntervals.get(decision.route);
    if (!open || open.split.stable !== decision.split.stable || open.split.canary !== decision.split.canary) {
      open = { at: at - this.startedAt, route: decision.route, split: { ...decision.split }, routed: { stable: 0, canary: 0 }, tester: 0 };
      this.openIntervals.set(decision.route, open);
      this.routed.push(open);
    }
    open.routed[decision.side] += 1;
    if (tester) open.tester += 1;
  }

  private responded(response: Response): void {
    if (response.tester) {
      this.testerTotal += 1;
      if (response.version) this.testerByVersion[response.version] += 1;
      else this.testerUnanswered += 1;
      return;
    }
    this.total += 1;
    if (response.status >= 500) this.errors += 1;
    if (!response.version) return;
    this.byVersion[response.version] += 1;
    this.versionWindows[response.version].add({ at: response.at, status: response.status, latencyMs: response.latencyMs });
    this.servedBySeq[response.seq] = response.version;
  }

  /**
   * The versions that served the last `count` requests answered, in the order they were sent (a
   * slow answer keeps its place rather than arriving last).
   */
  private lastServed(count: number): Version[] {
    const versions: Version[] = [];
    for (let seq = this.servedBySeq.length - 1; seq > 0 && versions.length < count; seq -= 1) {
      const version = this.servedBySeq[seq];
      if (version) versions.push(version);
    }
    return versions.reverse();
  }

  private alarmChanged(change: AlarmChange): void {
    const label = shortAlarmName(change.name);
    // Past the end the rollout is over: the tail's traffic still feeds the alarms (a busy machine's
    // late evaluation can flip one), but nothing the rollout did follows its end on the timeline.
    if (this.ended) {
      this.event(change.to === 'ALARM' ? 'alarm-on' : 'alarm-off', label, `→ ${change.to} after the end: ${change.reason}`);
      return;
    }
    if (change.to === 'ALARM') {
      this.mark('alarm', `${label} ALARM`);
      this.event('alarm-on', `${label}`, `→ ALARM: ${change.reason}`);
    } else {
      this.event('alarm-off', `${label}`, `→ OK: ${change.reason}`);
    }
  }

  private async approvalRequested(
    engine: LocalEngine,
    request: ApprovalRequest,
    args: ExecuteArgs,
    ended: AbortSignal,
    rejecting: () => void,
    interrupt: () => void,
  ): Promise<void> {
    this.catchUp();
    this.mark('approval', 'approval requested');
    const gate = request.state === 'ApprovePromotion' ? 'promote v2 to the stable Deployment' : 'continue to the next step';
    this.event('approval', request.state, `waiting for a person: ${gate}?`);
    let decision = args.decision;
    if (decision === 'prompt') {
      this.waitingFor = `approval needed to ${gate}: press any key to approve, r to reject (roll back)`;
      const key = await readKey(args.input, ended);
      if (key === undefined) return;
      if (key === 'interrupt') {
        this.waitingFor = undefined;
        interrupt();
        return;
      }
      decision = key === 'r' || key === 'R' ? 'reject' : 'approve';
      this.expected = decision === 'reject' ? 'rolled_back' : 'promoted';
    } else {
      this.waitingFor = `approval needed to ${gate}: answering --${decision} in a moment`;
      await sleep(args.options.decisionDelayMs ?? DEFAULTS.decisionDelayMs);
      if (ended.aborted) return;
    }
    this.waitingFor = undefined;
    try {
      if (decision === 'approve') {
        this.mark('approval', 'approved');
        this.event('approval', 'approved', 'SendTaskSuccess: the rollout continues');
        await engine.approve(request.token);
      } else {
        rejecting();
        this.mark('approval', 'rejected');
        this.event('approval', 'rejected', 'SendTaskFailure (ApprovalRejected): the rollout rolls back');
        await engine.reject(request.token, args.decision === 'prompt' ? 'rejected with a keypress in the serinus sandbox' : 'rejected with --reject in the serinus sandbox');
      }
    } catch (error) {
      // The execution may have ended meanwhile (stopped); its token is then gone.
      this.event('info', 'approval', `could not answer the gate: ${(error as Error).message}`);
    }
  }

  /** Polls the execution and the fakes: state events, bakes, the abort scenario, the panel. */
  private watch(running: Running, stopExecution: (why: string) => void): { drain(): void; stop(): void } {
    const { engine, execution, steps, world } = running;
    const { workload } = world.target;
    let seen = 0;
    let testerRouteOpen = false;
    let healthyThrough = -1;
    const bakesSeen = new Set<number>();
    let lastSample = Date.now();
    let polling = false;
    const poll = (): void => {
      polling = true;
      try {
        pollOnce();
      } finally {
        polling = false;
      }
    };
    const pollOnce = (): void => {
      const record = rolloutRecord(engine);
      this.followWrites(record?.lastWrittenWeights, steps);
      if (this.testerHeader && world.testerRouteOpen() !== testerRouteOpen) {
        testerRouteOpen = !testerRouteOpen;
        const header = `${this.testerHeader.name}: ${this.testerHeader.value}`;
        this.event('state', 'tester route', testerRouteOpen ? `open: requests with ${header} go to the canary` : `closed: requests with ${header} go by the weights again`);
      }
      if (record?.healthyThroughStep !== undefined && record.healthyThroughStep > healthyThrough) {
        healthyThrough = record.healthyThroughStep;
        this.event('check', `step ${healthyThrough + 1} healthy`, 'CheckHealth: every alarm OK, and no ALARM in their history since the bake began');
      }
      for (; seen < execution.states.length; seen += 1) {
        const state = execution.states[seen]!;
        if (state === 'DeployCanary') {
          this.event('state', state, `${workload.canaryDeployment} → ${CANDIDATE_IMAGE}, ${workload.canaryReplicas} replica(s)`);
        } else if (state === 'PromoteStable') {
          this.mark('promote', 'promote');
          this.event('state', state, `${workload.stableDeployment} → ${CANDIDATE_IMAGE}`);
        } else if (state === 'Rollback') {
          this.event('fail', state, STATE_NOTES[state]!);
        } else if (STATE_NOTES[state] && state !== 'CheckHealth') {
          this.event('state', state, STATE_NOTES[state]);
        }
      }
      const bake = currentBake(engine);
      if (bake && !bakesSeen.has(bake.stepIndex)) {
        bakesSeen.add(bake.stepIndex);
        this.event(
          'state',
          'Bake',
          `step ${bake.stepIndex + 1}: ${formatDuration(bake.simulatedTotalMs)} simulated until the schedule fires (${formatDuration((steps[bake.stepIndex]?.bakeSeconds ?? 0) * 1000)} asked, rounded up to a whole minute) ≈ ${(bake.simulatedTotalMs / this.speed / 1000).toFixed(1)} s`,
        );
      }
      if (Date.now() - lastSample >= this.sampleIntervalMs) {
        lastSample = Date.now();
        this.sample();
      }
      this.progress.update(this.snapshot(running));
    };
    this.catchUp = () => {
      if (!polling) poll();
    };
    const timer = setInterval(poll, 100);
    // The abort scenario stops the execution part-way through the bake of step 2. A bake can be a
    // fraction of a second at high speed, so this looks more often than the panel redraws.
    const stopStep = Math.min(1, steps.length - 1);
    let stopAt: NodeJS.Timeout | undefined;
    const abortWatch =
      this.scenario === 'abort'
        ? setInterval(() => {
            const bake = currentBake(engine);
            if (!bake || bake.stepIndex < stopStep || stopAt) return;
            clearInterval(abortWatch);
            const delayMs = Math.max(0, bake.startedAt + (0.4 * bake.simulatedTotalMs) / this.speed - Date.now());
            stopAt = setTimeout(() => stopExecution(`stopped in the bake of step ${bake.stepIndex + 1}`), delayMs);
          }, 10)
        : undefined;
    return {
      drain: poll,
      stop: () => {
        clearInterval(timer);
        clearInterval(abortWatch);
        clearTimeout(stopAt);
      },
    };
  }

  /**
   * The weights serinus wrote, from the rollout record: a step starts when its weight is written,
   * whenever the data plane follows (an Ingress's controller lags, pods take time to be ready).
   */
  private followWrites(weights: Weights | undefined, steps: readonly StepSpec[]): void {
    if (!weights) return;
    const total = weights.stable + weights.canary;
    const canary = total > 0 ? Math.round((weights.canary * 100) / total) : 0;
    if (this.written.at(-1) === canary || (this.written.length === 0 && canary === 0)) return;
    this.written.push(canary);
    this.stepReached(canary, steps);
  }

  /** Marks the next planned step whose weight this is, once: when serinus wrote it or the data plane shows it, whichever comes first. */
  private stepReached(canary: number, steps: readonly StepSpec[]): void {
    const step = steps.findIndex((planned, i) => i > this.stepIndex && planned.weight === canary);
    if (canary > 0 && step >= 0) {
      this.stepIndex = step;
      this.mark('step', `step ${step + 1}: ${canary}%`);
      this.event('step', `step ${step + 1}/${steps.length}`, `${canary}% of the traffic to the canary`);
    }
  }

  private sample(): void {
    const at = this.elapsed();
    const now = Date.now();
    const lastAt = this.samples.at(-1)?.at;
    const interval = lastAt === undefined ? at : Math.max(1, at - lastAt);
    const of = (targetGroup: TargetGroupName) => {
      const stats = windowStats(this.answered[targetGroup], [], now, interval);
      return { requests: stats.answered, errorRatePercent: stats.errorRatePercent, p99Ms: stats.p99Ms ?? 0 };
    };
    this.samples.push({ at, stable: of('stable'), canary: of('canary') });
  }

  private snapshot({ engine, execution, steps, evaluator, traffic, proxy }: Running): ProgressSnapshot {
    const now = Date.now();
    const finished = ['Promoted', 'RolledBack', 'RollbackFailed', 'LockRefused', 'DryRunComplete'].includes(execution.states.at(-1) ?? '');
    const stateName = [...execution.states].reverse().find((state) => ACTIVITY[state] !== undefined);
    const step = steps[this.stepIndex];
    const { stable, canary } = this.weights.at(-1)!;
    const bake = stateName === 'Bake' ? currentBake(engine) : undefined;
    const bakeLeftMs = bake && Math.max(0, bake.simulatedTotalMs - (now - bake.startedAt) * this.speed);
    const version = (v: Version) => {
      const stats = this.versionWindows[v].stats(now);
      return { requests: this.byVersion[v], errorRatePercent: stats.errorRatePercent, p99Ms: stats.p99Ms };
    };
    const alarms: AlarmView[] = engine.target.alarmNames
      .map((name) => {
        const state = evaluator.state(name);
        return { label: shortAlarmName(name), state: state ?? 'OK', computed: state !== undefined };
      })
      .sort((a, b) => Number(b.computed) - Number(a.computed));
    return {
      elapsedMs: now - this.startedAt,
      speed: this.speed,
      activity: this.ended ?? (stateName ? ACTIVITY[stateName]! : 'starting'),
      ...(step && !finished && !this.ended && { step: { number: this.stepIndex + 1, count: steps.length, weight: step.weight } }),
      weights: { stable, canary },
      ...(bakeLeftMs !== undefined && { bakeLeft: { simulatedMs: bakeLeftMs, realMs: bakeLeftMs / this.speed } }),
      versions: { v1: version('v1'), v2: version('v2') },
      windowMs: this.windowMs,
      alarms,
      lastServed: this.lastServed(60),
      traffic: { ratePerSecond: this.ratePerSecond, sent: traffic.sent, inFlight: traffic.inFlight, dropped: proxy.dropped },
      ...(this.testerHeader && { tester: { ...this.testerSummary(), unanswered: proxy.testerDropped } }),
      routing: this.routing,
      ...(this.waitingFor && { waitingFor: this.waitingFor }),
    };
  }

  private testerSummary(): TesterSummary {
    return {
      header: `${this.testerHeader!.name}: ${this.testerHeader!.value}`,
      routed: this.testerRouted,
      total: this.testerTotal,
      byVersion: { ...this.testerByVersion },
      unanswered: this.testerUnanswered,
      canaryAtWeightZero: this.testerCanaryAtZero,
    };
  }

  private summarize(input: {
    engine: LocalEngine;
    world: SandboxWorld;
    finalWeights: Split;
    droppedBy: WeightedProxy['droppedBy'];
    outcome: ExecutionOutcome;
    result: RolloutResult;
    steps: readonly StepSpec[];
    scenario: ScenarioSpec;
    alarmToRevertMs: number | null;
    evaluatorErrors: number;
  }): SandboxSummary {
    const { engine, world, finalWeights, outcome, result } = input;
    const { workload } = world.target;
    const stableImage =
      engine.kube.deployment(workload.namespace, workload.stableDeployment).spec.template.spec.containers.find((c) => c.name === workload.containers[0])
        ?.image ?? '';
    const canaryReplicas = engine.kube.deployment(workload.namespace, workload.canaryDeployment).spec.replicas;
    const dropped = this.total - this.byVersion.v1 - this.byVersion.v2;
    const expectedImage = result === 'promoted' ? CANDIDATE_IMAGE : STABLE_IMAGE;

    const problems: string[] = [];
    if (this.interrupted) problems.push('the run was interrupted');
    if (result !== this.expected) {
      problems.push(`the rollout ended ${result.replace('_', ' ')}, but the ${this.scenario} scenario expects it ${this.expected.replace('_', ' ')}`);
    }
    if (finalWeights.stable !== 100 || finalWeights.canary !== 0) {
      problems.push(`traffic did not end on stable (stable ${finalWeights.stable}%, canary ${finalWeights.canary}%)`);
    }
    if (stableImage !== expectedImage) problems.push(`the stable Deployment runs ${stableImage}, not ${expectedImage}`);
    if (canaryReplicas !== 0) problems.push(`the canary Deployment still has ${canaryReplicas} replicas`);
    if (dropped > 0) {
      const { noRoute, noPods, failed } = input.droppedBy;
      problems.push(`${dropped} of ${this.total} requests got no answer from v1 or v2 (the proxy found no route for ${noRoute}, no ready pods for ${noPods}; ${failed} failed upstream)`);
    }
    if (input.scenario.expectsAlarm && engine.alarmEvents.length === 0) problems.push('no alarm event reached serinus');
    if (engine.kube.listenerErrors.length > 0) problems.push(`${engine.kube.listenerErrors.length} Deployment listeners failed`);
    if (input.evaluatorErrors > 0) problems.push(`${input.evaluatorErrors} alarm state changes could not be delivered`);

    const ok = problems.length === 0;
    const lost = `every one of ${this.total.toLocaleString('en-US')} requests was answered by v1 or v2`;
    const revert = input.alarmToRevertMs === null ? '' : `, traffic was back on stable ${input.alarmToRevertMs} ms after the alarm event`;
    const reason = ok ? `${result.replace('_', ' ')} as the ${this.scenario} scenario expects${revert}; ${lost}` : problems.join('; ');
    return {
      scenario: this.scenario,
      routing: this.routing,
      result,
      expected: this.expected,
      ok,
      reason,
      finalWeights,
      stableImage,
      canaryReplicas,
      requests: { total: this.total, byVersion: { ...this.byVersion }, errors: this.errors, dropped },
      ...(this.testerHeader && { tester: this.testerSummary() }),
      alarmToRevertMs: input.alarmToRevertMs,
      stateTransitions: outcome.states.length,
      lambdaInvocations: engine.invocations.length,
      steps: input.steps.map((s) => ({ weight: s.weight, bakeSeconds: s.bakeSeconds })),
      durationMs: this.elapsed(),
      speed: this.speed,
      ...(outcome.cause !== undefined && { cause: causeText(outcome.cause) }),
    };
  }
}

/** The rollout record (the lock item), while a rollout holds the listener. */
function rolloutRecord(engine: LocalEngine): Pick<RolloutRecord, 'bake' | 'healthyThroughStep' | 'lastWrittenWeights'> | undefined {
  const table = process.env[ENV.tableName];
  if (!table) return undefined;
  const [record] = engine.aws.dynamodb.items(table) as Array<Pick<RolloutRecord, 'bake' | 'healthyThroughStep' | 'lastWrittenWeights'>>;
  return record;
}

/** The running bake, from the rollout record and its end-of-bake schedule. */
function currentBake(engine: LocalEngine): { stepIndex: number; startedAt: number; simulatedTotalMs: number } | undefined {
  const bake = rolloutRecord(engine)?.bake;
  if (!bake) return undefined;
  const schedule = engine.aws.scheduler.pending().find((s) => s.name === bake.scheduleName);
  if (!schedule?.at) return undefined;
  const startedAt = Date.parse(bake.startedAt);
  return { stepIndex: bake.stepIndex, startedAt, simulatedTotalMs: schedule.at.getTime() - startedAt };
}

/** `CheckoutManagedAlarmsErrorRateFF752CB9` → `ErrorRate`. */
function shortAlarmName(name: string): string {
  const match = /ManagedAlarms([A-Za-z0-9]+?)[0-9A-F]{8}$/.exec(name);
  return match ? match[1]! : name;
}

/** The execution's failure cause as a person reads it (Lambda reports it as JSON). */
function causeText(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    return parsed.errorMessage ?? cause;
  } catch {
    return cause;
  }
}

function describeOutcome(outcome: ExecutionOutcome): string {
  if (outcome.status === 'SUCCEEDED') return 'execution SUCCEEDED: v2 is the stable version';
  if (outcome.status === 'ABORTED') return 'execution ABORTED; cleanup ran from the status-change event';
  return `execution FAILED with ${outcome.error ?? 'an error'} (the cause is below)`;
}

/** Word-wraps `text` to `width` columns, every line after the first indented by `indent` spaces. */
function wrap(text: string, width: number, indent: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width - indent) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

/** The final summary a person reads: the result, the steps taken and the alarm-to-revert time. */
function renderSummary(summary: SandboxSummary, canaryWeights: readonly number[], color = false, width = 100): string {
  const paint = palette(color);
  const taken = canaryWeights.length === 0 ? 'none' : canaryWeights.map((w) => `${w}%`).join(' → ');
  const revert =
    summary.alarmToRevertMs === null ? paint.dim('no alarm fired') : `${paint.bold(`${summary.alarmToRevertMs} ms`)} from the alarm event to the weights back on stable`;
  const row = (name: string, value: string) => `    ${paint.dim(name.padEnd(24))}${value}`;
  const verdict = summary.ok ? paint.green(`✔ ${summary.scenario}: ${summary.result.replace('_', ' ')}`) : paint.red(`✖ ${summary.scenario}: ${summary.result.replace('_', ' ')} (expected ${summary.expected.replace('_', ' ')})`);
  const lines = [
    '',
    `  ${paint.bold(verdict)}`,
    `    ${wrap(summary.reason, width, 4)}`,
    '',
    row('canary weights written', taken),
    row('alarm → revert', revert),
    row(
      'requests',
      `${summary.requests.total.toLocaleString('en-US')} (v1 ${summary.requests.byVersion.v1.toLocaleString('en-US')}, v2 ${summary.requests.byVersion.v2.toLocaleString('en-US')}) · ${summary.requests.errors} errors · ${summary.requests.dropped} dropped`,
    ),
    row('end state', `stable ${summary.finalWeights.stable}% / canary ${summary.finalWeights.canary}% · stable runs ${summary.stableImage} · canary at ${summary.canaryReplicas} replicas`),
    row('engine', `${summary.stateTransitions} state transitions · ${summary.lambdaInvocations} Lambda invocations · ${(summary.durationMs / 1000).toFixed(1)} s at ×${summary.speed}`),
  ];
  if (summary.cause) lines.push(row('execution cause', wrap(summary.cause, width, 28)));
  return lines.join('\n');
}

/**
 * One keypress from a terminal; `interrupt` for Ctrl-C (raw mode turns it into a key), undefined
 * when `cancel` fires first. The terminal is always given back as it was.
 */
function readKey(input: KeyInput, cancel: AbortSignal): Promise<string | undefined> {
  return new Promise((resolve) => {
    if (cancel.aborted) {
      resolve(undefined);
      return;
    }
    const done = (key: string | undefined): void => {
      input.off('data', onData);
      cancel.removeEventListener('abort', onCancel);
      input.setRawMode?.(false);
      input.pause();
      resolve(key);
    };
    const onData = (data: Buffer | string): void => {
      const key = data.toString();
      done(key === '\u0003' ? 'interrupt' : key);
    };
    const onCancel = (): void => done(undefined);
    input.setRawMode?.(true);
    input.resume();
    input.on('data', onData);
    cancel.addEventListener('abort', onCancel, { once: true });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
