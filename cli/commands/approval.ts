/**
 * `serinus approve` and `serinus reject`: answer the approval gate a rollout waits at, with the task
 * token the gate left on the rollout record. A person never sees or pastes the token.
 */
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { ErrorNames } from '../../lambda/errors';
import { aws, isActive, readRecord } from '../aws';
import { CliError, type CommandContext, ExitCode, type ExitCodeValue, printJson } from '../context';
import { resolveTarget } from '../resolve';

/** Step Functions' answers when the token's task is no longer waiting. */
const TASK_GONE = ['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken'];
/** SendTaskFailure's limit on `cause`. */
const MAX_CAUSE = 32_768;

export async function answerApproval(
  ctx: CommandContext,
  ref: string,
  decision: 'approve' | 'reject',
  options: { readonly reason?: string },
): Promise<ExitCodeValue> {
  const resolved = await resolveTarget(ctx, ref);
  const { service, discovery } = resolved;
  const record = await readRecord(ctx.clients, discovery.tableName, discovery.target.traffic);
  if (!isActive(record) || (resolved.executionArn && record.executionArn !== resolved.executionArn)) {
    const which = resolved.executionArn ? `Execution ${resolved.executionArn} is not the running rollout of ${service}` : `No running rollout of ${service}`;
    throw new CliError(`${which}, so nothing awaits approval. See: serinus status ${service}`, ExitCode.NotFound);
  }
  const approval = record.approval;
  if (!approval) {
    throw new CliError(
      `Nothing awaits approval: the rollout of ${service} (${record.executionArn}) is ${record.phase}, not at an approval gate. See: serinus status ${service}`,
      ExitCode.NotFound,
    );
  }
  const what = approval.gate === 'promotion' ? 'promotion' : `step ${(approval.step ?? 0) + 1}`;
  const cause = (options.reason ?? `rejected with serinus reject by ${ctx.user || 'an operator'}`).slice(0, MAX_CAUSE);
  try {
    if (decision === 'approve') {
      await aws('states:SendTaskSuccess', () => ctx.clients.sfn.send(new SendTaskSuccessCommand({ taskToken: approval.token, output: '{}' })), TASK_GONE);
    } else {
      await aws(
        'states:SendTaskFailure',
        () => ctx.clients.sfn.send(new SendTaskFailureCommand({ taskToken: approval.token, error: ErrorNames.ApprovalRejected, cause })),
        TASK_GONE,
      );
    }
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    throw new CliError(
      `Nothing awaits approval: the ${what} gate of ${service} was already answered, timed out or stopped (${name}). See: serinus status ${service}`,
      ExitCode.NotFound,
      [],
      { cause: error },
    );
  }
  const result = {
    service,
    executionArn: record.executionArn,
    decision: decision === 'approve' ? 'approved' : 'rejected',
    gate: approval.gate,
    ...(approval.step !== undefined ? { step: approval.step + 1 } : {}),
    ...(decision === 'reject' ? { reason: cause } : {}),
  };
  if (ctx.json) printJson(ctx.output, result);
  else {
    const next = decision === 'approve' ? 'the rollout goes on' : 'the rollout rolls back';
    ctx.output.out(`${decision === 'approve' ? 'Approved' : 'Rejected'} ${what} of ${service} (${record.executionArn}); ${next}. Follow it: serinus watch ${service}`);
  }
  return ExitCode.Ok;
}
