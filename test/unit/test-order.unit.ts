/**
 * The order `npm test` runs its files in (test/support/sequencer.cjs): the longest first, from jest's
 * recorded durations or the estimates, whatever failed last time, and the package test after the
 * long files, since it waits for the check's emit.
 */
const LongestFirstSequencer = require('../support/sequencer.cjs') as new (options: object) => Sequencer;

interface TestFile {
  readonly path: string;
  readonly context: object;
}
interface Sequencer {
  readonly _cache: Map<object, Record<string, [number, number]>>;
  sort(tests: TestFile[]): TestFile[];
}

const ROOT = '/repo/test/';
const FILES = [
  'unit/unit.test.ts',
  'package/install.test.ts',
  'flows/flows-1.test.ts',
  'flows/fault-matrix/fault-matrix.flow.test.ts',
  'sandbox/sandbox.test.ts',
];
const [FAILED, PASSED] = [0, 1];

/** The order of FILES, with `recorded` as jest's cache of the last run ([status, ms] by file). */
function order(recorded: Record<string, [number, number]>): string[] {
  const context = { config: { cache: true, rootDir: '/repo' }, hasteFS: { getSize: () => 10_000 } };
  const sequencer = new LongestFirstSequencer({});
  sequencer._cache.set(context, Object.fromEntries(Object.entries(recorded).map(([file, entry]) => [ROOT + file, entry])));
  return sequencer.sort(FILES.map((file) => ({ path: ROOT + file, context }))).map((test) => test.path.slice(ROOT.length));
}

describe('the order of the test files', () => {
  it('on a clean checkout: the estimates, the fault matrix first', () => {
    // Act
    const files = order({});

    // Assess
    expect(files).toEqual([
      'flows/fault-matrix/fault-matrix.flow.test.ts',
      'sandbox/sandbox.test.ts',
      'flows/flows-1.test.ts',
      'package/install.test.ts',
      'unit/unit.test.ts',
    ]);
  });

  it('after a run: the recorded durations, the longest first', () => {
    // Act
    const files = order({
      'unit/unit.test.ts': [PASSED, 2_000],
      'flows/flows-1.test.ts': [PASSED, 40_000],
      'flows/fault-matrix/fault-matrix.flow.test.ts': [PASSED, 30_000],
      'sandbox/sandbox.test.ts': [PASSED, 35_000],
    });

    // Assess
    expect(files).toEqual([
      'flows/flows-1.test.ts',
      'sandbox/sandbox.test.ts',
      'flows/fault-matrix/fault-matrix.flow.test.ts',
      'package/install.test.ts',
      'unit/unit.test.ts',
    ]);
  });

  it('a file that failed last time keeps its place', () => {
    // Act
    const files = order({ 'unit/unit.test.ts': [FAILED, 2_000] });

    // Assess
    expect(files.at(-1)).toBe('unit/unit.test.ts');
  });

  it('the package test keeps its estimate, whatever it waited for the emit last time', () => {
    // Act
    const files = order({ 'package/install.test.ts': [FAILED, 60_000] });

    // Assess
    expect(files.indexOf('package/install.test.ts')).toBe(3);
  });
});
