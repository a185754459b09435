/**
 * The AWS calls the CLI makes, each named by its IAM action so a refusal says which permission is
 * missing, and the reads several commands share.
 */
import { type CompositeAlarm, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { type Action, DescribeListenersCommand, DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DescribeExecutionCommand,
  type DescribeExecutionOutput,
  type ExecutionListItem,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
} from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { RolloutRecord, TrafficTarget } from '../lambda/domain/types';
import { targetKey } from '../lambda/domain/types';
import { ALB_ROUTER, albTarget } from '../lambda/adapters/alb-target';
import { CliError, type CliClients, ExitCode } from './context';

/** Error names that mean the caller has no usable credentials. */
const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'TokenRefreshRequired',
]);

const ACCESS_DENIED_ERRORS = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError']);

/**
 * Runs one AWS call. Errors named in `passThrough` reach the caller as they are (a command decides
 * what "not found" means); every other error becomes a CliError that says what to do.
 */
export async function aws<T>(action: string, run: () => Promise<T>, passThrough: readonly string[] = []): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof CliError) throw error;
    const name = error instanceof Error ? error.name : 'Error';
    if (passThrough.includes(name)) throw error;
    throw translate(error, action);
  }
}

export function translate(error: unknown, action: string): CliError {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  if (CREDENTIAL_ERRORS.has(name) || /could not load credentials/i.test(message)) {
    return new CliError(
      `No usable AWS credentials (${message}). Pass --profile, set AWS_PROFILE, or run "aws sso login" / "aws configure", then try again.`,
      ExitCode.Aws,
      [],
      { cause: error },
    );
  }
  if (ACCESS_DENIED_ERRORS.has(name)) {
    return new CliError(
      `Access denied: your identity may not call ${action}. Ask for ${action} on this resource in your IAM policy. (AWS said: ${message})`,
      ExitCode.Aws,
      [],
      { cause: error },
    );
  }
  if (/region is missing/i.test(message)) {
    return new CliError('No AWS region: pass --region or set AWS_REGION.', ExitCode.Usage, [], { cause: error });
  }
  return new CliError(`${action} failed: ${name}: ${message}`, ExitCode.Aws, [], { cause: error });
}

/** The rollout record as the CLI reads it: the approval field the approval gate sets is optional. */
export type CliRecord = RolloutRecord & { readonly approval?: PendingApproval };

/** What the `request-approval` step leaves on the record while a person has to answer. */
export interface PendingApproval {
  readonly token: string;
  readonly gate: 'step' | 'promotion';
  /** The plan step's index (0-based) for a step gate. */
  readonly step?: number;
  readonly requestedAt: string;
}

/** The rollout record of a traffic target, read consistently; undefined when no rollout holds it. */
export async function readRecord(clients: CliClients, tableName: string, traffic: TrafficTarget): Promise<CliRecord | undefined> {
  const output = await aws('dynamodb:GetItem', () =>
    clients.dynamodb.send(new GetCommand({ TableName: tableName, Key: { targetKey: targetKey(traffic) }, ConsistentRead: true })),
  );
  return output.Item as CliRecord | undefined;
}

/** A record that still holds its target for a live rollout (not ended by cleanup or rollback). */
export function isActive(record: CliRecord | undefined): record is CliRecord & { readonly endedAt: undefined } {
  return record !== undefined && record.endedAt === undefined;
}

/** The live weights of the steered action: raw ELBv2 weights, plus any other target group in it. */
export interface LiveWeights {
  readonly stable: number;
  readonly canary: number;
  /** Target groups that are neither stable nor canary. */
  readonly others: ReadonlyArray<{ readonly targetGroupArn: string; readonly weight: number }>;
}

export async function readLiveWeights(clients: CliClients, target: TrafficTarget): Promise<LiveWeights> {
  if (target.kind !== ALB_ROUTER) {
    // Every other router is read through its own adapter, with the caller's credentials.
    const { TrafficRouters } = await import('../lambda/adapters/routers');
    const { EksConnections } = await import('../lambda/adapters/eks-connection');
    const { EksWorkloads } = await import('../lambda/adapters/eks-workloads');
    const kube = new EksConnections();
    const routers = new TrafficRouters({
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      kube: async () => kube,
      workloads: async () => new EksWorkloads(kube),
    });
    const weights = await aws(`read the ${target.kind} traffic split`, () => routers.readWeights(target));
    return { ...weights, others: [] };
  }
  const traffic = albTarget(target);
  let actions: Action[];
  if (traffic.ruleArn) {
    const ruleArn = traffic.ruleArn;
    const output = await aws('elasticloadbalancing:DescribeRules', () => clients.elbv2.send(new DescribeRulesCommand({ RuleArns: [ruleArn] })));
    actions = output.Rules?.find((rule) => rule.RuleArn === ruleArn)?.Actions ?? [];
  } else {
    const output = await aws('elasticloadbalancing:DescribeListeners', () =>
      clients.elbv2.send(new DescribeListenersCommand({ ListenerArns: [traffic.listenerArn] })),
    );
    actions = output.Listeners?.find((l) => l.ListenerArn === traffic.listenerArn)?.DefaultActions ?? [];
  }
  const forward = actions.find((action) => action.Type === 'forward');
  const listed = forward?.ForwardConfig?.TargetGroups ?? [];
  // A forward to one target group may come back as `TargetGroupArn` alone: weight 1 of 1.
  const groups =
    listed.length > 0
      ? listed.map((t) => ({ targetGroupArn: t.TargetGroupArn ?? '', weight: t.Weight ?? 1 }))
      : forward?.TargetGroupArn
        ? [{ targetGroupArn: forward.TargetGroupArn, weight: 1 }]
        : [];
  const weightOf = (arn: string) => groups.find((g) => g.targetGroupArn === arn)?.weight ?? 0;
  return {
    stable: weightOf(traffic.stableTargetGroupArn),
    canary: weightOf(traffic.canaryTargetGroupArn),
    others: groups.filter((g) => g.targetGroupArn !== traffic.stableTargetGroupArn && g.targetGroupArn !== traffic.canaryTargetGroupArn),
  };
}

/** Where cleanup leaves traffic: the stable target group carries 100, the canary and anything else 0. */
export function onStable(weights: LiveWeights): boolean {
  return weights.stable === 100 && weights.canary === 0 && weights.others.every((g) => g.weight === 0);
}

export interface AlarmView {
  readonly name: string;
  /** `MISSING` when DescribeAlarms does not know the alarm. */
  readonly state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' | 'MISSING';
  readonly updatedAt?: string;
  readonly reason?: string;
}

/** DescribeAlarms takes at most 100 names; without AlarmTypes it sees metric alarms only. */
export async function readAlarms(clients: CliClients, names: readonly string[]): Promise<AlarmView[]> {
  const found = new Map<string, MetricAlarm | CompositeAlarm>();
  for (let start = 0; start < names.length; start += 100) {
    const batch = names.slice(start, start + 100);
    let nextToken: string | undefined;
    do {
      const output = await aws('cloudwatch:DescribeAlarms', () =>
        clients.cloudwatch.send(
          new DescribeAlarmsCommand({
            AlarmNames: batch,
            AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
            MaxRecords: 100,
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        ),
      );
      for (const alarm of [...(output.MetricAlarms ?? []), ...(output.CompositeAlarms ?? [])]) {
        if (alarm.AlarmName) found.set(alarm.AlarmName, alarm);
      }
      nextToken = output.NextToken;
    } while (nextToken);
  }
  return names.map((name) => {
    const alarm = found.get(name);
    if (!alarm) return { name, state: 'MISSING' };
    return {
      name,
      state: (alarm.StateValue ?? 'INSUFFICIENT_DATA') as AlarmView['state'],
      ...(alarm.StateUpdatedTimestamp ? { updatedAt: alarm.StateUpdatedTimestamp.toISOString() } : {}),
      ...(alarm.StateReason ? { reason: alarm.StateReason } : {}),
    };
  });
}

export async function describeExecution(clients: CliClients, executionArn: string): Promise<DescribeExecutionOutput> {
  try {
    return await aws('states:DescribeExecution', () => clients.sfn.send(new DescribeExecutionCommand({ executionArn })), [
      'ExecutionDoesNotExist',
    ]);
  } catch (error) {
    throw new CliError(`Execution ${executionArn} does not exist (check the ARN and --region).`, ExitCode.NotFound, [], { cause: error });
  }
}

export async function listExecutions(
  clients: CliClients,
  stateMachineArn: string,
  options: { readonly maxResults: number; readonly running?: boolean },
): Promise<ExecutionListItem[]> {
  const output = await aws('states:ListExecutions', () =>
    clients.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn,
        maxResults: options.maxResults,
        ...(options.running ? { statusFilter: 'RUNNING' } : {}),
      }),
    ),
  );
  return output.executions ?? [];
}

/** The newest events first. */
export async function recentEvents(clients: CliClients, executionArn: string, maxResults: number): Promise<HistoryEvent[]> {
  const output = await aws('states:GetExecutionHistory', () =>
    clients.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults, includeExecutionData: true })),
  );
  return output.events ?? [];
}

/** Every event of an execution, oldest first, up to `maxPages` pages of 1000. */
export async function fullHistory(clients: CliClients, executionArn: string, maxPages = 5): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const output = await aws('states:GetExecutionHistory', () =>
      clients.sfn.send(
        new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, includeExecutionData: true, ...(nextToken ? { nextToken } : {}) }),
      ),
    );
    events.push(...(output.events ?? []));
    nextToken = output.nextToken;
    if (!nextToken) break;
  }
  return events;
}
