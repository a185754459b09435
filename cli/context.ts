/**
 * What every command is given: AWS clients, where to print, and a clock. `main.ts` builds the real
 * ones; tests pass mocked clients, an array sink and a clock whose sleep returns at once.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface CliClients {
  readonly sfn: SFNClient;
  readonly ssm: SSMClient;
  readonly cloudwatch: CloudWatchClient;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly dynamodb: DynamoDBDocumentClient;
}

/** Where a command writes: `out` is the result (stdout), `err` is for diagnostics (stderr). */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Options every command takes, after parsing. */
export interface GlobalOptions {
  readonly json: boolean;
  readonly region?: string;
  readonly profile?: string;
}

/** What `main.ts` (or a test) hands to the program. */
export interface CliEnvironment {
  /** Builds the clients for the region and profile the command line names. */
  readonly clients: (options: GlobalOptions) => CliClients;
  readonly output: Output;
  readonly clock: Clock;
  /** A short random id for execution names. */
  readonly newId: () => string;
  /** Who runs the CLI (the OS user), recorded in the execution name. */
  readonly user: string;
}

/** One command's view of the environment. */
export interface CommandContext {
  readonly clients: CliClients;
  readonly output: Output;
  readonly clock: Clock;
  readonly json: boolean;
  readonly newId: () => string;
  readonly user: string;
}

/**
 * The exit codes, documented in `serinus --help` and the README. A command's result maps to one of
 * these; so does every error.
 */
export const ExitCode = {
  /** Done; a watched rollout was promoted (or a dry run succeeded). */
  Ok: 0,
  /** A watched rollout failed and was rolled back. */
  RolloutFailed: 1,
  /** Bad arguments or an execution input that does not validate; nothing was started. */
  Usage: 2,
  /** Unknown service, no running rollout, nothing awaiting approval, execution not found. */
  NotFound: 3,
  /** No credentials, access denied, or another AWS error. */
  Aws: 4,
  /** A watched rollout was aborted or timed out, or abort's wait for cleanup ran out. */
  AbortedOrTimedOut: 5,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODE_HELP = `Exit codes:
  0  ok; a watched rollout was promoted
  1  a watched rollout failed and was rolled back
  2  usage error or invalid execution input (nothing was started)
  3  not found: unknown service, no running rollout, nothing awaiting approval
  4  AWS error: no credentials, access denied, or another failed call
  5  a watched rollout was aborted or timed out; abort's wait for cleanup ran out`;

/** An error a person can act on, with the exit code it ends the CLI with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    /** Separate problems (validation), each printed on its own line. */
    readonly problems: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** Prints one JSON document (or one JSON line, for watch). */
export function printJson(output: Output, value: unknown, pretty = true): void {
  output.out(pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value));
}
