/**
 * The sizes `npm test` prints for the evidence made of many tests (test/support/evidence-reporter.cjs):
 * each family counts the tests of its own flow modules, and a failed test is not counted as passed.
 */
const { familySizes } = require('../support/evidence-reporter.cjs') as {
  familySizes(results: readonly { ancestorTitles: string[]; status: string }[]): string[];
};

/** A test of `module` that ended in `status`. */
function result(module: string, status = 'passed'): { ancestorTitles: string[]; status: string } {
  return { ancestorTitles: [module, 'a describe of its own'], status };
}

describe('the sizes of the stops, the edits and the races', () => {
  it.each<[string, ReturnType<typeof result>[], string[]]>([
    [
      'every family, each from its own modules',
      [result('stop.flow'), result('stop.flow'), result('inflight.flow'), result('edits.flow'), result('races.flow'), result('rollout.flow')],
      ['stops: 3 cases, 3 passed (stop.flow 2, inflight.flow 1)', 'external edits: 1 case, 1 passed (edits.flow 1)', 'races: 1 case, 1 passed (races.flow 1)'],
    ],
    [
      'a failed or skipped test counts in the size, not in the passes',
      [result('inflight.flow'), result('inflight.flow', 'failed'), result('races.flow', 'pending')],
      ['stops: 2 cases, 1 passed (stop.flow 0, inflight.flow 2)', 'races: 1 case, 0 passed (races.flow 1)'],
    ],
    ['a run without the flows prints nothing', [result('planner.unit'), result('rollout.flow')], []],
  ])('%s', (_, results, lines) => {
    // Act
    const printed = familySizes(results);

    // Assess
    expect(printed).toEqual(lines);
  });
});
