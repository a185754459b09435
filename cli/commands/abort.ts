/**
 * `serinus abort`: stops the running execution, then waits until cleanup (started by the execution's
 * ABORTED status event) has put the traffic back on stable and ended the rollout record.
 */
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { formatWeights } from '../../lambda/domain/weights';
import { aws, describeExecution, type LiveWeights, onStable, readLiveWeights, readRecord } from '../aws';
import { CliError, type CommandContext, ExitCode, type ExitCodeValue, printJson } from '../context';
import { clockTime, duration, resultOf } from '../format';
import { pickExecution } from './status';

export interface AbortOptions {
  readonly reason?: string;
  /** How long to wait for cleanup. 0: do not wait. */
  readonly waitSeconds: number;
  readonly intervalSeconds: number;
}

export async function abortCommand(ctx: CommandContext, ref: string, options: AbortOptions): Promise<ExitCodeValue> {
  const picked = await pickExecution(ctx, ref, { running: true });
  const { resolved, executionArn } = picked;
  const { service, discovery } = resolved;
  const execution = await describeExecution(ctx.clients, executionArn);
  if (execution.status !== 'RUNNING') {
    throw new CliError(
      `No running rollout to abort: ${executionArn} already ended ${resultOf(execution.status)}. See: serinus status ${service}`,
      ExitCode.NotFound,
    );
  }
  const cause = options.reason ?? `stopped with serinus abort by ${ctx.user || 'an operator'}`;
  await aws('states:StopExecution', () => ctx.clients.sfn.send(new StopExecutionCommand({ executionArn, error: 'Aborted', cause })));
  const stoppedAt = ctx.clock.now();
  const progress = (event: Record<string, unknown>, text: string) =>
    ctx.json ? printJson(ctx.output, { at: ctx.clock.now().toISOString(), ...event }, false) : ctx.output.out(text);
  progress({ type: 'stopped', service, executionArn, cause }, `Stopped ${service} rollout ${execution.name}; waiting for cleanup to put traffic back on stable…`);
  if (options.waitSeconds <= 0) return ExitCode.Ok;

  const deadline = stoppedAt.getTime() + options.waitSeconds * 1000;
  let last = '';
  let weights: LiveWeights | undefined;
  let recordState = '';
  for (;;) {
    const [live, record] = await Promise.all([
      readLiveWeights(ctx.clients, discovery.target.traffic),
      readRecord(ctx.clients, discovery.tableName, discovery.target.traffic),
    ]);
    weights = live;
    const own = record?.executionArn === executionArn ? record : undefined;
    // Cleanup ends the record (and releases it after the fence period); another execution's record means ours is gone.
    const recordDone = own === undefined || own.endedAt !== undefined;
    recordState = own === undefined ? 'released' : own.endedAt ? `ended (${own.endReason ?? 'stopped'})` : `held, phase ${own.phase}`;
    const line = `${formatWeights(live)}, record ${recordState}`;
    if (line !== last) {
      last = line;
      progress({ type: 'progress', weights: live, record: recordState }, `  ${clockTime(ctx.clock.now())} ${line}`);
    }
    if (onStable(live) && recordDone) {
      const took = Math.round((ctx.clock.now().getTime() - stoppedAt.getTime()) / 1000);
      progress(
        { type: 'done', weights: live, record: recordState, seconds: took },
        `Traffic is back on stable (${formatWeights(live)}) and the rollout record is ${recordState}, ${duration(took)} after the stop.`,
      );
      return ExitCode.Ok;
    }
    if (ctx.clock.now().getTime() >= deadline) break;
    await ctx.clock.sleep(options.intervalSeconds * 1000);
  }
  throw new CliError(
    `The execution is stopped, but after ${duration(options.waitSeconds)} traffic is not confirmed back on stable: ${formatWeights(weights)}, record ${recordState}. ` +
      `Cleanup runs on the execution's ABORTED event (and the safety sweep within minutes); check the cleanup function's logs, and run serinus status ${service}.`,
    ExitCode.AbortedOrTimedOut,
  );
}
