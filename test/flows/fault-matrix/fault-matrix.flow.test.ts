/** The fault matrix, in one file (SHARDS): see matrix-support.ts. */
import { NEVER_HIT, defineShard, runBatch, type Cell, type CellResult } from './matrix-support';

defineShard(0);

describe('a batch of cells', () => {
  const cell = (command: string): Cell => ({
    point: { scenario: 'promoted', handler: 'shift-weight', state: 'ShiftWeight', service: 'elbv2', command, mutating: false },
    kind: 'throttled',
    times: 1,
    batched: true,
  });
  const [a, b, c] = [cell('DescribeListeners'), cell('DescribeTargetHealth'), cell('ModifyListener')];
  const name = (cells: readonly Cell[]) => cells.map((x) => x.point.command).join('+');

  /** A stand-in for the scenario run: `verdict` gives each cell's violations in a run of `cells`; the runs are recorded. */
  function runs(verdict: (cell: Cell, cells: readonly Cell[]) => string[]) {
    const made: string[] = [];
    const run = async (cells: readonly Cell[]): Promise<CellResult[]> => {
      made.push(name(cells));
      return cells.map((x) => ({ cell: x, status: 'SUCCEEDED', violations: verdict(x, cells) }));
    };
    return { made, run };
  }
  const passed = (results: CellResult[]) => results.filter((r) => r.violations.length === 0).map((r) => r.cell.point.command).sort();

  it.each([
    {
      story: 'every fault hits: one run for all',
      verdict: () => [],
      made: ['DescribeListeners+DescribeTargetHealth+ModifyListener'],
      pass: ['DescribeListeners', 'DescribeTargetHealth', 'ModifyListener'],
    },
    {
      story: 'a fault takes the path away from the others: the ones that missed run again together',
      verdict: (x: Cell, cells: readonly Cell[]) => (x !== a && cells.includes(a) ? [NEVER_HIT] : []),
      made: ['DescribeListeners+DescribeTargetHealth+ModifyListener', 'DescribeTargetHealth+ModifyListener'],
      pass: ['DescribeListeners', 'DescribeTargetHealth', 'ModifyListener'],
    },
    {
      story: 'the run breaks an invariant: each cell alone, to find whose it is',
      // As runTogether reports it: the run's violation on every cell of the run, the misses on theirs.
      verdict: (x: Cell, cells: readonly Cell[]) => [
        ...(x !== a && cells.includes(a) ? [NEVER_HIT] : []),
        ...(cells.includes(b) ? ['1: the listener ends at stable 90 / canary 10, not 100/0'] : []),
      ],
      made: ['DescribeListeners+DescribeTargetHealth+ModifyListener', 'DescribeListeners', 'DescribeTargetHealth', 'ModifyListener'],
      pass: ['DescribeListeners', 'ModifyListener'],
    },
    {
      story: 'no fault hits: each cell alone',
      verdict: (_cell: Cell, cells: readonly Cell[]) => (cells.length > 1 ? [NEVER_HIT] : []),
      made: ['DescribeListeners+DescribeTargetHealth+ModifyListener', 'DescribeListeners', 'DescribeTargetHealth', 'ModifyListener'],
      pass: ['DescribeListeners', 'DescribeTargetHealth', 'ModifyListener'],
    },
  ])('$story', async ({ verdict, made, pass }) => {
    // Prepare
    const stand = runs(verdict);

    // Act
    const results = await runBatch([a, b, c], stand.run);

    // Assess
    expect(stand.made).toEqual(made);
    expect(results).toHaveLength(3);
    expect(passed(results)).toEqual(pass);
  });
});
