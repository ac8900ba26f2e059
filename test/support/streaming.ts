// Shared by the streaming suites: start a streaming run on the ~115 s clip, read its manifest, count renders.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { JobOptionsInput } from '../../config/schema.js';
import type { StreamManifest } from '../../lib/streamManifest.js';
import { streamClip } from '../fixtures/media.js';
import { jobInput, tempDir, testClient } from './jobs.js';
import type { Queues } from './workers.js';

export const readManifest = (dir: string): Promise<StreamManifest | undefined> =>
  readFile(path.join(dir, 'stream', 'manifest.json'), 'utf8').then(JSON.parse, () => undefined);

export async function startStream(queues: Queues, stream: JobOptionsInput['stream'], id = `stream-${Math.random().toString(36).slice(2, 8)}`) {
  const clip = await streamClip();
  const out = await tempDir('stream');
  const client = await testClient();
  const handle = await client.workflow.start('streamDub', {
    taskQueue: queues.workflows,
    workflowId: id,
    // espeak-ng: these tests are about chunks, manifests and resume; a Kokoro voice per chunk (es's default) costs
    // ~1 CPU-s per second of speech and pushed the 115 s clip past the test's time on 2 cores.
    args: [jobInput(clip.video, queues, out, { stream: { enabled: true, ...stream }, tts: { engine: 'espeak-ng' } })],
  });
  return { handle, jobDir: path.join(out, 'stream.es'), clip };
}

/** How many times each chunk was cut and muxed, from the job's engine command log. */
export async function renders(jobDir: string): Promise<Map<number, number>> {
  const log = await readFile(path.join(jobDir, 'tmp', 'commands.jsonl'), 'utf8').catch(() => '');
  const counts = new Map<number, number>();
  for (const row of log.split('\n').filter(Boolean)) {
    const m = JSON.parse(row).argv.join(' ').match(/stream\/\.chunk_(\d{3})\.[\w-]+\.part\.mp4/);
    if (m) counts.set(Number(m[1]), (counts.get(Number(m[1])) ?? 0) + 1);
  }
  return counts;
}
