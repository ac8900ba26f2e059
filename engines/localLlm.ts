// A GGUF chat model run inside the worker process (node-llama-cpp's prebuilt llama.cpp: CUDA or Vulkan where a
// GPU answers, else the CPU). The model is loaded once per worker and kept warm; prompts take turns on its one
// sequence, so a second job waits instead of doubling the CPU load. Replies are constrained by a JSON grammar to
// exactly the asked line numbers, so they never need repair; the batching and re-asks are llmTranslate.ts's.
import { open, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CancelledFailure } from '@temporalio/common';
import { loadSettings } from '../config/load.js';
import type { GgufModel } from '../config/schema.js';
import { ErrorType, failure } from '../lib/errors.js';
import { ReplyNotJson, type ChatMessage, type LineToTranslate } from '../lib/llmProtocol.js';
import { activityContext, startHeartbeat } from './activityContext.js';
import { bundledRel, LLM_SETUP_FIX, modelsDir, verifyBundled } from './bundledModels.js';
import { llamaCpp, LLAMA_SETUP_FIX, type Llama, type LlamaContext, type LlamaModel } from './llamaCpp.js';

const GGUF_MAGIC = 'GGUF';

/** A model the worker's settings name, with its file resolved (relative files are under the models folder). */
export interface LocalModel extends GgufModel {
  name: string;
  path: string;
  threads: number;
}

/**
 * The model a job named, from the worker's settings only: job input picks a name, never a file. Unknown names
 * are bad input (InvalidConfig) naming the configured ones.
 */
export function localModelFor(name: string, models: Readonly<Record<string, GgufModel>> = loadSettings().ggufModels): LocalModel {
  const chosen = Object.hasOwn(models, name) ? models[name] : undefined;
  if (!chosen) {
    throw failure(ErrorType.InvalidConfig, `mt.local.model "${name}" is not one of this worker's GGUF models (${Object.keys(models).join(', ')}); add it to the worker's MT_GGUF_MODELS`);
  }
  const file = path.isAbsolute(chosen.file) ? chosen.file : path.join(modelsDir(), chosen.file);
  return { ...chosen, name, path: file, threads: chosen.threads ?? defaultThreads() };
}

/**
 * Every core but one: the worker's other activities (ffmpeg, the engine host) keep a core, and llama.cpp's threads
 * wait on each other at every step, so threads competing with busy cores crawl. Measured on 2 shared cores at
 * load 20-30: 2 threads gave no answer to a six-line prompt in 30 min, 1 thread answered in 95 s.
 */
export const defaultThreads = () => Math.max(1, os.availableParallelism() - 1);

const missing = (m: LocalModel, why: string) => failure(ErrorType.EngineMissing, `--mt local-llm: the GGUF model "${m.name}" ${why}`);

/**
 * Is the model's file there and whole? The bundled one is checked against its pinned SHA-256 (once per worker);
 * a model the operator configured must at least be a GGUF file. Throws EngineMissing naming the fix.
 */
export async function checkLocalModel(m: LocalModel): Promise<void> {
  const rel = bundledRel(m.path);
  const fix = rel ? LLM_SETUP_FIX : 'fix the file the worker\'s MT_GGUF_MODELS names';
  const st = await stat(m.path).catch(() => undefined);
  if (!st?.isFile()) throw missing(m, `has no file at ${m.path}; ${fix}`);
  const head = Buffer.alloc(4);
  const fd = await open(m.path, 'r');
  try {
    await fd.read(head, 0, 4, 0);
  } finally {
    await fd.close();
  }
  if (head.toString('latin1') !== GGUF_MAGIC) throw missing(m, `file ${m.path} is not a GGUF file; ${fix}`);
  if (rel && pinned(rel)) await verifyBundled(rel, LLM_SETUP_FIX).catch((e: Error) => { throw missing(m, `failed its check: ${e.message}`); });
}

/** Only the files engines/models.sha256 pins are verified by hash (a configured model has no pinned hash). */
function pinned(rel: string): boolean {
  return rel.endsWith('.gguf') && rel.startsWith('qwen2.5-coder-1.5b/');
}

interface Warm {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  /** The prompt running now; the next waits for it (one sequence, one generation at a time). */
  turn: Promise<void>;
}

const llamas = new Map<string, Promise<Llama>>();
const warm = new Map<string, Promise<Warm>>();
let loads = 0;

/** How many times this process has loaded a model (the warm cache makes it one per model). */
export const modelLoads = () => loads;

async function llamaFor(gpu: GgufModel['gpu']): Promise<Llama> {
  let got = llamas.get(gpu);
  if (!got) {
    got = (async () => {
      const { getLlama, LlamaLogLevel } = await llamaCpp();
      // Prebuilt binaries only: a worker never downloads or compiles llama.cpp while a job waits.
      return getLlama({
        gpu: gpu === 'cpu' ? false : 'auto', build: 'never', usePrebuiltBinaries: true, skipDownload: true,
        progressLogs: false, logLevel: LlamaLogLevel.error,
      });
    })();
    llamas.set(gpu, got);
    got.catch(() => llamas.delete(gpu));
  }
  return got;
}

function warmModel(m: LocalModel): Promise<Warm> {
  const key = `${m.path}|${m.threads}|${m.contextSize}|${m.gpu}`;
  let got = warm.get(key);
  if (!got) {
    got = (async () => {
      await checkLocalModel(m);
      let llama: Llama;
      try {
        llama = await llamaFor(m.gpu);
      } catch (e) {
        if ((e as { type?: string }).type === ErrorType.EngineMissing) throw e;
        throw failure(ErrorType.EngineMissing, `--mt local-llm: node-llama-cpp found no usable prebuilt llama.cpp binary (${(e as Error).message}); ${LLAMA_SETUP_FIX}`);
      }
      let model: LlamaModel;
      try {
        model = await llama.loadModel({ modelPath: m.path });
      } catch (e) {
        throw missing(m, `could not be loaded from ${m.path} (${(e as Error).message}); the file is damaged or not a llama.cpp model`);
      }
      loads++;
      const context = await model.createContext({ contextSize: m.contextSize, threads: m.threads, sequences: 1 });
      return { llama, model, context, turn: Promise.resolve() };
    })();
    warm.set(key, got);
    got.catch(() => warm.delete(key));
  }
  return got;
}

/** Loads the model now (a worker may warm it up at start; tests and the benchmark time the load apart). */
export async function preloadLocalModel(m: LocalModel): Promise<void> {
  await warmModel(m);
}

/** Frees every loaded model (tests, and a worker shutting down). */
export async function unloadLocalModels(): Promise<void> {
  const all = [...warm.values()];
  warm.clear();
  for (const w of await Promise.allSettled(all)) if (w.status === 'fulfilled') await w.value.context.dispose().then(() => w.value.model.dispose());
}

/** {"lines":[{"i":<asked[0]>,"t":"…"}, …]}: exactly the asked numbers, in order, each with a string. */
export function replySchema(asked: readonly LineToTranslate[]) {
  return {
    type: 'object',
    properties: {
      lines: {
        type: 'array',
        prefixItems: asked.map((l) => ({ type: 'object', properties: { i: { const: l.i }, t: { type: 'string' } } })),
        minItems: asked.length,
        maxItems: asked.length,
      },
    },
  } as const;
}

export interface LocalChatOptions {
  timeoutMs: number;
  /** Stops generation (with the activity's cancellation, when there is one). */
  signal?: AbortSignal;
  maxTokens?: number;
  /** Each piece of the reply as it is generated (tests wait for generation to start). */
  onText?: (chunk: string) => void;
}

/**
 * One chat turn on the warm model, its reply constrained to the line JSON for `asked`. Heartbeats while it waits
 * for its turn and while it generates; the activity's cancellation (or `signal`) stops generation at once.
 */
export async function localChat(m: LocalModel, messages: readonly ChatMessage[], asked: readonly LineToTranslate[], opts: LocalChatOptions): Promise<{ value: unknown; text: string }> {
  const ctx = activityContext();
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = AbortSignal.any([timeout, ...(ctx ? [ctx.cancellationSignal] : []), ...(opts.signal ? [opts.signal] : [])]);
  const stopBeat = startHeartbeat(ctx);
  const stopped = () => {
    if (ctx?.cancellationSignal.aborted || opts.signal?.aborted) return new CancelledFailure('the local LLM was stopped: the activity was cancelled');
    return failure(ErrorType.EngineFailed, `the GGUF model "${m.name}" gave no answer within ${Math.round(opts.timeoutMs / 1000)} s (mt.local.timeoutSec)`);
  };
  try {
    const w = await warmModel(m);
    const { LlamaChatSession } = await llamaCpp();
    const previous = w.turn;
    let done!: () => void;
    const mine = new Promise<void>((resolve) => { done = resolve; });
    // The next prompt waits for this one and for every one before it (also when this one gave up waiting).
    w.turn = previous.then(() => mine);
    const aborted = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(stopped());
      signal.addEventListener('abort', () => reject(stopped()), { once: true });
    });
    aborted.catch(() => {});
    let release = done;
    try {
      await Promise.race([previous, aborted]);
      const sequence = w.context.getSequence();
      const system = messages.find((x) => x.role === 'system')?.content;
      const user = messages.filter((x) => x.role === 'user').map((x) => x.content).join('\n\n');
      const session = new LlamaChatSession({ contextSequence: sequence, systemPrompt: system, autoDisposeSequence: true });
      const generation = w.llama.createGrammarForJsonSchema(replySchema(asked)).then((grammar) => session.prompt(user, {
        grammar, signal, stopOnAbortSignal: false, temperature: 0.2, onTextChunk: opts.onText,
        maxTokens: opts.maxTokens ?? 120 + 90 * asked.length,
      }));
      // The session and the turn are given up only once llama.cpp has returned (at the next token after an
      // abort); the caller hears of a cancellation at once, without waiting for the token being computed.
      release = () => {};
      void generation.catch(() => {}).finally(() => {
        session.dispose();
        done();
      });
      try {
        const text = await Promise.race([generation, aborted]);
        return { value: JSON.parse(text) as unknown, text };
      } catch (e) {
        if (signal.aborted) throw stopped();
        // Out of tokens mid-reply: one failed attempt for these lines (asked again, then the fallback engine).
        throw e instanceof SyntaxError ? new ReplyNotJson(`the GGUF model "${m.name}" stopped before its JSON reply was complete`) : e;
      }
    } finally {
      release();
    }
  } finally {
    stopBeat();
  }
}
