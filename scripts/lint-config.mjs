// What `eslint .` and `npm test`'s check (scripts/check.ts) lint with: rules for what the compiler
// cannot see (promises nobody awaits, focused or skipped tests), on a TypeScript program the caller
// builds once.
import jest from 'eslint-plugin-jest';
import tseslint from 'typescript-eslint';
import ts from 'typescript';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');

/** tsconfig.json parsed: the files `tsc` checks and their options. */
export function projectConfig() {
  return parseConfig('tsconfig.json');
}

/** A tsconfig file of the project, parsed as `tsc -p` reads it. */
export function parseConfig(file) {
  return ts.getParsedCommandLineOfConfigFile(path.join(ROOT, file), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  });
}

/**
 * One TypeScript program for every file of tsconfig.json, built once up front (the project service
 * would build and keep updating a program of its own for the same files). JSDoc is not parsed
 * unless asked: no rule here reads it, and the emit copies comments as text, so the declarations
 * come out the same. `optionOverrides` lets the check emit the build from the same program.
 */
export function projectProgram({ optionOverrides = {}, parseJsDoc = false } = {}) {
  const parsed = projectConfig();
  const options = { ...parsed.options, ...optionOverrides };
  const host = ts.createCompilerHost(options, true);
  if (!parseJsDoc) host.jsDocParsingMode = ts.JSDocParsingMode.ParseNone;
  return ts.createProgram(parsed.fileNames, options, host);
}

/** The flat config, its type-aware rules reading `program`. */
export function lintConfig(program) {
  return tseslint.config(
    { ignores: ['node_modules/**', 'cdk.out/**', 'coverage/**', 'dist/**', 'dist-jsii/**', '**/*.js', '**/*.mjs'] },
    {
      files: ['**/*.ts', '**/*.mts'],
      languageOptions: {
        parser: tseslint.parser,
        parserOptions: { programs: [program], tsconfigRootDir: ROOT },
      },
      plugins: { '@typescript-eslint': tseslint.plugin },
      rules: {
        '@typescript-eslint/no-floating-promises': 'error',
        '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
        '@typescript-eslint/await-thenable': 'error',
        'no-control-regex': 'error',
      },
    },
    {
      files: ['test/**/*.ts'],
      plugins: { jest },
      rules: {
        'jest/no-focused-tests': 'error',
        'jest/no-disabled-tests': 'error',
      },
    },
  );
}
