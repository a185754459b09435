/**
 * From what a person types (a service name, a state machine ARN or an execution ARN) to the
 * deployed rollout: the SSM parameter `/serinus/services/<service>` (lambda/domain/discovery.ts).
 */
import { GetParameterCommand, GetParametersByPathCommand, type Parameter } from '@aws-sdk/client-ssm';
import { z } from 'zod';
import { DISCOVERY_PARAMETER_PATH, discoveryParameterName, type DiscoveryValue } from '../lambda/domain/discovery';
import { targetConfigSchema } from '../lambda/domain/target-schema';
import { aws } from './aws';
import { CliError, type CommandContext, ExitCode } from './context';

export interface Resolved {
  readonly service: string;
  readonly stateMachineArn: string;
  readonly discovery: DiscoveryValue;
  /** Set when an execution ARN was given. */
  readonly executionArn?: string;
}

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9-_]{0,62}$/;
const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9-_]+$/;
const EXECUTION_ARN = /^(arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}):execution:([A-Za-z0-9-_]+):[A-Za-z0-9-_]+$/;

// Loose at the top, so a newer construct may add fields; the target is checked in full.
const discoverySchema = z.looseObject({
  schemaVersion: z.literal(1),
  service: z.string().min(1),
  stateMachineArn: z.string().min(1),
  stateMachineName: z.string().min(1),
  tableName: z.string().min(1),
  approvalTopicArn: z.string(),
  eventBusName: z.string(),
  target: targetConfigSchema,
});

/** Resolves `ref` to a deployed service. */
export async function resolveTarget(ctx: CommandContext, ref: string): Promise<Resolved> {
  const execution = EXECUTION_ARN.exec(ref);
  if (execution) {
    const stateMachineArn = `${execution[1]}:stateMachine:${execution[2]}`;
    return { ...(await byStateMachine(ctx, stateMachineArn)), executionArn: ref };
  }
  if (STATE_MACHINE_ARN.test(ref)) return byStateMachine(ctx, ref);
  if (!SERVICE_NAME.test(ref)) {
    throw new CliError(
      `"${ref}" is neither a service name (letters, digits, "-" and "_") nor a state machine or execution ARN.`,
      ExitCode.Usage,
    );
  }
  return byService(ctx, ref);
}

async function byService(ctx: CommandContext, service: string): Promise<Resolved> {
  const name = discoveryParameterName(service);
  let value: string | undefined;
  try {
    const output = await aws('ssm:GetParameter', () => ctx.clients.ssm.send(new GetParameterCommand({ Name: name })), ['ParameterNotFound']);
    value = output.Parameter?.Value;
  } catch (error) {
    if (error instanceof Error && error.name === 'ParameterNotFound') throw await unknownService(ctx, service);
    throw error;
  }
  const discovery = parseDiscovery(name, value);
  return { service: discovery.service, stateMachineArn: discovery.stateMachineArn, discovery };
}

async function byStateMachine(ctx: CommandContext, stateMachineArn: string): Promise<Resolved> {
  const match = (await listServiceParameters(ctx))
    .map((p) => ({ name: p.Name ?? '', value: p.Value }))
    .map((p) => {
      try {
        return parseDiscovery(p.name, p.value);
      } catch {
        return undefined;
      }
    })
    .find((d) => d?.stateMachineArn === stateMachineArn);
  if (!match) {
    throw new CliError(
      `No serinus service under ${DISCOVERY_PARAMETER_PATH} names state machine ${stateMachineArn}. Check --region and --profile, or pass the service name.`,
      ExitCode.NotFound,
    );
  }
  return { service: match.service, stateMachineArn, discovery: match };
}

/** Every parameter under `/serinus/services/`. */
export async function listServiceParameters(ctx: CommandContext): Promise<Parameter[]> {
  const parameters: Parameter[] = [];
  let nextToken: string | undefined;
  do {
    const output = await aws('ssm:GetParametersByPath', () =>
      ctx.clients.ssm.send(
        new GetParametersByPathCommand({ Path: DISCOVERY_PARAMETER_PATH, Recursive: false, ...(nextToken ? { NextToken: nextToken } : {}) }),
      ),
    );
    parameters.push(...(output.Parameters ?? []));
    nextToken = output.NextToken;
  } while (nextToken);
  return parameters;
}

/** The names of every deployed service, sorted. */
export async function listServices(ctx: CommandContext): Promise<string[]> {
  return (await listServiceParameters(ctx))
    .map((p) => (p.Name ?? '').slice(DISCOVERY_PARAMETER_PATH.length))
    .filter((name) => name.length > 0)
    .sort();
}

async function unknownService(ctx: CommandContext, service: string): Promise<CliError> {
  const known = await listServices(ctx);
  const where = `no parameter ${discoveryParameterName(service)}`;
  if (known.length === 0) {
    return new CliError(
      `Unknown service "${service}": ${where}, and no serinus service is deployed here (nothing under ${DISCOVERY_PARAMETER_PATH}). Check --region and --profile.`,
      ExitCode.NotFound,
    );
  }
  const guess = closest(service, known);
  const hint = guess ? ` Did you mean "${guess}"?` : '';
  return new CliError(`Unknown service "${service}": ${where}.${hint} Services found: ${known.join(', ')}.`, ExitCode.NotFound);
}

function parseDiscovery(name: string, value: string | undefined): DiscoveryValue {
  let json: unknown;
  try {
    json = JSON.parse(value ?? '');
  } catch {
    json = undefined;
  }
  const parsed = discoverySchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(value)'}: ${issue.message}`);
    throw new CliError(
      `Parameter ${name} does not hold a serinus service description (schemaVersion 1); redeploy the stack with this version of serinus.`,
      ExitCode.Aws,
      problems,
    );
  }
  return parsed.data as DiscoveryValue;
}

/** The candidate within two edits of `word`, or one it starts or ends. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance <= 2 && (!best || distance < best.distance)) best = { name: candidate, distance };
  }
  if (best) return best.name;
  const lower = word.toLowerCase();
  return candidates.find((c) => c.toLowerCase().startsWith(lower) || lower.startsWith(c.toLowerCase()));
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}
