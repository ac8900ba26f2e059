// A workflow round trip with imported subtitles and identity translation (no ASR, no MT involved).
import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DubJobResult } from '../../lib/job.js';
import { shortClip, writeSrt } from '../fixtures/media.js';
import { jobInput, startJob, tempDir } from '../support/jobs.js';
import { probe } from '../support/media.js';
import { withWorker } from '../support/workers.js';

describe('subtitle import and identity translation (real dev server and worker)', () => {
  const queues = withWorker('subs', { prepare: shortClip });

  it('--subs gives the source lines and --no-translate dubs them in the source language with festival', async () => {
    const clip = await shortClip();
    const dir = await tempDir('subs');
    const subs = await writeSrt(path.join(dir, 'in', 'lines.srt'), clip.script.map((l) => ({ ...l, text: `${l.text} (subtitled)` })));
    const handle = await startJob(jobInput(clip.video, queues, path.join(dir, 'out'), { subs, translate: false }), queues);
    const result: DubJobResult = await handle.result();
    const transcript = JSON.parse(await readFile(path.join(result.outputDir, 'transcript.json'), 'utf8'));
    expect(transcript.source).toBe('subtitles:lines.srt');
    expect(transcript.lines.map((l: { text: string }) => l.text)).toEqual(clip.script.map((l) => `${l.text} (subtitled)`));
    const report = JSON.parse(await readFile(path.join(result.outputDir, 'report.json'), 'utf8'));
    expect(report.engines).toMatchObject({ asr: 'subtitles', tts: 'festival' });
    expect(report.lines.map((l: { target: string }) => l.target)).toEqual(transcript.lines.map((l: { text: string }) => l.text));
    expect(result.outputs.targetSrt).toBe('short.en.srt');
    const { streams } = await probe(path.join(result.outputDir, result.outputs.mkv));
    expect(streams.filter((s) => s.codec_type === 'audio').map((s) => s.tags?.language)).toEqual(['eng', 'eng']);
  }, 120_000);

  it('--translated-subs gives the target lines instead of machine translation', async () => {
    const clip = await shortClip();
    const dir = await tempDir('tsubs');
    const translated = await writeSrt(path.join(dir, 'in', 'es.srt'), clip.script.map((l, i) => ({ ...l, text: ['Hola a todos.', 'Muchas gracias.'][i] })));
    const handle = await startJob(jobInput(clip.video, queues, path.join(dir, 'out'), { translatedSubs: translated }), queues);
    const result: DubJobResult = await handle.result();
    const srt = await readFile(path.join(result.outputDir, result.outputs.targetSrt), 'utf8');
    expect(srt).toContain('Hola a todos.');
    expect(srt).toContain('Muchas gracias.');
    const report = JSON.parse(await readFile(path.join(result.outputDir, 'report.json'), 'utf8'));
    expect(report.engines.mt).toBe('subtitles');
  }, 120_000);

  it('a malformed subtitle file → InvalidSubtitles, not a retry', async () => {
    const clip = await shortClip();
    const dir = await tempDir('badsubs');
    const bad = path.join(dir, 'bad.srt');
    await (await import('node:fs/promises')).writeFile(bad, '1\nthis is not a timestamp\nHello\n');
    const handle = await startJob(jobInput(clip.video, queues, path.join(dir, 'out'), { subs: bad }), queues);
    const err = await handle.result().then(() => undefined, (e) => e);
    expect(String(err?.cause?.type)).toBe('InvalidSubtitles');
    expect(err?.cause?.message).toMatch(/bad\.srt is not valid SRT or WebVTT/);
  }, 120_000);
});
