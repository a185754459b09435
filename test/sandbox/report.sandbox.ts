import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { renderReport } from '../../sandbox/report';
import type { SandboxRun, TrafficSample } from '../../sandbox/run-model';
import { launchHeadlessChromium, type HeadlessChromium, type Rendered } from './headless-chromium';
import { faultyRun, healthyRun } from './report-fixture';

const HOSTILE = `</title><script>alert("x")</script><img src=x onerror='y'> & more`;
const HOSTILE_ESCAPED = '&lt;/title&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&#39;y&#39;&gt; &amp; more';

function count(text: string, pattern: RegExp): number {
  return [...text.matchAll(pattern)].length;
}

describe('renderReport', () => {
  it.each([
    ['faulty', faultyRun],
    ['healthy', healthyRun],
  ])('makes the %s report one self-contained document', (_name, sandboxRun) => {
    // Act
    const document = renderReport(sandboxRun);

    // Assess
    expect(document.startsWith('<!doctype html>')).toBe(true);
    expect(count(document, /<html\b/g)).toBe(1);
    expect(document).toContain('<style>');
    expect(document).not.toMatch(/https?:\/\//);
    expect(document).not.toMatch(/\s(src|href|xlink:href)\s*=/i);
    expect(document).not.toMatch(/<(script|link|img|iframe|object|embed)\b/i);
    expect(document).not.toMatch(/@import|url\(/i);
  });

  it('heads the faulty report with the scenario, the result, the verdict and the reason', () => {
    // Act
    const document = renderReport(faultyRun);

    // Assess
    expect(document).toContain('<title>serinus sandbox — faulty · rolled back</title>');
    expect(document).toContain('serinus sandbox — <span class="scenario">faulty</span>');
    expect(document).toContain('<span class="pill result-rolled_back">rolled back</span>');
    expect(document).toContain('✓ OK');
    expect(document).toContain(faultyRun.summary.reason);
    expect(document).toContain('started 2025-11-21 14:03:12 UTC');
    expect(document).toContain('speed 20×');
  });

  it('says NOT OK and names the expected result when the run missed it', () => {
    // Prepare
    const missed: SandboxRun = {
      ...healthyRun,
      summary: { ...healthyRun.summary, result: 'rolled_back', ok: false, reason: 'expected a promotion' },
    };

    // Act
    const document = renderReport(missed);

    // Assess
    expect(document).toContain('✗ NOT OK');
    expect(document).not.toContain('✓ OK');
    expect(document).toContain('<span class="mismatch">(expected promoted)</span>');
  });

  it('summarises the faulty run', () => {
    // Act
    const document = renderReport(faultyRun);

    // Assess
    const cells = [...document.matchAll(/<th scope="row">([^<]*)<\/th><td>(.*?)<\/td>/g)].map(([, key, value]) => [
      key,
      value?.replace(/<[^>]*>/g, ''),
    ]);
    expect(Object.fromEntries(cells)).toEqual({
      Result: 'rolled back (expected rolled back)',
      Routing: 'alb-listener',
      Steps: '10% · 1m → 50% · 1m',
      'Final weights': 'stable 100 / canary 0',
      'Stable image': 'sandbox.local/echo:v1',
      'Canary replicas': '0',
      Requests: '172',
      'By version': 'v1 140 · v2 32',
      'Errors (5xx)': '12 (7%)',
      Dropped: '0',
      'Alarm → revert': '250 ms',
      Duration: '7.35 s',
      Simulated: '≈ 2m 27s at 20×',
      'State transitions': '41',
      'Lambda invocations': '14',
    });
    expect(document).toContain('<h3>Failure cause</h3><pre>{&quot;errorType&quot;:&quot;CanaryUnhealthy&quot;');
  });

  it('summarises the healthy run without an alarm or a cause', () => {
    // Act
    const document = renderReport(healthyRun);

    // Assess
    expect(document).toContain('<th scope="row">Alarm → revert</th><td>no alarm</td>');
    expect(document).toContain('<th scope="row">Steps</th><td>10% · 1m → 50% · 1m → 100% · 1m</td>');
    expect(document).not.toContain('Failure cause');
  });

  it('shows the tester requests apart, and the data plane the proxy followed', () => {
    // Act
    const document = renderReport(healthyRun);

    // Assess
    const tester = /<table class="tester"><caption>Tester requests<\/caption><tbody>(.*?)<\/tbody><\/table>/s.exec(document)?.[1] ?? '';
    const cells = [...tester.matchAll(/<th scope="row">([^<]*)<\/th><td>(.*?)<\/td>/g)].map(([, key, value]) => [key, value?.replace(/<[^>]*>/g, '')]);
    expect(Object.fromEntries(cells)).toEqual({
      Header: 'x-canary: always',
      Requests: '90',
      'By version': 'v1 12 · v2 75',
      'To the canary at 0 %': '21',
      Unanswered: '3',
    });
    expect(document).toContain('<th scope="row">Routing</th><td><code>istio</code></td>');
    const rows = [...document.matchAll(/<table class="data-plane">.*?<tbody>(.*?)<\/tbody>/gs)].map(([, body]) => body!.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim());
    expect(rows).toEqual([
      '0 ms route primary 100 / 0 1,380 / 0 9 420 ms route serinus-tester-primary 0 / 100 0 / 78 78 1.38 s route primary 90 / 10 1,881 / 209 0',
    ]);
  });

  it('says when the tester header had no route, and leaves the tester table out of a run without one', () => {
    // Prepare
    const unrouted: SandboxRun = { ...healthyRun, summary: { ...healthyRun.summary, tester: { ...healthyRun.summary.tester!, routed: false } } };

    // Act
    const withHeader = renderReport(unrouted);
    const without = renderReport(faultyRun);

    // Assess
    expect(withHeader).toContain('(no tester route: it went by the weights)');
    expect(without).not.toContain('Tester requests');
    expect(without).not.toContain('class="data-plane"');
  });

  it('flags dropped requests, which must be 0', () => {
    // Prepare
    const dropping: SandboxRun = {
      ...healthyRun,
      summary: { ...healthyRun.summary, requests: { ...healthyRun.summary.requests, dropped: 3 } },
    };

    // Act
    const document = renderReport(dropping);

    // Assess
    expect(document).toContain('<tr class="bad"><th scope="row">Dropped</th><td>3 — must be 0</td></tr>');
  });

  it('escapes every free-text value it interpolates', () => {
    // Prepare
    const hostile: SandboxRun = {
      ...faultyRun,
      summary: { ...faultyRun.summary, reason: HOSTILE, cause: HOSTILE, stableImage: HOSTILE },
      startedAt: HOSTILE,
      marks: [{ at: 1000, kind: 'alarm', label: HOSTILE }],
    };

    // Act
    const document = renderReport(hostile);

    // Assess
    expect(document).not.toMatch(/<(script|img)\b/i);
    // The document's, the SVG's and the mark's tooltip: nothing injected closed one early.
    expect(count(document, /<\/title>/g)).toBe(3);
    expect(document).toContain(`<span class="reason">${HOSTILE_ESCAPED}</span>`);
    expect(document).toContain(`<pre>${HOSTILE_ESCAPED}</pre>`);
    expect(document).toContain(`<code>${HOSTILE_ESCAPED}</code>`);
    expect(document).toContain(`started ${HOSTILE_ESCAPED}`);
    // A mark label is cut to fit the band but stays escaped; its tooltip keeps it whole.
    expect(document).toContain('&lt;/title&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/scr…');
    expect(document).toContain(`<title>${HOSTILE_ESCAPED} at 1 s</title>`);
  });

  it('draws the weights, both error-rate and latency series, and one line per mark', () => {
    // Act
    const document = renderReport(faultyRun);

    // Assess
    expect(count(document, /<svg\b/g)).toBe(1);
    expect(count(document, /<polyline class="weight-canary" points="[^"]+"/g)).toBe(1);
    expect(count(document, /<path class="weight-stable-area" d="M[^"]+Z"/g)).toBe(1);
    expect(count(document, /<path class="traffic-stable" d="M[^"]+"/g)).toBe(2);
    expect(count(document, /<path class="traffic-canary" d="M[^"]+"/g)).toBe(2);
    const lineKinds = [...document.matchAll(/<line class="mark-line mark-(\w+)"/g)].map(([, kind]) => kind);
    expect(lineKinds).toEqual(faultyRun.marks.map((mark) => mark.kind));
    expect(document).toMatch(/<line class="mark-line mark-alarm"[^>]* stroke="#d62828"/);
    for (const mark of faultyRun.marks) expect(document).toContain(`>${mark.label}</text>`);
    const titles = [...document.matchAll(/<text class="panel-title"[^>]*>([^<]*)<\/text>/g)].map(([, title]) => title);
    expect(titles).toEqual(['Listener weights', 'Error rate per target group (5xx %)', 'p99 latency per target group (ms)']);
    expect(document).toContain('>canary weight</text>');
    expect(document).toContain('time since the run started (s, real time)');
  });

  it('holds each canary weight until the next change', () => {
    // Act
    const document = renderReport(faultyRun);

    // Assess
    const points = /<polyline class="weight-canary" points="([^"]+)"/.exec(document)?.[1]?.split(' ') ?? [];
    const levels = new Set(points.map((point) => point.split(',')[1]));
    // 0 → 10 → 50 → 0: a step line turns at every change, so two points per change plus the ends.
    expect(levels.size).toBe(3);
    expect(points).toHaveLength(2 * faultyRun.weights.length);
  });

  it('breaks a series where its target group served nothing', () => {
    // Act
    const document = renderReport(faultyRun);

    // Assess
    const canaryErrors = /<path class="traffic-canary" d="([^"]+)"/.exec(document)?.[1] ?? '';
    // The first sample has no canary requests, so the canary line starts at the second.
    expect(count(canaryErrors, /M/g)).toBe(1);
    expect(count(canaryErrors, /[ML]\s*[\d.]+,/g)).toBe(faultyRun.traffic.length - 1);
  });

  it('shows the last served versions in order', () => {
    // Act
    const document = renderReport(faultyRun);

    // Assess
    const boxes = [...document.matchAll(/<span class="req (v[12])">/g)].map(([, version]) => version);
    expect(boxes).toEqual(faultyRun.lastServed);
  });

  it('stacks the labels of marks at the same moment instead of overprinting them', () => {
    // Prepare
    const crowded: SandboxRun = {
      ...faultyRun,
      marks: [
        { at: 5800, kind: 'alarm', label: 'alarm' },
        { at: 5800, kind: 'revert', label: 'revert' },
        { at: 5800, kind: 'abort', label: 'abort' },
        { at: 5800, kind: 'approval', label: 'approval' },
      ],
    };

    // Act
    const document = renderReport(crowded);

    // Assess
    const labelYs = [...document.matchAll(/<text class="mark-label[^"]*" x="[^"]+" y="([^"]+)"/g)].map(([, y]) => y);
    expect(new Set(labelYs).size).toBe(4);
    expect(count(document, /<line class="mark-line/g)).toBe(4);
  });

  const samples = (count: number, everyMs: number): TrafficSample[] =>
    Array.from({ length: count }, (_, i) => ({
      at: (i + 1) * everyMs,
      stable: { requests: 20, errorRatePercent: 0, p99Ms: 40 },
      canary: { requests: 5, errorRatePercent: 2, p99Ms: 55 },
    }));

  it.each<[string, Partial<SandboxRun>, string]>([
    ['no traffic samples', { traffic: [] }, 'no traffic samples recorded'],
    ['no weight changes', { weights: [] }, 'no weight changes recorded'],
    ['no marks', { marks: [] }, '>Listener weights</text>'],
    ['no requests served', { lastServed: [] }, 'no requests served'],
    ['a single weight point', { weights: [{ at: 500, stable: 90, canary: 10 }] }, '<polyline class="weight-canary"'],
    ['a single sample', { traffic: samples(1, 1000) }, '<circle'],
    ['a run that ended at once', { summary: { ...faultyRun.summary, durationMs: 0 }, weights: [], traffic: [], marks: [] }, '0.00'],
    ['a two-hour run', { summary: { ...faultyRun.summary, durationMs: 7_200_000 }, traffic: samples(7200, 1000) }, '1:00:00'],
    ['marks past the end of the run', { marks: [{ at: 60_000, kind: 'end', label: 'late end' }] }, '>late end</text>'],
  ])('draws a sane timeline with %s', (_name, change, expected) => {
    // Prepare
    const edge: SandboxRun = { ...faultyRun, ...change };

    // Act
    const document = renderReport(edge);

    // Assess
    expect(document).toContain(expected);
    expect(document).not.toMatch(/NaN|Infinity|undefined/);
    expect(count(document, /<svg\b/g)).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
// Headless Chromium

const CHROMIUM_FIX = 'bash scripts/ensure-chromium.sh';

/** Chromium's path, or an error that names the fix: a missing browser must fail, never skip. */
function findChromium(candidates = ['/usr/bin/chromium'], searchPath = process.env.PATH ?? ''): string {
  const onPath = searchPath
    .split(delimiter)
    .filter((dir) => dir !== '')
    .map((dir) => join(dir, 'chromium'));
  for (const candidate of [...candidates, ...onPath]) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not this one
    }
  }
  throw new Error(
    `headless Chromium is not installed (looked for ${candidates.join(', ')} and chromium on PATH); ` +
      `the report test renders the sandbox report in it. Fix: run \`${CHROMIUM_FIX}\` (Debian package chromium).`,
  );
}

interface Image {
  readonly width: number;
  readonly height: number;
  /** RGB(A) bytes, row after row. */
  readonly pixels: Uint8Array;
  readonly channels: number;
}

function abs(value: number): number {
  return value < 0 ? -value : value;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Just enough PNG to read Chromium's screenshots: 8-bit RGB or RGBA, not interlaced. */
function decodePng(png: Buffer): Image {
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const [bitDepth, colourType, , , interlace] = png.subarray(24, 29);
  if (bitDepth !== 8 || (colourType !== 2 && colourType !== 6) || interlace !== 0) {
    throw new Error(`unexpected PNG format: depth ${bitDepth}, colour type ${colourType}, interlace ${interlace}`);
  }
  const channels = colourType === 6 ? 4 : 3;
  const idat: Buffer[] = [];
  for (let offset = 8; offset < png.length; ) {
    const length = png.readUInt32BE(offset);
    if (png.toString('latin1', offset + 4, offset + 8) === 'IDAT') idat.push(png.subarray(offset + 8, offset + 8 + length));
    offset += 12 + length;
  }
  // The hot loops read no globals (not even `Math`): in Jest's VM context every global lookup
  // goes through the sandbox and makes a million-pixel loop take a second.
  const raw = new Uint8Array(inflateSync(Buffer.concat(idat)));
  const stride = width * channels;
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x];
      const left = x >= channels ? pixels[y * stride + x - channels] : 0;
      const up = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const upLeft = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
      let predictor = 0;
      if (filter === 1) predictor = left;
      else if (filter === 2) predictor = up;
      else if (filter === 3) predictor = (left + up) >> 1;
      else if (filter === 4) {
        const p = left + up - upLeft;
        const [pa, pb, pc] = [abs(p - left), abs(p - up), abs(p - upLeft)];
        predictor = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      }
      pixels[y * stride + x] = (value + predictor) & 0xff;
    }
  }
  return { width, height, pixels, channels };
}

/** Pixels within `tolerance` of an `#rrggbb` colour on every channel. */
function pixelsNear(image: Image, hex: string, tolerance: number): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
  const { pixels, channels } = image;
  let matches = 0;
  for (let i = 0; i < pixels.length; i += channels) {
    if (abs(pixels[i] - r) <= tolerance && abs(pixels[i + 1] - g) <= tolerance && abs(pixels[i + 2] - b) <= tolerance) {
      matches++;
    }
  }
  return matches;
}

function distinctColours(image: Image): number {
  const { pixels, channels } = image;
  const seen = new Set<number>();
  for (let i = 0; i < pixels.length; i += channels) seen.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
  return seen.size;
}

// The timeline's fills as they land on white, colours nothing outside the SVG uses: canary
// orange at 28 % and stable blue at 13 % opacity. The alarm red marks only the alarm.
const CANARY_AREA = '#fbdbbe';
const STABLE_AREA = '#e4ecfb';
const ALARM_RED = '#d62828';

describe('renderReport in headless Chromium', () => {
  let dir: string;
  /** One browser for the reports of this block, launched by the first render. */
  let chromium: Promise<HeadlessChromium> | undefined;

  function renderInChromium(document: string, name: string): Promise<Rendered> {
    chromium ??= launchHeadlessChromium(findChromium(), dir);
    return chromium.then((browser) => browser.render(document, name));
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'serinus-report-'));
  });

  afterAll(async () => {
    await chromium?.then((browser) => browser.close()).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('renders the faulty report: SVG parsed, timeline painted, alarm in red', async () => {
    // Act
    const { dom, png } = await renderInChromium(renderReport(faultyRun), 'faulty');

    // Assess
    expect(dom).toContain('<svg class="timeline"');
    expect(count(dom, /<polyline class="weight-canary" points="[^"]+"/g)).toBe(1);
    expect(count(dom, /<path class="traffic-canary"/g)).toBe(2);
    expect(count(dom, /<line class="mark-line/g)).toBe(faultyRun.marks.length);
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect(png.toString('latin1', 12, 16)).toBe('IHDR');
    const image = decodePng(png);
    expect([image.width, image.height]).toEqual([1280, 1000]);
    expect(distinctColours(image)).toBeGreaterThan(500);
    expect(pixelsNear(image, CANARY_AREA, 8)).toBeGreaterThan(5_000);
    expect(pixelsNear(image, STABLE_AREA, 8)).toBeGreaterThan(40_000);
    expect(pixelsNear(image, ALARM_RED, 24)).toBeGreaterThan(300);
  }, 40_000);

  it('renders the healthy report, with no alarm red anywhere', async () => {
    // Act
    const { dom, png } = await renderInChromium(renderReport(healthyRun), 'healthy');

    // Assess
    expect(count(dom, /<line class="mark-line/g)).toBe(healthyRun.marks.length);
    const image = decodePng(png);
    expect([image.width, image.height]).toEqual([1280, 1000]);
    expect(pixelsNear(image, CANARY_AREA, 8)).toBeGreaterThan(20_000);
    expect(pixelsNear(image, STABLE_AREA, 8)).toBeGreaterThan(40_000);
    expect(pixelsNear(image, ALARM_RED, 24)).toBe(0);
  }, 40_000);

  it('fails with the fix when Chromium is missing', () => {
    // Act
    const act = () => findChromium(['/nonexistent/chromium'], '');

    // Assess
    expect(act).toThrow(/not installed.*Fix: run `bash scripts\/ensure-chromium\.sh`/);
  });
});
