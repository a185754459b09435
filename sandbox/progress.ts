/**
 * What a person watching the sandbox sees. On a terminal, a live panel stays at the bottom and is
 * redrawn in place while event lines scroll above it. Elsewhere (a pipe, a file, `CI`), events are
 * plain lines and a one-line progress report is printed at most every few seconds.
 */
import type { TesterSummary, Version } from './run-model';

/** Where output goes: a stream, or anything that takes text (tests collect it). */
export interface Output {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export type EventKind = 'info' | 'state' | 'step' | 'weights' | 'pods' | 'check' | 'alarm-on' | 'alarm-off' | 'approval' | 'ok' | 'fail';

export interface VersionView {
  /** Answers since the start. */
  readonly requests: number;
  /** Over the recent window. */
  readonly errorRatePercent: number;
  readonly p99Ms: number | null;
}

export interface AlarmView {
  readonly label: string;
  readonly state: 'OK' | 'ALARM';
  /** False for alarms the sandbox has no data for (the user's own): they stay OK. */
  readonly computed: boolean;
}

export interface ProgressSnapshot {
  readonly elapsedMs: number;
  readonly speed: number;
  /** What the rollout is doing, in words. */
  readonly activity: string;
  readonly step?: { readonly number: number; readonly count: number; readonly weight: number };
  readonly weights: { readonly stable: number; readonly canary: number };
  /** Time left in the running bake: simulated, and what that is in real time. */
  readonly bakeLeft?: { readonly simulatedMs: number; readonly realMs: number };
  readonly versions: Record<Version, VersionView>;
  readonly windowMs: number;
  readonly alarms: readonly AlarmView[];
  readonly lastServed: readonly Version[];
  readonly traffic: { readonly ratePerSecond: number; readonly sent: number; readonly inFlight: number; readonly dropped: number };
  /** What steers the traffic (`--routing`). @default 'alb-listener' */
  readonly routing?: string;
  /** The requests with the tester header, when the run sends them. */
  readonly tester?: TesterSummary;
  /** Set while an approval gate waits for a person. */
  readonly waitingFor?: string;
}

export interface ProgressOptions {
  /** Redraw a live panel in place (a terminal) or print plain lines. */
  readonly live: boolean;
  readonly color: boolean;
  /** In plain mode, the least time between two progress lines. @default 5000 */
  readonly plainEveryMs?: number;
}

const ESC = '\u001b[';

export interface Palette {
  readonly bold: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly red: (s: string) => string;
  readonly green: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly cyan: (s: string) => string;
  readonly magenta: (s: string) => string;
}

export function palette(color: boolean): Palette {
  const wrap = (open: number, close: number) => (s: string) => (color ? `${ESC}${open}m${s}${ESC}${close}m` : s);
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
    magenta: wrap(35, 39),
  };
}

/** Whether colours and in-place redraws suit this output and environment. */
export function terminalMode(output: Output, env: NodeJS.ProcessEnv = process.env): { live: boolean; color: boolean } {
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== '0' && env.CI.toLowerCase() !== 'false';
  const tty = output.isTTY === true && env.TERM !== 'dumb';
  const color = env.NO_COLOR === undefined || env.NO_COLOR === '' ? tty || (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') : false;
  return { live: tty && !ci, color };
}

export class Progress {
  private readonly paint: Palette;
  private panelLines = 0;
  private lastPlainAt = -Infinity;
  private cursorHidden = false;
  private last?: ProgressSnapshot;
  private write: (text: string) => void;
  private foreignLine = '';

  constructor(
    private readonly output: Output,
    private readonly options: ProgressOptions,
  ) {
    this.paint = palette(options.color);
    this.write = (text) => void output.write(text);
  }

  /**
   * While the live panel is up, text that something else writes to these streams (a library's
   * warning) is printed above the panel instead of through it, so the redraw stays in place.
   * @returns a function that puts the streams back
   */
  captureForeignWrites(streams: ReadonlyArray<NodeJS.WriteStream>): () => void {
    if (!this.options.live) return () => undefined;
    const restore: Array<() => void> = [];
    for (const stream of streams) {
      const original = stream.write;
      if (stream === this.output) this.write = (text) => void original.call(stream, text);
      stream.write = ((chunk: unknown, encoding?: unknown, callback?: unknown) => {
        this.foreign(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
        const done = typeof encoding === 'function' ? encoding : callback;
        if (typeof done === 'function') process.nextTick(done as () => void);
        return true;
      }) as typeof stream.write;
      restore.push(() => {
        stream.write = original;
      });
    }
    return () => {
      if (this.foreignLine !== '') this.foreign('\n');
      for (const step of restore) step();
      this.write = (text) => void this.output.write(text);
    };
  }

  private foreign(text: string): void {
    const lines = (this.foreignLine + text).split('\n');
    this.foreignLine = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') this.print(this.paint.dim(`         │ ${stripAnsi(line)}`));
  }

  /** A line that stays: an event of the rollout. */
  event(elapsedMs: number, kind: EventKind, title: string, detail = ''): void {
    this.print(formatEvent(this.paint, elapsedMs, kind, title, detail));
  }

  /** Free text that stays (a header, a summary). */
  print(text: string): void {
    if (this.options.live) {
      this.clearPanel();
      this.write(`${text}\n`);
      if (this.last) this.drawPanel(this.last);
    } else {
      this.write(`${stripAnsi(text)}\n`);
    }
  }

  update(snapshot: ProgressSnapshot): void {
    this.last = snapshot;
    if (this.options.live) {
      this.clearPanel();
      this.drawPanel(snapshot);
    } else if (snapshot.elapsedMs - this.lastPlainAt >= (this.options.plainEveryMs ?? 5000)) {
      this.lastPlainAt = snapshot.elapsedMs;
      this.write(`${formatProgressLine(snapshot)}\n`);
    }
  }

  /** Leaves the last panel on screen as it is, below everything printed, and shows the cursor. */
  close(): void {
    if (this.options.live) {
      this.last = undefined;
      this.panelLines = 0;
      if (this.cursorHidden) this.write(`${ESC}?25h`);
      this.cursorHidden = false;
    }
  }

  private clearPanel(): void {
    if (this.panelLines > 0) this.write(`\r${ESC}${this.panelLines}A${ESC}0J`);
    this.panelLines = 0;
  }

  private drawPanel(snapshot: ProgressSnapshot): void {
    if (!this.cursorHidden) {
      this.write(`${ESC}?25l`);
      this.cursorHidden = true;
    }
    const width = Math.max(40, (this.output.columns ?? 100) - 1);
    const lines = renderPanel(snapshot, width, this.paint).map((line) => fit(line, width));
    this.write(`${lines.join('\n')}\n`);
    this.panelLines = lines.length;
  }
}

const SYMBOLS: Record<EventKind, string> = {
  info: '·',
  state: '▸',
  step: '▶',
  weights: '⇄',
  pods: '◆',
  check: '✔',
  'alarm-on': '✖',
  'alarm-off': '✔',
  approval: '⏸',
  ok: '★',
  fail: '✖',
};

function formatEvent(paint: Palette, elapsedMs: number, kind: EventKind, title: string, detail: string): string {
  const color: Record<EventKind, (s: string) => string> = {
    info: paint.dim,
    state: paint.dim,
    step: paint.bold,
    weights: paint.cyan,
    pods: paint.magenta,
    check: paint.green,
    'alarm-on': paint.red,
    'alarm-off': paint.green,
    approval: paint.yellow,
    ok: paint.green,
    fail: paint.red,
  };
  const time = paint.dim(`${(elapsedMs / 1000).toFixed(1).padStart(6)}s`);
  const head = color[kind](`${SYMBOLS[kind]} ${title.padEnd(14)}`);
  return `${time}  ${head}${detail ? ` ${detail}` : ''}`;
}

/** The live panel, one string per line (not yet fitted to the width). */
function renderPanel(s: ProgressSnapshot, width: number, paint: Palette): string[] {
  const label = (text: string) => paint.dim(text.padEnd(10));
  const simulated = formatDuration(s.elapsedMs * s.speed);
  const title = ` serinus sandbox · ${(s.elapsedMs / 1000).toFixed(1)} s real · ≈ ${simulated} simulated (×${s.speed}) `;
  const header = paint.dim(`──${title}${'─'.repeat(Math.max(2, width - title.length - 2))}`);

  const step = s.step ? ` · step ${s.step.number}/${s.step.count} at ${s.step.weight}%` : '';
  const bake = s.bakeLeft
    ? ` · bake ends in ${paint.bold(formatDuration(s.bakeLeft.simulatedMs))} ${paint.dim(`(${(s.bakeLeft.realMs / 1000).toFixed(1)} s real)`)}`
    : '';
  const state = `${label('rollout')}${paint.bold(s.activity)}${step}${bake}`;

  const barWidth = Math.max(10, Math.min(40, width - 40));
  const stableCells = Math.round((s.weights.stable / 100) * barWidth);
  const bar = paint.cyan('█'.repeat(stableCells)) + paint.magenta('▒'.repeat(barWidth - stableCells));
  const weights = `${label(s.routing === 'replica-ratio' ? 'pods' : 'weights')}${paint.cyan(`stable ${String(s.weights.stable).padStart(3)}`)} ${bar} ${paint.magenta(`${String(s.weights.canary).padEnd(3)} canary`)}`;

  const version = (v: Version) => {
    const view = s.versions[v];
    const rate = `${view.errorRatePercent.toFixed(1)}%`.padStart(6);
    const p99 = view.p99Ms === null ? '    –' : `${Math.round(view.p99Ms)}`.padStart(5);
    const tint = v === 'v1' ? paint.cyan : paint.magenta;
    const errors = view.errorRatePercent > 0 ? paint.red(rate) : rate;
    return `${tint(v.padEnd(10))}${view.requests.toLocaleString('en-US').padStart(7)} req · 5xx ${errors} · p99 ${p99} ms`;
  };
  const windowNote = paint.dim(`  (5xx and p99 over the last ${(s.windowMs / 1000).toFixed(0)} s)`);

  const alarms = `${label('alarms')}${s.alarms
    .map((a) => {
      const mark = a.state === 'ALARM' ? paint.red(`● ${a.label} ALARM`) : paint.green(`○ ${a.label} OK`);
      return a.computed ? mark : `${mark}${paint.dim(' (static)')}`;
    })
    .join('  ')}`;

  const fitCount = Math.max(4, Math.floor((width - 12) / 3));
  const served = s.lastServed.slice(-fitCount).map((v) => (v === 'v1' ? paint.cyan(v) : paint.magenta(v)));
  const last = `${label(`last ${served.length}`)}${served.join(' ')}`;

  const traffic = `${label('traffic')}${s.traffic.ratePerSecond} req/s · ${s.traffic.sent.toLocaleString('en-US')} sent · ${s.traffic.inFlight} in flight · ${
    s.traffic.dropped === 0 ? '0 dropped' : paint.red(`${s.traffic.dropped} dropped`)
  }`;

  const lines = [header, state, weights, `${version('v1')}${windowNote}`, version('v2'), alarms, traffic];
  if (s.tester) lines.push(`${label('tester')}${describeTester(s.tester, paint)}`);
  lines.push(last);
  if (s.waitingFor) lines.push(paint.yellow(`  ⏸  ${s.waitingFor}`));
  return lines;
}

/** The plain-mode progress line. */
function formatProgressLine(s: ProgressSnapshot): string {
  const step = s.step ? ` step ${s.step.number}/${s.step.count}` : '';
  const bake = s.bakeLeft ? ` | bake ${formatDuration(s.bakeLeft.simulatedMs)} left` : '';
  const version = (v: Version) => {
    const view = s.versions[v];
    const p99 = view.p99Ms === null ? '-' : `${Math.round(view.p99Ms)}ms`;
    return `${v} ${view.requests} req ${view.errorRatePercent.toFixed(1)}% 5xx p99 ${p99}`;
  };
  const alarming = s.alarms.filter((a) => a.state === 'ALARM').map((a) => a.label);
  const alarms = alarming.length === 0 ? 'alarms OK' : `ALARM: ${alarming.join(', ')}`;
  const served = s.lastServed.length === 0 ? '' : ` | last ${Math.min(12, s.lastServed.length)}: ${s.lastServed.slice(-12).join(' ')}`;
  const tester = s.tester ? ` | tester ${s.tester.total} req v1 ${s.tester.byVersion.v1} v2 ${s.tester.byVersion.v2}` : '';
  return `${`${(s.elapsedMs / 1000).toFixed(1)}s`.padStart(7)}  … ${s.activity}${step} | weights ${s.weights.stable}/${s.weights.canary} | ${version('v1')} | ${version('v2')} | ${alarms}${tester}${bake}${served}`;
}

/** `x-canary: always · 42 req → v1 12 · v2 30 · 3 unanswered` (and why, when the router has no tester route). */
export function describeTester(tester: TesterSummary, paint: Palette = palette(false)): string {
  const unanswered = tester.unanswered > 0 ? ` · ${paint.yellow(`${tester.unanswered} unanswered`)}` : '';
  const note = tester.routed ? '' : paint.dim(' (no tester route: the header goes by the weights)');
  return `${tester.header} · ${tester.total.toLocaleString('en-US')} req → ${paint.cyan(`v1 ${tester.byVersion.v1.toLocaleString('en-US')}`)} · ${paint.magenta(`v2 ${tester.byVersion.v2.toLocaleString('en-US')}`)}${unanswered}${note}`;
}

/** `1m 05s`, `42s`, `1h 02m`. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, '0')}m`;
  if (minutes > 0) return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
  return `${seconds}s`;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;
// eslint-disable-next-line no-control-regex
const ANSI_AT = /\u001b\[[0-9;?]*[A-Za-z]/y;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** Cuts a line to `width` visible characters, keeping its colour codes (and closing them). */
export function fit(line: string, width: number): string {
  if (stripAnsi(line).length <= width) return line;
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length; ) {
    ANSI_AT.lastIndex = i;
    const match = ANSI_AT.exec(line);
    if (match) {
      out += match[0];
      i += match[0].length;
      continue;
    }
    if (visible >= width - 1) break;
    out += line[i];
    visible += 1;
    i += 1;
  }
  return `${out}…${line.includes('\u001b') ? `${ESC}0m` : ''}`;
}
