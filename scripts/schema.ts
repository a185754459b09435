/**
 * Writes the JSON Schema of the execution input (schema/rollout-input.schema.json) from the zod
 * schema Validate uses. `npm run schema`; test/unit/input-schema.unit.ts fails when it is stale.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { rolloutInputJsonSchema } from '../lambda/domain/input-schema';

export const SCHEMA_PATH = path.join(__dirname, '..', 'schema', 'rollout-input.schema.json');

export function schemaText(): string {
  return `${JSON.stringify(rolloutInputJsonSchema(), null, 2)}\n`;
}

if (require.main === module) {
  mkdirSync(path.dirname(SCHEMA_PATH), { recursive: true });
  writeFileSync(SCHEMA_PATH, schemaText());
  console.log(`wrote ${path.relative(process.cwd(), SCHEMA_PATH)}`);
}
