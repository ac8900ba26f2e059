// Translation by a chat model behind an OpenAI-compatible API (Ollama, llama.cpp server, vLLM, hosted APIs):
// an HTTP call from inside the activity (no subprocess), with a timeout, heartbeats and cancellation.
// Lines go in numbered batches; lines a reply lacks or gets wrong are asked again, alone, up to maxReasks times.
import { appendNoFollow } from './noFollow.js';
import { CancelledFailure } from '@temporalio/common';
import { loadSettings } from '../config/load.js';
import type { JobOptions, LlmEndpoint } from '../config/schema.js';
import { ErrorType, failure } from '../lib/errors.js';
import { activityContext, startHeartbeat } from './activityContext.js';
import { glossaryFor, type GlossaryEntry } from '../lib/glossary.js';
import {
  batches, buildMessages, completionText, contentProblem, extractJson, lengthProblem, parseReply, reaskNote, ReplyNotJson,
  type ChatMessage, type HonorificPolicy, type LineToTranslate,
} from '../lib/llmProtocol.js';

/** The job's choice (endpoint name, model, batching) joined with the worker's endpoint (URL, key variable). */
export type LlmSettings = Omit<JobOptions['mt']['llm'], 'baseUrl' | 'apiKeyEnv'> & LlmEndpoint;


/**
 * The endpoint a job named, from the worker's settings only: job input picks a name, so no credential can go to
 * a URL the job chose. Unknown names are bad input (InvalidConfig) naming the configured ones.
 */
export function llmSettingsFor(llm: JobOptions['mt']['llm'], endpoints: Readonly<Record<string, LlmEndpoint>> = loadSettings().llmEndpoints): LlmSettings {
  const chosen = Object.hasOwn(endpoints, llm.endpoint) ? endpoints[llm.endpoint] : undefined;
  if (!chosen) {
    throw failure(ErrorType.InvalidConfig, `mt.llm.endpoint "${llm.endpoint}" is not one of this worker's LLM endpoints (${Object.keys(endpoints).join(', ')}); add it to the worker's MT_LLM_ENDPOINTS`);
  }
  const { baseUrl: _u, apiKeyEnv: _k, ...choice } = llm;
  return { ...choice, baseUrl: chosen.baseUrl, apiKeyEnv: chosen.apiKeyEnv };
}

/** How failures name the server: by the worker's endpoint name and URL (both worker settings; user:password hidden). */
const named = (settings: LlmSettings) => `LLM endpoint "${settings.endpoint}" (${settings.baseUrl.replace(/\/\/[^/@]*@/, '//')})`;

const endpoint = (settings: LlmSettings, route: string) => `${settings.baseUrl.replace(/\/+$/, '')}/${route}`;

function authHeaders(settings: LlmSettings): Record<string, string> {
  if (!settings.apiKeyEnv) return {};
  const key = process.env[settings.apiKeyEnv];
  if (!key) throw failure(ErrorType.InvalidConfig, `${named(settings)} takes its key from ${settings.apiKeyEnv}, which is not set in the worker's environment`);
  return { authorization: `Bearer ${key}` };
}

// Never the response body: a server may echo what it was sent or hold data the job's owner should not read.
function statusFailure(settings: LlmSettings, status: number) {
  if (status === 401 || status === 403) {
    return failure(ErrorType.InvalidConfig, `${named(settings)} refused the request (HTTP ${status}); check the key variable the worker's endpoint names`);
  }
  if (status === 404) {
    return failure(ErrorType.EngineMissing, `${named(settings)} has no chat-completions endpoint or no model "${settings.model}" (HTTP 404; for Ollama: ollama pull ${settings.model})`);
  }
  return failure(ErrorType.EngineFailed, `${named(settings)} answered HTTP ${status}`);
}

/** One HTTP request with the activity's heartbeat and cancellation wired in. */
async function request(settings: LlmSettings, url: string, init: { method: string; body?: string }, timeoutMs: number): Promise<Response> {
  const ctx = activityContext();
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = ctx ? AbortSignal.any([timeout, ctx.cancellationSignal]) : timeout;
  const stopBeat = startHeartbeat(ctx);
  try {
    return await fetch(url, {
      method: init.method,
      headers: { 'content-type': 'application/json', ...authHeaders(settings) },
      body: init.body,
      signal,
      // A configured endpoint answers itself; following a redirect would carry the request somewhere unconfigured.
      redirect: 'error',
    });
  } catch (e) {
    if (ctx?.cancellationSignal.aborted) throw new CancelledFailure('the LLM request was stopped: the activity was cancelled');
    if (timeout.aborted) throw failure(ErrorType.EngineFailed, `${url} gave no answer within ${Math.round(timeoutMs / 1000)} s (mt.llm.timeoutSec)`);
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw failure(ErrorType.EngineFailed, `could not reach ${url}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
  } finally {
    stopBeat();
  }
}

/**
 * Sends a chat and returns the JSON value of the reply (code fences, prose and broken JSON repaired) with the raw
 * text. Throws ReplyNotJson when the reply holds no JSON, typed failures for HTTP/network problems.
 * Reusable by any step that wants JSON from the job's model (e.g. condensing too-long lines).
 */
export async function chatJson(settings: LlmSettings, messages: ChatMessage[]): Promise<{ value: unknown; text: string }> {
  const res = await request(settings, endpoint(settings, 'chat/completions'), {
    method: 'POST',
    body: JSON.stringify({ model: settings.model, messages, temperature: 0.2, stream: false }),
  }, settings.timeoutSec * 1000);
  const raw = await res.text();
  if (!res.ok) throw statusFailure(settings, res.status);
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw failure(ErrorType.EngineFailed, `${named(settings)} did not answer in the chat-completions format (${raw.length} bytes of something else)`);
  }
  const text = completionText(body);
  if (text === undefined) throw failure(ErrorType.EngineFailed, `${named(settings)} answered with no message content`);
  return { value: extractJson(text), text };
}

/** Is the server there and does it serve the model? Servers without GET /models are given the benefit of the doubt. */
export async function checkLlm(settings: LlmSettings): Promise<{ available: true } | { available: false; type: 'EngineMissing' | 'InvalidConfig'; reason: string }> {
  const url = endpoint(settings, 'models');
  let res: Response;
  try {
    authHeaders(settings);
    res = await request(settings, url, { method: 'GET' }, 10_000);
  } catch (e) {
    const message = (e as Error).message;
    if ((e as { type?: string }).type === ErrorType.InvalidConfig) return { available: false, type: 'InvalidConfig', reason: message };
    return {
      available: false, type: 'EngineMissing',
      reason: `no OpenAI-compatible server answers at ${named(settings)} (${message}); start one (e.g. \`ollama serve\` then \`ollama pull ${settings.model}\`) or name another of the worker's endpoints with --llm-endpoint`,
    };
  }
  if (res.status === 401 || res.status === 403) {
    return { available: false, type: 'InvalidConfig', reason: `${named(settings)} refused the request (HTTP ${res.status}); check the key variable the worker's endpoint names` };
  }
  if (!res.ok) return { available: true };
  const served = ((await res.json().catch(() => undefined)) as { data?: { id?: string }[] } | undefined)?.data?.map((m) => m.id).filter((id): id is string => !!id);
  if (served?.length && !served.includes(settings.model) && !served.includes(`${settings.model}:latest`)) {
    return {
      available: false, type: 'EngineMissing',
      reason: `${named(settings)} does not serve model "${settings.model}" (served: ${served.slice(0, 12).join(', ')}); for Ollama: ollama pull ${settings.model}, or give --llm-model`,
    };
  }
  return { available: true };
}

export interface LlmLine {
  text: string;
  speaker?: string;
  /** Syllables the translation should have to fit the line's slot (lib/syllables.ts syllableBudget). */
  budget?: number;
}

/** Per line: the syllable budget, what the kept translation has, and how many times the line was asked. */
export interface LengthReport {
  budget: number;
  got: number;
  asks: number;
}

export interface LlmOutcome {
  /** Translation per input line; undefined where the model never gave a usable one. */
  targets: (string | undefined)[];
  /** Input position → why the line has no translation. */
  failures: Map<number, string>;
  /** Per input line with a budget and a translation. */
  lengths: (LengthReport | undefined)[];
  requests: number;
}

/** A chat model as the translation loop sees it: one turn in, the reply's JSON value out. */
export interface ChatBackend {
  /** How failures and the report name it (e.g. the model name). */
  label: string;
  batchSize: number;
  maxReasks: number;
  ask(messages: ChatMessage[], asked: readonly LineToTranslate[]): Promise<{ value: unknown; text: string }>;
}

export interface TranslateOptions {
  src: string;
  tgt: string;
  honorifics?: HonorificPolicy;
  /** The episode's people, romanized (activities/episodeNames.ts). */
  names?: readonly string[];
}

/** The OpenAI-compatible endpoint as a ChatBackend. */
export const httpBackend = (settings: LlmSettings): ChatBackend => ({
  label: settings.model, batchSize: settings.batchSize, maxReasks: settings.maxReasks, ask: (messages) => chatJson(settings, messages),
});

export function translateWithLlm(settings: LlmSettings, lines: readonly LlmLine[], lang: TranslateOptions, glossary: readonly GlossaryEntry[], recordTo?: string): Promise<LlmOutcome> {
  return translateWithChat(httpBackend(settings), lines, lang, glossary, recordTo);
}

/**
 * Translates all lines batch by batch. A batch whose reply is not JSON at all counts as one attempt for all its
 * lines. A line far from its length budget is asked again like a missing one, and keeps its first translation
 * if no later one is nearer. `recordTo` gets one JSON line per request (what was asked, what was wrong).
 */
export async function translateWithChat(
  backend: ChatBackend,
  lines: readonly LlmLine[],
  lang: TranslateOptions,
  glossary: readonly GlossaryEntry[],
  recordTo?: string,
): Promise<LlmOutcome> {
  const targets: (string | undefined)[] = lines.map(() => undefined);
  const lengths: (LengthReport | undefined)[] = lines.map(() => undefined);
  const failures = new Map<number, string>();
  let requests = 0;
  for (const batch of batches(lines, backend.batchSize)) {
    const all: LineToTranslate[] = batch.items.map((l, i) => ({ i, text: l.text, speaker: l.speaker, ...(l.budget ? { budget: l.budget } : {}) }));
    const ctx = {
      src: lang.src, tgt: lang.tgt, honorifics: lang.honorifics, ...(lang.names?.length ? { names: lang.names } : {}),
      before: batch.before.map((l, k) => ({ ...l, target: targets[batch.offset - batch.before.length + k] })), after: batch.after, glossary: glossaryFor(batch.items.map((l) => l.text), glossary),
    };
    let asked = all;
    let problems = new Map<number, string>();
    const unglossed = new Map<number, string>();
    /** The translation each line keeps: the one nearest its length budget among the usable ones. */
    const kept = new Map<number, { t: string; off: number }>();
    const asks = new Map<number, number>();
    for (let attempt = 0; attempt <= backend.maxReasks && asked.length; attempt++) {
      // Asked again without the lines before: a small model copies or translates those instead of its own.
      const messages = buildMessages(asked, attempt ? { ...ctx, before: [] } : ctx, attempt ? reaskNote(problems) : undefined);
      requests++;
      for (const l of asked) asks.set(l.i, (asks.get(l.i) ?? 0) + 1);
      let reply: ReturnType<typeof parseReply>;
      let text = '';
      try {
        const answer = await backend.ask(messages, asked);
        text = answer.text;
        reply = parseReply(answer.value, asked, ctx.glossary);
      } catch (e) {
        if (!(e instanceof ReplyNotJson)) throw e;
        reply = { translations: new Map(), problems: new Map(asked.map((l) => [l.i, 'the reply was not JSON'])), unglossed: new Map(), extra: 0 };
      }
      const before = targets.slice(Math.max(0, batch.offset - 2), batch.offset).filter((t): t is string => !!t);
      for (const [i, t] of [...reply.translations]) {
        const others = [
          ...before, ...[...kept].filter(([j]) => j !== i).map(([, k]) => k.t),
          ...[...reply.translations].filter(([j]) => j < i).map(([, u]) => u),
        ];
        const bad = contentProblem(t, lang.tgt, others);
        if (bad) {
          reply.translations.delete(i);
          reply.problems.set(i, bad);
        }
      }
      for (const [i, t] of reply.translations) {
        const budget = all[i].budget;
        const length = lengthProblem(t, budget, lang.tgt);
        const off = budget ? Math.abs(length.got / budget - 1) : 0;
        const best = kept.get(i);
        if (length.why && attempt < backend.maxReasks) {
          reply.problems.set(i, length.why);
          if (!best || off < best.off) kept.set(i, { t, off });
          continue;
        }
        if (best && best.off < off) continue; // the earlier, nearer one stays
        kept.set(i, { t, off });
      }
      for (const [i, t] of reply.unglossed) unglossed.set(i, t);
      problems = reply.problems;
      if (recordTo) {
        await appendNoFollow(recordTo, JSON.stringify({
          batch: batch.offset, attempt, asked: asked.map((l) => l.i), problems: Object.fromEntries(problems), extra: reply.extra, reply: text.slice(0, 2000),
        }) + '\n').catch(() => {});
      }
      asked = all.filter((l) => problems.has(l.i));
    }
    for (const [i, best] of kept) {
      targets[batch.offset + i] = best.t;
      problems.delete(i);
    }
    for (const [i, why] of problems) {
      // A translation whose only fault is a glossary term beats a fallback engine's; the glossary report says so.
      if (unglossed.has(i)) targets[batch.offset + i] = unglossed.get(i);
      else failures.set(batch.offset + i, `${backend.label}: ${why} (after ${backend.maxReasks} re-ask${backend.maxReasks === 1 ? '' : 's'})`);
    }
    for (const l of all) {
      const t = targets[batch.offset + l.i];
      if (l.budget && t !== undefined) lengths[batch.offset + l.i] = { budget: l.budget, got: lengthProblem(t, l.budget, lang.tgt).got, asks: asks.get(l.i) ?? 0 };
    }
  }
  return { targets, failures, lengths, requests };
}
