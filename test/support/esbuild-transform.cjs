/**
 * Jest's TypeScript transform: esbuild strips the types and emits CommonJS, as tsc would with
 * tsconfig.json's options. Type checking is not the transform's job: scripts/check.ts checks the
 * whole project (tests included) once, beside jest in `npm test`.
 */
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const TSCONFIG = path.join(__dirname, '..', '..', 'tsconfig.json');
const { compilerOptions } = JSON.parse(readFileSync(TSCONFIG, 'utf8'));
const OPTIONS = {
  loader: 'ts',
  format: 'cjs',
  platform: 'node',
  target: compilerOptions.target.toLowerCase(),
  // What tsc's CommonJS output does with `import()`: a require, so jest loads the module as it
  // loads every other one.
  supported: { 'dynamic-import': false },
  sourcemap: 'external',
  sourcesContent: false,
  tsconfigRaw: { compilerOptions },
  logLevel: 'silent',
};
const KEY = createHash('sha256')
  .update(esbuild.version)
  .update(readFileSync(__filename))
  .update(JSON.stringify(OPTIONS))
  .digest('hex');

module.exports = {
  process(sourceText, sourcePath) {
    const { code, map } = esbuild.transformSync(sourceText, { ...OPTIONS, sourcefile: sourcePath });
    return { code, map };
  },
  getCacheKey(sourceText, sourcePath, { configString }) {
    return createHash('sha256').update(KEY).update(sourcePath).update(configString).update(sourceText).digest('hex');
  },
};
