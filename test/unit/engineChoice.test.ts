// Which engines a job runs with when it names none, and how a missing or damaged model, or an engine Python that
// is not there, fails: at once, typed EngineMissing, naming the fix. Real checks against this machine's install
// (scripts/setup.sh), with the worker settings (ENGINE_MODELS_DIR, ENGINE_PYTHON) pointed elsewhere where needed.
import { afterEach, describe, expect, it } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { mkdir, open, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { checkJobEngines } from '../../engines/engineChecks.js';
import { jobOptionsSchema, type JobOptionsInput } from '../../config/schema.js';
import { DEFAULT_MODELS_DIR } from '../../engines/bundledModels.js';
import { resolveWhisperModel } from '../../engines/fasterWhisper.js';
import { tempDir } from '../support/jobs.js';

const options = (extra: Partial<JobOptionsInput> = {}) => jobOptionsSchema.parse({ video: 'x.mp4', mix: { separation: 'off' }, ...extra });
const failureOf = (p: Promise<unknown>) => p.then(() => undefined, (e: ApplicationFailure) => ({ type: e.type, message: e.message }));

describe('engine choice with no engine flags (this machine, as scripts/setup.sh installed it)', () => {
  it('Japanese → English: faster-whisper hears it, Whisper translates it, piper speaks English', async () => {
    expect(await checkJobEngines(options({ src: 'ja', tgt: 'en' }))).toMatchObject({ asrEngine: 'faster-whisper', mtEngine: 'whisper', ttsEngine: 'piper' });
  });

  it('English → Spanish (French, Portuguese, Italian): faster-whisper hears it, apertium translates, Kokoro speaks; German keeps espeak-ng', async () => {
    expect(await checkJobEngines(options({ src: 'en', tgt: 'es' }))).toMatchObject({ asrEngine: 'faster-whisper', mtEngine: 'apertium', ttsEngine: 'kokoro' });
    for (const tgt of ['fr', 'pt', 'it']) expect(await checkJobEngines(options({ src: tgt, tgt, translate: false }))).toMatchObject({ ttsEngine: 'kokoro' });
    expect(await checkJobEngines(options({ src: 'de', tgt: 'de', translate: false }))).toMatchObject({ ttsEngine: 'espeak-ng' });
  });

  it('given subtitles, the text translators translate them (Whisper translates only what it hears)', async () => {
    const subs = path.join(await tempDir('choice'), 'x.srt');
    await writeFile(subs, '1\n00:00:01,000 --> 00:00:02,000\nHola\n');
    expect(await checkJobEngines(options({ src: 'es', tgt: 'en', subs }))).toMatchObject({ mtEngine: 'apertium', ttsEngine: 'piper' });
  });

  it('an engine the job names is kept: pocketsphinx, festival', async () => {
    expect(await checkJobEngines(options({ src: 'en', tgt: 'en', translate: false, asr: { engine: 'pocketsphinx' }, tts: { engine: 'festival' } })))
      .toMatchObject({ asrEngine: 'pocketsphinx', ttsEngine: 'festival' });
  });
});

describe('a missing or damaged model, or no engine Python: EngineMissing at once, naming the fix', () => {
  const saved = { models: process.env.ENGINE_MODELS_DIR, python: process.env.ENGINE_PYTHON };
  afterEach(() => {
    for (const [k, v] of [['ENGINE_MODELS_DIR', saved.models], ['ENGINE_PYTHON', saved.python]] as const) {
      if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
  });

  /** A models folder like setup's, with whisper-base/model.bin cut to its first megabyte. */
  async function truncatedModels(): Promise<string> {
    const dir = await tempDir('models');
    await mkdir(path.join(dir, 'whisper-base'), { recursive: true });
    const real = await open(path.join(DEFAULT_MODELS_DIR, 'whisper-base', 'model.bin'), 'r');
    const head = Buffer.alloc(1 << 20);
    await real.read(head, 0, head.length, 0);
    await real.close();
    await writeFile(path.join(dir, 'whisper-base', 'model.bin'), head);
    for (const f of ['config.json', 'tokenizer.json', 'vocabulary.txt']) await symlink(path.join(DEFAULT_MODELS_DIR, 'whisper-base', f), path.join(dir, 'whisper-base', f));
    await symlink(path.join(DEFAULT_MODELS_DIR, 'piper'), path.join(dir, 'piper'));
    return dir;
  }

  it('a truncated Whisper model is refused by its SHA-256, whether the job names the engine or not', async () => {
    process.env.ENGINE_MODELS_DIR = await truncatedModels();
    for (const asr of [{ engine: 'faster-whisper' as const }, {}]) {
      expect(await failureOf(checkJobEngines(options({ src: 'ja', tgt: 'en', asr })))).toMatchObject({
        type: 'EngineMissing', message: expect.stringMatching(/Whisper model base: the model file .*whisper-base\/model\.bin is damaged or not the pinned one \(SHA-256 .*; run scripts\/setup\.sh/),
      });
    }
  });

  it('no Whisper model at all: a job that names faster-whisper fails; with auto, English falls back to pocketsphinx and Japanese says what is missing', async () => {
    process.env.ENGINE_MODELS_DIR = await tempDir('no-models');
    expect(await failureOf(checkJobEngines(options({ asr: { engine: 'faster-whisper' } })))).toMatchObject({ type: 'EngineMissing', message: expect.stringMatching(/model\.bin is missing; run scripts\/setup\.sh/) });
    expect(await checkJobEngines(options({ src: 'en', tgt: 'es' }))).toMatchObject({ asrEngine: 'pocketsphinx' });
    expect(await failureOf(checkJobEngines(options({ src: 'ja', tgt: 'en' })))).toMatchObject({ type: 'UnsupportedLanguage', message: expect.stringMatching(/Whisper hears ~100 languages but is not installed here/) });
  });

  /** A models folder like setup's, with Kokoro's model cut to its first megabyte. */
  async function truncatedKokoro(): Promise<string> {
    const dir = await tempDir('models-kokoro');
    for (const d of ['whisper-base', 'whisper-tiny.en', 'piper']) await symlink(path.join(DEFAULT_MODELS_DIR, d), path.join(dir, d));
    await mkdir(path.join(dir, 'kokoro'));
    const real = await open(path.join(DEFAULT_MODELS_DIR, 'kokoro', 'kokoro-v1.0.int8.onnx'), 'r');
    const head = Buffer.alloc(1 << 20);
    await real.read(head, 0, head.length, 0);
    await real.close();
    await writeFile(path.join(dir, 'kokoro', 'kokoro-v1.0.int8.onnx'), head);
    for (const f of ['voices_ja.npz', 'vocab.json']) await symlink(path.join(DEFAULT_MODELS_DIR, 'kokoro', f), path.join(dir, 'kokoro', f));
    return dir;
  }

  it('a truncated Kokoro model fails a Spanish job and a named --tts kokoro at once (EngineMissing naming setup); so does auto English, whose cast mixes Kokoro in', async () => {
    process.env.ENGINE_MODELS_DIR = await truncatedKokoro();
    const damaged = { type: 'EngineMissing', message: expect.stringMatching(/Kokoro: the model file .*kokoro-v1\.0\.int8\.onnx is damaged or not the pinned one .*scripts\/setup\.sh/) };
    expect(await failureOf(checkJobEngines(options({ src: 'es', tgt: 'es', translate: false })))).toMatchObject(damaged);
    expect(await failureOf(checkJobEngines(options({ src: 'en', tgt: 'en', translate: false, tts: { engine: 'kokoro' } })))).toMatchObject(damaged);
    expect(await failureOf(checkJobEngines(options({ src: 'en', tgt: 'en', translate: false })))).toMatchObject(damaged);
  });

  it('a Kokoro voice that is not one of its voices or a well-formed blend is refused before any synthesis', async () => {
    for (const voice of ['jf_alpha+jm_kumo@1.5', 'af_heart', 'jf_alpha+jf_alpha@0.5', 'jf_alpha+jm_kumo@0']) {
      expect(await failureOf(checkJobEngines(options({ src: 'es', tgt: 'es', translate: false, tts: { engine: 'kokoro', speakerVoices: { A: voice } } })))).toMatchObject({ type: expect.stringMatching(/InvalidConfig/) });
    }
    expect(await checkJobEngines(options({ src: 'es', tgt: 'es', translate: false, tts: { engine: 'kokoro', speakerVoices: { A: 'jm_kumo+jf_alpha@0.25' } } }))).toMatchObject({ ttsEngine: 'kokoro' });
  });

  it('an engine Python that is not there: faster-whisper and piper fail fast; auto keeps the Debian engines', async () => {
    process.env.ENGINE_PYTHON = '/nonexistent/python';
    expect(await failureOf(checkJobEngines(options({ asr: { engine: 'faster-whisper' } })))).toMatchObject({ type: 'EngineMissing', message: expect.stringMatching(/engine Python \/nonexistent\/python is not there.*scripts\/setup\.sh/) });
    expect(await failureOf(checkJobEngines(options({ translate: false, tts: { engine: 'piper' }, asr: { engine: 'pocketsphinx' } })))).toMatchObject({ type: 'EngineMissing', message: expect.stringMatching(/piper runs in the engine host, which cannot start/) });
    expect(await checkJobEngines(options({ src: 'en', tgt: 'en', translate: false }))).toMatchObject({ asrEngine: 'pocketsphinx', ttsEngine: 'festival' });
  });

  it("a model folder comes only from the worker's models folder: by name or path there; anywhere else is refused before any load", async () => {
    const models = await tempDir('own-models');
    process.env.ENGINE_MODELS_DIR = models;
    await symlink(path.join(DEFAULT_MODELS_DIR, 'whisper-base'), path.join(models, 'my-whisper'));
    await expect(resolveWhisperModel('my-whisper')).resolves.toMatchObject({ model: path.join(models, 'my-whisper') });
    await expect(resolveWhisperModel(path.join(models, 'my-whisper'))).resolves.toMatchObject({ model: path.join(models, 'my-whisper') });
    for (const outside of [path.join(DEFAULT_MODELS_DIR, 'whisper-base'), '/etc', `${models}-evil/x`]) {
      expect(await failureOf(resolveWhisperModel(outside))).toMatchObject({ type: 'InvalidConfig', message: expect.stringMatching(/must be inside the worker's models folder/) });
    }
    expect(await failureOf(checkJobEngines(options({ asr: { engine: 'whisper', model: '/etc/passwd' } })))).toMatchObject({ type: 'InvalidConfig', message: expect.stringMatching(/a model folder is for --asr faster-whisper/) });
  });
});
