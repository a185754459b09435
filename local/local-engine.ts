/**
 * Runs the synthesized rollout definition locally with aws-local-stepfunctions. Every Lambda task
 * runs the real handler in-process; behind the AWS SDK clients sit stateful in-memory fakes that
 * take and return SDK command shapes (so the real adapters run), and Kubernetes is a fake API
 * server over HTTPS. The flow tests and the `npm start` sandbox both drive rollouts through this.
 */
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { EKSClient } from '@aws-sdk/client-eks';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { ExecutionAbortedError, StateMachine } from 'aws-local-stepfunctions';
import type { ApprovalRecord, RolloutRecord, TargetConfig } from '../lambda/domain/types';
import { ENV, type HandlerName } from '../lambda/handler-names';
import { runAs, stopTaggingHttpRequests, tagHttpRequests } from './call-origin';
import { installAwsFakes, type AwsFakes } from './fakes/aws';
import type { FakeElbv2Options } from './fakes/elbv2';
import type { SchedulerFiring } from './fakes/scheduler';
import { startFakeKubernetes, type FakeKubernetes } from './fake-kubernetes';
import type { AslDefinition, AslState, SynthesizedWorkflow } from './synthesized-workflow';
import { routerWorld, type WorldContext } from './router-worlds';
import { runFile } from './run-cache';

type Handler = (event: unknown) => Promise<unknown>;

/** A user's lifecycle hook function, run in-process in place of the Lambda function it stands for. */
export type HookFunction = (event: unknown) => unknown;
/** How an invocation of a hook function is named in `invocations`. */
export type HookLabel = `hook:${string}`;

/** Lazy, so importing the engine does not build the runtime before the environment is set. */
const HANDLERS: Record<HandlerName, () => Promise<{ handler: Handler }>> = {
  validate: () => import('../lambda/handlers/validate'),
  'acquire-lock': () => import('../lambda/handlers/acquire-lock'),
  'deploy-canary': () => import('../lambda/handlers/deploy-canary'),
  'check-canary-ready': () => import('../lambda/handlers/check-canary-ready'),
  'shift-weight': () => import('../lambda/handlers/shift-weight'),
  'start-bake': () => import('../lambda/handlers/start-bake'),
  'check-health': () => import('../lambda/handlers/check-health'),
  'promote-stable': () => import('../lambda/handlers/promote-stable'),
  'check-stable-ready': () => import('../lambda/handlers/check-stable-ready'),
  finish: () => import('../lambda/handlers/finish'),
  rollback: () => import('../lambda/handlers/rollback'),
  'restore-stable': () => import('../lambda/handlers/restore-stable'),
  'await-window': () => import('../lambda/handlers/await-window'),
  'request-approval': () => import('../lambda/handlers/request-approval'),
  'on-alarm': () => import('../lambda/handlers/on-alarm'),
  cleanup: () => import('../lambda/handlers/cleanup'),
  sweeper: () => import('../lambda/handlers/sweeper'),
};

/**
 * One fake cluster per process: the runtime's Kubernetes adapter keeps the endpoint it described,
 * as a Lambda container does, so every engine in the process talks to the same server.
 */
let sharedKube: Promise<FakeKubernetes> | undefined;

/** Closes the shared fake Kubernetes API (the end of a process that ran engines). */
export async function shutdownLocalEngines(): Promise<void> {
  const kube = sharedKube;
  sharedKube = undefined;
  stopTaggingHttpRequests();
  await (await kube)?.close();
}

const TASK_TOKEN_PLACEHOLDER = '$$local-task-token$$';
/** Environment the runtime reads for the safety and re-assert schedules (lambda/handler-names.ts ENV). */
const SWEEPER_FUNCTION_ARN_ENV = 'SERINUS_SWEEPER_FUNCTION_ARN';
const FENCE_SECONDS_ENV = 'SERINUS_FENCE_SECONDS';
/** How long after a stop a handler may still be running, beyond the longest function timeout. */
const FENCE_MARGIN_SECONDS = 60;
const TABLE_NAME = 'serinus-rollouts';
/** How much faster than real time retry backoffs and the adapters' pauses run (installAwsFakes' default). */
const RETRY_TIME_SCALE = 1000;
const SCHEDULE_GROUP = 'serinus-bakes';
const STABLE_REPLICAS = 3;

export interface LocalEngineOptions {
  /** Bakes, Wait states and schedules pass this many times faster than real time. @default 1 */
  readonly speed?: number;
  /** Wait states that last this many milliseconds instead (e.g. one a test stops the execution in). */
  readonly waitMs?: Record<string, number>;
  /**
   * How long the fake Kubernetes controller takes to roll out a new generation; 0 completes it
   * before the PATCH answers. `kube.holdRollout` holds one until the test releases it. @default 50
   */
  readonly rolloutDelayMs?: number;
  /** The stable Deployment's image at the start. @default 'registry.local/app:1.0.0' */
  readonly stableImage?: string;
  /** How `at(...)` schedules (bake ends) fire: on compressed timers, at once, or only by `fireNow`. @default 'timer' */
  readonly schedulerFiring?: SchedulerFiring;
  /** Options of the fake ELBv2 (eventual consistency, the account's token bucket). */
  readonly elbv2?: FakeElbv2Options;
  /**
   * How much faster than real time the SDK's retry backoff, its adaptive rate limiter and the
   * adapters' own pauses run. A token bucket on the fake ELBv2 must refill on the same clock. @default 1000
   */
  readonly retryTimeScale?: number;
}

type Settings = Required<LocalEngineOptions>;

export interface Invocation {
  readonly handler: HandlerName | HookLabel;
  /** The workflow state that invoked it, for a task state's invocation. */
  readonly state?: string;
  readonly startedAt: number;
  endedAt?: number;
  error?: string;
}

export interface InvocationHoldSpec {
  readonly handler?: HandlerName | HookLabel;
  readonly state?: string;
  /** Any of these states (instead of `state`). */
  readonly states?: readonly string[];
  /**
   * Only once this holds. At `schedule`, it is asked after the execution's state log has caught
   * up with the interpreter (e.g. `() => execution.states.includes('MoreSteps?')`).
   */
  readonly when?: () => boolean;
  /**
   * `schedule`: the workflow is about to start the task state; after release, a stopped execution
   * does not invoke it (Step Functions starts no task once stopped). `start`: the invocation waits
   * before the handler runs. `end`: the handler has finished, the caller (the workflow, cleanup's
   * event) has not yet received its result. @default 'start'
   */
  readonly at?: 'schedule' | 'start' | 'end';
}

/** An approval gate waiting, as a person (or `serinus approve`) finds it. */
export interface ApprovalRequest {
  /** The task token, read from the rollout record (where the CLI reads it). */
  readonly token: string;
  readonly state: string;
  /** The record's `approval`. */
  readonly approval: ApprovalRecord;
  /** The message published to the approval topic. */
  readonly message: string;
  readonly subject?: string;
}

export interface ExecutionOutcome {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  /** States entered, in order: each is one billed state transition. */
  readonly states: string[];
  /** What the cleanup handler returned for the execution-status event, when one was sent. */
  readonly cleanup?: unknown;
  /** The error the cleanup handler failed with, when it failed (the outcome is still the execution's). */
  readonly cleanupError?: string;
}

export interface LocalExecution {
  readonly executionArn: string;
  readonly name: string;
  readonly outcome: Promise<ExecutionOutcome>;
  /** States entered so far. */
  readonly states: string[];
  /** Stops the execution like the console's Stop: no Catch runs; cleanup follows the status event. */
  abort(): void;
  /** Resolves when the execution enters the state (at once if it already has). */
  entered(state: string): Promise<void>;
}

export class LocalEngine {
  readonly invocations: Invocation[] = [];
  readonly approvals: ApprovalRequest[] = [];
  /** When each alarm event reached the on-alarm handler (epoch ms). */
  readonly alarmEvents: Array<{ alarmName: string; at: number }> = [];
  private readonly approvalListeners = new Set<(request: ApprovalRequest) => void>();
  /** The sweeper's function ARN, as the safety and re-assert schedules name it. */
  readonly sweeperFunctionArn: string;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly seenApprovals = new WeakSet<ApprovalRequest>();
  private readonly stopped = new Set<string>();
  private readonly invocationHolds: Array<{
    readonly spec: InvocationHoldSpec;
    readonly reach: (invocation: Invocation) => void;
    readonly released: Promise<void>;
    taken: boolean;
  }> = [];
  /** The client a person's approval goes through: made at the first answer, as most engines see none. */
  private get sfnClient(): SFNClient {
    this.sfnClientOfApprovals ??= new SFNClient({});
    return this.sfnClientOfApprovals;
  }

  private sfnClientOfApprovals: SFNClient | undefined;
  /** Whether execution-status events reach cleanup; off simulates a lost event (the sweeper's case). */
  deliverStatusEvents = true;
  private tokens = 0;
  private executions = 0;
  private readonly hooks = new Map<string, HookFunction>();

  private constructor(
    readonly workflow: SynthesizedWorkflow,
    readonly aws: AwsFakes,
    readonly kube: FakeKubernetes,
    private readonly options: Settings,
  ) {
    this.sweeperFunctionArn = `arn:aws:lambda:${workflow.region}:${workflow.account}:function:serinus-sweeper`;
  }

  /** The fakes and the state the router worlds seed and read (router-worlds.ts). */
  get world(): WorldContext {
    this.worldContext ??= { aws: this.aws, kube: this.kube, worldState: new Map() };
    return this.worldContext;
  }

  private worldContext: WorldContext | undefined;

  get target(): TargetConfig {
    return this.workflow.target;
  }

  /** Starts the fakes, seeded with the listener, target groups, alarms and Deployments the target names. */
  static async start(workflow: SynthesizedWorkflow, options: LocalEngineOptions = {}): Promise<LocalEngine> {
    const settings: Settings = {
      speed: options.speed ?? 1,
      rolloutDelayMs: options.rolloutDelayMs ?? 50,
      stableImage: options.stableImage ?? 'registry.local/app:1.0.0',
      schedulerFiring: options.schedulerFiring ?? 'timer',
      waitMs: options.waitMs ?? {},
      elbv2: options.elbv2 ?? {},
      retryTimeScale: options.retryTimeScale ?? RETRY_TIME_SCALE,
    };
    process.env.AWS_REGION = workflow.region;
    process.env[ENV.tableName] = TABLE_NAME;
    process.env[ENV.scheduleGroup] = SCHEDULE_GROUP;
    process.env[ENV.schedulerRoleArn] = `arn:aws:iam::${workflow.account}:role/serinus-bake-scheduler`;
    process.env[SWEEPER_FUNCTION_ARN_ENV] = `arn:aws:lambda:${workflow.region}:${workflow.account}:function:serinus-sweeper`;
    process.env[FENCE_SECONDS_ENV] = String(workflow.longestFunctionTimeoutSeconds + FENCE_MARGIN_SECONDS);

    const aws = installAwsFakes({ speed: settings.speed, schedulerFiring: settings.schedulerFiring, elbv2: settings.elbv2, retryTimeScale: settings.retryTimeScale });
    // The adapters' own pauses (a throttled router step, a read-back) run as fast as the SDK's backoff.
    (await import('../lambda/shared/runtime')).compressPauses(settings.retryTimeScale);
    // Kubernetes requests carry the handler and state that sent them, as AWS calls do.
    tagHttpRequests();
    sharedKube ??= startFakeKubernetes();
    const kube = await sharedKube;
    kube.reset({ rolloutDelayMs: settings.rolloutDelayMs });
    const engine = new LocalEngine(workflow, aws, kube, settings);
    engine.seed();
    return engine;
  }

  /** Targets whose listener, target groups and Deployments the fakes hold: the workflow's, then `addTarget`'s. */
  private readonly targets: TargetConfig[] = [];

  /**
   * Seeds the fakes with one more traffic target (its listener or rule, target groups and
   * Deployments), for executions of `workflowFor(target)`: many rollouts on many listeners at once.
   */
  addTarget(target: TargetConfig): void {
    this.seedTarget(target);
  }

  /** The engine's workflow with another target (same alarms) embedded in its Validate state. */
  workflowFor(target: TargetConfig): SynthesizedWorkflow {
    const states = { ...this.workflow.definition.States };
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task' && this.workflow.handlers[String(state.Resource)] === 'validate') {
        states[name] = { ...state, Parameters: { ...state.Parameters, target } };
      }
    }
    const workflow = { ...this.workflow, target, definition: { ...this.workflow.definition, States: states } };
    // Only the target differs from the validated definition: the copy skips the interpreter's validation.
    machines.set(workflow, new StateMachine(localDefinition(workflow.definition) as never, { validationOptions: { noValidate: true } }));
    return workflow;
  }

  private seedTarget(target: TargetConfig): void {
    this.targets.push(target);
    const { workload } = target;
    const containers = (image: string) => workload.containers.map((name) => ({ name, image }));
    this.kube.addDeployment(workload.namespace, workload.stableDeployment, {
      containers: containers(this.options.stableImage),
      replicas: STABLE_REPLICAS,
    });
    this.kube.addDeployment(workload.namespace, workload.canaryDeployment, {
      containers: containers(this.options.stableImage),
      replicas: 0,
    });
    // What the target steers: a listener, an Ingress and its controller, a VirtualService… (router-worlds.ts)
    routerWorld(target.traffic).seed(this.world, target);
  }

  private seed(): void {
    const { alarmNames } = this.target;
    const { cloudwatch, dynamodb, scheduler } = this.aws;
    this.seedTarget(this.target);
    for (const name of alarmNames) cloudwatch.addAlarm(name, { state: 'OK' });
    dynamodb.createTable(TABLE_NAME, { partitionKey: 'targetKey', indexes: { byExecution: 'executionArn' } });
    scheduler.addGroup(SCHEDULE_GROUP);
    // A Deployment's pods reach what steers traffic to them (a TargetGroupBinding, the ready pods behind a Service).
    let recorded = 0;
    this.kube.onChange((namespace, name, deployment) => {
      // Kubernetes writes join the AWS call log, so "what changed, in what order" spans both.
      for (const request of this.kube.requests.slice(recorded)) {
        if (request.method !== 'GET') {
          this.aws.record({
            service: 'kubernetes',
            command: `${request.method} ${request.path}`,
            input: request.body,
            ...(request.handler !== undefined && { handler: request.handler, state: request.state }),
          });
        }
      }
      recorded = this.kube.requests.length;
      for (const target of this.targets) {
        const { workload } = target;
        const side = name === workload.stableDeployment ? 'stable' : name === workload.canaryDeployment ? 'canary' : undefined;
        if (namespace !== workload.namespace || !side) continue;
        routerWorld(target.traffic).deploymentChanged?.(this.world, target, side, deployment);
      }
    });

    this.aws.serve(EKSClient, { DescribeCluster: (input: { name: string }) => ({ cluster: this.kube.eksCluster(input.name) }) });

    // The safety and re-assert schedules invoke the sweeper function directly.
    scheduler.onLambdaTarget(async (functionArn, input) => {
      if (functionArn !== this.sweeperFunctionArn) throw new Error(`no local function behind ${functionArn}`);
      await this.invoke('sweeper', input);
    });

    // The engine's EventBridge rule: ALARM transitions of the service's alarms go to on-alarm.
    cloudwatch.onAlarmEvent(async (event) => {
      if (event.detail.state.value !== 'ALARM' || !alarmNames.includes(event.detail.alarmName)) return;
      this.alarmEvents.push({ alarmName: event.detail.alarmName, at: Date.now() });
      await this.invoke('on-alarm', event);
    });
  }

  /**
   * Loads every handler's module now rather than at its first invocation. Loading compiles and
   * runs a module synchronously: the sandbox does it before its traffic starts, so a cold load
   * does not stall the requests it measures (a Lambda's cold start stalls no other process).
   */
  async loadHandlers(): Promise<void> {
    await Promise.all(Object.values(HANDLERS).map((load) => load()));
  }

  /**
   * Holds the next matching Lambda invocation before its handler runs or before its result is
   * returned, until `release()`. `reached` resolves with the invocation.
   */
  holdInvocation(spec: InvocationHoldSpec): { readonly reached: Promise<Invocation>; release(): void } {
    let reach!: (invocation: Invocation) => void;
    let release!: () => void;
    const reached = new Promise<Invocation>((resolve) => (reach = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const hold = { spec, reach, released, taken: false };
    this.invocationHolds.push(hold);
    return {
      reached,
      release: () => {
        hold.taken = true;
        release();
      },
    };
  }

  private async holdPoint(invocation: Invocation, at: 'schedule' | 'start' | 'end'): Promise<void> {
    const hold = this.invocationHolds.find(
      (h) =>
        !h.taken &&
        (h.spec.at ?? 'start') === at &&
        (h.spec.handler === undefined || h.spec.handler === invocation.handler) &&
        (h.spec.state === undefined || h.spec.state === invocation.state) &&
        (h.spec.states === undefined || (invocation.state !== undefined && h.spec.states.includes(invocation.state))) &&
        (h.spec.when?.() ?? true),
    );
    if (!hold) return;
    hold.taken = true;
    hold.reach(invocation);
    await hold.released;
  }

  /**
   * Runs `fn` wherever the workflow invokes the Lambda function `name` (its name, or its ARN): the
   * user's lifecycle hooks, which the engine's handler map does not know. Register before the
   * execution reaches the hook; an unregistered hook fails its task.
   */
  registerHook(name: string, fn: HookFunction): void {
    this.hooks.set(name, fn);
  }

  private hookOf(functionArn: string): { label: HookLabel; fn: HookFunction } {
    for (const [name, fn] of this.hooks) {
      if (functionArn === name || functionArn.endsWith(`:function:${name}`)) return { label: `hook:${name}`, fn };
    }
    throw new Error(`no local function behind ${functionArn}: register the hook with engine.registerHook(name, fn)`);
  }

  /** One Lambda invocation: the event and the result cross a JSON boundary, errors arrive as Lambda reports them. */
  async invoke(handler: HandlerName, event: unknown, state?: string): Promise<unknown> {
    return this.run(handler, async () => (await HANDLERS[handler]()).handler, event, state);
  }

  /** An invocation of a user's hook function, as `invoke` runs a handler. */
  private invokeHook(functionArn: string, event: unknown, state: string): Promise<unknown> {
    const { label, fn } = this.hookOf(functionArn);
    return this.run(label, () => Promise.resolve(async (payload: unknown) => fn(payload)), event, state);
  }

  private async run(handler: HandlerName | HookLabel, load: () => Promise<Handler>, event: unknown, state?: string): Promise<unknown> {
    const invocation: Invocation = { handler, startedAt: Date.now(), ...(state !== undefined && { state }) };
    this.invocations.push(invocation);
    const run = (async () => {
      const fn = await load();
      await this.holdPoint(invocation, 'start');
      try {
        const payload = JSON.parse(JSON.stringify(event ?? null)) as unknown;
        // Every call the handler makes says which handler and state it comes from (call-origin.ts).
        const result = await runAs({ handler: handler as HandlerName, ...(state !== undefined && { state }) }, () => fn(payload));
        invocation.endedAt = Date.now();
        await this.holdPoint(invocation, 'end');
        return result === undefined ? null : JSON.parse(JSON.stringify(result));
      } catch (error) {
        const err = error as Error;
        invocation.error = err.name;
        // Step Functions sees a Lambda error as Error = errorType, Cause = the JSON Lambda reports.
        const reported = new Error(JSON.stringify({ errorType: err.name, errorMessage: err.message }));
        reported.name = err.name;
        throw reported;
      } finally {
        invocation.endedAt ??= Date.now();
      }
    })();
    this.inFlight.add(run);
    try {
      return await run;
    } finally {
      this.inFlight.delete(run);
    }
  }

  onApproval(listener: (request: ApprovalRequest) => void): () => void {
    this.approvalListeners.add(listener);
    return () => this.approvalListeners.delete(listener);
  }

  /** Answers an approval gate the way a person would: SendTaskSuccess. */
  async approve(token: string): Promise<void> {
    await this.sfnClient.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));
  }

  /** Rejects an approval gate: SendTaskFailure with ApprovalRejected. */
  async reject(token: string, cause = 'rejected by a person'): Promise<void> {
    await this.sfnClient.send(new SendTaskFailureCommand({ taskToken: token, error: 'ApprovalRejected', cause }));
  }

  /** Starts an execution of the rollout definition with this input. */
  start(input: unknown, name = `local-${++this.executions}`, workflow: SynthesizedWorkflow = this.workflow): LocalExecution {
    const executionArn = `arn:aws:states:${this.workflow.region}:${this.workflow.account}:execution:${this.stateMachineName()}:${name}`;
    const states: string[] = [];
    const enteredWaiters = new Map<string, Array<() => void>>();
    const machine = interpreterOf(workflow);
    const execution = machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: this.taskOverrides(name) as never,
        waitTimeOverrides: this.waitOverrides(),
        retryIntervalOverrides: this.retryOverrides(),
      },
      context: {
        Execution: { Id: executionArn, Name: name, RoleArn: `arn:aws:iam::${this.workflow.account}:role/serinus` },
        StateMachine: { Id: this.workflow.stateMachineArn, Name: this.stateMachineName() },
        Task: { Token: TASK_TOKEN_PLACEHOLDER },
      } as never,
    });
    this.aws.sfn.setExecutionStatus(executionArn, 'RUNNING');

    const watching = (async () => {
      for await (const event of execution.eventLogs) {
        if (event.type === 'StateEntered') {
          const stateName = (event as { state: { name: string } }).state.name;
          states.push(stateName);
          for (const resolve of enteredWaiters.get(stateName) ?? []) resolve();
          enteredWaiters.delete(stateName);
        }
      }
    })();

    const outcome = (async (): Promise<ExecutionOutcome> => {
      let result: ExecutionOutcome;
      try {
        const output = await execution.result;
        result = { status: 'SUCCEEDED', output, states };
      } catch (error) {
        if (error instanceof ExecutionAbortedError) {
          result = { status: 'ABORTED', states };
        } else {
          const cause = (error as { cause?: Error }).cause ?? (error as Error);
          result = { status: 'FAILED', error: cause.name, cause: cause.message, states };
        }
      }
      await watching.catch(() => undefined);
      // As in AWS, the status event does not wait for a Lambda still running after a stop: that
      // handler finishes (and writes) whenever it does, possibly after cleanup. `idle()` awaits it.
      this.aws.sfn.setExecutionStatus(executionArn, result.status, { error: result.error, cause: result.cause });
      if (result.status !== 'SUCCEEDED' && this.deliverStatusEvents) {
        try {
          const cleanup = await this.invoke('cleanup', this.statusChangeEvent(executionArn, name, result, input));
          result = { ...result, cleanup };
        } catch (error) {
          // The execution's status stands; a failed cleanup is the safety schedule's to catch up on.
          result = { ...result, cleanupError: (error as Error).name };
        }
      }
      return result;
    })();

    return {
      executionArn,
      name,
      outcome,
      states,
      abort: () => {
        this.stopped.add(name);
        execution.abort();
        // Step Functions drops a stopped execution's task tokens. Ending them here also lets the
        // interpreter clear the timeout timer it holds for each waiting task.
        for (const token of this.aws.sfn.waitingTokens().filter((t) => t.startsWith(`${name}/`))) this.aws.sfn.expire(token);
      },
      entered: (state) =>
        states.includes(state)
          ? Promise.resolve()
          : new Promise<void>((resolve) => enteredWaiters.set(state, [...(enteredWaiters.get(state) ?? []), resolve])),
    };
  }

  /** Every call that changed something: AWS commands and Kubernetes writes, oldest first. */
  mutations(): string[] {
    return this.aws.mutatingCalls().map((call) => `${call.service}:${call.command}`);
  }

  /** Runs the sweeper once, as its schedule would. */
  sweep(): Promise<unknown> {
    return this.invoke('sweeper', { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} });
  }

  /**
   * Resolves once nothing is running: every Lambda invocation under way (also those a stopped
   * execution left behind) and every schedule delivery, including what they start in turn.
   */
  async idle(): Promise<void> {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (this.inFlight.size === 0 && !this.aws.scheduler.busy()) return;
      await Promise.allSettled([...this.inFlight]);
      await this.aws.scheduler.idle();
    }
  }

  /**
   * What AWS does once the fence period of an ended rollout has passed: each pending reassert
   * schedule fires (the sweeper asserts stable again and releases the record). With `safety`, every
   * safety schedule fires once first, as its rate would: the path of a lost status event.
   */
  async passFence(options: { safety?: boolean } = {}): Promise<void> {
    await this.idle();
    const fire = async (prefix: string) => {
      for (const schedule of this.aws.scheduler.pending().filter((s) => s.name.startsWith(prefix))) {
        await this.aws.scheduler.fireNow(schedule.name, schedule.groupName);
      }
      await this.idle();
    };
    if (options.safety) await fire('serinus-safety-');
    await fire('serinus-reassert-');
  }

  /** Resolves with the next approval request (at once with a pending one nobody took yet). */
  nextApproval(): Promise<ApprovalRequest> {
    const unanswered = this.approvals.find((request) => this.aws.sfn.tokenState(request.token) === 'waiting' && !this.seenApprovals.has(request));
    if (unanswered) {
      this.seenApprovals.add(unanswered);
      return Promise.resolve(unanswered);
    }
    return new Promise((resolve) => {
      const stop = this.onApproval((request) => {
        stop();
        this.seenApprovals.add(request);
        resolve(request);
      });
    });
  }

  async close(): Promise<void> {
    await this.idle();
    this.aws.restore();
    this.kube.reset();
  }

  private stateMachineName(): string {
    return this.workflow.stateMachineArn.split(':').pop() ?? 'rollout';
  }

  /** Where a task state begins: a test may hold it there; a stopped execution starts no task. */
  private async scheduleTask(executionName: string, handler: HandlerName | undefined, state: string): Promise<void> {
    // The state log is read from the interpreter's event stream a few microtasks behind it.
    if (this.invocationHolds.some((h) => !h.taken && h.spec.at === 'schedule' && h.spec.when)) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    await this.holdPoint({ handler: handler ?? ('' as HandlerName), state, startedAt: Date.now() }, 'schedule');
    if (this.stopped.has(executionName)) throw new ExecutionAbortedError();
  }

  private taskOverrides(executionName: string): Record<string, (input: unknown) => Promise<unknown>> {
    const overrides: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [stateName, state] of Object.entries(this.workflow.definition.States)) {
      if (state.Type !== 'Task') continue;
      const resource = String(state.Resource);
      const direct = this.workflow.handlers[resource];
      if (direct) {
        overrides[stateName] = async (input) => {
          await this.scheduleTask(executionName, direct, stateName);
          return this.invoke(direct, input, stateName);
        };
      } else if (resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken') {
        const functionArn = String(state.Parameters?.FunctionName);
        const handler = this.workflow.handlers[functionArn];
        overrides[stateName] = async (input) => {
          await this.scheduleTask(executionName, handler, stateName);
          return this.waitForToken(executionName, stateName, async (token) => {
            const payload = withToken((input as { Payload: unknown }).Payload, token) as { rollout?: { executionArn?: string } };
            if (!handler) {
              await this.invokeHook(functionArn, payload, stateName);
              return;
            }
            const published = this.aws.sns.messages.length;
            await this.invoke(handler, payload, stateName);
            if (handler === 'request-approval') this.approvalRequested(stateName, payload.rollout?.executionArn, published);
          });
        };
      } else if (resource.startsWith('arn:aws:lambda:')) {
        // A user's function (a lifecycle hook): found among the registered hooks when it is invoked.
        overrides[stateName] = async (input) => {
          await this.scheduleTask(executionName, undefined, stateName);
          return this.invokeHook(resource, input, stateName);
        };
      } else {
        throw new Error(`state ${stateName} uses ${resource}, which the local engine does not run`);
      }
    }
    return overrides;
  }

  /**
   * What a person sees once a gate asks: the token as the rollout record holds it (the way
   * `serinus approve` finds it) and the message the approval topic received.
   */
  private approvalRequested(state: string, executionArn: string | undefined, publishedBefore: number): void {
    const record = (this.aws.dynamodb.items(TABLE_NAME) as unknown as RolloutRecord[]).find((item) => item.executionArn === executionArn);
    if (!record?.approval) throw new Error(`${state} left no approval on the rollout record of ${executionArn}`);
    const published = this.aws.sns.messages.slice(publishedBefore).at(-1);
    const request: ApprovalRequest = {
      token: record.approval.token,
      state,
      approval: record.approval,
      message: published?.message ?? '',
      ...(published?.subject !== undefined && { subject: published.subject }),
    };
    this.approvals.push(request);
    for (const listener of this.approvalListeners) listener(request);
  }

  /** A `.waitForTaskToken` task: start it with a fresh token, then wait for the callback. */
  private async waitForToken(executionName: string, stateName: string, begin: (token: string) => Promise<unknown>): Promise<unknown> {
    const token = `${executionName}/${stateName}/${++this.tokens}`;
    const callback = this.aws.sfn.register(token);
    await begin(token);
    return callback;
  }

  private waitOverrides(): Record<string, number> {
    const overrides: Record<string, number> = {};
    for (const [name, state] of Object.entries(this.workflow.definition.States)) {
      if (state.Type === 'Wait' && typeof state.Seconds === 'number') overrides[name] = (state.Seconds * 1000) / this.options.speed;
    }
    Object.assign(overrides, this.options.waitMs);
    return overrides;
  }

  private retryOverrides(): Record<string, number> {
    const overrides: Record<string, number> = {};
    for (const [name, state] of Object.entries(this.workflow.definition.States)) {
      if (Array.isArray(state.Retry)) overrides[name] = Math.max(5, 2000 / this.options.speed);
    }
    return overrides;
  }

  /**
   * The "Step Functions Execution Status Change" event EventBridge sends for an ended execution; a
   * test delivers it again (`invoke('cleanup', …)`) to play a duplicate or a late event.
   */
  statusChangeEvent(executionArn: string, name: string, outcome: Pick<ExecutionOutcome, 'status' | 'error' | 'cause'>, input: unknown) {
    const status = outcome.status;
    return {
      version: '0',
      id: `local-${name}-${status}`,
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: this.workflow.account,
      time: new Date().toISOString(),
      region: this.workflow.region,
      resources: [executionArn],
      detail: {
        executionArn,
        stateMachineArn: this.workflow.stateMachineArn,
        name,
        status,
        startDate: Date.now(),
        stopDate: Date.now(),
        input: JSON.stringify(input),
        output: null,
        error: outcome.error ?? null,
        cause: outcome.cause ?? null,
      },
    };
  }
}

/** Validating a definition takes longer than running a rollout: one interpreter per workflow, validated once. */
const machines = new WeakMap<Pick<SynthesizedWorkflow, 'definition'>, StateMachine>();

/** The interpreter of a workflow's definition, validated unless the same definition passed already (exported for its test). */
export function interpreterOf(workflow: Pick<SynthesizedWorkflow, 'definition'>): StateMachine {
  let machine = machines.get(workflow);
  if (!machine) {
    const definition = localDefinition(workflow.definition);
    const marker = validationMarker(definition);
    // The interpreter validates the definition (asl-validator) unless this very definition passed in this test run.
    machine =
      marker !== undefined && existsSync(marker)
        ? new StateMachine(definition as never, { validationOptions: { noValidate: true } })
        : new StateMachine(definition as never);
    if (marker !== undefined) writeFileSync(marker, '');
    machines.set(workflow, machine);
  }
  return machine;
}

/**
 * Where a test run notes that a definition passed the interpreter's validation: a file the run
 * keeps (local/run-cache.ts), named for the definition's content, so every later test file of the
 * run skips validating the same definition again (it compiles asl-validator's schemas, most of a
 * second). Undefined outside a test run: always validate.
 */
function validationMarker(definition: AslDefinition): string | undefined {
  return runFile(`valid-definition-${createHash('sha256').update(JSON.stringify(definition)).digest('hex').slice(0, 32)}`);
}

/** Replaces the task-token placeholder the context carries with the real token, anywhere in a payload. */
function withToken(value: unknown, token: string): unknown {
  if (value === TASK_TOKEN_PLACEHOLDER) return token;
  if (Array.isArray(value)) return value.map((v) => withToken(v, token));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withToken(v, token)]));
  }
  return value;
}

/**
 * The one adaptation the interpreter needs: aws-local-stepfunctions evaluates TimeoutSecondsPath
 * against the task's Parameters output, while Step Functions evaluates it against the state input.
 * The path is rewritten to where the same value sits in the Parameters (e.g. `$.cursor.step.x` →
 * `$.Payload.step.x` when the payload carries `"step.$": "$.cursor.step"`).
 */
function localDefinition(definition: AslDefinition): AslDefinition {
  const states: Record<string, AslState> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    states[name] = state.TimeoutSecondsPath ? { ...state, TimeoutSecondsPath: parametersPath(state) } : state;
  }
  return { ...definition, States: states };
}

function parametersPath(state: AslState): string {
  const path = state.TimeoutSecondsPath!;
  const search = (params: unknown, prefix: string): string | undefined => {
    if (!params || typeof params !== 'object') return undefined;
    for (const [key, value] of Object.entries(params as Record<string, unknown>)) {
      if (key.endsWith('.$') && typeof value === 'string' && (path === value || path.startsWith(`${value}.`))) {
        return `${prefix}.${key.slice(0, -2)}${path.slice(value.length)}`;
      }
      const nested = search(value, `${prefix}.${key}`);
      if (nested) return nested;
    }
    return undefined;
  };
  const found = search(state.Parameters, '$');
  if (!found) throw new Error(`cannot map TimeoutSecondsPath ${path} into the task's Parameters`);
  return found;
}
