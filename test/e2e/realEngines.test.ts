// The embedded model engines for real (not stand-ins): faster-whisper with the bundled Whisper base (int8 on this
// CPU) and piper with the bundled en_US-joe-medium voice, in warm engine hosts, against a real dev server and a
// real worker process. Speech is real: LibriVox readings (pocketsphinx-testdata) and Kokoro Japanese.
import { afterAll, describe, expect, it } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from '../../engines/run.js';
import { closeEngineHosts, hostPool } from '../../engines/engineHost.js';
import { transcribeInHost } from '../../engines/fasterWhisper.js';
import { piperSpeak } from '../../engines/piper.js';
import type { DubJobResult } from '../../lib/job.js';
import { progressQuery } from '../../workflows/messages.js';
import { parseSubtitles } from '../../formats/subtitles.js';
import { characterErrorRate, japaneseClip, librivoxClip, spokenForm } from '../fixtures/realSpeech.js';
import { defaultJobInput, jobInput, startJob, tempDir } from '../support/jobs.js';
import { probe, wordErrorRate } from '../support/media.js';
import { processesOfQueues, waitFor } from '../support/processes.js';
import { withWorker } from '../support/workers.js';

const BASE = path.resolve('.tools/models/whisper-base');
const JOE = path.resolve('.tools/models/piper/en_US-joe-medium.onnx');

type Transcript = { source: string; model?: string; lines: { start: number; end: number; text: string }[] };
const transcriptOf = async (r: DubJobResult) => JSON.parse(await readFile(path.join(r.outputDir, 'transcript.json'), 'utf8')) as Transcript;
const reportOf = async (r: DubJobResult) => JSON.parse(await readFile(path.join(r.outputDir, 'report.json'), 'utf8')) as { engines: Record<string, string> };

describe('real engines in warm hosts: faster-whisper base and piper (real dev server and worker)', () => {
  // Heartbeats every 0.5 s: a cancellation reaches the activity that fast.
  const queues = withWorker('real', { env: { DUB_HEARTBEAT_THROTTLE_SEC: '0.5' }, prepare: () => Promise.all([librivoxClip(), librivoxClip(4), japaneseClip()]) });

  it('LibriVox with the default English recognizer (faster-whisper, no engine flags): WER ≤ 0.08, piper speaks the dub', async () => {
    const clip = await librivoxClip();
    const result = await (await startJob(defaultJobInput(clip.video, queues, await tempDir('real-librivox'), { src: 'en', tgt: 'en', translate: false }), queues)).result();
    const transcript = await transcriptOf(result);
    expect(transcript.source).toBe('faster-whisper');
    expect(transcript.model).toBe('base');
    const wer = wordErrorRate(clip.reference.join(' '), spokenForm(transcript.lines.map((l) => l.text).join(' ')));
    console.log(`LibriVox WER with faster-whisper base: ${(wer * 100).toFixed(1)} %`);
    expect(wer).toBeLessThanOrEqual(0.08);
    expect((await reportOf(result)).engines).toMatchObject({ asr: 'faster-whisper', tts: 'piper' });
  }, 300_000);

  it('Japanese dialogue (Kokoro, two voices) → English with no engine flags: Whisper hears it (CER ≤ 0.15) and translates it; each line keeps its key words', async () => {
    const clip = await japaneseClip();
    const result = await (await startJob(defaultJobInput(clip.video, queues, await tempDir('real-ja'), { src: 'ja', tgt: 'en' }), queues)).result();
    const transcript = await transcriptOf(result);
    expect(transcript.source).toBe('faster-whisper');
    const cer = characterErrorRate(clip.lines.map((l) => l.ja).join(''), transcript.lines.map((l) => l.text).join(''));
    console.log(`Japanese CER with faster-whisper base: ${(cer * 100).toFixed(1)} %`);
    expect(cer).toBeLessThanOrEqual(0.15);
    expect((await reportOf(result)).engines).toMatchObject({ asr: 'faster-whisper', mt: 'whisper', tts: 'piper' });

    // The English subtitles the dub was spoken from: the words said over each source line carry its meaning.
    const cues = parseSubtitles(await readFile(path.join(result.outputDir, result.outputs.targetSrt!), 'utf8'));
    const missed: string[] = [];
    for (const line of clip.lines) {
      const english = cues.filter((c) => c.end > line.start - 0.3 && c.start < line.end + 0.3).map((c) => c.text).join(' ').toLowerCase();
      for (const alternatives of line.keywords) {
        if (!alternatives.some((w) => new RegExp(`\\b${w}`).test(english))) missed.push(`line ${line.index} "${line.en}": none of ${alternatives.join('/')} in "${english}"`);
      }
    }
    const keywords = clip.lines.reduce((n, l) => n + l.keywords.length, 0);
    console.log(`Japanese → English key words kept: ${keywords - missed.length}/${keywords}\n${missed.join('\n')}`);
    expect(missed.length).toBeLessThanOrEqual(Math.floor(keywords * 0.1));
  }, 300_000);

  it('killing the engine host mid-recognition: the activity is retried with a fresh host and the job completes', async () => {
    const clip = await librivoxClip(4);
    const handle = await startJob(jobInput(clip.video, queues, await tempDir('real-kill'), { src: 'en', tgt: 'en', translate: false, tts: { engine: 'espeak-ng' } }), queues);
    await waitFor('the transcribe stage', async () => (await handle.query(progressQuery)).stage === 'transcribe', 120_000);
    await new Promise((r) => setTimeout(r, 1_500)); // inside the request, not before it
    const hosts = (await processesOfQueues('engine_host.py', queues)).filter((p) => !p.cmd.startsWith('ps'));
    expect(hosts.length).toBeGreaterThan(0);
    for (const h of hosts) process.kill(h.pid, 'SIGKILL');
    const result: DubJobResult = await handle.result();
    const transcript = await transcriptOf(result);
    // The retry heard the whole clip, to its end. The bound is the looped clip's own, kill or not: Whisper base,
    // conditioned on the loop before, garbles one repeat of this four-times-read passage (10.6 % on the clip as
    // Debian's ffmpeg 5.1.9 encodes it, with or without the kill); a retry that lost a piece of the audio or
    // repeated one would be far above it.
    const wer = wordErrorRate(clip.reference.join(' '), spokenForm(transcript.lines.map((l) => l.text).join(' ')));
    expect(wer).toBeLessThanOrEqual(0.12);
    expect(transcript.lines.at(-1)!.end).toBeGreaterThan((await probe(clip.video)).durationSec - 5);
  }, 300_000);

  it('cancelling a job during recognition ends it CANCELLED, and the next job on the same worker works', async () => {
    const clip = await librivoxClip(4);
    const handle = await startJob(jobInput(clip.video, queues, await tempDir('real-cancel'), { src: 'en', tgt: 'en', translate: false }), queues);
    await waitFor('the transcribe stage', async () => (await handle.query(progressQuery)).stage === 'transcribe', 120_000);
    await new Promise((r) => setTimeout(r, 1_000));
    await handle.cancel();
    const err = await handle.result().then(() => undefined, (e) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);

    const next = await librivoxClip();
    const result = await (await startJob(jobInput(next.video, queues, await tempDir('real-after-cancel'), { src: 'en', tgt: 'en', translate: false, tts: { engine: 'espeak-ng' } }), queues)).result();
    expect((await transcriptOf(result)).lines.length).toBeGreaterThanOrEqual(4);
  }, 300_000);
});

describe('warm engine hosts, driven directly', () => {
  afterAll(closeEngineHosts);

  it('Piper → Whisper round trip on 10 English sentences: WER ≤ 0.10', async () => {
    const sentences = [
      'The train leaves the station at seven in the morning.',
      'Please close the window before you go to sleep.',
      'My brother bought a new bicycle last week.',
      'We should finish the report before the meeting.',
      'The garden looks beautiful after the rain.',
      'She plays the piano every evening after dinner.',
      'Could you tell me the way to the library?',
      'The children were laughing in the park all afternoon.',
      'I forgot my umbrella at the restaurant.',
      'Our teacher explained the lesson very clearly.',
    ];
    const dir = await tempDir('roundtrip');
    const parts: string[] = [];
    for (const [i, s] of sentences.entries()) {
      const out = path.join(dir, `s${i}.wav`);
      const { durationSec } = await piperSpeak(out, s, { model: JOE });
      expect(durationSec).toBeGreaterThan(1);
      parts.push(out);
    }
    const all = path.join(dir, 'all.16k.wav');
    const inputs = parts.flatMap((p) => ['-i', p]);
    const filter = parts.map((_, i) => `[${i}:a]apad=pad_dur=0.8[a${i}]`).join(';') + ';' + parts.map((_, i) => `[a${i}]`).join('') + `concat=n=${parts.length}:v=0:a=1,aresample=16000[o]`;
    await run(['ffmpeg', '-nostdin', '-v', 'error', '-y', ...inputs, '-filter_complex', filter, '-map', '[o]', '-ac', '1', all]);
    const heard = await transcribeInHost({ audio: all, task: 'transcribe', language: 'en', model: BASE });
    const wer = wordErrorRate(sentences.join(' '), heard.segments.map((s) => s.text).join(' '));
    console.log(`piper → faster-whisper round trip WER: ${(wer * 100).toFixed(1)} %`);
    expect(wer).toBeLessThanOrEqual(0.1);
  }, 180_000);

  it('a cancelled request is abandoned within 2 s, and the pool answers the next one', async () => {
    const clip = await librivoxClip(4);
    const dir = await tempDir('host-cancel');
    await mkdir(dir, { recursive: true });
    const wav = path.join(dir, 'long.16k.wav');
    await run(['ffmpeg', '-nostdin', '-v', 'error', '-y', '-i', clip.video, '-vn', '-ac', '1', '-ar', '16000', wav]);
    const abort = new AbortController();
    const pending = hostPool().request('transcribe', { audio: wav, task: 'transcribe', language: 'en', model: BASE, device: 'cpu' }, { modelKey: `whisper:${BASE}`, what: 'test transcription', signal: abort.signal });
    await new Promise((r) => setTimeout(r, 2_500)); // the model is loaded and decoding by now
    const aborted = Date.now();
    abort.abort();
    const err = await pending.then(() => undefined, (e) => e);
    const tookMs = Date.now() - aborted;
    console.log(`cancelled host request ended ${tookMs} ms after the cancel`);
    expect(err).toBeInstanceOf(CancelledFailure);
    expect(tookMs).toBeLessThanOrEqual(2_000);
    const next = await piperSpeak(path.join(dir, 'next.wav'), 'Still here.', { model: JOE });
    expect(next.durationSec).toBeGreaterThan(0.3);
  }, 180_000);
});
