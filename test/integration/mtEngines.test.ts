// Machine translation engines end to end on a real dev server and worker: argos-translate (stand-in script on
// the worker's PATH) and an OpenAI-compatible LLM (stand-in HTTP server in this process, reached by the worker
// over 127.0.0.1 through the endpoint its settings name "standin"), with a glossary checked in translated.json and the target SRT.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { JobOptionsInput } from '../../config/schema.js';
import type { DubJobResult, TranslatedLine } from '../../lib/job.js';
import { LlmStandin } from '../fixtures/llmStandin.js';
import { shortClip, writeSrt } from '../fixtures/media.js';
import { PROJECT_ROOT } from '../support/env.js';
import { jobInput, startJob, tempDir } from '../support/jobs.js';
import { withWorker } from '../support/workers.js';
import { typedCause } from '../support/failures.js';

const STANDINS = path.join(PROJECT_ROOT, 'test', 'fixtures', 'standins');


interface Translated {
  method: string;
  glossary?: string;
  failedLines?: number[];
  lines: TranslatedLine[];
}

describe('machine translation engines (stand-ins), real dev server and worker', () => {
  const llm = new LlmStandin();
  const queues = withWorker('mt', {
    prepare: async () => { await shortClip(); await llm.start(); },
    // The endpoint and its key variable are the worker's settings; jobs below only name "standin".
    env: () => ({
      PATH: `${STANDINS}${path.delimiter}${process.env.PATH ?? ''}`, MT_STANDIN_KEY: 'sk-standin-123',
      MT_LLM_ENDPOINTS: JSON.stringify({ standin: { baseUrl: llm.baseUrl, apiKeyEnv: 'MT_STANDIN_KEY' } }),
    }),
  });
  let subs: string;
  let glossary: string;

  beforeAll(async () => {
    const clip = await shortClip();
    const dir = await tempDir('mt-in');
    subs = await writeSrt(path.join(dir, 'lines.srt'), clip.script.map((l, i) => ({ ...l, text: ['Good morning, Konoha.', 'Thank you very much, my friend.'][i] })));
    glossary = path.join(dir, 'glossary.tsv');
    await writeFile(glossary, '# names stay as the studio wants them\nKonoha\tHoja\nmy friend\tcompañero\n');
  }, 180_000);
  afterAll(() => llm.stop());

  async function dub(mt: JobOptionsInput['mt']): Promise<{ result: DubJobResult; translated: Translated; srt: string }> {
    const input = jobInput((await shortClip()).video, queues, await tempDir('mt'), { subs, mt });
    const result: DubJobResult = await (await startJob(input, queues)).result();
    const translated = JSON.parse(await readFile(path.join(result.outputDir, 'translated.json'), 'utf8')) as Translated;
    const srt = await readFile(path.join(result.outputDir, result.outputs.targetSrt), 'utf8');
    return { result, translated, srt };
  }

  it('dubs with mt.engine argos: its translation, glossary terms kept through placeholders (stand-in)', async () => {
    const { translated, srt } = await dub({ engine: 'argos', glossary });
    expect(translated.method).toBe('argos:en-es');
    expect(translated.lines.map((l) => l.target)).toEqual(['Buenos días, Hoja.', 'Gracias muy mucho, compañero.']);
    expect(translated.lines[0].glossary).toEqual({ applied: ['Konoha'], enforced: ['Konoha'], missed: [] });
    expect(translated.lines[1].glossary).toEqual({ applied: ['my friend'], enforced: ['my friend'], missed: [] });
    expect(srt).toContain('Buenos días, Hoja.');
    expect(srt).toContain('compañero');
  }, 240_000);

  it('dubs with mt.engine llm: a messy reply (prose, code fence, trailing comma, a line missing) is repaired and only the missing line asked again (stand-in)', async () => {
    llm.plan('messy', 'ok');
    // Without the length budget's re-asks: this test counts the repair's own.
    const { translated, srt } = await dub({ engine: 'llm', glossary, lengthBudget: false, llm: { endpoint: 'standin', model: llm.model } });
    expect(translated.method).toBe('llm:standin-model');
    expect(llm.translations.map((r) => r.asked)).toEqual([[0, 1], [1]]);
    expect(llm.translations[1].user).toMatch(/line 1: no entry for it/);
    expect(llm.requests[0].system).toMatch(/Konoha => Hoja/);
    // The key comes from the worker's environment, named by the worker's endpoint; it is never in the job input.
    expect(llm.requests[0].authorization).toBe('Bearer sk-standin-123');
    expect(translated.lines.map((l) => l.target)).toEqual(['Buenos días, Hoja.', 'Gracias muy mucho, compañero.']);
    expect(translated.lines.every((l) => !l.mtFailed)).toBe(true);
    expect(translated.lines.map((l) => l.glossary?.enforced)).toEqual([['Konoha'], ['my friend']]);
    expect(srt).toContain('Buenos días, Hoja.');
  }, 240_000);

  it('asks again for a line that leaves out a glossary term; keeps it with the miss reported when the model never uses the term (stand-in)', async () => {
    llm.plan('no-glossary', 'no-glossary', 'no-glossary');
    const { translated } = await dub({ engine: 'llm', glossary, llm: { endpoint: 'standin', model: llm.model, maxReasks: 2 } });
    expect(llm.translations.map((r) => r.asked)).toEqual([[0, 1], [0, 1], [0, 1]]);
    expect(llm.translations[1].user).toMatch(/line 0: it must use "Hoja" for "Konoha"/);
    expect(translated.failedLines).toBeUndefined();
    expect(translated.lines[0].target).toBe('Buenos días, Konoha.');
    expect(translated.lines[0].glossary).toEqual({
      applied: ['Konoha'], enforced: [], missed: [{ term: 'Konoha', reason: 'the model left it out, also when asked again (mt.llm.maxReasks 2)' }],
    });
  }, 240_000);

  it('a line the model never answers usably falls back to apertium and is marked failed (stand-in)', async () => {
    llm.plan('garbage', 'garbage', 'garbage');
    const { translated, srt } = await dub({ engine: 'llm', glossary, llm: { endpoint: 'standin', model: llm.model, maxReasks: 2 } });
    expect(llm.translations.map((r) => r.asked)).toEqual([[0, 1], [0, 1], [0, 1]]);
    expect(translated.failedLines).toEqual([0, 1]);
    for (const line of translated.lines) {
      expect(line.mtFailed).toMatch(/standin-model: the reply was not JSON \(after 2 re-asks\)/);
      expect(line.mtEngine).toBe('apertium:eng-spa');
      expect(line.target).not.toBe('');
    }
    // apertium kept the glossary placeholder, so the term holds even on the fallback.
    expect(translated.lines[0].glossary).toEqual({ applied: ['Konoha'], enforced: ['Konoha'], missed: [] });
    expect(srt).toContain('Hoja');
  }, 240_000);

  it('fails the job naming the lines when the LLM never answers them and apertium has no pair to fall back on (stand-in)', async () => {
    llm.plan('garbage', 'garbage');
    // Japanese lines: English ones under --src ja would be read as already in the target language (no translation).
    const clip = await shortClip();
    const jaSubs = await writeSrt(path.join(await tempDir('mt-ja'), 'ja.srt'), clip.script.map((l, i) => ({ ...l, text: ['おはよう、コノハ。', 'ありがとう。'][i] })));
    const input = jobInput(clip.video, queues, await tempDir('mt'), {
      subs: jaSubs, src: 'ja', tgt: 'en', mt: { engine: 'llm', llm: { endpoint: 'standin', model: llm.model, maxReasks: 1 } },
    });
    const err = await (await startJob(input, queues)).result().then(() => undefined, (e: unknown) => e);
    const cause = typedCause(err);
    expect(cause.type).toBe('EngineFailed');
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toMatch(/llm:standin-model gave no usable translation for 2 lines and apertium has no jpn-eng pair to fall back on: line 0 \(.*\); line 1/);
  }, 240_000);

  it('gives the LLM the episode\'s names with one spelling (honorific kept) and keeps them for the series in names.tsv (stand-in)', async () => {
    const clip = await shortClip();
    const dir = await tempDir('mt-names');
    const jaSubs = await writeSrt(path.join(dir, 'names.srt'), clip.script.map((l, i) => ({ ...l, text: ['ユイ！', 'ソウタ君！'][i] })));
    const input = jobInput(clip.video, queues, dir, {
      subs: jaSubs, src: 'ja', tgt: 'en', series: { name: 'show' }, mt: { engine: 'llm', llm: { endpoint: 'standin', model: llm.model, maxReasks: 1 } },
    });
    const seen = llm.translations.length;
    const result: DubJobResult = await (await startJob(input, queues)).result();
    const translated = JSON.parse(await readFile(path.join(result.outputDir, 'translated.json'), 'utf8')) as Translated;
    // The stand-in translates with the glossary of its system prompt: the names reached it there, spelled once.
    expect(translated.lines.map((l) => l.target)).toEqual(['Yui！', 'Sota-kun！']);
    expect(translated.lines[1].glossary).toMatchObject({ applied: ['ソウタ君'], enforced: ['ソウタ君'], missed: [] });
    expect(llm.translations[seen].system).toMatch(/^ {2}ソウタ君 => Sota-kun$/m);
    // Bare names only: the honorific is the job's policy, not the series'.
    const names = await readFile(path.join(dir, 'series', 'show', 'names.tsv'), 'utf8');
    expect(names.split('\n').filter((l) => l && !l.startsWith('#')).sort()).toEqual(['ソウタ\tSota', 'ユイ\tYui']);
  }, 240_000);

  it("dubs with mt.engine whisper: Whisper's translate task from the audio, its segments placed on the source lines they overlap (stand-in)", async () => {
    const clip = await shortClip();
    const dir = await tempDir('mt-ja');
    const jaSubs = await writeSrt(path.join(dir, 'ja.srt'), clip.script.map((l, i) => ({ ...l, text: ['おはよう、コノハ。', 'ありがとう。'][i] })));
    const jaGlossary = path.join(dir, 'glossary.tsv');
    await writeFile(jaGlossary, 'コノハ\tKonoha\n');
    const input = jobInput(clip.video, queues, await tempDir('mt'), { subs: jaSubs, src: 'ja', tgt: 'en', asr: { engine: 'whisper' }, mt: { engine: 'whisper', glossary: jaGlossary } });
    const result: DubJobResult = await (await startJob(input, queues)).result();
    const translated = JSON.parse(await readFile(path.join(result.outputDir, 'translated.json'), 'utf8')) as Translated;
    expect(translated.method).toBe('whisper-translate');
    expect(translated.lines.map((l) => l.text)).toEqual(['おはよう、コノハ。', 'ありがとう。']);
    for (const line of translated.lines) expect(line.target).toMatch(/^whisper stand-in translated line \w+\.( whisper stand-in translated line \w+\.)*$/);
    expect(translated.lines[0].glossary?.missed).toEqual([{ term: 'コノハ', reason: expect.stringMatching(/Whisper translates from the audio/) }]);
    const srt = await readFile(path.join(result.outputDir, result.outputs.targetSrt), 'utf8');
    expect(srt).toContain('whisper stand-in translated line');
  }, 240_000);

  it('refuses mt.engine llm up front when the server does not serve the model (stand-in)', async () => {
    const input = jobInput((await shortClip()).video, queues, await tempDir('mt'), { subs, mt: { engine: 'llm', llm: { endpoint: 'standin', model: 'no-such-model' } } });
    const err = await (await startJob(input, queues)).result().then(() => undefined, (e: unknown) => e);
    const cause = typedCause(err);
    expect(cause.type).toBe('EngineMissing');
    expect(cause.message).toMatch(/does not serve model "no-such-model" \(served: standin-model\)/);
  }, 120_000);
});
