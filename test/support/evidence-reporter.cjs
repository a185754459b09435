/**
 * Prints the size and the pass count of each body of evidence that is made of many tests: the stops
 * (every state, mid-retry, a handler in flight, the status event twice, late and never), the external
 * edits and the races. The fault matrix and the bad-input corpus are one test each and print their
 * own. A family's tests are those under the describe that test/flows/flows-*.test.ts gives each flow
 * module; a run that leaves a family out (`npm run jest -- test/unit`) prints nothing for it.
 */

/** Each family and the flow modules whose tests it counts. */
const FAMILIES = [
  ['stops', ['stop.flow', 'inflight.flow']],
  ['external edits', ['edits.flow']],
  ['races', ['races.flow']],
];

/**
 * One line per family with tests among `results` (jest's assertion results: `ancestorTitles`,
 * `status`): how many ran, how many passed, and how many came from each module.
 */
function familySizes(results) {
  const lines = [];
  for (const [family, modules] of FAMILIES) {
    const mine = results.filter((result) => modules.includes(result.ancestorTitles[0]));
    if (mine.length === 0) continue;
    const passed = mine.filter((result) => result.status === 'passed').length;
    const byModule = modules.map((module) => `${module} ${mine.filter((result) => result.ancestorTitles[0] === module).length}`);
    lines.push(`${family}: ${mine.length} ${mine.length === 1 ? 'case' : 'cases'}, ${passed} passed (${byModule.join(', ')})`);
  }
  return lines;
}

class EvidenceReporter {
  constructor() {
    this.results = [];
  }

  onTestResult(_test, testResult) {
    this.results.push(...testResult.testResults);
  }

  onRunComplete() {
    const lines = familySizes(this.results);
    if (lines.length > 0) process.stderr.write(`${lines.join('\n')}\n`);
  }
}

module.exports = EvidenceReporter;
module.exports.familySizes = familySizes;
