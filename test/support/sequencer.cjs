/**
 * Runs the longest test files first, so that no worker is left with a long file at the end while
 * the other idles. Jest does this by itself from the durations its cache recorded in an earlier
 * run; a clean checkout (CI) has none, and jest's fallback (the largest file first) starts the
 * fault matrix, a four-line file, last. Here a file with no recorded duration gets an
 * estimate: a known long one its usual duration, any other one a duration by its size.
 */
const Sequencer = require('@jest/test-sequencer').default;

/** Typical durations (ms) of the long files in `npm test` on a quiet two-core machine; the first match counts. */
const ESTIMATES = [
  [/\/test\/flows\/fault-matrix\/[^/]+\.test\.ts$/, 45_000],
  // The sandbox modules (test/sandbox/*.sandbox.ts): scenarios, routing modes, the report in Chromium.
  [/\/test\/sandbox\/sandbox\.test\.ts$/, 22_000],
  // The infra modules (test/infra/*.infra.ts): nag and three short ones in infra-1, the rest in infra-2.
  [/\/test\/infra\/infra-[12]\.test\.ts$/, 13_000],
  // The flow modules (test/flows/*.flow.ts), about half in each file.
  [/\/test\/flows\/flows-[12]\.test\.ts$/, 11_000],
  [/\/test\/package\/install\.test\.ts$/, 9_000],
];
/** Any other file: about this many milliseconds per byte of test source. */
const MS_PER_BYTE = 0.1;

class LongestFirstSequencer extends Sequencer {
  time(test) {
    const recorded = super.time(test);
    if (recorded != null) return recorded;
    const known = ESTIMATES.find(([pattern]) => pattern.test(test.path.split('\\').join('/')));
    if (known) return known[1];
    return (test.context.hasteFS.getSize(test.path) ?? 0) * MS_PER_BYTE;
  }
}

module.exports = LongestFirstSequencer;
