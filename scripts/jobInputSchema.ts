// Writes docs/job-input.schema.json from the one zod schema, for people who start jobs from the Temporal CLI or
// UI (or any language): what dubJob's input may hold. `npm run schema` regenerates it; a unit test checks it is current.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { jobOptionsSchema } from '../config/schema.js';

export function jobInputJsonSchema(): string {
  const schema = z.toJSONSchema(jobOptionsSchema, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ ...schema, title: 'anime-dub dubJob input', description: 'The input of the dubJob and streamDub workflows. Unknown keys are refused; every absent key takes its default.' }, null, 2)}\n`;
}

export const SCHEMA_FILE = path.join(fileURLToPath(new URL('../..', import.meta.url)), 'docs', 'job-input.schema.json');

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(SCHEMA_FILE, jobInputJsonSchema());
  console.log(`wrote ${SCHEMA_FILE}`);
}
