/**
 * `serinus start`: builds the execution input, validates it with the same schema Validate uses, and
 * starts nothing unless it passes.
 */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { parseRolloutInput } from '../../lambda/domain/input-schema';
import { planRollout } from '../../lambda/domain/planner';
import { describeSteps, formatDuration } from '../../lambda/domain/strategy';
import { DEFAULT_MAX_ROLLOUT_SECONDS, type RolloutPlan, type RolloutRequest } from '../../lambda/domain/types';
import { ValidationFailedError } from '../../lambda/errors';
import { aws } from '../aws';
import { CliError, type CommandContext, ExitCode, type ExitCodeValue, printJson } from '../context';
import { CLI_PREFIX, formatImages } from '../format';
import { resolveTarget } from '../resolve';
import { watchExecution } from './status';

export interface StartOptions {
  /** `registry/app:1.2.3` (the service's first container) or `container=registry/app:1.2.3`, repeatable. */
  readonly image: readonly string[];
  readonly strategy?: string;
  /** `10:5m,50:5m,100` — weight[:bake], bake in seconds or with an s/m/h suffix. */
  readonly steps?: string;
  readonly approval?: string;
  readonly reason?: string;
  readonly dryRun: boolean;
  readonly watch: boolean;
  readonly intervalSeconds: number;
}

export async function startCommand(ctx: CommandContext, ref: string, options: StartOptions): Promise<ExitCodeValue> {
  const resolved = await resolveTarget(ctx, ref);
  if (resolved.executionArn) {
    throw new CliError(`start takes a service name or a state machine ARN, not an execution ARN: serinus start ${resolved.service} --image <image>`, ExitCode.Usage);
  }
  const { discovery } = resolved;
  const target = discovery.target;

  const problems: string[] = [];
  const input = buildInput(options, problems);
  let request: RolloutRequest | undefined;
  let plan: RolloutPlan | undefined;
  try {
    request = parseRolloutInput(input, target);
    plan = planRollout(request, target);
    const limit = target.timing.maxRolloutSeconds ?? DEFAULT_MAX_ROLLOUT_SECONDS;
    if (plan.maxDurationSeconds > limit) {
      problems.push(
        `the plan takes up to ${plan.maxDurationSeconds} s (bakes, readiness waits and settle times), more than the state machine's timeout of ${limit} s; use fewer or shorter bakes`,
      );
    }
  } catch (error) {
    if (!(error instanceof ValidationFailedError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0 || !request || !plan) {
    throw new CliError(`The execution input for ${resolved.service} is not valid; nothing was started.`, ExitCode.Usage, problems);
  }

  if (options.dryRun) {
    if (ctx.json) printJson(ctx.output, { service: resolved.service, stateMachineArn: resolved.stateMachineArn, dryRun: true, input, request, plan });
    else ctx.output.out([`Dry run for ${resolved.service}: nothing was started.`, `  input  ${JSON.stringify(input)}`, ...describePlan(request, plan)].join('\n'));
    return ExitCode.Ok;
  }

  const name = executionName(ctx);
  const output = await aws('states:StartExecution', () =>
    ctx.clients.sfn.send(new StartExecutionCommand({ stateMachineArn: resolved.stateMachineArn, name, input: JSON.stringify(input) })),
  );
  const executionArn = output.executionArn ?? '';
  const startedAt = (output.startDate ?? ctx.clock.now()).toISOString();
  if (ctx.json) {
    printJson(ctx.output, { service: resolved.service, stateMachineArn: resolved.stateMachineArn, executionArn, name, startedAt, input, plan }, !options.watch);
  } else {
    ctx.output.out(
      [
        `Started ${resolved.service} rollout ${name}`,
        `  execution  ${executionArn}`,
        ...describePlan(request, plan),
        options.watch ? '' : `  follow     serinus watch ${resolved.service}`,
      ]
        .filter((line) => line !== '')
        .join('\n'),
    );
  }
  if (!options.watch) return ExitCode.Ok;
  return watchExecution(ctx, { resolved, executionArn }, { intervalSeconds: options.intervalSeconds });
}

/** The input exactly as a person would write it for the console; the schema checks it, not this. */
function buildInput(options: StartOptions, problems: string[]): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const named = options.image.filter((value) => value.includes('='));
  const bare = options.image.filter((value) => !value.includes('='));
  if (bare.length > 1 || (bare.length > 0 && named.length > 0)) {
    problems.push('--image: give one image (for the service\'s first container), or one container=image per container, not both');
  } else if (bare.length === 1) {
    input.image = bare[0];
  } else if (named.length > 0) {
    const images: Record<string, string> = {};
    for (const pair of named) {
      const [container, image] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
      if (container in images) problems.push(`--image names container "${container}" twice`);
      images[container] = image;
    }
    input.images = images;
  }
  if (options.strategy !== undefined) input.strategy = options.strategy;
  if (options.steps !== undefined) {
    const steps = parseSteps(options.steps, problems);
    if (steps) input.steps = steps;
  }
  if (options.approval !== undefined) input.approval = options.approval;
  if (options.reason !== undefined) input.reason = options.reason;
  return input;
}

const STEP = /^(\d+)(?::(\d+)([smh]?))?$/;
const UNIT_SECONDS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600 };

/** `10:5m,50:300,100` → `[{weight:10,bakeSeconds:300},{weight:50,bakeSeconds:300},{weight:100,bakeSeconds:0}]` */
export function parseSteps(spec: string, problems: string[]): Array<{ weight: number; bakeSeconds: number }> | undefined {
  const steps: Array<{ weight: number; bakeSeconds: number }> = [];
  let ok = true;
  for (const [i, part] of spec.split(',').map((p) => p.trim()).entries()) {
    const match = STEP.exec(part);
    if (!match) {
      problems.push(`--steps item ${i + 1} "${part}" is not weight[:bake] such as 10:5m, 50:300 or 100`);
      ok = false;
      continue;
    }
    steps.push({ weight: Number(match[1]), bakeSeconds: match[2] === undefined ? 0 : Number(match[2]) * UNIT_SECONDS[match[3] ?? '']! });
  }
  return ok ? steps : undefined;
}

function describePlan(request: RolloutRequest, plan: RolloutPlan): string[] {
  const gates = [
    ...plan.steps.filter((s) => s.approvalBefore).map((s) => `before step ${s.index + 1}`),
    ...(plan.approvalBeforePromote ? ['before promotion'] : []),
  ];
  return [
    `  images     ${formatImages(request.images)}`,
    `  steps      ${describeSteps(request.steps)} (${request.strategyName})`,
    `  approval   ${gates.length > 0 ? gates.join(', ') : 'none'}`,
    `  at most    ${formatDuration(plan.maxDurationSeconds)} (without approval waits)`,
    ...(request.reason ? [`  reason     ${request.reason}`] : []),
  ];
}

/** `cli-<user>-<yyyymmddThhmmss>-<id>`: 80 characters at most, of the set Step Functions allows. */
function executionName(ctx: CommandContext): string {
  const stamp = ctx.clock.now().toISOString().replace(/[-:]/g, '').slice(0, 15);
  const user = ctx.user.replace(/[^A-Za-z0-9_]/g, '').slice(0, 32);
  return `${CLI_PREFIX}${user ? `${user}-` : ''}${stamp}-${ctx.newId()}`;
}
