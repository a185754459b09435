/**
 * `npm run bench`: what a rollout costs, how fast it reverts, how the bundles start and how the
 * engine holds up when many teams release at once. Prints a table, or with `--json` one
 * `{"metric","value","unit"}` object per line. Nothing is asserted: these are figures.
 *
 *   npm run bench [-- --json] [--bundles <dir>] [--skip-cold] [--alarm-runs 20] [--skip concurrency,bundles]
 *     [--rollouts 100] [--time-scale 10] [--concurrency-steps 10] [--concurrency-bake-seconds 0] [--stagger-ms 0]
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { cpus, totalmem } from 'node:os';
import { buildSampleStack, cdkJsonContext } from '../bin/serinus';
import { shutdownLocalEngines } from '../local/local-engine';
import { extractWorkflow } from '../local/synthesized-workflow';
import { measureBundles } from './bundles';
import { concurrentRollouts } from './concurrency';
import { costOf, invocationsPerMonth, percentile, pollingUse, toJsonLines, toTable, type LambdaUse, type Metric } from './metrics';
import { alarmToRevert, REFERENCE_STEPS, referenceRollout } from './rollout';

/** Billed duration assumed per invocation: the handlers make a few AWS calls (~20–50 ms each in a region). */
const ASSUMED_MS = { aws: 300, kubernetes: 600 } as const;
/** Real-world length of the reference rollout: 4 × (10 min bake + 15 s settle, rounded up to the minute) + deploy and promote. */
const REFERENCE_MINUTES = 4 * 11 + 5;
/** The safety schedule runs every 5 minutes while a rollout holds its target. */
const SAFETY_SWEEP_MINUTES = 5;
/** ELBv2's account-wide request bucket (Describe* ~40 tokens, refilled at 10 a second). */
const ACCOUNT_BUCKET = { capacity: 40, refillPerSecond: 10 } as const;

interface Args {
  json: boolean;
  /** Bundles to measure instead of the shipped dist/bundles. */
  bundles?: string;
  /** Bundle sizes only: no cold-init processes (most of a full run's time). */
  skipCold: boolean;
  alarmRuns: number;
  /** The concurrency run: how many rollouts, how much faster than real time, their plan, and the starts' spacing. */
  rollouts: number;
  timeScale: number;
  /** Equal steps up to 100 %, each baking this long after the settle time. */
  concurrencySteps: number;
  concurrencyBakeSeconds: number;
  staggerMs: number;
  skip: Set<string>;
}

function parseArgs(argv: string[]): Args {
  // The concurrency defaults make the account's bucket run dry for real. At ×10 its refill (100
  // tokens a real second) is slower than the in-process engine sends (at ×50 it never was). Ten 10 %
  // steps with no bake beyond the settle time end a minute apart (the bake schedule fires on the
  // minute): the densest plan, about 50 ELBv2 requests a rollout. All rollouts start at once, so
  // their Validates meet a full bucket together and their steps end on the same minute.
  const args: Args = {
    json: false,
    skipCold: false,
    alarmRuns: 20,
    rollouts: 100,
    timeScale: 10,
    concurrencySteps: 10,
    concurrencyBakeSeconds: 0,
    staggerMs: 0,
    skip: new Set(),
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => argv[++i] ?? '';
    if (arg === '--json') args.json = true;
    else if (arg === '--bundles') args.bundles = value();
    else if (arg === '--skip-cold') args.skipCold = true;
    else if (arg === '--alarm-runs') args.alarmRuns = Number(value());
    else if (arg === '--rollouts') args.rollouts = Number(value());
    else if (arg === '--time-scale') args.timeScale = Number(value());
    else if (arg === '--concurrency-steps') args.concurrencySteps = Number(value());
    else if (arg === '--concurrency-bake-seconds') args.concurrencyBakeSeconds = Number(value());
    else if (arg === '--stagger-ms') args.staggerMs = Number(value());
    else if (arg === '--skip') for (const s of value().split(',')) args.skip.add(s);
    else throw new Error(`unknown argument ${arg}`);
  }
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.AWS_ACCESS_KEY_ID ??= 'AKIDEXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  const started = performance.now();
  const metrics: Metric[] = [];
  const progress = (message: string) => {
    if (!args.json) process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0)}s] ${message}\n`);
  };

  // One synthesis: the template (memory, schedules) and the workflow the local engine runs.
  progress('synthesizing the sample stack');
  const app = new App({ context: { ...cdkJsonContext(), '@aws-cdk/core:validateAgainstDefaultRules': false, 'aws:cdk:bundling-stacks': [] } });
  const stack = buildSampleStack(app);
  const template = Template.fromStack(stack).toJSON() as { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
  const workflow = extractWorkflow(stack.rollout.stateMachine, stack.rollout.engine._functions);
  const memoryMb: Record<string, number> = {};
  for (const resource of Object.values(template.Resources)) {
    const description = String(resource.Properties?.Description ?? '');
    if (resource.Type === 'AWS::Lambda::Function' && description.startsWith('serinus: ')) {
      memoryMb[description.slice('serinus: '.length)] = Number(resource.Properties?.MemorySize ?? 128);
    }
  }

  // Idle: what the stack runs when no rollout does.
  let idle = 0;
  const idleSources: string[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    const expression = resource.Properties?.ScheduleExpression;
    if ((resource.Type === 'AWS::Events::Rule' || resource.Type === 'AWS::Scheduler::Schedule') && typeof expression === 'string') {
      idle += invocationsPerMonth(expression);
      idleSources.push(`${id} ${expression}`);
    }
  }
  metrics.push({
    metric: 'idle_invocations_per_month',
    value: idle,
    unit: 'count',
    note: idleSources.length > 0 ? idleSources.join('; ') : 'no schedule rule or schedule in the template',
  });

  // The reference rollout.
  progress('reference rollout');
  const reference = await referenceRollout(workflow);
  if (reference.status !== 'SUCCEEDED') throw new Error(`the reference rollout ended ${reference.status}`);
  const sweeps = Math.floor(REFERENCE_MINUTES / SAFETY_SWEEP_MINUTES);
  const kubernetesHandlers = new Set(['deploy-canary', 'check-canary-ready', 'check-health', 'promote-stable', 'check-stable-ready', 'finish', 'rollback', 'restore-stable', 'cleanup', 'sweeper']);
  const lambdaUse = (handler: string, invocations: number): LambdaUse => ({
    handler,
    invocations,
    memoryMb: memoryMb[handler] ?? 512,
    assumedMs: kubernetesHandlers.has(handler) ? ASSUMED_MS.kubernetes : ASSUMED_MS.aws,
  });
  const lambda = Object.entries(reference.invocationsByHandler).map(([handler, n]) => lambdaUse(handler, n));
  lambda.push(lambdaUse('sweeper', sweeps));
  const writeUnits = Math.ceil(reference.recordBytes / 1024) * reference.dynamodbCalls.writes;
  const readUnits = Math.ceil(reference.recordBytes / 4096) * reference.dynamodbCalls.reads + sweeps;
  const use = {
    stateTransitions: reference.stateTransitions,
    lambda,
    schedulerInvocations: reference.bakeScheduleInvocations + sweeps,
    dynamodbWriteUnits: writeUnits,
    dynamodbReadUnits: readUnits,
  };
  const cost = costOf(use);
  // The comparison: the same rollout baking with a 60-second poll (Wait → check Lambda → Choice).
  const pollingRollout = pollingUse(use, { steps: REFERENCE_STEPS.length, bakeSeconds: 600, pollSeconds: 60, bakeHandler: 'start-bake', pollHandler: 'check-health' });
  const polling = costOf(pollingRollout);
  metrics.push(
    { metric: 'state_transitions_per_rollout', value: reference.stateTransitions, unit: 'count', note: 'states entered, 4 steps 10/25/50/100, 10-min bakes, promoted' },
    { metric: 'lambda_invocations_per_rollout', value: reference.lambdaInvocations, unit: 'count', note: Object.entries(reference.invocationsByHandler).map(([h, n]) => `${h} ${n}`).join(', ') },
    { metric: 'safety_sweeps_per_rollout', value: sweeps, unit: 'count', note: `modelled: one sweeper run every ${SAFETY_SWEEP_MINUTES} min of a ~${REFERENCE_MINUTES}-min rollout` },
    { metric: 'usd_per_rollout', value: cost.total, unit: 'USD', note: usdNote(cost) },
    { metric: 'usd_per_rollout_polling_60s', value: polling.total, unit: 'USD', note: `${pollingRollout.stateTransitions} transitions; ${usdNote(polling)}` },
    {
      metric: 'elbv2_calls_per_step',
      value: reference.elbv2CallsPerStep,
      unit: 'count',
      note: "ShiftWeight + Bake + CheckHealth, all ELBv2 requests: target health, the drift read, the write (its reply is the read-back); CheckHealth's drift read, and target health at the last step",
    },
    { metric: 'elbv2_listener_calls_per_step', value: reference.listenerCallsPerStep, unit: 'count', note: 'of those, Describe/Modify of the listener' },
    { metric: 'elbv2_calls_per_rollout', value: reference.elbv2CallsPerRollout, unit: 'count' },
    { metric: 'dynamodb_calls_per_rollout', value: reference.dynamodbCalls.reads + reference.dynamodbCalls.writes, unit: 'count', note: `${reference.dynamodbCalls.writes} writes, ${reference.dynamodbCalls.reads} reads; record ~${reference.recordBytes} B` },
  );
  progress(`ELBv2 by state: ${JSON.stringify(reference.elbv2ByState)}`);

  // The alarm path.
  progress(`alarm to revert, ${args.alarmRuns} runs`);
  const alarmRuns = [];
  for (let i = 0; i < args.alarmRuns; i++) alarmRuns.push(await alarmToRevert(workflow));
  const times = alarmRuns.map((r) => r.alarmToRevertMs);
  const last = alarmRuns.at(-1);
  if (last) metrics.push(
    { metric: 'alarm_to_revert_ms_median', value: percentile(times, 50), unit: 'ms', note: `${args.alarmRuns} runs in the flow harness (in-process fakes: no network latency)` },
    { metric: 'alarm_to_revert_ms_p95', value: percentile(times, 95), unit: 'ms' },
    { metric: 'alarm_to_revert_lambda_invocations', value: last.invocations, unit: 'count', note: last.handlers.join(' → ') },
    { metric: 'alarm_to_revert_calls_before_listener_write', value: last.callsBeforeWrite.length - 1, unit: 'count', note: last.callsBeforeWrite.join(' → ') },
  );

  if (!args.skip.has('bundles')) {
    progress(args.skipCold ? 'bundle sizes (--skip-cold: no cold init)' : 'bundles and cold init');
    const bundles = await measureBundles({ runs: 10, shippedDir: args.bundles, coldInit: !args.skipCold });
    metrics.push({
      metric: 'bundle_source',
      value: bundles.source,
      unit: 'label',
      note: args.skipCold ? 'sizes only (--skip-cold)' : `bare node process ${bundles.baselineMs.toFixed(0)} ms, subtracted`,
    });
    for (const b of bundles.handlers) {
      metrics.push({ metric: `bundle_kb_${b.handler}`, value: b.bundleKb, unit: 'KiB', note: b.sourceMapKb > 0 ? `+ ${b.sourceMapKb.toFixed(0)} KiB source map` : 'no source map' });
      if (b.coldInitMs !== undefined && b.coldInitWithSourceMapsMs !== undefined) {
        metrics.push(
          { metric: `cold_init_ms_${b.handler}`, value: b.coldInitMs, unit: 'ms', note: 'median of 10, without source maps' },
          { metric: `cold_init_ms_${b.handler}_source_maps`, value: b.coldInitWithSourceMapsMs, unit: 'ms', note: '--enable-source-maps' },
        );
      }
    }
  }

  if (!args.skip.has('concurrency')) {
    const n = args.concurrencySteps;
    const steps = Array.from({ length: n }, (_, i) => ({ weight: Math.round(((i + 1) * 100) / n), bakeSeconds: args.concurrencyBakeSeconds }));
    const plan = `${n} steps ${steps.map((step) => step.weight).join('/')}, ${args.concurrencyBakeSeconds}-s bakes`;
    progress(`${args.rollouts} concurrent rollouts, ${plan}, at ×${args.timeScale}`);
    // The same process's fake Kubernetes API throughout: the runtime's Kubernetes client keeps the
    // endpoint it first described, as a Lambda container does.
    const result = await concurrentRollouts(workflow, { rollouts: args.rollouts, timeScale: args.timeScale, bucket: ACCOUNT_BUCKET, steps, staggerMs: args.staggerMs });
    const failures = Object.entries(result.failures).map(([kind, count]) => `${kind} ${count}`).join(', ');
    const starts = args.staggerMs > 0 ? `started ${args.staggerMs} ms (real) apart` : 'all started at once';
    metrics.push(
      {
        metric: 'concurrent_rollouts_ok',
        value: result.promoted,
        unit: 'count',
        note: `of ${result.rollouts} on ${result.rollouts} listeners, ${plan}, bucket ${ACCOUNT_BUCKET.capacity} + ${ACCOUNT_BUCKET.refillPerSecond}/s, all clocks ×${args.timeScale}, ${starts}${failures ? `; failed: ${failures}` : ''}`,
      },
      { metric: 'concurrent_rollouts_ended_safe', value: result.endedSafe, unit: 'count', note: 'listener at stable 100 / canary 0 at the end' },
      { metric: 'concurrent_elbv2_calls', value: result.elbv2Calls, unit: 'count', note: 'every request sent, retries included' },
      { metric: 'concurrent_failed_by_throttling', value: result.failedByThrottling, unit: 'count', note: 'failed rollouts whose cause names throttling' },
      {
        metric: 'concurrent_throttles_absorbed',
        value: result.throttles,
        unit: 'count',
        note: `requests the bucket refused; ${result.sdkRetries} sent again by the SDK's retry middleware; adaptive rate limiter ${result.adaptiveLimiterEngaged ? 'engaged' : 'never engaged'}`,
      },
      { metric: 'concurrent_wall_seconds', value: result.wallSeconds, unit: 's', note: `≈ ${(result.simulatedSeconds / 60).toFixed(0)} min at the real clock` },
    );
    for (const cause of result.causes) progress(`failure: ${cause}`);
  }

  await shutdownLocalEngines();
  metrics.push({ metric: 'bench_seconds', value: (performance.now() - started) / 1000, unit: 's', note: `${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}` });
  process.stdout.write(`${args.json ? toJsonLines(metrics) : toTable(metrics)}\n`);
}

function usdNote(cost: ReturnType<typeof costOf>): string {
  const f = (n: number) => `$${n.toFixed(5)}`;
  return `SFN ${f(cost.stepFunctions)}, Lambda ${f(cost.lambdaRequests + cost.lambdaDuration)}, Scheduler ${f(cost.scheduler)}, DynamoDB ${f(cost.dynamodb)}`;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
