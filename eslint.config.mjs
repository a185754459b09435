// `eslint .`: the configuration and the TypeScript program it reads are in scripts/lint-config.mjs,
// shared with `npm test`'s check (scripts/check.ts), which lints from its type check's program.
import { lintConfig, projectProgram } from './scripts/lint-config.mjs';

export default lintConfig(projectProgram());
