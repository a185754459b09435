// Lint is for what the compiler cannot see: promises nobody awaits, and focused or skipped tests.
import jest from 'eslint-plugin-jest';
import tseslint from 'typescript-eslint';
import ts from 'typescript';

/**
 * One TypeScript program for every file, built once up front from tsconfig.json (the files `tsc`
 * checks), without the JSDoc no rule here reads: the rules need the types, not the comments. The
 * project service would build and keep updating a program of its own for the same files.
 */
function tsconfigProgram() {
  const parsed = ts.getParsedCommandLineOfConfigFile(`${import.meta.dirname}/tsconfig.json`, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  });
  const host = ts.createCompilerHost(parsed.options, true);
  host.jsDocParsingMode = ts.JSDocParsingMode.ParseNone;
  return ts.createProgram(parsed.fileNames, parsed.options, host);
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', 'coverage/**', 'dist/**', 'dist-jsii/**', '**/*.js', '**/*.mjs'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { programs: [tsconfigProgram()], tsconfigRootDir: import.meta.dirname },
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
