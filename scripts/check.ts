/**
 * The static half of `npm test` (scripts/test.sh runs it beside jest): the type check of the whole
 * project, the emit of what the package ships, and the lint, all from one TypeScript program.
 * Three tools building a program each (`tsc` for the check, `tsc -p tsconfig.build.json` for the
 * emit, ESLint's typed rules) parsed and bound the same files three times.
 *
 * - The program is tsconfig.json's: every file `tsc` checks.
 * - The emit is `npm run build`'s: tsconfig.build.json's files (lib/, lambda/) with its options, to
 *   dist/. As soon as it is written, the file named by SERINUS_EMITTED (if set) says so, and whether
 *   it succeeded: the package test packs dist/ and waits for it (test/support/emitted.ts).
 * - The lint is `eslint .`'s configuration (scripts/lint-config.mjs) on this program.
 *
 * Exit 1 on any type error, emit error or lint error; every one is printed.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ESLint } from 'eslint';
import ts from 'typescript';
import { lintConfig, parseConfig, projectProgram } from './lint-config.mjs';

const ROOT = path.join(__dirname, '..');
export const EMITTED_ENV = 'SERINUS_EMITTED';

const formatHost: ts.FormatDiagnosticsHost = {
  getCanonicalFileName: (file) => file,
  getCurrentDirectory: () => ROOT,
  getNewLine: () => '\n',
};

function report(diagnostics: readonly ts.Diagnostic[]): void {
  if (diagnostics.length > 0) process.stdout.write(ts.formatDiagnosticsWithColorAndContext(diagnostics, formatHost));
}

/** Tells a waiting package test that dist/ is written (or that it will not be). */
function signalEmitted(ok: boolean): void {
  const marker = process.env[EMITTED_ENV];
  if (marker) writeFileSync(marker, JSON.stringify({ ok }));
}

async function main(): Promise<number> {
  const started = performance.now();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  const build = parseConfig('tsconfig.build.json');
  // tsconfig.build.json extends tsconfig.json and adds only output options, so one program can do both.
  const program = projectProgram({
    optionOverrides: {
      noEmit: false,
      declaration: build.options.declaration,
      rootDir: build.options.rootDir,
      outDir: build.options.outDir,
    },
  });

  let emitDiagnostics: ts.Diagnostic[] = [];
  const shipped = new Set(build.fileNames.map((file) => path.resolve(file)));
  try {
    for (const source of program.getSourceFiles()) {
      if (!shipped.has(path.resolve(source.fileName))) continue;
      emitDiagnostics = emitDiagnostics.concat(program.emit(source).diagnostics);
    }
  } finally {
    signalEmitted(emitDiagnostics.length === 0);
  }
  const typeDiagnostics = ts.getPreEmitDiagnostics(program);
  report([...typeDiagnostics, ...emitDiagnostics]);
  const typeErrors = typeDiagnostics.length + emitDiagnostics.length;
  console.log(`type check: ${program.getRootFileNames().length} files, ${typeErrors} errors; emitted ${shipped.size} shipped files to ${path.relative(ROOT, build.options.outDir!)}/ (${seconds()} s)`);

  const eslint = new ESLint({ cwd: ROOT, overrideConfigFile: true, baseConfig: lintConfig(program) });
  const results = await eslint.lintFiles(['.']);
  const lintErrors = results.reduce((sum, result) => sum + result.errorCount, 0);
  const formatted = await (await eslint.loadFormatter('stylish')).format(results);
  if (formatted) process.stdout.write(formatted);
  console.log(`lint: ${results.length} files, ${lintErrors} errors (${seconds()} s)`);
  return typeErrors + lintErrors > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    signalEmitted(false);
    console.error(error);
    process.exit(1);
  },
);
