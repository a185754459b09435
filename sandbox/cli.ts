/**
 * `npm start`: one serinus rollout on localhost, no AWS account needed.
 *
 *   npm start                              the healthy scenario
 *   npm start -- --scenario faulty --json  a rollback, with a JSON summary as the last line
 *   npm start -- --routing istio           the same rollout steering an Istio VirtualService
 *
 * Exit codes: 0 the rollout ended as the scenario expects, 1 it did not (the message says why),
 * 2 the command line is wrong (nothing was started), 130 interrupted.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { renderReport } from './report';
import { ROUTING_KINDS, ROUTING_MODES, TESTER_EVERY, isRoutingKind, parseTesterHeader, testerHeaderFor, type RoutingKind } from './routing-modes';
import type { Scenario } from './run-model';
import type { TesterHeader } from '../lambda/domain/types';
import { DEFAULTS, SCENARIOS, SCENARIO_NAMES, SandboxUsageError, runSandbox, type ApprovalDecision } from './sandbox';

export const USAGE = `Usage: npm start -- [options]

Runs one serinus canary rollout locally: the state machine synthesized from the CDK app, the real
handlers against stateful AWS fakes, two app versions behind a weighted proxy, real traffic, and
alarms computed from it. No AWS account, nothing leaves 127.0.0.1.

Options:
  --scenario <name>  ${SCENARIO_NAMES.join(' | ')} (default: healthy)
${SCENARIO_NAMES.map((name) => `                       ${name.padEnd(9)} ${SCENARIOS[name].story}`).join('\n')}
  --routing <kind>   what steers the traffic, and what the proxy follows (default: alb-listener)
${ROUTING_KINDS.map((kind) => `                       ${kind.padEnd(14)} ${ROUTING_MODES[kind].story}`).join('\n')}
  --tester-header <name=value|none>
                     1 request in ${TESTER_EVERY} carries this header; while a rollout runs, the mode's tester
                     route sends it to the canary (default: x-canary=always for alb-listener,
                     alb-rule and istio; none for ingress and replica-ratio, which have no tester route)
  --speed <n>        simulated seconds per real second, for bakes and waits (default: ${DEFAULTS.speed})
  --rate <req/s>     requests per second sent through the proxy (default: ${DEFAULTS.ratePerSecond})
  --approve          approval scenario: approve the gate without a keypress
  --reject           approval scenario: reject the gate (serinus rolls back)
  --report <path>    where to write the HTML report
                     (default: <tmp>/serinus-sandbox-<scenario>.html, -<routing> added for other modes)
  --json             end stdout with the run's summary as one line of JSON
  -h, --help         show this help

Exit codes: 0 the rollout ended as the scenario expects, 1 it did not, 2 bad options, 130 interrupted.`;

export interface CliOptions {
  readonly scenario: Scenario;
  readonly routing: RoutingKind;
  /** Undefined: no tester traffic. */
  readonly testerHeader?: TesterHeader;
  readonly speed: number;
  readonly ratePerSecond: number;
  readonly json: boolean;
  readonly approval?: ApprovalDecision;
  readonly reportPath: string;
}

export type ParsedCommandLine = { readonly help: true } | { readonly help: false; readonly options: CliOptions };

/** Reads the command line; throws SandboxUsageError with a sentence a person can act on. */
export function parseCommandLine(argv: readonly string[], stdinIsTTY: boolean, tmpdir = os.tmpdir()): ParsedCommandLine {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        scenario: { type: 'string' },
        routing: { type: 'string' },
        'tester-header': { type: 'string' },
        speed: { type: 'string' },
        rate: { type: 'string' },
        approve: { type: 'boolean' },
        reject: { type: 'boolean' },
        report: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new SandboxUsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  if (values.help) return { help: true };

  const scenario = (values.scenario ?? 'healthy') as string;
  if (!SCENARIO_NAMES.includes(scenario as Scenario)) {
    throw new SandboxUsageError(`--scenario must be one of ${SCENARIO_NAMES.join(', ')}; got "${scenario}"`);
  }
  const routing = (values.routing ?? 'alb-listener') as string;
  if (!isRoutingKind(routing)) throw new SandboxUsageError(`--routing must be one of ${ROUTING_KINDS.join(', ')}; got "${routing}"`);
  let given: TesterHeader | null | undefined;
  if (values['tester-header'] !== undefined) {
    const parsed = parseTesterHeader(values['tester-header'] as string);
    if (typeof parsed === 'string') throw new SandboxUsageError(parsed);
    given = parsed;
  }
  const tester = testerHeaderFor(routing, given);
  if ('refusal' in tester) throw new SandboxUsageError(`${tester.refusal} (--routing ${routing})`);
  const speed = numberOption('--speed', values.speed, DEFAULTS.speed, 1, 10_000);
  const ratePerSecond = numberOption('--rate', values.rate, DEFAULTS.ratePerSecond, 1, 2_000);
  if (values.approve && values.reject) throw new SandboxUsageError('--approve and --reject exclude each other: give one');
  if ((values.approve || values.reject) && scenario !== 'approval') {
    throw new SandboxUsageError(`--${values.approve ? 'approve' : 'reject'} answers the approval gate: use it with --scenario approval`);
  }
  let approval: ApprovalDecision | undefined;
  if (scenario === 'approval') {
    approval = values.approve ? 'approve' : values.reject ? 'reject' : 'prompt';
    if (approval === 'prompt' && !stdinIsTTY) {
      throw new SandboxUsageError(
        'the approval scenario waits for a keypress, but stdin is not a terminal: pass --approve or --reject',
      );
    }
  }
  if (values.report === '') throw new SandboxUsageError('--report needs a file path');
  const defaultReport = routing === 'alb-listener' ? `serinus-sandbox-${scenario}.html` : `serinus-sandbox-${scenario}-${routing}.html`;
  const reportPath = path.resolve((values.report as string | undefined) ?? path.join(tmpdir, defaultReport));
  return {
    help: false,
    options: { scenario: scenario as Scenario, routing, ...(tester.header && { testerHeader: tester.header }), speed, ratePerSecond, json: values.json === true, approval, reportPath },
  };
}

function numberOption(flag: string, raw: string | boolean | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new SandboxUsageError(`${flag} must be a number from ${min} to ${max}; got "${String(raw)}"`);
  }
  return value;
}

async function main(argv: readonly string[]): Promise<number> {
  let parsed: ParsedCommandLine;
  try {
    parsed = parseCommandLine(argv, process.stdin.isTTY === true);
  } catch (error) {
    if (!(error instanceof SandboxUsageError)) throw error;
    process.stderr.write(`serinus sandbox: ${error.message}\n\nRun with --help for the options.\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { options } = parsed;

  // Ctrl-C stops the execution the way the console's Stop does, so the cleanup path still puts
  // traffic back on stable before the process ends; a second Ctrl-C leaves at once.
  const interrupt = new AbortController();
  const onSignal = (): void => {
    if (interrupt.signal.aborted) process.exit(130);
    process.stderr.write('\nserinus sandbox: stopping the execution; cleanup puts traffic back on stable (Ctrl-C again to quit now)\n');
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // However the process ends, the terminal gets its cursor back.
  const showCursor = (): void => {
    if (process.stdout.isTTY) process.stdout.write('\u001b[?25h');
  };
  process.once('exit', showCursor);

  try {
    const run = await runSandbox({
      scenario: options.scenario,
      routing: options.routing,
      testerHeader: options.testerHeader ?? null,
      speed: options.speed,
      ratePerSecond: options.ratePerSecond,
      approval: options.approval,
      signal: interrupt.signal,
    });
    try {
      writeFileSync(options.reportPath, renderReport(run));
      process.stdout.write(`\n  report                  ${options.reportPath}\n\n`);
    } catch (error) {
      process.stderr.write(`serinus sandbox: could not write the report to ${options.reportPath}: ${(error as Error).message}\n`);
    }
    if (options.json) process.stdout.write(`${JSON.stringify(run.summary)}\n`);
    if (interrupt.signal.aborted) return 130;
    if (!run.summary.ok) process.stderr.write(`serinus sandbox: ${run.summary.scenario} did not end as expected: ${run.summary.reason}\n`);
    return run.summary.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof SandboxUsageError) {
      process.stderr.write(`serinus sandbox: ${error.message}\n`);
      return interrupt.signal.aborted ? 130 : 2;
    }
    process.stderr.write(`serinus sandbox failed: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // The engine's module is loaded by the run; closing its shared fake cluster ends the process.
    const { shutdownLocalEngines } = await import('../local/local-engine');
    await shutdownLocalEngines();
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    // Everything is closed; the process ends by itself once stdout has drained.
    process.exitCode = code;
  });
}
