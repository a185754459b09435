/**
 * The fault matrix: every AWS and Kubernetes call the workflow makes, at every point of a
 * rollout where it makes it, failed in each way a call fails, once and for good. Each cell runs the
 * whole synthesized definition through the local engine, then lets the fault clear, lets the safety
 * sweep and the reassert run, and checks the invariants of DESIGN.md §2.
 *
 * The cells are not typed by hand: reference runs (a promoted rollout, one an alarm rolls back, a
 * stopped one, and a stopped one whose status event is lost) record every call with the handler and
 * state that made it, and each distinct (handler, state, service, command) becomes a call point.
 * A call the workflow starts making appears in the matrix by itself.
 */
import type { FaultKind } from '../../../local/fakes/aws';
import { coldRetryState } from '../../../local/fakes/sdk-intercept';
import { LocalEngine, shutdownLocalEngines, type ExecutionOutcome, type LocalExecution } from '../../../local/local-engine';
import { keep, readKept } from '../../../local/run-cache';
import { CANDIDATE, FLOW_SPEED, STABLE, observed, sampleWorkflow, type Flow } from '../flow-support';
import { albTarget } from '../../../lambda/adapters/alb-target';

/**
 * As the flow tests start one (Kubernetes rollouts complete at once, bakes end when their schedule
 * is created), but with the reassert schedules left to fire: a cell's end invariants pass the fence.
 */
async function startFlow(): Promise<Flow> {
  const engine = await LocalEngine.start(sampleWorkflow(), {
    speed: FLOW_SPEED,
    rolloutDelayMs: 0,
    schedulerFiring: 'immediate',
    stableImage: STABLE,
  });
  return observed(engine);
}

export const FAULT_KINDS: readonly FaultKind[] = ['throttled', 'serverError', 'timeout', 'accessDenied', 'lostReply'];
/** Kinds that fail a request before the service acts on it and that every client retries. */
const TRANSIENT: readonly FaultKind[] = ['throttled', 'serverError', 'timeout'];
export type FaultTimes = 1 | 'always';

/**
 * How many files the cells are spread over (each calls `defineShard` with its index). One: a second
 * file loads every handler's modules and makes the reference runs again (about 6 s more CPU in a
 * whole run, measured), while in `npm test` the other jest worker has the rest of the suite to run
 * meanwhile. A matrix that outgrows half the suite's time would want two again.
 */
export const SHARDS = 1;

export type ScenarioName = 'promoted' | 'alarm' | 'stopped' | 'eventLost';

/** What each scenario ends with when nothing fails. */
const REFERENCE_STATUS: Record<ScenarioName, ExecutionOutcome['status']> = {
  promoted: 'SUCCEEDED',
  alarm: 'FAILED',
  stopped: 'ABORTED',
  eventLost: 'ABORTED',
};
const SCENARIOS = Object.keys(REFERENCE_STATUS) as ScenarioName[];

const PLAN = [
  { weight: 10, bakeSeconds: 60 },
  { weight: 50, bakeSeconds: 60 },
];
const TABLE = 'serinus-rollouts';
export const PLAN_WEIGHTS = PLAN.map((step) => step.weight);

/** One call at one point of a rollout. */
export interface CallPoint {
  /** The first reference run that makes it: the cell replays that run. */
  readonly scenario: ScenarioName;
  readonly handler: string;
  readonly state?: string;
  /** `elbv2`, `dynamodb`, …, or `kubernetes`. */
  readonly service: string;
  /** The AWS operation (`ModifyListener`, `PutCommand`), or the Kubernetes method and path. */
  readonly command: string;
  /** Whether the call changes something (then a lost reply and its retry act twice). */
  readonly mutating: boolean;
}

export interface Cell {
  readonly point: CallPoint;
  readonly kind: FaultKind;
  readonly times: FaultTimes;
  /**
   * A once-fault the caller's retry absorbs before the handler sees it (a transient fault, or a
   * lost reply to a read): such cells share one run per scenario and kind, and are run one by one
   * only when that run finds a violation.
   */
  readonly batched: boolean;
}

/** A cell's own violation: its fault never met its call (a stale call point, or a batch that went elsewhere). */
export const NEVER_HIT = 'the fault never hit: the call point is stale';

export interface CellResult {
  readonly cell: Cell;
  readonly status: ExecutionOutcome['status'];
  readonly error?: string;
  readonly violations: string[];
}

type PointShape = Omit<CallPoint, 'scenario'>;

export function pointKey(point: Omit<PointShape, 'mutating'>): string {
  return `${point.handler}${point.state ? `@${point.state}` : ''} ${point.service}:${point.command}`;
}

export function cellName(cell: Cell): string {
  return `[${cell.point.scenario}] ${pointKey(cell.point)} × ${cell.kind} ${cell.times === 1 ? 'once' : 'always'}`;
}

/** Every call made from inside a handler so far: AWS requests and Kubernetes requests (reads too). */
function callPoints(flow: Flow): PointShape[] {
  const points: PointShape[] = [];
  for (const call of flow.engine.aws.calls) {
    // Kubernetes writes are mirrored into the AWS log; the fake API's own log has them all.
    if (call.handler === undefined || call.service === 'kubernetes') continue;
    points.push({
      handler: call.handler,
      ...(call.state !== undefined && { state: call.state }),
      service: call.service,
      command: call.command,
      mutating: call.mutating,
    });
  }
  for (const request of flow.engine.kube.requests) {
    if (request.handler === undefined) continue;
    points.push({
      handler: request.handler,
      ...(request.state !== undefined && { state: request.state }),
      service: 'kubernetes',
      command: `${request.method} ${request.path.split('?')[0]}`,
      mutating: request.method !== 'GET',
    });
  }
  return points;
}

/**
 * A Lambda container describes the EKS cluster once and keeps the answer. In AWS every function has
 * containers of its own, so each handler's first Kubernetes call is preceded by DescribeCluster;
 * here all handlers share one module, so the runs start from a cold container instead: the cluster
 * described anew and a new token. Its SDK clients start cold too: one cell's throttles neither slow
 * nor drain the retries of the next. The connections to the API server stay open from run to run,
 * as they do across tokens in a warm container (the fake API is one server for the process): a
 * fault drops a connection, never a handshake, and each run that drops one opens a new one.
 */
async function coldContainer(): Promise<void> {
  const wiring = await import('../../../lambda/shared/wiring/workloads');
  const connections = wiring.kube() as unknown as { clusters: Map<string, unknown>; configs: Map<string, unknown> };
  connections.clusters.clear();
  connections.configs.clear();
  coldRetryState();
}

export interface Run {
  readonly flow: Flow;
  readonly outcome: ExecutionOutcome;
}

/**
 * Runs one scenario to the end of the part a fault may touch; `during` is called once the flow is
 * up and before the execution starts (where a cell injects its fault), `after` once that part is
 * over (where it removes it).
 */
export async function runScenario(
  scenario: ScenarioName,
  hooks: { during?: (flow: Flow) => void; after?: (flow: Flow) => void } = {},
): Promise<Run> {
  await coldContainer();
  const flow = await startFlow();
  const { engine } = flow;
  try {
    hooks.during?.(flow);
    if (scenario === 'eventLost') engine.deliverStatusEvents = false;
    // The bake the scenario acts in is held open: it ends only when the scenario lets it.
    const heldStep = scenario === 'alarm' ? 1 : 0;
    const bake = scenario === 'promoted' ? undefined : engine.aws.scheduler.hold((schedule) => schedule.name.endsWith(`-step-${heldStep}`));
    const execution: LocalExecution = engine.start({ image: CANDIDATE, steps: PLAN, reason: 'fault matrix' });
    if (bake) {
      const reached = await Promise.race([bake.reached.then(() => true), execution.outcome.then(() => false)]);
      if (reached) {
        await engine.idle();
        if (scenario === 'alarm') {
          // The event's handler may fail under the fault (EventBridge's retries are not modelled).
          await engine.aws.cloudwatch.setState(engine.target.alarmNames[0]!, 'ALARM', 'Threshold Crossed: 5xx rate 12% > 5%').catch(() => undefined);
          await engine.idle();
        } else {
          execution.abort();
        }
      }
      // Should the alarm event not end the bake (its handler failed), the bake's end finds the ALARM.
      bake.release();
    }
    const outcome = await execution.outcome;
    // What the stop's own path does: the reassert after cleanup, or the safety schedule after a lost event.
    // A sweeper that fails here is the fault's doing; the end invariants run the schedules again once it cleared.
    if (scenario === 'stopped') await engine.passFence().catch(() => undefined);
    if (scenario === 'eventLost') await engine.passFence({ safety: true }).catch(() => undefined);
    await engine.idle();
    hooks.after?.(flow);
    engine.deliverStatusEvents = true;
    return { flow, outcome };
  } catch (error) {
    await flow.close();
    throw error;
  }
}

/**
 * The cells for one call point: every fault kind once, and one kind for good, the kinds taken in
 * turn over the points so that each kind fails calls of every service for good somewhere.
 * Once-faults that the SDK's or the workflow's retry absorbs (the transient kinds, a lost reply to
 * a read, an AWS access denial) share one run per scenario and kind; a lost reply to a write (it
 * acts twice) and a Kubernetes 403 (refused, not retried) each get a run of their own.
 */
function cellsOf(point: CallPoint, index: number): Cell[] {
  const cells: Cell[] = [];
  const kubernetes = point.service === 'kubernetes';
  for (const kind of FAULT_KINDS) {
    // Kubernetes answers 403 with a refusal the workflow does not retry: that one changes the path.
    const absorbed =
      TRANSIENT.includes(kind) || (kind === 'lostReply' && !point.mutating) || (kind === 'accessDenied' && !kubernetes);
    cells.push({ point, kind, times: 1, batched: absorbed });
  }
  cells.push({ point, kind: FAULT_KINDS[index % FAULT_KINDS.length]!, times: 'always', batched: false });
  return cells;
}

/** Where a run keeps the call points (local/run-cache.ts). */
const POINTS_FILE = 'fault-matrix-call-points.json';

/**
 * The matrix: every call point of the reference runs, with its cells. The reference runs are the
 * same in every shard of a run: the first shard to finish them keeps the call points for the run
 * (local/run-cache.ts), and a shard that starts later takes them from there.
 */
export async function deriveCells(): Promise<{ cells: Cell[]; points: CallPoint[] }> {
  const ordered = readKept<CallPoint[]>(POINTS_FILE) ?? keep(POINTS_FILE, await referencePoints());
  return { cells: ordered.flatMap((point, index) => cellsOf(point, index)), points: ordered };
}

/** Every distinct call point of the reference runs, each run checked to end as it should. */
async function referencePoints(): Promise<CallPoint[]> {
  const points = new Map<string, CallPoint>();
  for (const scenario of SCENARIOS) {
    const { flow, outcome } = await runScenario(scenario);
    try {
      if (outcome.status !== REFERENCE_STATUS[scenario]) {
        throw new Error(`reference run ${scenario} ended ${outcome.status} (${outcome.error}: ${outcome.cause})`);
      }
      for (const point of callPoints(flow)) {
        const key = pointKey(point);
        const known = points.get(key);
        if (!known) points.set(key, { scenario, ...point });
        else if (point.mutating && !known.mutating) points.set(key, { ...known, mutating: true });
      }
    } finally {
      await flow.close();
    }
  }
  return [...points.values()];
}

/**
 * The runs of one shard: every SHARDS-th single cell, and every SHARDS-th shared run (one per
 * scenario and batched kind).
 */
export function shardOf(cells: readonly Cell[], shard: number): { singles: Cell[]; batches: Cell[][] } {
  const singles = cells.filter((cell) => !cell.batched).filter((_, index) => index % SHARDS === shard);
  const groups = new Map<string, Cell[]>();
  for (const cell of cells.filter((c) => c.batched)) {
    const key = `${cell.point.scenario} ${cell.kind}`;
    groups.set(key, [...(groups.get(key) ?? []), cell]);
  }
  const batches = [...groups.values()].filter((_, index) => (index + shard) % SHARDS === 0);
  return { singles, batches };
}

/**
 * The statuses a cell may end with. A fault that clears within the SDK's or the workflow's retries
 * changes nothing; a stopped execution stays ABORTED whatever its cleanup meets; a fault that
 * never clears fails a rollout that would have promoted, unless the call was not needed for it.
 */
function expectedStatuses(cell: Cell): ReadonlyArray<ExecutionOutcome['status']> {
  const reference = REFERENCE_STATUS[cell.point.scenario];
  if (reference !== 'SUCCEEDED') return [reference];
  // A denial is not transient: the workflow may give up on it at once (Kubernetes RBAC does).
  if (cell.times === 1 && cell.kind !== 'accessDenied') return [reference];
  return ['FAILED', 'SUCCEEDED'];
}

/** Runs cells of one scenario together (one cell alone is a single run); each cell gets the run's verdict. */
async function runTogether(cells: readonly Cell[]): Promise<CellResult[]> {
  const scenario = cells[0]!.point.scenario;
  const faults: Array<{ hits: number; remove(): void }> = [];
  const { flow, outcome } = await runScenario(scenario, {
    during: ({ engine }) => {
      for (const { point, kind, times } of cells) {
        const origin = { handler: point.handler, ...(point.state !== undefined && { state: point.state }) };
        if (point.service === 'kubernetes') {
          const [method, path] = point.command.split(' ') as [string, string];
          faults.push(engine.kube.injectFault({ ...origin, method, path, kind, times }));
        } else {
          faults.push(engine.aws.injectFault({ ...origin, service: point.service, command: point.command, kind, times }));
        }
      }
    },
    after: () => faults.forEach((fault) => fault.remove()),
  });
  try {
    const shared = await endInvariants(flow, outcome);
    return cells.map((cell, index) => {
      const violations = [...shared];
      if (faults[index]!.hits === 0) violations.unshift(NEVER_HIT);
      const expected = expectedStatuses(cell);
      if (!expected.includes(outcome.status)) {
        violations.unshift(`ended ${outcome.status} (${outcome.error ?? '-'}: ${truncate(outcome.cause)}), expected ${expected.join(' or ')}`);
      }
      return { cell, status: outcome.status, ...(outcome.error !== undefined && { error: outcome.error }), violations };
    });
  } finally {
    await flow.close();
  }
}

/** Runs one cell on its own. */
export async function runCell(cell: Cell): Promise<CellResult> {
  const [result] = await runTogether([cell]);
  return result!;
}

/** Runs cells together in one scenario run, each with the run's verdict: `runTogether`, or a stand-in in a test. */
export type RunCells = (cells: readonly Cell[]) => Promise<CellResult[]>;

/**
 * Runs a batch. Each cell whose fault hit takes the run's verdict. A fault can miss in a run that
 * passes everything else, because another fault of the batch took the path elsewhere: a denied call
 * fails its handler, the workflow retries the handler into the batch's next denial, and once its
 * retries run out the calls after it are never made. The cells that missed run again, as a batch of
 * their own. A violation of the run itself (an end invariant, the end status) is every cell's, and
 * has no cell yet: then each cell runs alone, so the violation has its cell.
 */
export async function runBatch(cells: readonly Cell[], run: RunCells = runTogether): Promise<CellResult[]> {
  const results = await run(cells);
  const missed = results.filter((result) => result.violations.length > 0);
  if (missed.length === 0 || cells.length === 1) return results;
  if (missed.length === cells.length) {
    const alone: CellResult[] = [];
    for (const cell of cells) alone.push(...(await run([cell])));
    return alone;
  }
  const again = await runBatch(missed.map((result) => result.cell), run);
  return [...results.filter((result) => result.violations.length === 0), ...again];
}

/**
 * Invariants 1–7 of DESIGN.md §2 once the execution has ended, the fault has cleared, and the safety
 * sweep and the reassert have run.
 */
export async function endInvariants(flow: Flow, outcome: ExecutionOutcome): Promise<string[]> {
  const { engine, observer } = flow;
  const violations: string[] = [];
  try {
    await engine.passFence({ safety: true });
    if (engine.aws.scheduler.pending().some((schedule) => schedule.name.startsWith('serinus-safety-'))) {
      // An ended record whose reassert was lost waits for the fence to pass; the safety schedule's
      // next run after that releases it. The engine's clock does not move by itself: move it.
      await afterTheFence(engine, () => engine.passFence({ safety: true }));
    }
  } catch (error) {
    violations.push(`the safety sweep or the reassert failed with no fault left: ${String(error)}`);
  }
  const { workload } = engine.target;
  const traffic = albTarget(engine.target.traffic);

  // 1. Stable carries all the traffic (raw weights: 999/1 is not 100/0).
  const weights = engine.aws.elbv2.weights(traffic.ruleArn ?? traffic.listenerArn);
  const stable = weights[traffic.stableTargetGroupArn] ?? 0;
  const canary = weights[traffic.canaryTargetGroupArn] ?? 0;
  if (stable !== 100 || canary !== 0) violations.push(`1: the listener ends at stable ${stable} / canary ${canary}, not 100/0`);

  // 2. No mutating call before Validate and the lock succeeded.
  const calls = engine.aws.calls;
  const isLock = (c: (typeof calls)[number]) => c.handler === 'acquire-lock' && c.command === 'PutCommand';
  const lockTaken = calls.findIndex((c) => isLock(c) && (c.error === undefined || c.fault === 'lostReply'));
  // The lock's own conditional put is the lock, whatever its attempts met.
  const early = calls.filter((c, index) => c.mutating && !isLock(c) && (lockTaken < 0 || index < lockTaken));
  if (early.length > 0) {
    violations.push(`2: mutating calls before the lock was taken: ${early.map((c) => `${c.handler ?? '?'}→${c.service}:${c.command}`).join(', ')}`);
  }

  // 3. At most one holder, and the lock is released: no record is left.
  const records = engine.aws.dynamodb.items(TABLE);
  if (records.length > 0) {
    const held = records.map((r) => `phase ${String(r.phase)}${r.endReason ? ` (${truncate(String(r.endReason), 80)})` : ''}`);
    violations.push(`3: the lock is still held: record left, ${held.join(', ')}`);
  }

  // 5. Weights only take values of the plan; the canary never gets traffic with zero healthy targets.
  for (const sample of observer.weights.filter((w) => w.source === 'api')) {
    if (![0, ...PLAN_WEIGHTS].includes(sample.canary) || sample.stable + sample.canary !== 100) {
      violations.push(`5: weights ${sample.stable}/${sample.canary} written, not in the plan`);
    }
    if (sample.canary > 0 && sample.canaryHealthyTargets === 0) violations.push(`5: canary given ${sample.canary} with zero healthy targets`);
  }

  // 6. The stable Deployment runs the candidate only if the execution succeeded.
  const image = engine.kube.deployment(workload.namespace, workload.stableDeployment).spec.template.spec.containers[0]?.image;
  const expectedImage = outcome.status === 'SUCCEEDED' ? CANDIDATE : STABLE;
  if (image !== expectedImage) violations.push(`6: stable runs ${image} after ${outcome.status}, expected ${expectedImage}`);

  // 7. No Fail state raises a States.* error.
  if (outcome.error?.startsWith('States.')) violations.push(`7: failed with ${outcome.error}`);

  // Nothing runs between rollouts: no schedule is left, bake, safety or reassert.
  const pending = engine.aws.scheduler.pending();
  if (pending.length > 0) violations.push(`schedules left behind: ${pending.map((s) => s.name).join(', ')}`);
  return violations;
}

/**
 * The fence of every ended record has passed: what the clock would say at the safety schedule's
 * next run after it. The engine's clock does not move by itself, so the records' expiry moves.
 */
async function afterTheFence(engine: LocalEngine, fn: () => Promise<void>): Promise<void> {
  const now = Math.floor(Date.now() / 1000) - 1;
  for (const record of engine.aws.dynamodb.items(TABLE)) {
    if (record.endedAt !== undefined) engine.aws.dynamodb.seed(TABLE, { ...record, expiresAt: now });
  }
  await fn();
}

function truncate(text: string | undefined, length = 300): string {
  if (text === undefined) return '-';
  return text.length > length ? `${text.slice(0, length)}…` : text;
}

/** The file's summary line, then one line per violation with its cell. */
export function summary(label: string, total: number, results: readonly CellResult[]): string {
  const failed = results.filter((r) => r.violations.length > 0);
  const lines = [`fault matrix${label}: ${results.length} cells, ${results.length - failed.length} passed (matrix size ${total})`];
  for (const result of failed) {
    for (const violation of result.violations) lines.push(`  ${cellName(result.cell)}: ${violation}`);
  }
  return lines.join('\n');
}

/**
 * The tests of one shard file: derive the matrix from the reference runs, run this shard's cells,
 * print the size and the pass count with every violation and its cell, and fail on any violation.
 */
export function defineShard(shard: number): void {
  afterAll(() => shutdownLocalEngines());

  it(`every call point meets every fault kind, once and for good (shard ${shard + 1} of ${SHARDS})`, async () => {
    // Prepare
    const { cells, points } = await deriveCells();
    const { singles, batches } = shardOf(cells, shard);

    // Act
    const results: CellResult[] = [];
    for (const batch of batches) results.push(...(await runBatch(batch)));
    for (const cell of singles) results.push(await runCell(cell));

    // Assess
    console.log(summary(` (shard ${shard + 1} of ${SHARDS}, ${points.length} call points)`, cells.length, results));
    expect(points.length).toBeGreaterThan(0);
    for (const point of points) {
      const mine = cells.filter((cell) => cell.point === point);
      expect(new Set(mine.filter((cell) => cell.times === 1).map((cell) => cell.kind))).toEqual(new Set(FAULT_KINDS));
      expect(mine.some((cell) => cell.times === 'always')).toBe(true);
    }
    expect(results.filter((result) => result.violations.length > 0).map((result) => `${cellName(result.cell)}: ${result.violations.join('; ')}`)).toEqual([]);
  }, 300_000);
}
