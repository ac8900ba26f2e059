// The embedded translator with the real Qwen2.5-Coder-1.5B GGUF (installed and hash-verified by setup) through
// node-llama-cpp's prebuilt llama.cpp. Few prompts on purpose: each takes seconds on two cores.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { jobOptionsSchema } from '../../config/schema.js';
import { translateWithChat, type ChatBackend } from '../../engines/llmTranslate.js';
import { checkLocalModel, localChat, localModelFor, modelLoads, preloadLocalModel, unloadLocalModels, type LocalModel } from '../../engines/localLlm.js';
import { checkMtEngine } from '../../engines/mtEngines.js';
import { buildMessages } from '../../lib/llmProtocol.js';

const REAL_MODEL_MS = 900_000;

let tmp: string;
beforeAll(async () => { tmp = await mkdtemp(path.join(os.tmpdir(), 'local-llm-')); });
afterAll(async () => {
  await unloadLocalModels();
  await rm(tmp, { recursive: true, force: true });
});

/** A model record as the worker's settings would give it, for a file made here. */
const modelAt = (file: string): LocalModel => ({ name: 'test', file, path: file, threads: 1, gpu: 'auto', contextSize: 1024 });

async function engineMissing(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect((err as ApplicationFailure).type).toBe('EngineMissing');
  expect((err as ApplicationFailure).nonRetryable).toBe(true);
  return (err as ApplicationFailure).message;
}

describe('a missing or damaged GGUF fails at once with EngineMissing naming the fix', () => {
  it('a configured file that is not there', async () => {
    expect(await engineMissing(checkLocalModel(modelAt(path.join(tmp, 'absent.gguf'))))).toMatch(/has no file at .*absent\.gguf; fix the file the worker's MT_GGUF_MODELS names/);
  });

  it('a file that is not GGUF at all', async () => {
    const file = path.join(tmp, 'text.gguf');
    await writeFile(file, 'not a model');
    expect(await engineMissing(checkLocalModel(modelAt(file)))).toMatch(/is not a GGUF file/);
  });

  it('a GGUF whose body is damaged: llama.cpp refuses it, the prompt fails before any generation', async () => {
    const file = path.join(tmp, 'cut.gguf');
    // The real model's first megabyte: a valid header, then nothing where the tensors should be.
    const real = localModelFor('qwen2.5-coder-1.5b');
    const head = Buffer.alloc(1 << 20);
    const fd = await open(real.path, 'r');
    await fd.read(head, 0, head.length, 0);
    await fd.close();
    await writeFile(file, head);
    const msg = await engineMissing(localChat(modelAt(file), buildMessages([{ i: 0, text: 'こんにちは' }], { src: 'ja', tgt: 'en' }), [{ i: 0, text: 'こんにちは' }], { timeoutMs: 60_000 }));
    expect(msg).toMatch(/"test" could not be loaded from .*cut\.gguf .*damaged/);
  });

  it('the bundled model swapped for another file: refused by its pinned SHA-256, the job check names setup', async () => {
    const models = path.join(tmp, 'models');
    await mkdir(path.join(models, 'qwen2.5-coder-1.5b'), { recursive: true });
    await writeFile(path.join(models, 'qwen2.5-coder-1.5b', 'qwen2.5-coder-1.5b-instruct-q4_k_m.gguf'), 'GGUF and then something else');
    const before = process.env.ENGINE_MODELS_DIR;
    process.env.ENGINE_MODELS_DIR = models;
    try {
      const options = jobOptionsSchema.parse({ video: '/in.mp4', src: 'ja', tgt: 'en', mt: { engine: 'local-llm' } });
      expect(await engineMissing(checkMtEngine(options))).toMatch(/damaged or not the pinned one .*run scripts\/setup-llm\.sh/);
    } finally {
      if (before === undefined) delete process.env.ENGINE_MODELS_DIR;
      else process.env.ENGINE_MODELS_DIR = before;
    }
  });
});

describe('the bundled Qwen GGUF, for real', () => {
  const model = localModelFor('qwen2.5-coder-1.5b');

  it('translates two lines of the transcript with their speaker, loading the model once per worker', async () => {
    await preloadLocalModel(model);
    await preloadLocalModel(model);
    expect(modelLoads()).toBe(1);
    const backend: ChatBackend = {
      label: model.name, batchSize: 6, maxReasks: 0,
      ask: (messages, asked) => localChat(model, messages, asked, { timeoutMs: REAL_MODEL_MS }),
    };
    const out = await translateWithChat(backend, [
      { text: '見て！あそこに小さい猫がいるよ。', speaker: 'Misaki' },
      { text: '早く！もうすぐバスが来るよ。', speaker: 'Kenta' },
    ], { src: 'ja', tgt: 'en' }, []);
    expect(out.failures.size).toBe(0);
    expect(out.targets[0]).toMatch(/cat/i);
    expect(out.targets[1]).toMatch(/bus/i);
    expect(out.targets.join(' ')).not.toMatch(/Kenta|Misaki/);
    expect(modelLoads()).toBe(1);
  }, REAL_MODEL_MS);

  it('a cancelled prompt rejects within 2 s (llama.cpp stops at its next token), and the model stays loaded', async () => {
    const stop = new AbortController();
    let started!: () => void;
    const generating = new Promise<void>((resolve) => { started = resolve; });
    const lines = [{ i: 0, text: '昨日は遅くまで映画を見ていたんだ。' }, { i: 1, text: '行きたい！でも、午後から雨が降るらしいよ。' }];
    const prompt = localChat(model, buildMessages(lines, { src: 'ja', tgt: 'en' }), lines, { timeoutMs: REAL_MODEL_MS, signal: stop.signal, onText: () => started() });
    const settled = prompt.then(() => 'answered', (e: unknown) => e);
    await Promise.race([generating, settled]);
    const t0 = performance.now();
    stop.abort();
    const err = await settled;
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(err).toBeInstanceOf(CancelledFailure);
    expect(modelLoads()).toBe(1);
  }, REAL_MODEL_MS);
});
