// Loads settings from env + explicit overrides and validates them with the one schema.
import path from 'node:path';
import { z } from 'zod';
import {
  ENV_NAMES, GGUF_MODELS_ENV, LLM_ENDPOINTS_ENV, PLACEMENT_ENV, describeIssues, jobOptionsSchema, settingsSchema,
  type JobOptions, type JobOptionsInput, type Settings,
} from './schema.js';

export class ConfigError extends Error {
  readonly type = 'InvalidConfig';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Tree = { [key: string]: unknown };

/** `value` at a dotted path of a settings or options tree (`asr.silenceDb`), making the branches on the way. */
export function setPath(tree: Tree, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = tree;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Tree;
  node[keys[keys.length - 1]] = value;
}

function deepMerge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' ? deepMerge(b as Tree, v as Tree) : v;
  }
  return out;
}

function placementFromEnv(raw: string | undefined): Tree | undefined {
  if (!raw) return undefined;
  const out: Tree = {};
  for (const pair of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, queue] = pair.split('=').map((s) => s.trim());
    out[name] = queue;
  }
  return out;
}

/** The env part of the settings tree (only variables that are set). */
export function settingsFromEnv(env: NodeJS.ProcessEnv): Tree {
  const tree: Tree = {};
  for (const [name, dotted] of Object.entries(ENV_NAMES)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(tree, dotted, value);
  }
  const placement = placementFromEnv(env[PLACEMENT_ENV]);
  if (placement) tree.placement = placement;
  const endpoints = env[LLM_ENDPOINTS_ENV];
  if (endpoints) {
    let named: unknown;
    try {
      named = JSON.parse(endpoints);
    } catch {
      // The value is the operator's own; still only its shape is described (it may sit next to secrets).
      throw new ConfigError(`${LLM_ENDPOINTS_ENV} must be JSON such as {"openai":{"baseUrl":"https://api.openai.com/v1","apiKeyEnv":"OPENAI_API_KEY"}}`);
    }
    if (named && typeof named === 'object' && !Array.isArray(named)) tree.llmEndpoints = deepMerge((tree.llmEndpoints ?? {}) as Tree, named as Tree);
    else tree.llmEndpoints = named;
  }
  const models = env[GGUF_MODELS_ENV];
  if (models) {
    let named: unknown;
    try {
      named = JSON.parse(models);
    } catch {
      throw new ConfigError(`${GGUF_MODELS_ENV} must be JSON such as {"qwen2.5-7b":{"file":"/models/qwen2.5-7b-instruct-q4_k_m.gguf"}}`);
    }
    tree.ggufModels = named as Tree;
  }
  return tree;
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env, overrides: Tree = {}): Settings {
  const raw = deepMerge(settingsFromEnv(env), overrides);
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`invalid configuration: ${describeIssues(parsed.error, raw)}`);
  return parsed.data;
}

/** Per-job options: settings' job defaults, then the caller's options; paths made absolute. */
export function resolveJobOptions(settings: Settings, options: Tree & { video: string }, cwd = process.cwd()): JobOptions {
  const merged = deepMerge(
    {
      ...settings.job,
      queues: settings.queues,
      placement: settings.placement,
      searchAttributes: settings.searchAttributes,
    },
    options,
  );
  for (const key of ['video', 'subs', 'translatedSubs'] as const) {
    // `--subs embedded[:N|:lang]` names a stream of the input, not a file.
    if (typeof merged[key] === 'string' && merged[key] && !(key === 'subs' && /^embedded(?::|$)/.test(merged[key] as string))) merged[key] = path.resolve(cwd, merged[key] as string);
  }
  // Files named inside engine sections too: a relative path means the caller's directory, not the worker's.
  for (const [section, key] of [['mt', 'glossary'], ['asr', 'whisperCppModel'], ['tts', 'piperModel']] as const) {
    const tree = merged[section] as Tree | undefined;
    const value = tree?.[key];
    if (typeof value === 'string' && (value.includes('/') || value.includes('.'))) merged[section] = { ...tree, [key]: path.resolve(cwd, value) };
  }
  // A Whisper model folder (names such as tiny.en have dots too, so only a slash makes it a path); the worker
  // accepts it only inside its models folder.
  const asr = merged.asr as Tree | undefined;
  if (typeof asr?.model === 'string' && asr.model.includes('/')) merged.asr = { ...asr, model: path.resolve(cwd, asr.model) };
  const parsed = jobOptionsSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError(`invalid job options: ${describeIssues(parsed.error, merged)}`);
  return parsed.data;
}

/** Validation used by the worker for inputs that arrive from anywhere (Temporal CLI, UI, programs). */
export function parseJobOptions(input: unknown): { ok: true; options: JobOptions } | { ok: false; message: string } {
  const parsed = jobOptionsSchema.safeParse(input ?? {});
  return parsed.success ? { ok: true, options: parsed.data } : { ok: false, message: describeIssues(parsed.error as z.ZodError, input) };
}

export type { JobOptionsInput };
