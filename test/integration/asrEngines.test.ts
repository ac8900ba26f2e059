// Whisper-family recognition end to end, with stand-ins for whisper, whisper-ctranslate2 and whisper-cli
// (the real ones need model weights we cannot install here): a real dub job on the generated dialogue clip,
// the transcript from the chosen engine, the planted hallucinations dropped; and a missing engine failing fast.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { whisperTranslate } from '../../activities/whisperSteps.js';
import { closeEngineHosts } from '../../engines/engineHost.js';
import { jobOptionsSchema, type JobOptionsInput } from '../../config/schema.js';
import type { DubJobResult, Line, PreparedJob } from '../../lib/job.js';
import { dialogueClip } from '../fixtures/media.js';
import { closeTestClient, jobInput, startJob, tempDir } from '../support/jobs.js';
import { PROJECT_ROOT } from '../support/env.js';
import { queuesFor, startWorker, type Queues, type WorkerProcess } from '../support/workers.js';

const STANDINS = path.join(PROJECT_ROOT, 'test', 'fixtures', 'standins');
const WITH_STANDINS = `${STANDINS}${path.delimiter}${process.env.PATH ?? ''}`;

interface Transcript {
  language: string;
  source: string;
  detectedLanguage?: string;
  dropped: { start: number; end: number; text: string; reason: string }[];
  warnings: string[];
  lines: Line[];
}

describe('Whisper-family ASR engines (stand-in), real dev server and workers', () => {
  const workers: WorkerProcess[] = [];
  let standin: Queues;
  let plain: Queues;
  let model: string;

  beforeAll(async () => {
    await dialogueClip();
    model = path.join(await tempDir('ggml'), 'ggml-small.bin');
    await writeFile(model, 'stand-in weights');
    standin = queuesFor('asr-standin');
    plain = queuesFor('asr-plain');
    workers.push(await startWorker('all', standin, { PATH: WITH_STANDINS }));
    workers.push(await startWorker('all', plain, { PATH: (process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== STANDINS).join(path.delimiter) }));
  }, 180_000);
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await closeTestClient();
    // whisperTranslate, called here in-process, asked the warm host for voice activity: it would keep jest alive.
    await closeEngineHosts();
  });

  async function dub(queues: Queues, asr: JobOptionsInput['asr']): Promise<{ result: DubJobResult; transcript: Transcript }> {
    const input = jobInput((await dialogueClip()).video, queues, await tempDir('asr'), { asr });
    const result: DubJobResult = await (await startJob(input, queues)).result();
    const transcript = JSON.parse(await readFile(path.join(result.outputDir, 'transcript.json'), 'utf8')) as Transcript;
    return { result, transcript };
  }

  const cases: { engine: 'whisper' | 'whisper-ctranslate2' | 'whisper-cpp'; heard: string; reasons: string[] }[] = [
    { engine: 'whisper', heard: 'whisper', reasons: ['no-speech', 'repeat'] },
    // whisper-ctranslate2 runs with --vad_filter True: its VAD never decodes the silence, so no no-speech segment.
    { engine: 'whisper-ctranslate2', heard: 'whisper-ctranslate2', reasons: ['repeat'] },
    // whisper.cpp reports no per-segment no-speech probability: the text over silence goes by the speech regions.
    { engine: 'whisper-cpp', heard: 'whisper.cpp', reasons: ['repeat', 'silence'] },
  ];

  for (const c of cases) {
    it(`dubs with asr.engine ${c.engine}: lines and words from the engine, hallucinations dropped and recorded (stand-in)`, async () => {
      const { result, transcript } = await dub(standin, { engine: c.engine, ...(c.engine === 'whisper-cpp' ? { whisperCppModel: model } : {}) });
      expect(transcript.source).toBe(c.engine);
      expect(transcript.detectedLanguage).toBe('en');
      const clip = await dialogueClip();
      expect(transcript.lines.length).toBeGreaterThanOrEqual(clip.script.length);
      for (const line of transcript.lines) {
        expect(line.text).toMatch(new RegExp(`^${c.heard.replace('.', '\\.')} stand-in heard line \\w+\\.$`));
        expect(line.words?.map((w) => w.text).join(' ')).toBe(line.text);
      }
      expect(transcript.lines.map((l) => l.text)).not.toContain('Thank you for watching.');
      const texts = transcript.lines.map((l) => l.text);
      expect(texts.filter((t, i) => i > 0 && t === texts[i - 1])).toEqual([]);
      expect([...new Set(transcript.dropped.map((d) => d.reason))].sort()).toEqual(c.reasons);
      expect(transcript.dropped.find((d) => d.reason === 'repeat')?.text).toBe(texts[0]);
      expect(transcript.warnings.join('\n')).toMatch(/dropped \d+ of \d+ .* segments as likely hallucinations/);
      expect(result.lines).toBe(transcript.lines.length);
      expect(result.outputs.mp4).toBeDefined();

      const work = path.join(result.outputDir, 'tmp', 'asr');
      const seen = JSON.parse(await readFile(path.join(work, c.engine === 'whisper-cpp' ? 'whisper.argv.json' : 'standin-argv.json'), 'utf8'));
      expect(seen.argv.join(' ')).toMatch(c.engine === 'whisper-cpp' ? /-l en / : /--language en /);
    });
  }

  it('whisperTranslate runs the translate task on the job audio and caches the English lines (stand-in)', async () => {
    const { result } = await dub(standin, { engine: 'whisper', detectLanguage: true });
    const clip = await dialogueClip();
    const prep: PreparedJob = {
      job: result.job,
      options: jobOptionsSchema.parse({ video: clip.video, src: 'en', tgt: 'es', asr: { engine: 'whisper', detectLanguage: true } }),
      media: { path: clip.video, durationSec: clip.durationSec, video: { codec: 'h264', width: 320, height: 240, fps: 25 }, audio: { codec: 'aac', sampleRate: 48000, channels: 2 } },
      ttsEngine: 'espeak-ng',
    };
    const saved = process.env.PATH;
    process.env.PATH = WITH_STANDINS;
    try {
      const lines = await whisperTranslate(prep, 'audio/analysis.16k.wav');
      expect(lines.length).toBeGreaterThanOrEqual(clip.script.length);
      expect(lines.every((l) => /^whisper stand-in translated line \w+\.$/.test(l.text))).toBe(true);
      const cached = JSON.parse(await readFile(path.join(result.outputDir, 'whisper-translation.json'), 'utf8'));
      expect(cached).toMatchObject({ language: 'en', source: 'whisper', task: 'translate' });
      const seen = JSON.parse(await readFile(path.join(result.outputDir, 'tmp', 'whisper-translate', 'standin-argv.json'), 'utf8'));
      expect(seen.argv).toContain('translate');
      expect(seen.argv).not.toContain('--language'); // detectLanguage: Whisper decides
    } finally {
      process.env.PATH = saved;
    }
  });

  async function typedFailure(queues: Queues, asr: JobOptionsInput['asr']): Promise<ApplicationFailure> {
    const input = jobInput((await dialogueClip()).video, queues, await tempDir('asr-missing'), { asr });
    const handle = await startJob(input, queues);
    const err = await handle.result().then(() => undefined, (e) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    const history = await handle.fetchHistory();
    const started = history.events!.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => e.activityTaskScheduledEventAttributes!.activityType?.name);
    expect(started).not.toContain('transcribe'); // failed before any heavy work
    return cause;
  }

  it('a job asking for a Whisper engine that is not installed fails fast, EngineMissing, naming the install', async () => {
    const cause = await typedFailure(plain, { engine: 'whisper' });
    expect(cause.type).toBe('EngineMissing');
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toMatch(/asr engine whisper needs whisper, which is not on PATH; pip install -U openai-whisper/);
    const ct2 = await typedFailure(plain, { engine: 'whisper-ctranslate2' });
    expect(ct2.message).toMatch(/pip install -U whisper-ctranslate2/);
  });

  it('an English-only Whisper model for a Japanese source fails fast, UnsupportedLanguage, naming the multilingual one (stand-in)', async () => {
    const input = jobInput((await dialogueClip()).video, standin, await tempDir('asr-en'), { src: 'ja', tgt: 'en', asr: { engine: 'whisper', model: 'small.en' } });
    const err = await (await startJob(input, standin)).result().then(() => undefined, (e) => e);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('UnsupportedLanguage');
    expect(cause.message).toMatch(/Whisper model small\.en knows English only; use small for "ja"/);
  });

  it('whisper-cpp without its model file fails fast, EngineMissing, saying how to get one (stand-in)', async () => {
    const none = await typedFailure(standin, { engine: 'whisper-cpp' });
    expect(none.type).toBe('EngineMissing');
    expect(none.message).toMatch(/needs a ggml model file: download one with whisper\.cpp's models\/download-ggml-model\.sh base/);
    const gone = await typedFailure(standin, { engine: 'whisper-cpp', whisperCppModel: '/nonexistent/ggml-small.bin' });
    expect(gone.message).toMatch(/whisper\.cpp model \/nonexistent\/ggml-small\.bin is not there/);
  });
});
