import type ts from 'typescript';
import type { Linter } from 'eslint';

/** tsconfig.json parsed: the files `tsc` checks and their options. */
export function projectConfig(): ts.ParsedCommandLine;
/** A tsconfig file of the project (a path from its root), parsed as `tsc -p` reads it. */
export function parseConfig(file: string): ts.ParsedCommandLine;
/** One TypeScript program for every file of tsconfig.json. */
export function projectProgram(options?: { optionOverrides?: ts.CompilerOptions; parseJsDoc?: boolean }): ts.Program;
/** The flat config, its type-aware rules reading `program`. */
export function lintConfig(program: ts.Program): Linter.Config[];
