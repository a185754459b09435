/**
 * Every sandbox scenario end to end at high speed: the synthesized state machine in the local
 * engine, real HTTP traffic through the weighted proxy to two app versions, alarms computed from
 * it. Each run's summary is checked against the invariants: traffic ends on stable, the right image
 * is on stable, and every request was answered by v1 or v2.
 *
 * The real CLI runs once in a child process, alongside the in-process runs: the default scenario
 * at the CLI's top speed and a low rate, which is all its own checks (the exit code, the JSON
 * summary as the last line of stdout, the report) need; the scenarios' own checks run in-process.
 */
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { synthesizeSampleWorkflow } from '../../local/sample-workflow';
import type { SynthesizedWorkflow } from '../../local/synthesized-workflow';
import { managedAlarmSpecs } from '../../sandbox/alarms';
import { parseCommandLine } from '../../sandbox/cli';
import { fit, stripAnsi, terminalMode } from '../../sandbox/progress';
import type { RolloutResult, SandboxRun, SandboxSummary, Scenario } from '../../sandbox/run-model';
import { smokeTestContext } from '../../sandbox/smoke-test';
import { CANDIDATE_IMAGE, STABLE_IMAGE, SandboxUsageError, runSandbox, type KeyInput, type SandboxOptions } from '../../sandbox/sandbox';
import { sink } from './sink';

const ROOT = path.join(__dirname, '..', '..');
const TMP = mkdtempSync(path.join(os.tmpdir(), 'serinus-sandbox-test-'));
const REPORT = path.join(TMP, 'faulty.html');

/** A 1-minute bake passes in 125–250 ms (it ends on a whole minute). */
const FAST: Partial<SandboxOptions> = { speed: 480, ratePerSecond: 400, bakeSeconds: 60, alarmWindowMs: 1000, tailMs: 250, decisionDelayMs: 20 };
/**
 * Slower where an alarm must fire within a bake: at 400 req/s a 10% canary answers 40 requests a
 * second, so the 1 s window passes the minimum of 20 within half a second, and bakes last 0.5–1 s.
 */
const ALARMING: Partial<SandboxOptions> = { speed: 120 };
/** A p99 above 1.5 s takes 1.5 s of real time to see, whatever the speed. */
const SLOW_ALARMING: Partial<SandboxOptions> = { speed: 60 };

interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runCli(args: string[]): Promise<CliResult> {
  // `tsx sandbox/cli.ts`, as `npm start` runs it, on the Node this suite runs on; tsx as a loader,
  // so no launcher process stands between.
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'sandbox', 'cli.ts'), ...args], {
    cwd: ROOT,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end();
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let workflow: SynthesizedWorkflow;
let cli: Promise<CliResult>;

beforeAll(() => {
  workflow = synthesizeSampleWorkflow();
  // Started once the workflow is synthesized: the child takes it from the test run's directory of
  // synthesized workflows (local/sample-workflow.ts), as every test file does, and runs while this
  // process runs the other scenarios.
  cli = runCli(['--scenario', 'healthy', '--json', '--speed', '10000', '--rate', '50', '--report', REPORT]);
});

afterAll(async () => {
  await cli.catch(() => undefined);
  rmSync(TMP, { recursive: true, force: true });
});

async function run(scenario: Scenario, options: Partial<SandboxOptions> = {}): Promise<{ run: SandboxRun; text: string }> {
  const output = sink();
  // The scenarios tell stories of user traffic: tester requests (routing.sandbox.ts) would reach the
  // canary from Lock on and could trip its alarms before the first step, whatever the story.
  const result = await runSandbox({ scenario, workflow, output, live: false, color: false, testerHeader: null, ...FAST, ...options });
  return { run: result, text: output.text };
}

/** The invariants every scenario ends with, whatever its result. */
function expectInvariants({ run, text }: { run: SandboxRun; text: string }, result: RolloutResult): void {
  const { summary } = run;
  expect(summary).toMatchObject<Partial<SandboxSummary>>({
    result,
    expected: result,
    ok: true,
    finalWeights: { stable: 100, canary: 0 },
    stableImage: result === 'promoted' ? CANDIDATE_IMAGE : STABLE_IMAGE,
    canaryReplicas: 0,
  });
  // No request lost: every one was answered by v1 or v2, and the proxy dropped none.
  expect(summary.requests.dropped).toBe(0);
  expect(summary.requests.byVersion.v1 + summary.requests.byVersion.v2).toBe(summary.requests.total);
  expect(summary.requests.byVersion.v2).toBeGreaterThan(0);
  expect(summary.stateTransitions).toBeGreaterThan(0);
  expect(summary.lambdaInvocations).toBeGreaterThan(0);
  // After the end, the stable target group serves: v2 once promoted, v1 otherwise.
  const serving = result === 'promoted' ? 'v2' : 'v1';
  expect(run.lastServed.slice(-20)).toEqual(Array(20).fill(serving));
  expect(run.weights[0]).toEqual({ at: 0, stable: 100, canary: 0 });
  expect(run.weights.at(-1)).toMatchObject({ stable: 100, canary: 0 });
  expect(run.marks.at(-1)).toMatchObject({ kind: 'end' });
  expect(run.traffic.length).toBeGreaterThan(0);
  // Plain output: no terminal control codes, one line per event, the result at the end.
  expect(text).not.toContain('\u001b[');
  expect(text).toContain(`${summary.scenario}: ${result.replace('_', ' ')}`);
}

describe('scenarios', () => {
  it('healthy: 10% → 50% → 100%, then promoted', async () => {
    // Act
    const outcome = await run('healthy');

    // Assess
    expectInvariants(outcome, 'promoted');
    expect(outcome.run.weights.map((w) => w.canary)).toEqual([0, 10, 50, 100, 0]);
    expect(outcome.run.summary.alarmToRevertMs).toBeNull();
    expect(outcome.run.summary.requests.errors).toBe(0);
    expect(outcome.run.marks.map((m) => m.kind)).toEqual(expect.arrayContaining(['step', 'promote', 'end']));
    expect(outcome.text).toMatch(/step 3\/3 +100% of the traffic to the canary/);
  });

  it('faulty: v2 answers 5xx, the error-rate alarm fires and serinus rolls back', async () => {
    // Act
    const outcome = await run('faulty', ALARMING);

    // Assess
    expectInvariants(outcome, 'rolled_back');
    expect(outcome.run.summary.alarmToRevertMs).toEqual(expect.any(Number));
    expect(outcome.run.summary.cause).toMatch(/ErrorRate|ComparedWithStable/);
    expect(outcome.run.summary.requests.errors).toBeGreaterThan(0);
    expect(outcome.run.marks.map((m) => m.kind)).toEqual(expect.arrayContaining(['alarm', 'revert']));
    expect(outcome.text).toMatch(/(ErrorRate|ComparedWithStable) +→ ALARM: Threshold Crossed/);
  });

  it('slow: v2 p99 latency breaches its alarm and serinus rolls back', async () => {
    // Act
    const outcome = await run('slow', SLOW_ALARMING);

    // Assess
    expectInvariants(outcome, 'rolled_back');
    expect(outcome.run.summary.alarmToRevertMs).toEqual(expect.any(Number));
    expect(outcome.run.summary.cause).toMatch(/P99Latency/);
    expect(outcome.run.summary.requests.errors).toBe(0);
    expect(outcome.text).toMatch(/P99Latency +→ ALARM: Threshold Crossed: canary p99/);
  });

  it('abort: stopped mid-bake, the cleanup path puts traffic back on stable', async () => {
    // Act
    const outcome = await run('abort');

    // Assess
    expectInvariants(outcome, 'aborted');
    // The stop came in the bake of step 2, with half the traffic on the canary.
    expect(outcome.run.weights.map((w) => w.canary)).toEqual([0, 10, 50, 0]);
    expect(outcome.run.marks.map((m) => m.kind)).toEqual(expect.arrayContaining(['abort', 'revert']));
    expect(outcome.run.summary.alarmToRevertMs).toBeNull();
  });

  it('approval with --approve: pauses before promotion, then promotes', async () => {
    // Act
    const outcome = await run('approval', { approval: 'approve' });

    // Assess
    expectInvariants(outcome, 'promoted');
    expect(outcome.run.marks.filter((m) => m.kind === 'approval').map((m) => m.label)).toEqual(['approval requested', 'approved']);
    expect(outcome.text).toMatch(/ApprovePromotion +waiting for a person/);
  });

  it('approval answered with the r key on a terminal: rolls back', async () => {
    // Prepare: a terminal whose user presses r as soon as the prompt listens.
    const keyboard = Object.assign(new EventEmitter(), {
      isTTY: true,
      rawModes: [] as boolean[],
      setRawMode(mode: boolean) {
        keyboard.rawModes.push(mode);
      },
      resume() {
        setImmediate(() => keyboard.emit('data', Buffer.from('r')));
      },
      pause() {},
    });

    // Act
    const outcome = await run('approval', { approval: 'prompt', input: keyboard as unknown as KeyInput });

    // Assess
    expectInvariants(outcome, 'rolled_back');
    expect(outcome.run.summary.cause).toMatch(/ApprovalRejected/);
    expect(keyboard.rawModes).toEqual([true, false]);
    expect(keyboard.listenerCount('data')).toBe(0);
  });

  it('smoke: the beforeTraffic smoke test catches a broken v2 before any user request reaches it', async () => {
    // Prepare: the sample rollout with the smoke test as its beforeTraffic hook.
    const smokeWorkflow = synthesizeSampleWorkflow(smokeTestContext());

    // Act
    const { run: outcome, text } = await run('smoke', { workflow: smokeWorkflow });

    // Assess
    expect(outcome.summary).toMatchObject<Partial<SandboxSummary>>({
      result: 'rolled_back',
      ok: true,
      finalWeights: { stable: 100, canary: 0 },
      stableImage: STABLE_IMAGE,
      canaryReplicas: 0,
      requests: expect.objectContaining({ byVersion: { v1: outcome.summary.requests.total, v2: 0 }, errors: 0, dropped: 0 }),
    });
    expect(outcome.summary.requests.total).toBeGreaterThan(0);
    expect(outcome.summary.cause).toMatch(/^HookFailed: lifecycle hook beforeTraffic failed: smoke test: GET \/ on the canary answered 500, 500, 500, 500, 500/);
    // The canary never had a weight: the only weights are stable's.
    expect(outcome.weights.map((w) => w.canary)).toEqual(outcome.weights.map(() => 0));
    expect(text).toMatch(/smoke test +smoke test: GET \/ on the canary answered 500/);
  }, 90_000);

  it('approval waiting for a keypress without a terminal is an input error, before anything starts', async () => {
    // Act
    const attempt = runSandbox({ scenario: 'approval', workflow, output: sink(), input: Object.assign(new EventEmitter(), { isTTY: false, resume() {}, pause() {} }) as unknown as KeyInput });

    // Assess
    await expect(attempt).rejects.toThrow(SandboxUsageError);
    await expect(attempt).rejects.toThrow(/--approve or --reject/);
  });
});

describe('the managed alarms the sandbox computes', () => {
  it('are the synthesized stack’s, with its thresholds', () => {
    // Act
    const specs = managedAlarmSpecs(workflow.definedAlarms);

    // Assess
    expect(specs.map(({ kind, ...rest }) => ({ kind, ...rest, name: rest.name.replace(/^.*ManagedAlarms/, '') }))).toEqual([
      { kind: 'errorRate', name: expect.stringMatching(/^ErrorRate/), thresholdPercent: 5, minimumRequests: 20 },
      { kind: 'comparedWithStable', name: expect.stringMatching(/^ComparedWithStable/), marginPercent: 2, minimumRequests: 20 },
      { kind: 'p99Latency', name: expect.stringMatching(/^P99Latency/), thresholdMs: 1500, minimumRequests: 20 },
    ]);
    for (const spec of specs) expect(workflow.target.alarmNames).toContain(spec.name);
  });
});

describe('the command line', () => {
  it.each<[string, string[], boolean, Record<string, unknown>]>([
    ['defaults', [], false, { scenario: 'healthy', speed: 30, ratePerSecond: 100, json: false, approval: undefined, reportPath: path.join(TMP, 'serinus-sandbox-healthy.html') }],
    ['every option', ['--scenario=faulty', '--speed', '120', '--rate', '400', '--json', '--report', 'out/r.html'], false, { scenario: 'faulty', speed: 120, ratePerSecond: 400, json: true, reportPath: path.resolve('out/r.html') }],
    ['approval with --reject, without a terminal', ['--scenario', 'approval', '--reject'], false, { scenario: 'approval', approval: 'reject' }],
    ['approval on a terminal asks', ['--scenario', 'approval'], true, { scenario: 'approval', approval: 'prompt' }],
  ])('%s', (_name, argv, tty, expected) => {
    // Act
    const parsed = parseCommandLine(argv, tty, TMP);

    // Assess
    expect(parsed).toEqual({ help: false, options: expect.objectContaining(expected) });
  });

  it.each<[string[], RegExp]>([
    [['--scenario', 'chaos'], /--scenario must be one of healthy, faulty, slow, abort, approval, smoke; got "chaos"/],
    [['--speed', 'fast'], /--speed must be a number from 1 to 10000; got "fast"/],
    [['--rate', '0'], /--rate must be a number from 1 to 2000; got "0"/],
    [['--approve', '--reject', '--scenario', 'approval'], /exclude each other/],
    [['--approve'], /use it with --scenario approval/],
    [['--scenario', 'approval'], /stdin is not a terminal: pass --approve or --reject/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['healthy'], /Unexpected argument 'healthy'/],
  ])('%j is refused', (argv, message) => {
    // Act
    const parse = () => parseCommandLine(argv, false, TMP);

    // Assess
    expect(parse).toThrow(SandboxUsageError);
    expect(parse).toThrow(message);
  });

  it('--help asks for the usage', () => {
    // Act
    const parsed = parseCommandLine(['--help'], false, TMP);

    // Assess
    expect(parsed).toEqual({ help: true });
  });
});

describe('the terminal output', () => {
  it.each<[string, { isTTY?: boolean }, NodeJS.ProcessEnv, { live: boolean; color: boolean }]>([
    ['a terminal', { isTTY: true }, {}, { live: true, color: true }],
    ['a pipe', {}, {}, { live: false, color: false }],
    ['a terminal in CI', { isTTY: true }, { CI: 'true' }, { live: false, color: true }],
    ['a terminal with CI=false', { isTTY: true }, { CI: 'false' }, { live: true, color: true }],
    ['a terminal with NO_COLOR', { isTTY: true }, { NO_COLOR: '1' }, { live: true, color: false }],
    ['a dumb terminal', { isTTY: true }, { TERM: 'dumb' }, { live: false, color: false }],
    ['a pipe with FORCE_COLOR', {}, { FORCE_COLOR: '1' }, { live: false, color: true }],
  ])('%s', (_name, output, env, expected) => {
    // Act
    const mode = terminalMode({ write: () => true, ...output }, env);

    // Assess
    expect(mode).toEqual(expected);
  });

  it('cuts a coloured line to the width without breaking its colour codes', () => {
    // Prepare
    const line = `\u001b[36mstable\u001b[39m ${'█'.repeat(20)} \u001b[35mcanary\u001b[39m`;

    // Act
    const cut = fit(line, 12);

    // Assess
    expect(stripAnsi(cut)).toBe(`stable ████…`);
    expect(cut.endsWith('\u001b[0m')).toBe(true);
    expect(fit('short', 12)).toBe('short');
  });
});

describe('the CLI', () => {
  it('--scenario healthy --json: the last line of stdout is the summary, the report is written, exit 0', async () => {
    // Act
    const result = await cli;

    // Assess
    expect(result.stderr).not.toMatch(/failed|Error:/);
    expect(result.code).toBe(0);
    const lastLine = result.stdout.trimEnd().split('\n').at(-1)!;
    const summary = JSON.parse(lastLine) as SandboxSummary;
    expect(summary).toMatchObject({
      scenario: 'healthy',
      result: 'promoted',
      expected: 'promoted',
      ok: true,
      finalWeights: { stable: 100, canary: 0 },
      stableImage: CANDIDATE_IMAGE,
      requests: { dropped: 0 },
      speed: 10000,
    });
    expect(summary.requests.byVersion.v1 + summary.requests.byVersion.v2).toBe(summary.requests.total);
    expect(result.stdout).toContain(REPORT);
    expect(existsSync(REPORT)).toBe(true);
    expect(readFileSync(REPORT, 'utf8')).toMatch(/<svg/);
  });

  it('a bad flag exits 2 with a message and starts nothing', async () => {
    // Act
    const result = await runCli(['--speed', 'fast']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--speed must be a number from 1 to 10000; got "fast"');
    expect(result.stdout).toBe('');
  });
});
