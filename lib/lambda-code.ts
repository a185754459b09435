/**
 * Where the prebuilt Lambda bundles are: `dist/bundles/<handler>/` of the package, built by
 * `npm run build` (scripts/bundle-lambdas.ts). This file runs from `lib/` in this repository and
 * from `dist/lib/` in the installed package; both find the same directory.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';

// Compiled, this file is dist/lib/lambda-code.js; run from source (tsx, the jest transform), lib/lambda-code.ts.
const PACKAGE_ROOT = path.join(__dirname, ...(path.extname(__filename) === '.ts' ? ['..'] : ['..', '..']));

/** The directory that holds one directory per handler. */
export const BUNDLES_DIR = path.join(PACKAGE_ROOT, 'dist', 'bundles');
/** The bundle's file in each handler's directory; the function's handler is `index.handler`. */
export const BUNDLE_FILE = 'index.js';
export const BUNDLE_HANDLER = 'index.handler';

/** The code asset of one handler; its source map only when asked for (it is only read with `--enable-source-maps`). */
export function handlerCode(name: string, sourceMaps: boolean): lambda.Code {
  const directory = path.join(BUNDLES_DIR, name);
  if (!existsSync(path.join(directory, BUNDLE_FILE))) {
    throw new Error(
      `serinus: the Lambda bundle of "${name}" is missing at ${directory}. ` +
        'In the serinus repository run `npm run build`; an installed package ships it, so reinstall the package.',
    );
  }
  return lambda.Code.fromAsset(directory, sourceMaps ? {} : { exclude: ['*.map'] });
}
