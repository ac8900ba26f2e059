// Example: drive a dub job from a program with the typed client (client/api.ts) — start it paused for review,
// fix one line, approve, follow progress, read the result. The tests run this script.
// Usage: node dist/scripts/exampleClient.js VIDEO [OUTPUT_DIR]   (TEMPORAL_ADDRESS or a temporal.toml profile, and workers, must be up)
import path from 'node:path';
import { approve, connectClient, editLine, getProgress, startDubJob, waitForResult } from '../client/api.js';
import { loadSettings, resolveJobOptions } from '../config/load.js';
import type { DubJobResult } from '../lib/job.js';

const [video, output] = process.argv.slice(2);
if (!video) {
  console.error('usage: exampleClient VIDEO [OUTPUT_DIR]');
  process.exit(2);
}
const settings = loadSettings();
// TEMPORAL_ADDRESS / a temporal.toml profile (TLS, mTLS, API key), else the local server: as the CLI connects.
const client = await connectClient();
// OUTPUT_DIR names a folder inside the workers' output root (ANIME_DUB_OUTPUT_DIR): job input never writes elsewhere.
const outputDir = output ? path.relative(path.resolve(settings.outputDir), path.resolve(output)) : '';
const options = resolveJobOptions(settings, { video, tgt: 'es', review: { pause: true }, ...(outputDir ? { outputDir } : {}) });
const handle = await startDubJob(client, settings, options);
console.log(`started ${handle.workflowId}`);

// wait until the job pauses for review
for (;;) {
  const p = await getProgress(client, handle.workflowId);
  if (p.stage === 'review') break;
  if (p.stage === 'failed') throw new Error('job failed before review');
  await new Promise((r) => setTimeout(r, 250));
}
const edited = await editLine(client, handle.workflowId, { index: 0, text: 'Hola a todos, buenos días.' });
console.log(`edited line ${edited.index}: ${edited.target}`);
try {
  await editLine(client, handle.workflowId, { index: 99, text: 'nope' });
} catch (e) {
  console.log(`rejected as expected: ${(e as Error).message}`);
}
await approve(client, handle.workflowId);
const result = (await waitForResult(client, handle.workflowId)) as DubJobResult;
console.log(`done: ${path.join(result.outputDir, result.outputs.mkv)}`);
await client.connection.close();
