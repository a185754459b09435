/**
 * The sandbox's HTML report: one self-contained document (inline CSS and SVG, no script, no
 * external font, image or URL) so it opens from disk, attaches to a ticket and looks the same
 * offline, years later.
 *
 * Every value from the run reaches the markup through `html` or `el`, which escape it: a reason
 * or a failure cause is free text and may hold `<`.
 */
import type {
  MarkKind,
  RolloutResult,
  SandboxRun,
  SandboxSummary,
  TimelineMark,
  TrafficSample,
  Version,
  WeightPoint,
} from './run-model';

export function renderReport(run: SandboxRun): string {
  const { summary } = run;
  const document = html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>serinus sandbox — ${summary.scenario} · ${RESULT_TEXT[summary.result]}</title>
<style>${new SafeHtml(STYLES)}</style>
</head>
<body>
<main>
${header(run)}
${summaryTables(summary)}
<section class="card">
<h2>Timeline</h2>
${timeline(run)}
</section>
${dataPlane(run)}
${lastServed(run.lastServed)}
<footer>serinus sandbox report · self-contained: no scripts, no external resources</footer>
</main>
</body>
</html>`;
  return `<!doctype html>\n${document.value}\n`;
}

// ---------------------------------------------------------------------------------------------
// Escaping

/** Markup that is already safe; anything else interpolated into `html` is escaped. */
class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Interpolation = SafeHtml | string | number | null | undefined | false | ReadonlyArray<SafeHtml | string>;

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

function interpolate(value: Interpolation): string {
  if (value instanceof SafeHtml) return value.value;
  if (value === null || value === undefined || value === false) return '';
  if (typeof value === 'number') return escape(String(value));
  if (typeof value === 'string') return escape(value);
  return value.map((item) => interpolate(item)).join('');
}

function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += interpolate(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

type Attributes = Readonly<Record<string, string | number | undefined>>;

/**
 * One element, attributes in the order given (`class` first reads best). Numbers are rounded to
 * a tenth: shorter markup, and never `1e-7` in a coordinate. No children: self-closing.
 */
function el(name: string, attributes: Attributes, children?: Interpolation): SafeHtml {
  const attrs = Object.entries(attributes)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => ` ${key}="${escape(typeof value === 'number' ? String(round(value)) : value)}"`)
    .join('');
  return new SafeHtml(children === undefined ? `<${name}${attrs}/>` : `<${name}${attrs}>${interpolate(children)}</${name}>`);
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

// ---------------------------------------------------------------------------------------------
// Palette: shared by the CSS and the SVG so the legend, the table and the chart agree.

const COLOURS = {
  stable: '#2f6fdf',
  canary: '#ef7d16',
  alarm: '#d62828',
  ink: '#1f2933',
  muted: '#637083',
  grid: '#e6e9ee',
  axis: '#9aa4b2',
} as const;

const MARK_COLOURS: Record<MarkKind, string> = {
  step: '#6b7585',
  alarm: COLOURS.alarm,
  revert: '#7c3aed',
  promote: '#15803d',
  approval: '#0e7490',
  abort: '#a4540a',
  end: '#1f2933',
};

/** Marks that end or cut short a rollout get a heavier line than routine steps. */
const STRONG_MARKS: ReadonlySet<MarkKind> = new Set<MarkKind>(['alarm', 'revert', 'abort']);

// ---------------------------------------------------------------------------------------------
// Formatting

const RESULT_TEXT: Record<RolloutResult, string> = {
  promoted: 'promoted',
  rolled_back: 'rolled back',
  aborted: 'aborted',
};

function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}

/** A real duration in milliseconds: `850 ms`, `7.35 s`, `2m 05s`, `1h 02m`. */
function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${trimZeros((ms / 1000).toFixed(2))} s`;
  return formatSeconds(Math.round(ms / 1000));
}

/** Whole seconds as a person says them: `45s`, `1m`, `1m 30s`, `2h 05m`. */
function formatSeconds(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  if (s < 60) return `${s}s`;
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = s % 60;
  if (hours > 0) return minutes === 0 ? `${hours}h` : `${hours}h ${pad2(minutes)}m`;
  return seconds === 0 ? `${minutes}m` : `${minutes}m ${pad2(seconds)}s`;
}

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}

function trimZeros(fixed: string): string {
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/** `10% · 1m → 50% · 1m → 100% · 1m`. */
function formatSteps(steps: SandboxSummary['steps']): string {
  if (steps.length === 0) return 'none';
  return steps.map((step) => `${step.weight}% · ${formatSeconds(step.bakeSeconds)}`).join(' → ');
}

function formatShare(part: number, whole: number): string {
  return whole === 0 ? '' : ` (${trimZeros(((part / whole) * 100).toFixed(1))}%)`;
}

/** `2025-11-21 14:03:12 UTC`, or the text as given when it is not a date. */
function formatStart(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

// ---------------------------------------------------------------------------------------------
// Header, summary, last served

function header(run: SandboxRun): SafeHtml {
  const { summary } = run;
  const verdict = summary.ok
    ? html`<span class="badge ok" title="the result matches the scenario and every invariant held">✓ OK</span>`
    : html`<span class="badge not-ok" title="the result differs from the scenario's or an invariant broke">✗ NOT OK</span>`;
  return html`<header class="card head">
<div class="head-row">
<h1>serinus sandbox — <span class="scenario">${summary.scenario}</span></h1>
${verdict}
</div>
<p class="result"><span class="pill result-${summary.result}">${RESULT_TEXT[summary.result]}</span><span class="reason">${summary.reason}</span></p>
<p class="meta"><span>started ${formatStart(run.startedAt)}</span><span>speed ${summary.speed}× (1 s real = ${summary.speed} s simulated)</span><span>duration ${formatMs(summary.durationMs)}</span></p>
</header>`;
}

function row(label: string, value: Interpolation, className?: string): SafeHtml {
  return html`<tr${className ? html` class="${className}"` : ''}><th scope="row">${label}</th><td>${value}</td></tr>`;
}

function summaryTables(summary: SandboxSummary): SafeHtml {
  const { requests, finalWeights } = summary;
  const asExpected = summary.result === summary.expected;
  const rollout = [
    row(
      'Result',
      html`${RESULT_TEXT[summary.result]} <span class="${asExpected ? 'dim' : 'mismatch'}">(expected ${RESULT_TEXT[summary.expected]})</span>`,
    ),
    row('Routing', html`<code>${summary.routing ?? 'alb-listener'}</code>`),
    row('Steps', formatSteps(summary.steps)),
    row(
      'Final weights',
      html`<span class="stable">stable ${finalWeights.stable}</span> / <span class="canary">canary ${finalWeights.canary}</span>`,
    ),
    row('Stable image', html`<code>${summary.stableImage}</code>`),
    row('Canary replicas', formatCount(summary.canaryReplicas)),
  ];
  const traffic = [
    row('Requests', formatCount(requests.total)),
    row(
      'By version',
      html`<span class="stable">v1 ${formatCount(requests.byVersion.v1)}</span> · <span class="canary">v2 ${formatCount(requests.byVersion.v2)}</span>`,
    ),
    row('Errors (5xx)', `${formatCount(requests.errors)}${formatShare(requests.errors, requests.total)}`),
    requests.dropped === 0
      ? row('Dropped', '0')
      : row('Dropped', `${formatCount(requests.dropped)} — must be 0`, 'bad'),
  ];
  const tester = summary.tester;
  const testerRows = tester
    ? [
        row('Header', html`<code>${tester.header}</code>${tester.routed ? '' : html` <span class="dim">(no tester route: it went by the weights)</span>`}`),
        row('Requests', formatCount(tester.total)),
        row(
          'By version',
          html`<span class="stable">v1 ${formatCount(tester.byVersion.v1)}</span> · <span class="canary">v2 ${formatCount(tester.byVersion.v2)}</span>`,
        ),
        row('To the canary at 0 %', formatCount(tester.canaryAtWeightZero)),
        row('Unanswered', formatCount(tester.unanswered)),
      ]
    : [];
  const orchestration = [
    row('Alarm → revert', summary.alarmToRevertMs === null ? 'no alarm' : formatMs(summary.alarmToRevertMs)),
    row('Duration', formatMs(summary.durationMs)),
    row('Simulated', `≈ ${formatMs(summary.durationMs * summary.speed)} at ${summary.speed}×`),
    row('State transitions', formatCount(summary.stateTransitions)),
    row('Lambda invocations', formatCount(summary.lambdaInvocations)),
  ];
  const cause = summary.cause ? html`<div class="cause"><h3>Failure cause</h3><pre>${summary.cause}</pre></div>` : '';
  return html`<section class="card">
<h2>Summary</h2>
<div class="tables">
<table><caption>Rollout</caption><tbody>${rollout}</tbody></table>
<table><caption>Traffic</caption><tbody>${traffic}</tbody></table>
${tester ? html`<table class="tester"><caption>Tester requests</caption><tbody>${testerRows}</tbody></table>` : ''}
<table><caption>Orchestration</caption><tbody>${orchestration}</tbody></table>
</div>
${cause}
</section>`;
}

/** Rows of the data-plane table beyond which the rest are summed up in one line. */
const DATA_PLANE_ROWS = 40;

/** How the proxy routed: per route, each split the data plane held and the requests it sent each side meanwhile. */
function dataPlane(run: SandboxRun): SafeHtml {
  const intervals = run.routed ?? [];
  if (intervals.length === 0) return html``;
  const unit = run.summary.routing === 'replica-ratio' ? 'ready pods' : 'weights';
  const rows = intervals.slice(0, DATA_PLANE_ROWS).map(
    (interval) => html`<tr><td>${formatMs(interval.at)}</td><td>${interval.route}</td><td><span class="stable">${interval.split.stable}</span> / <span class="canary">${interval.split.canary}</span></td><td><span class="stable">${formatCount(interval.routed.stable)}</span> / <span class="canary">${formatCount(interval.routed.canary)}</span></td><td>${formatCount(interval.tester)}</td></tr>`,
  );
  const more = intervals.length > DATA_PLANE_ROWS ? html`<p class="dim">and ${intervals.length - DATA_PLANE_ROWS} more</p>` : '';
  return html`<section class="card">
<h2>Data plane <span class="dim">— what the proxy followed, route by route</span></h2>
<table class="data-plane"><thead><tr><th scope="col">from</th><th scope="col">route</th><th scope="col">${unit} stable / canary</th><th scope="col">requests stable / canary</th><th scope="col">with the tester header</th></tr></thead><tbody>${rows}</tbody></table>
${more}
</section>`;
}

/** The most recent requests shown; older ones add nothing the counts do not say. */
const LAST_SERVED_SHOWN = 200;

function lastServed(versions: readonly Version[]): SafeHtml {
  if (versions.length === 0) {
    return html`<section class="card"><h2>Last served</h2><p class="empty">no requests served</p></section>`;
  }
  const shown = versions.slice(-LAST_SERVED_SHOWN);
  const v1 = shown.filter((v) => v === 'v1').length;
  const note = shown.length < versions.length ? ` (the last ${shown.length} of ${versions.length})` : '';
  const boxes = shown.map((v) => html`<span class="req ${v}">${v}</span>`);
  return html`<section class="card">
<h2>Last served <span class="dim">— ${shown.length} requests${note}, oldest first: <span class="stable">v1 ×${v1}</span> · <span class="canary">v2 ×${shown.length - v1}</span></span></h2>
<div class="strip" aria-label="${shown.join(' ')}">${boxes}</div>
</section>`;
}

// ---------------------------------------------------------------------------------------------
// The timeline: three panels over one time axis, marks drawn across all of them.

/** SVG units; the SVG scales to the page width, so this sets the text-to-plot ratio. */
const WIDTH = 1120;
const MARGIN_LEFT = 64;
const MARGIN_RIGHT = 20;
const PLOT_WIDTH = WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
const PLOT_RIGHT = MARGIN_LEFT + PLOT_WIDTH;
const PANEL_HEADER = 22;
const PANEL_GAP = 16;
const LABEL_ROW = 15;
const MAX_LABEL_ROWS = 6;
const MAX_LABEL_CHARS = 32;
/** Average advance of an 11px sans-serif glyph, generous so estimated boxes never undershoot. */
const CHAR_WIDTH_11PX = 6.9;
/** Even a run that ended at once gets an axis to draw on. */
const MIN_TIMELINE_MS = 100;

interface Scale {
  /** ms since the run started → x. */
  readonly x: (ms: number) => number;
  readonly endMs: number;
}

interface Panel {
  readonly top: number;
  readonly height: number;
}

function timeline(run: SandboxRun): SafeHtml {
  const endMs = Math.max(
    run.summary.durationMs,
    ...run.weights.map((p) => p.at),
    ...run.traffic.map((s) => s.at),
    ...run.marks.map((m) => m.at),
    MIN_TIMELINE_MS,
  );
  const scale: Scale = { x: (ms) => MARGIN_LEFT + (clamp(ms, 0, endMs) / endMs) * PLOT_WIDTH, endMs };

  const labels = layoutMarkLabels(run.marks, scale);
  const bandHeight = Math.max(1, labels.rows) * LABEL_ROW + 6;
  const weightPanel: Panel = { top: bandHeight + PANEL_HEADER, height: 140 };
  const errorPanel: Panel = { top: bottomOf(weightPanel) + PANEL_GAP + PANEL_HEADER, height: 112 };
  const latencyPanel: Panel = { top: bottomOf(errorPanel) + PANEL_GAP + PANEL_HEADER, height: 72 };
  const plotBottom = bottomOf(latencyPanel);
  const xTicks = timeTicks(endMs);

  const description =
    `Timeline of the ${run.summary.scenario} run over ${formatMs(endMs)}: canary weight, error rate and p99 ` +
    `latency per target group, with ${run.marks.length} marked events.`;
  const svg = {
    class: 'timeline',
    viewBox: `0 0 ${WIDTH} ${Math.round(plotBottom + 44)}`,
    width: '100%',
    role: 'img',
    'aria-label': description,
    'font-family': 'DejaVu Sans, Verdana, system-ui, sans-serif',
  };
  return el('svg', svg, [
    el('title', {}, description),
    alarmWindows(run.marks, scale, bandHeight, plotBottom),
    panelFrame(weightPanel, xTicks, scale, { max: 100, ticks: [0, 25, 50, 75, 100], format: (v) => `${v}%` }),
    panelHeader(weightPanel, 'Listener weights', [
      { label: 'canary weight', colour: COLOURS.canary, kind: 'area' },
      { label: 'stable weight (100 − canary)', colour: COLOURS.stable, kind: 'area' },
    ]),
    weightSeries(run.weights, weightPanel, scale),
    trafficPanel(run.traffic, errorPanel, xTicks, scale, {
      title: 'Error rate per target group (5xx %)',
      value: (p) => p.errorRatePercent,
      axisFor: percentAxis,
    }),
    trafficPanel(run.traffic, latencyPanel, xTicks, scale, {
      title: 'p99 latency per target group (ms)',
      value: (p) => p.p99Ms,
      axisFor: latencyAxis,
    }),
    xAxis(xTicks, scale, plotBottom, run.summary.speed),
    markLines(labels, plotBottom),
  ]);
}

function bottomOf(panel: Panel): number {
  return panel.top + panel.height;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

// --- axes --------------------------------------------------------------------------------------

/** The 1-2-2.5-5 step that splits `range` into about `count` intervals. */
function niceStep(range: number, count: number): number {
  const raw = range / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const residual = raw / magnitude;
  const nice = residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 2.5 ? 2.5 : residual <= 5 ? 5 : 10;
  return nice * magnitude;
}

function ticksUpTo(max: number, step: number): number[] {
  const ticks: number[] = [];
  for (let i = 0; i * step <= max * (1 + 1e-9); i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** How many decimals print `step` exactly: 2.5 → 1, 0.25 → 2, 5 → 0. */
function decimalsOf(step: number): number {
  let decimals = 0;
  while (decimals < 6 && Math.abs(Math.round(step * 10 ** decimals) - step * 10 ** decimals) > 1e-6) decimals++;
  return decimals;
}

interface Axis {
  readonly max: number;
  readonly ticks: readonly number[];
  readonly format: (value: number) => string;
}

/** From 0 to at least 5 %, so a clean run reads as a flat line at the bottom, not as noise blown up. */
function percentAxis(dataMax: number): Axis {
  const format = (v: number) => `${trimZeros(v.toFixed(2))}%`;
  const wanted = Math.max(5, dataMax * 1.1);
  if (wanted >= 100) return { max: 100, ticks: [0, 25, 50, 75, 100], format };
  const step = niceStep(wanted, 5);
  const max = Math.ceil(wanted / step - 1e-9) * step;
  return { max, ticks: ticksUpTo(max, step), format };
}

function latencyAxis(dataMax: number): Axis {
  const wanted = Math.max(10, dataMax * 1.1);
  const step = niceStep(wanted, 3);
  const max = Math.ceil(wanted / step - 1e-9) * step;
  return { max, ticks: ticksUpTo(max, step), format: (v) => trimZeros(v.toFixed(1)) };
}

interface TimeTicks {
  readonly ms: readonly number[];
  readonly format: (ms: number) => string;
  readonly unit: string;
}

/** Seconds for short runs; minutes:seconds once second labels would run into the hundreds. */
function timeTicks(endMs: number): TimeTicks {
  const endSeconds = endMs / 1000;
  if (endSeconds <= 300) {
    const step = niceStep(endSeconds, 10);
    const decimals = decimalsOf(step);
    return { ms: ticksUpTo(endSeconds, step).map((s) => s * 1000), format: (ms) => (ms / 1000).toFixed(decimals), unit: 's' };
  }
  const steps = [30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 21_600, 43_200, 86_400];
  const step = steps.find((s) => endSeconds / s <= 10) ?? Math.ceil(endSeconds / 10 / 86_400) * 86_400;
  const format = (ms: number) => {
    const s = Math.round(ms / 1000);
    const hours = Math.floor(s / 3600);
    const minutes = Math.floor((s % 3600) / 60);
    return hours > 0 ? `${hours}:${pad2(minutes)}:${pad2(s % 60)}` : `${minutes}:${pad2(s % 60)}`;
  };
  const unit = endSeconds >= 3600 ? 'h:mm:ss' : 'm:ss';
  return { ms: ticksUpTo(endSeconds, step).map((s) => s * 1000), format, unit };
}

function panelFrame(panel: Panel, xTicks: TimeTicks, scale: Scale, axis: Axis): SafeHtml {
  const y = (v: number) => bottomOf(panel) - (v / axis.max) * panel.height;
  const horizontal = axis.ticks.map((v) => [
    el('line', { class: 'grid', x1: MARGIN_LEFT, y1: y(v), x2: PLOT_RIGHT, y2: y(v) }),
    el('text', { class: 'tick', x: MARGIN_LEFT - 8, y: y(v) + 4, 'text-anchor': 'end' }, axis.format(v)),
  ]);
  const vertical = xTicks.ms.map((ms) =>
    el('line', { class: 'grid', x1: scale.x(ms), y1: panel.top, x2: scale.x(ms), y2: bottomOf(panel) }),
  );
  const border = el('rect', { class: 'plot-border', x: MARGIN_LEFT, y: panel.top, width: PLOT_WIDTH, height: panel.height });
  return el('g', { class: 'frame' }, [...horizontal.flat(), ...vertical, border]);
}

interface LegendItem {
  readonly label: string;
  readonly colour: string;
  readonly kind: 'area' | 'line';
}

/** The panel's title on the left, its legend flush right, both just above the plot. */
function panelHeader(panel: Panel, title: string, legend: readonly LegendItem[]): SafeHtml {
  const baseline = panel.top - 8;
  let right = PLOT_RIGHT;
  const items: SafeHtml[] = [];
  for (const item of [...legend].reverse()) {
    const textX = right - item.label.length * CHAR_WIDTH_11PX * 0.95;
    const swatchX = textX - 21;
    const swatch =
      item.kind === 'area'
        ? el('rect', {
            x: swatchX,
            y: baseline - 9,
            width: 14,
            height: 10,
            rx: 2,
            fill: item.colour,
            'fill-opacity': 0.45,
            stroke: item.colour,
            'stroke-width': 1.5,
          })
        : el('line', {
            x1: swatchX,
            y1: baseline - 4,
            x2: swatchX + 14,
            y2: baseline - 4,
            stroke: item.colour,
            'stroke-width': 3,
            'stroke-linecap': 'round',
          });
    items.unshift(el('g', { class: 'legend-item' }, [swatch, el('text', { class: 'legend', x: textX, y: baseline }, item.label)]));
    right = swatchX - 16;
  }
  return html`${el('text', { class: 'panel-title', x: MARGIN_LEFT, y: baseline }, title)}${items}`;
}

function xAxis(ticks: TimeTicks, scale: Scale, plotBottom: number, speed: number): SafeHtml {
  const labels = ticks.ms.map((ms) => [
    el('line', { class: 'axis', x1: scale.x(ms), y1: plotBottom, x2: scale.x(ms), y2: plotBottom + 4 }),
    el('text', { class: 'tick', x: scale.x(ms), y: plotBottom + 17, 'text-anchor': 'middle' }, ticks.format(ms)),
  ]);
  const title = `time since the run started (${ticks.unit}, real time)`;
  const note = speed === 1 ? '' : `1 s real = ${speed} s simulated`;
  return el('g', { class: 'x-axis' }, [
    ...labels.flat(),
    el('text', { class: 'axis-title', x: MARGIN_LEFT + PLOT_WIDTH / 2, y: plotBottom + 36, 'text-anchor': 'middle' }, title),
    el('text', { class: 'axis-note', x: PLOT_RIGHT, y: plotBottom + 36, 'text-anchor': 'end' }, note),
  ]);
}

// --- series ------------------------------------------------------------------------------------

function emptyNote(panel: Panel, text: string): SafeHtml {
  const at = { x: MARGIN_LEFT + PLOT_WIDTH / 2, y: panel.top + panel.height / 2 + 4 };
  return el('text', { class: 'empty-note', ...at, 'text-anchor': 'middle' }, text);
}

/** Weight changes in time order, from the all-stable listener every rollout starts with. */
function weightSteps(points: readonly WeightPoint[]): WeightPoint[] {
  const sorted = [...points].sort((a, b) => a.at - b.at);
  const first = sorted[0];
  if (first !== undefined && first.at > 0) sorted.unshift({ at: 0, stable: 100, canary: 0 });
  return sorted;
}

function weightSeries(points: readonly WeightPoint[], panel: Panel, scale: Scale): SafeHtml {
  if (points.length === 0) return emptyNote(panel, 'no weight changes recorded');
  const steps = weightSteps(points);
  const y = (percent: number) => bottomOf(panel) - (clamp(percent, 0, 100) / 100) * panel.height;

  // A step line: each weight holds until the next change, the last one until the end of the run.
  const line: Array<readonly [number, number]> = [];
  steps.forEach((p, i) => {
    const previous = steps[i - 1];
    if (previous !== undefined) line.push([scale.x(p.at), y(previous.canary)]);
    line.push([scale.x(p.at), y(p.canary)]);
  });
  const last = line[line.length - 1];
  if (last !== undefined) line.push([scale.x(scale.endMs), last[1]]);
  const firstX = line[0]?.[0] ?? MARGIN_LEFT;
  const lastX = scale.x(scale.endMs);
  const joined = line.map(([x, yy]) => `${round(x)},${round(yy)}`);
  // Stable is 100 − canary, so the two areas stack: canary below the line, stable above it.
  const canaryArea = `M${round(firstX)},${round(y(0))} L${joined.join(' L')} L${round(lastX)},${round(y(0))} Z`;
  const stableArea = `M${round(firstX)},${round(y(100))} L${joined.join(' L')} L${round(lastX)},${round(y(100))} Z`;

  // Name each new canary weight next to its step, unless the label would collide with the last.
  const labels: SafeHtml[] = [];
  let lastLabelX = Number.NEGATIVE_INFINITY;
  steps.forEach((p, i) => {
    const previous = steps[i - 1];
    if (previous === undefined ? p.canary === 0 : previous.canary === p.canary) return;
    const x = scale.x(p.at);
    if (x - lastLabelX < 34 || x > PLOT_RIGHT - 30) return;
    lastLabelX = x;
    const labelY = p.canary >= 88 ? y(p.canary) + 14 : y(p.canary) - 5;
    labels.push(el('text', { class: 'weight-label', x: x + 4, y: labelY }, `${p.canary}%`));
  });

  return el('g', { class: 'weights' }, [
    el('path', { class: 'weight-stable-area', d: stableArea, fill: COLOURS.stable, 'fill-opacity': 0.13 }),
    el('path', { class: 'weight-canary-area', d: canaryArea, fill: COLOURS.canary, 'fill-opacity': 0.28 }),
    el('polyline', {
      class: 'weight-canary',
      points: joined.join(' '),
      fill: 'none',
      stroke: COLOURS.canary,
      'stroke-width': 2.5,
      'stroke-linejoin': 'round',
    }),
    ...labels,
  ]);
}

type TargetGroup = 'stable' | 'canary';

interface TrafficPanelSpec {
  readonly title: string;
  readonly value: (point: TrafficSample[TargetGroup]) => number;
  readonly axisFor: (dataMax: number) => Axis;
}

/**
 * One target group's series as [at, value] pieces, split where it served nothing: a rate or a
 * p99 over zero requests is not a measurement, and a line through it would claim one.
 */
function pieces(samples: readonly TrafficSample[], group: TargetGroup, spec: TrafficPanelSpec): Array<Array<[number, number]>> {
  const out: Array<Array<[number, number]>> = [];
  let current: Array<[number, number]> = [];
  for (const sample of samples) {
    const point = sample[group];
    const value = spec.value(point);
    if (point.requests > 0 && Number.isFinite(value)) {
      current.push([sample.at, value]);
    } else if (current.length > 0) {
      out.push(current);
      current = [];
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Dots on every sample while there are few enough to tell apart. */
const MAX_DOTTED_SAMPLES = 60;

function trafficPanel(traffic: readonly TrafficSample[], panel: Panel, xTicks: TimeTicks, scale: Scale, spec: TrafficPanelSpec): SafeHtml {
  const samples = [...traffic].sort((a, b) => a.at - b.at);
  const byGroup = { stable: pieces(samples, 'stable', spec), canary: pieces(samples, 'canary', spec) };
  const values = [...byGroup.stable, ...byGroup.canary].flat().map(([, v]) => v);
  const axis = spec.axisFor(values.length === 0 ? 0 : Math.max(...values));
  const y = (v: number) => bottomOf(panel) - (clamp(v, 0, axis.max) / axis.max) * panel.height;
  const frame = html`${panelFrame(panel, xTicks, scale, axis)}${panelHeader(panel, spec.title, [
    { label: 'stable', colour: COLOURS.stable, kind: 'line' },
    { label: 'canary', colour: COLOURS.canary, kind: 'line' },
  ])}`;
  if (samples.length === 0) return html`${frame}${emptyNote(panel, 'no traffic samples recorded')}`;

  const dotted = samples.length <= MAX_DOTTED_SAMPLES;
  const series = (['stable', 'canary'] as const).map((group) => {
    const colour = COLOURS[group];
    // One path per series even when split: `M` starts each piece, and a lone point becomes a
    // zero-length piece that the round cap draws as a dot.
    const d = byGroup[group]
      .map((piece) => {
        const points = piece.map(([at, v]) => `${round(scale.x(at))},${round(y(v))}`);
        return `M${points[0] ?? ''} L${(points.length > 1 ? points.slice(1) : points).join(' L')}`;
      })
      .join(' ');
    const dots = dotted
      ? byGroup[group].flat().map(([at, v]) => el('circle', { cx: scale.x(at), cy: y(v), r: 2.6, fill: colour }))
      : [];
    const path = el('path', {
      class: `traffic-${group}`,
      d,
      fill: 'none',
      stroke: colour,
      'stroke-width': 2.2,
      'stroke-linejoin': 'round',
      'stroke-linecap': 'round',
    });
    return el('g', { class: `series ${group}` }, [path, ...dots]);
  });
  return html`${frame}${series}`;
}

// --- marks -------------------------------------------------------------------------------------

interface PlacedLabel {
  readonly mark: TimelineMark;
  readonly x: number;
  readonly row: number;
  readonly text: string;
  readonly anchor: 'start' | 'end';
}

interface MarkLabels {
  readonly placed: readonly PlacedLabel[];
  readonly rows: number;
}

/**
 * Greedy rows: each label takes the first row where it clears the label before it, so marks at
 * the same moment (an alarm and its revert within one sample) stack instead of overprinting.
 */
function layoutMarkLabels(marks: readonly TimelineMark[], scale: Scale): MarkLabels {
  const sorted = [...marks].sort((a, b) => a.at - b.at);
  const rowEnds: number[] = [];
  const placed: PlacedLabel[] = [];
  for (const mark of sorted) {
    const full = mark.label.trim() === '' ? mark.kind : mark.label.trim();
    const text = full.length > MAX_LABEL_CHARS ? `${full.slice(0, MAX_LABEL_CHARS - 1)}…` : full;
    const x = scale.x(mark.at);
    const width = text.length * CHAR_WIDTH_11PX + 6;
    const anchor = x + width > WIDTH - 4 ? 'end' : 'start';
    const left = anchor === 'start' ? x : x - width;
    let row = rowEnds.findIndex((end) => end + 6 <= left);
    if (row === -1 && rowEnds.length < MAX_LABEL_ROWS) row = rowEnds.length;
    // Out of rows: overprint where the overlap is smallest rather than grow without bound.
    if (row === -1) row = rowEnds.indexOf(Math.min(...rowEnds));
    rowEnds[row] = Math.max(rowEnds[row] ?? Number.NEGATIVE_INFINITY, anchor === 'start' ? x + width : x);
    placed.push({ mark, x, row, text, anchor });
  }
  return { placed, rows: rowEnds.length };
}

function markLines(labels: MarkLabels, plotBottom: number): SafeHtml {
  // Row 0 sits just above the plots; further rows stack upwards.
  const baseline = (row: number) => (labels.rows - 1 - row) * LABEL_ROW + 12;
  // Every line before any label, so a later line never crosses an earlier label's text.
  const lines = labels.placed.map((p) => {
    const strong = STRONG_MARKS.has(p.mark.kind);
    return el('line', {
      class: `mark-line mark-${p.mark.kind}`,
      x1: p.x,
      y1: baseline(p.row) - 10,
      x2: p.x,
      y2: plotBottom,
      stroke: MARK_COLOURS[p.mark.kind],
      'stroke-width': strong ? 2 : 1.3,
      'stroke-dasharray': strong ? '6 3' : '4 4',
    });
  });
  const texts = labels.placed.map((p) => {
    const attributes = {
      class: `mark-label mark-${p.mark.kind}`,
      x: p.anchor === 'start' ? p.x + 4 : p.x - 4,
      y: baseline(p.row),
      fill: MARK_COLOURS[p.mark.kind],
      'text-anchor': p.anchor,
    };
    // The tooltip keeps the whole label when the band shows it cut.
    return el('text', attributes, [el('title', {}, `${p.mark.label} at ${formatMs(p.mark.at)}`), p.text]);
  });
  return el('g', { class: 'marks' }, [...lines, ...texts]);
}

/** Shade from each alarm to the revert or abort that answered it: the time the canary was known bad. */
function alarmWindows(marks: readonly TimelineMark[], scale: Scale, top: number, bottom: number): SafeHtml {
  const sorted = [...marks].sort((a, b) => a.at - b.at);
  const windows = sorted
    .filter((m) => m.kind === 'alarm')
    .map((alarm) => {
      const answer = sorted.find((m) => m.at >= alarm.at && (m.kind === 'revert' || m.kind === 'abort'));
      const x1 = scale.x(alarm.at);
      const x2 = scale.x(answer?.at ?? scale.endMs);
      const box = { x: x1, y: top, width: Math.max(x2 - x1, 0), height: bottom - top };
      return el('rect', { class: 'alarm-window', ...box, fill: COLOURS.alarm, 'fill-opacity': 0.07 });
    });
  return el('g', { class: 'alarm-windows' }, windows);
}

// ---------------------------------------------------------------------------------------------
// Styles

const STYLES = `
*{box-sizing:border-box}
html{background:#f3f5f8}
body{margin:0;color:${COLOURS.ink};font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans","Helvetica Neue",Arial,sans-serif}
main{max-width:1200px;margin:0 auto;padding:14px 24px 24px}
.card{background:#fff;border:1px solid #dfe3e9;border-radius:10px;padding:12px 20px;margin-bottom:12px;box-shadow:0 1px 2px rgba(16,24,40,.04)}
h1{font-size:22px;margin:0;font-weight:650;letter-spacing:-.01em}
h1 .scenario{color:#3b4a5e}
h2{font-size:15px;margin:0 0 10px;font-weight:650}
h3{font-size:13px;margin:0 0 4px;font-weight:650}
.head-row{display:flex;align-items:center;justify-content:space-between;gap:16px}
.badge{font-size:15px;font-weight:700;padding:5px 14px;border-radius:999px;letter-spacing:.03em;white-space:nowrap}
.badge.ok{background:#dcf5e4;color:#146c34;border:1px solid #9ad7ae}
.badge.not-ok{background:#fde2e2;color:#a61b1b;border:1px solid #f2a5a5}
.result{margin:8px 0 6px;display:flex;align-items:baseline;gap:10px}
.pill{font-size:12px;font-weight:700;text-transform:uppercase;letter-spacing:.05em;padding:2px 9px;border-radius:5px;white-space:nowrap}
.result-promoted{background:#e3f4ea;color:#146c34}
.result-rolled_back{background:#fff0de;color:#8a4a06}
.result-aborted{background:#eceff3;color:#3b4a5e}
.mismatch{color:#a61b1b;font-weight:650}
.reason{font-size:15px}
.meta{margin:0;color:${COLOURS.muted};font-size:12.5px;display:flex;flex-wrap:wrap;gap:4px 18px}
.tables{display:grid;grid-template-columns:1.25fr 1fr 1fr;gap:8px 28px;align-items:start}
table{border-collapse:collapse;width:100%;font-size:13px}
caption{text-align:left;font-size:11px;font-weight:700;text-transform:uppercase;letter-spacing:.07em;color:${COLOURS.muted};padding-bottom:3px}
th{text-align:left;font-weight:500;color:${COLOURS.muted};padding:3px 12px 3px 0;white-space:nowrap;vertical-align:top;width:1%;border-top:1px solid #eef0f3}
td{padding:3px 0;border-top:1px solid #eef0f3;overflow-wrap:anywhere}
tr.bad td{color:#a61b1b;font-weight:700}
code{font:12px/1.4 "DejaVu Sans Mono",ui-monospace,Menlo,Consolas,monospace;background:#f3f5f8;padding:1px 5px;border-radius:4px}
.dim{color:${COLOURS.muted};font-weight:400}
.stable{color:${COLOURS.stable}}
.canary{color:#c45f06}
.cause{margin-top:12px;border-left:4px solid #e8a0a0;background:#fdf3f3;border-radius:6px;padding:8px 12px}
.cause pre{margin:0;white-space:pre-wrap;overflow-wrap:anywhere;font:12px/1.45 "DejaVu Sans Mono",ui-monospace,Menlo,Consolas,monospace;color:#5c1f1f}
svg.timeline{display:block;width:100%;height:auto;overflow:visible}
svg .grid{stroke:${COLOURS.grid};stroke-width:1}
svg .plot-border{fill:none;stroke:#cfd5dd;stroke-width:1}
svg .axis{stroke:${COLOURS.axis};stroke-width:1}
svg .tick{font-size:11px;fill:${COLOURS.muted}}
svg .axis-title{font-size:11.5px;fill:#4b5768}
svg .axis-note{font-size:11px;fill:${COLOURS.muted};font-style:italic}
svg .panel-title{font-size:12px;font-weight:700;fill:#334155}
svg .legend{font-size:11px;fill:#334155}
svg .panel-title,svg .legend,svg .tick{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
svg .weight-label{font-size:10.5px;font-weight:700;fill:#b35504;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
svg .mark-label{font-size:11px;font-weight:600;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
svg .empty-note{font-size:12px;fill:${COLOURS.muted};font-style:italic}
.strip{display:flex;flex-wrap:wrap;gap:3px}
.req{display:inline-block;min-width:26px;text-align:center;font:600 10.5px/18px "DejaVu Sans Mono",ui-monospace,monospace;color:#fff;border-radius:3px}
.req.v1{background:${COLOURS.stable}}
.req.v2{background:${COLOURS.canary}}
.empty{color:${COLOURS.muted};font-style:italic;margin:0}
footer{color:${COLOURS.muted};font-size:11.5px;text-align:center;margin-top:6px}
`;
