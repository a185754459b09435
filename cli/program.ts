/**
 * The command line: parses arguments with commander and hands each command its context. Every
 * outcome becomes an exit code (see `ExitCode`).
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { APPROVAL_MODES } from '../lambda/domain/types';
import { CliError, type CliEnvironment, type CommandContext, EXIT_CODE_HELP, ExitCode, type GlobalOptions, printJson } from './context';
import { abortCommand } from './commands/abort';
import { answerApproval } from './commands/approval';
import { historyCommand, listCommand } from './commands/history';
import { startCommand } from './commands/start';
import { statusCommand, watchCommand } from './commands/status';

const TARGET = '<service|arn>';
const TARGET_HELP = 'a service name, its state machine ARN, or an execution ARN';

/** Runs the CLI with `argv` (without `node` and the script) and returns the exit code. */
export async function runCli(argv: readonly string[], env: CliEnvironment): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  let json = argv.includes('--json');
  const program = new Command('serinus')
    .description('Operate serinus canary rollouts: start, watch, approve, abort, and look back.')
    .version(version(), '-V, --version')
    .showHelpAfterError('(run serinus --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => env.output.out(s.trimEnd()), writeErr: (s) => env.output.err(s.trimEnd()) })
    .addHelpText('after', `\n${EXIT_CODE_HELP}`);

  // Global options, accepted before or after the command.
  const withGlobals = (command: Command) =>
    command
      .option('--json', 'print one JSON document (JSON lines for watch and abort)')
      .option('--region <region>', 'AWS region (default: AWS_REGION or the profile\'s)')
      .option('--profile <profile>', 'AWS shared-config profile');
  withGlobals(program);

  const run =
    <A extends unknown[]>(action: (ctx: CommandContext, ...args: A) => Promise<number>) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const globals = command.optsWithGlobals<GlobalOptions & { json?: boolean }>();
      json = globals.json === true;
      const ctx: CommandContext = {
        clients: env.clients({ json, region: globals.region, profile: globals.profile }),
        output: env.output,
        clock: env.clock,
        json,
        newId: env.newId,
        user: env.user,
      };
      exitCode = await action(ctx, ...(args.slice(0, -1) as A));
    };

  withGlobals(program.command('start'))
    .description('start a rollout; validates the input first and starts nothing if it is not valid')
    .argument(TARGET, TARGET_HELP)
    .option('--image <image>', 'the image (first container), or container=image, repeated per container', collect, [])
    .option('--strategy <preset>', 'Canary10Percent5Minutes, Linear20PercentEvery2Minutes, AllAtOnce, …')
    .option('--steps <steps>', 'explicit steps, weight[:bake] separated by commas: 10:5m,50:5m,100')
    .option('--approval <mode>', `approval gates: ${APPROVAL_MODES.join(', ')} (may add to the service's, never drop one)`)
    .option('--reason <text>', 'why, recorded with the rollout')
    .option('--dry-run', 'print the input and the plan; start nothing')
    .option('--watch', 'follow the rollout until it ends')
    .option('--interval <seconds>', 'seconds between polls with --watch', positiveInt, 5)
    .action(
      run((ctx, ref: string, o: { image: string[]; strategy?: string; steps?: string; approval?: string; reason?: string; dryRun?: boolean; watch?: boolean; interval: number }) => {
        if (o.strategy !== undefined && o.steps !== undefined) {
          throw new CliError('Give either --strategy or --steps, not both.', ExitCode.Usage);
        }
        return startCommand(ctx, ref, {
          image: o.image,
          ...(o.strategy !== undefined ? { strategy: o.strategy } : {}),
          ...(o.steps !== undefined ? { steps: o.steps } : {}),
          ...(o.approval !== undefined ? { approval: o.approval } : {}),
          ...(o.reason !== undefined ? { reason: o.reason } : {}),
          dryRun: o.dryRun === true,
          watch: o.watch === true,
          intervalSeconds: o.interval,
        });
      }),
    );

  withGlobals(program.command('status'))
    .description('where a rollout stands: step, live weights, bake left, alarms, images, last events')
    .argument(TARGET, TARGET_HELP)
    .action(run((ctx, ref: string) => statusCommand(ctx, ref)));

  withGlobals(program.command('watch'))
    .description('follow a running rollout until it ends; exits with its result')
    .argument(TARGET, TARGET_HELP)
    .option('--interval <seconds>', 'seconds between polls', positiveInt, 5)
    .action(run((ctx, ref: string, o: { interval: number }) => watchCommand(ctx, ref, { intervalSeconds: o.interval })));

  for (const decision of ['approve', 'reject'] as const) {
    withGlobals(program.command(decision))
      .description(decision === 'approve' ? 'approve the gate the running rollout waits at' : 'reject the gate the running rollout waits at; it rolls back')
      .argument(TARGET, TARGET_HELP)
      .option('--reason <text>', decision === 'approve' ? 'ignored; kept for symmetry with reject' : 'why, shown as the rollout\'s cause')
      .action(run((ctx, ref: string, o: { reason?: string }) => answerApproval(ctx, ref, decision, o.reason !== undefined ? { reason: o.reason } : {})));
  }

  withGlobals(program.command('abort'))
    .description('stop the running rollout and wait until cleanup has put traffic back on stable')
    .argument(TARGET, TARGET_HELP)
    .option('--reason <text>', 'why, recorded as the stop\'s cause')
    .option('--wait <seconds>', 'how long to wait for cleanup (0: do not wait)', nonNegativeInt, 300)
    .option('--interval <seconds>', 'seconds between polls', positiveInt, 5)
    .action(
      run((ctx, ref: string, o: { reason?: string; wait: number; interval: number }) =>
        abortCommand(ctx, ref, { ...(o.reason !== undefined ? { reason: o.reason } : {}), waitSeconds: o.wait, intervalSeconds: o.interval }),
      ),
    );

  withGlobals(program.command('list'))
    .description('running and recent rollouts, of one service or of all')
    .argument('[service|arn]', TARGET_HELP)
    .option('--limit <n>', 'executions per service', positiveInt, 10)
    .action(run((ctx, ref: string | undefined, o: { limit: number }) => listCommand(ctx, ref, { limit: o.limit })));

  withGlobals(program.command('history'))
    .description('what past rollouts did: steps reached, why they ended, who started them')
    .argument(TARGET, TARGET_HELP)
    .option('--limit <n>', 'how many rollouts', positiveInt, 10)
    .action(run((ctx, ref: string, o: { limit: number }) => historyCommand(ctx, ref, { limit: o.limit })));

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end the parse through the same path as a usage error.
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    const cliError = error instanceof CliError ? error : new CliError(`Unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, ExitCode.Aws);
    if (json) {
      printJson(env.output, { error: { message: cliError.message, exitCode: cliError.exitCode, ...(cliError.problems.length > 0 ? { problems: cliError.problems } : {}) } });
    } else {
      env.output.err(`serinus: ${cliError.message}`);
      for (const problem of cliError.problems) env.output.err(`  - ${problem}`);
    }
    return cliError.exitCode;
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number from 1');
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number from 0');
  return n;
}

/** From the package's package.json: `../` from the source, `../../` from `dist/cli/`. */
function version(): string {
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const manifest = require(path) as { name?: string; version?: string };
      if (manifest.name === 'serinus' && manifest.version) return manifest.version;
    } catch {
      // Not at this path; try the next.
    }
  }
  return 'unknown';
}
