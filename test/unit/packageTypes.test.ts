// What people outside this repo get: the Temporal CLI/UI input schema is current, and a strict TypeScript
// program imports the typed client helper and the input/result types from the package by name.
import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { jobInputJsonSchema, SCHEMA_FILE } from '../../scripts/jobInputSchema.js';
import { PROJECT_ROOT } from '../support/env.js';

describe('the published shape', () => {
  it('docs/job-input.schema.json is generated from the zod schema (npm run schema) and refuses unknown keys', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(jobInputJsonSchema());
    const schema = JSON.parse(jobInputJsonSchema());
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['video']);
  });

  it('a strict TypeScript client compiles against `anime-dub` (types and exports)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'anime-dub-types-'));
    await mkdir(path.join(dir, 'node_modules'));
    await symlink(PROJECT_ROOT, path.join(dir, 'node_modules', 'anime-dub'));
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, skipLibCheck: true } }));
    await writeFile(path.join(dir, 'client.ts'), [
      "import { connectClient, startDubJob, waitForResult, type DubJobInput, type DubJobResult, type Settings, type JobOptions } from 'anime-dub';",
      "const input: DubJobInput = { video: '/videos/ep01.mkv', src: 'ja', tgt: 'en', outputDir: 'season1' };",
      'export async function dub(settings: Settings, options: JobOptions): Promise<number> {',
      "  const client = await connectClient('127.0.0.1:7233');",
      '  const handle = await startDubJob(client, settings, options);',
      '  const result = (await waitForResult(client, handle.workflowId)) as DubJobResult;',
      '  return result.lines + input.video.length;',
      '}',
      '',
    ].join('\n'));
    const tsc = await execa(process.execPath, [path.join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { reject: false });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.exitCode).toBe(0);
  }, 60_000);
});
