/**
 * Runs the longest test files first, so that no worker is left with a long file at the end while
 * the other idles. Jest does this by itself from the durations its cache recorded in an earlier
 * run; a clean checkout (CI) has none, and jest's fallback (the largest file first) starts the
 * fault matrix, a four-line file, last. Here a file with no recorded duration gets an
 * estimate: a known long one its usual duration, any other one a duration by its size.
 *
 * Two of jest's habits are left out, because each would start the package test first:
 * - a file that failed in the last run goes first;
 * - the package test's recorded duration counts the time it waited for the check's emit
 *   (scripts/test.sh). Started early, it waits most of a minute, which the next run's order then
 *   takes for its length.
 * That test always takes its estimate, and started after the long files, it finds the emit done.
 */
const Sequencer = require('@jest/test-sequencer').default;

/** Typical durations (ms) of the long files in `npm test` on a quiet two-core machine; the first match counts. */
const ESTIMATES = [
  [/\/test\/flows\/fault-matrix\/[^/]+\.test\.ts$/, 45_000],
  // The sandbox modules (test/sandbox/*.sandbox.ts): scenarios, routing modes, the report in Chromium.
  [/\/test\/sandbox\/sandbox\.test\.ts$/, 22_000],
  // The infra modules (test/infra/*.infra.ts), all in one file.
  [/\/test\/infra\/infra\.test\.ts$/, 22_000],
  // The flow modules (test/flows/*.flow.ts), about half in each file.
  [/\/test\/flows\/flows-[12]\.test\.ts$/, 11_000],
  [/\/test\/package\/install\.test\.ts$/, 9_000],
];
/** Files that wait for the check's emit: their recorded durations include the wait. */
const WAITS_FOR_EMIT = /\/test\/package\/[^/]+\.test\.ts$/;
/** Any other file: about this many milliseconds per byte of test source. */
const MS_PER_BYTE = 0.1;

class LongestFirstSequencer extends Sequencer {
  hasFailed() {
    return false;
  }

  time(test) {
    const file = test.path.split('\\').join('/');
    const recorded = WAITS_FOR_EMIT.test(file) ? undefined : super.time(test);
    if (recorded != null) return recorded;
    const known = ESTIMATES.find(([pattern]) => pattern.test(file));
    if (known) return known[1];
    return (test.context.hasteFS.getSize(test.path) ?? 0) * MS_PER_BYTE;
  }
}

module.exports = LongestFirstSequencer;
