// The translators, one record each: which pairs they translate, how they run, their job check and what doctor
// says, and the adapter the translate stage calls (`translate`). The job schema's enum, the CLI's choices and help,
// the types and doctor's mt rows are derived from here (names in config/engineNames.ts). A new engine: its name
// there, one record here (the type makes a missing record a compile error), its program's file beside this one.
import type { JobOptions } from '../config/schema.js';
import { DEFAULT_GGUF_MODEL } from '../config/schema.js';
import { loadSettings } from '../config/load.js';
import { MT_ENGINE_NAMES, type MtEngineName } from '../config/engineNames.js';
import { ErrorType, failure } from '../lib/errors.js';
import { alignByOverlap } from '../lib/alignByOverlap.js';
import { apertiumTranslator, listPairsArgv, pairName, parsePairs } from './apertium.js';
import { argosInstallHint, argosListArgv, argosPackageName, argosTranslator, ARGOS_PROGRAM, ARGOSPM_PROGRAM, parseArgosPackages } from './argos.js';
import { asrEngine, checkWhisperEngine } from './asrEngines.js';
import { kindRegistry, type EngineRecord } from './engineRecord.js';
import { chatJson, checkLlm, httpBackend, llmSettingsFor, type ChatBackend } from './llmTranslate.js';
import type { ChatMessage } from '../lib/llmProtocol.js';
import { llamaCpp } from './llamaCpp.js';
import { checkLocalModel, localChat, localModelFor } from './localLlm.js';
import { chatTranslate, textEngineResult, type MtRequest, type MtResult } from './mtRun.js';
import { findOnPath, requireProgram } from './programPath.js';
import { versionOf } from './programVersion.js';
import { run } from './run.js';
import { isWhisperEngine, WHISPER_LANGUAGES } from './whisper.js';
import { SETUP_INSTALL } from './bundledModels.js';
import { loadGlossary } from './glossaryFile.js';

export type { MtEngineName } from '../config/engineNames.js';

export interface MtEngine extends EngineRecord<MtEngineName> {
  kind: 'mt';
  /** Ready to translate this job (its pair, server, model)? Throws EngineMissing / UnsupportedLanguage / InvalidConfig naming the fix. */
  check(options: JobOptions): Promise<void>;
  /** The adapter: the job's lines translated (targets, failed lines, glossary terms lost, how it was done). */
  translate(req: MtRequest): Promise<MtResult>;
  /**
   * A chat model the job's other steps may ask too (condensing a line too long for its slot): its JSON answer, and
   * what it depends on for their cache keys. Absent or undefined: the job has none.
   */
  chat?(options: JobOptions): { key: unknown; askJson(messages: ChatMessage[]): Promise<unknown> } | undefined;
}

export async function apertiumPairs(): Promise<string[]> {
  if (!(await findOnPath('apertium'))) return [];
  const { stdout } = await run(listPairsArgv, { timeoutMs: 15_000 });
  return parsePairs(stdout);
}

/** argos-translate on PATH and the pair installed (directly, or through English, which argos pivots on). */
export async function checkArgos(src: string, tgt: string): Promise<{ available: true } | { available: false; reason: string }> {
  if (!(await findOnPath(ARGOS_PROGRAM))) {
    return { available: false, reason: `argos-translate is not installed (not on PATH); ${argosInstallHint(src, tgt)}` };
  }
  // Without argospm we cannot list packages; a missing pair then shows up as argos-translate's own error.
  if (!(await findOnPath(ARGOSPM_PROGRAM))) return { available: true };
  const installed = parseArgosPackages((await run(argosListArgv, { timeoutMs: 60_000 })).stdout);
  const direct = installed.includes(argosPackageName(src, tgt));
  const pivot = installed.includes(argosPackageName(src, 'en')) && installed.includes(argosPackageName('en', tgt));
  if (direct || pivot) return { available: true };
  return {
    available: false,
    reason: `argos-translate has no ${src}→${tgt} package (installed: ${installed.join(', ') || 'none'}); argospm update && argospm install ${argosPackageName(src, tgt)}`,
  };
}

const records: Record<MtEngineName, Omit<MtEngine, 'name' | 'kind'>> = {
  apertium: {
    describe: 'apertium (rule-based, one Debian package per pair; the embedded default)',
    capabilities: { languages: 'any', rateKnob: false, speakers: 'n/a', runs: 'program', device: 'cpu' },
    async check(options) {
      await requireProgram('apertium', 'apertium');
      const pair = pairName(options.src, options.tgt);
      const pairs = await apertiumPairs();
      if (!pairs.includes(pair)) {
        throw failure(ErrorType.UnsupportedLanguage,
          `apertium pair ${pair} is not installed; installed pairs: ${pairs.join(', ') || 'none'} (Debian packages are named apertium-${pair})`);
      }
    },
    async status() {
      const [apertium, pairs] = await Promise.all([versionOf(['apertium', '-l'], () => undefined), apertiumPairs().catch(() => [])]);
      return [{ name: 'apertium', kind: 'mt', ...apertium, detail: `pairs: ${pairs.join(', ') || 'none'}`, install: 'apt-get install apertium apertium-eng-spa (or another apertium-xxx-yyy pair)' }];
    },
    translate(req) {
      const pair = pairName(req.prep.options.src, req.prep.options.tgt);
      return textEngineResult(req, apertiumTranslator(pair, req.workDir, req.commandLog), `apertium:${pair}`, 'apertium did not use it');
    },
  },
  argos: {
    describe: 'argos-translate (offline neural MT, one package per pair; installed separately)',
    capabilities: { languages: 'any', rateKnob: false, speakers: 'n/a', runs: 'program', device: 'cpu' },
    async check(options) {
      const argos = await checkArgos(options.src, options.tgt);
      if (!argos.available) throw failure(ErrorType.EngineMissing, `--mt argos: ${argos.reason}`);
    },
    status: async () => [{ name: 'argos-translate', optional: true, kind: 'mt', installed: !!(await findOnPath(ARGOS_PROGRAM)), detail: '--mt argos (offline neural MT, one package per pair)', install: 'pip install argostranslate; argospm update && argospm install translate-ja_en' }],
    translate(req) {
      const { src, tgt } = req.prep.options;
      return textEngineResult(req, argosTranslator(src, tgt, req.commandLog), `argos:${src}-${tgt}`, 'argos-translate did not use it');
    },
  },
  llm: {
    describe: "a chat model on an OpenAI-compatible server (the worker's llmEndpoints)",
    capabilities: { languages: 'any', rateKnob: false, speakers: 'n/a', runs: 'server', device: 'server' },
    async check(options) {
      const llm = await checkLlm(llmSettingsFor(options.mt.llm));
      if (!llm.available) throw failure(llm.type === 'InvalidConfig' ? ErrorType.InvalidConfig : ErrorType.EngineMissing, `--mt llm: ${llm.reason}`);
    },
    async status() {
      // Only the endpoints' names: their URLs and keys are the worker's, and a server is asked per job.
      const names = Object.keys(loadSettings().llmEndpoints);
      return [{ name: 'llm', optional: true, kind: 'mt', installed: names.length > 0, detail: `--mt llm; endpoints configured: ${names.join(', ') || 'none'} (each is asked when a job uses it)`, install: "name a server in the worker's LLM endpoints (mt.llm.baseUrl)" }];
    },
    chat(options) {
      const { llm } = options.mt;
      return llm ? { key: llm, askJson: async (messages) => (await chatJson(llmSettingsFor(llm), messages)).value } : undefined;
    },
    translate(req) {
      const llm = llmSettingsFor(req.prep.options.mt.llm);
      return chatTranslate(req, httpBackend(llm), `llm:${llm.model}`, `mt.llm.maxReasks ${llm.maxReasks}`);
    },
  },
  'local-llm': {
    describe: `a GGUF chat model inside the worker (node-llama-cpp; ${DEFAULT_GGUF_MODEL} bundled, or one of MT_GGUF_MODELS)`,
    capabilities: { languages: 'any', rateKnob: false, speakers: 'n/a', runs: 'in process', device: 'cpu or gpu' },
    // The runtime (an opt-in install), the file's presence, kind and (bundled) hash; loading the model is the
    // translate step's, once per worker.
    async check(options) {
      await llamaCpp();
      await checkLocalModel(localModelFor(options.mt.local.model));
    },
    async status() {
      const problem = await llamaCpp().then(() => checkLocalModel(localModelFor(DEFAULT_GGUF_MODEL))).then(() => undefined, (e: Error) => e.message);
      return [{ name: 'local-llm', optional: true, kind: 'mt', installed: !problem, detail: problem ?? `--mt local-llm (${DEFAULT_GGUF_MODEL}, verified)`, install: 'bash scripts/setup-llm.sh (opt-in: node-llama-cpp and the 1.1 GB GGUF)' }];
    },
    translate(req) {
      const model = localModelFor(req.prep.options.mt.local.model);
      const { batchSize, maxReasks, timeoutSec } = req.prep.options.mt.local;
      const backend: ChatBackend = {
        label: model.name, batchSize, maxReasks,
        ask: (messages, asked) => localChat(model, messages, asked, { timeoutMs: timeoutSec * 1000 }),
      };
      return chatTranslate(req, backend, `local-llm:${model.name}`, `mt.local.maxReasks ${maxReasks}`);
    },
  },
  whisper: {
    describe: "Whisper's translate task, from the audio into English",
    capabilities: { languages: WHISPER_LANGUAGES, rateKnob: false, speakers: 'n/a', runs: 'warm host', device: 'cpu or gpu' },
    async check(options) {
      if (options.tgt !== 'en') throw failure(ErrorType.InvalidConfig, `--mt whisper translates into English only (tgt is "${options.tgt}"); use --mt apertium, argos or llm`);
      // Streaming chunks have no whole-job audio track for Whisper to translate.
      if (options.stream?.enabled) throw failure(ErrorType.InvalidConfig, '--mt whisper is not available in streaming mode; use --mt apertium, argos or llm with --stream');
      await checkWhisperEngine(isWhisperEngine(options.asr.engine) ? options.asr.engine : 'whisper', options);
    },
    // The recognizer's own rows say whether it is there.
    status: async () => (await asrEngine('faster-whisper').status()).slice(0, 1).map((s) => ({ ...s, name: 'whisper', kind: 'mt' as const, detail: "--mt whisper: Whisper's translate task (X→English) with faster-whisper", optional: true })),
    async translate(req) {
      const { options } = req.prep;
      if (options.tgt !== 'en') throw failure(ErrorType.InvalidConfig, `--mt whisper translates into English only (tgt is "${options.tgt}")`);
      const targets = alignByOverlap(req.lines, await req.audioTranslation());
      const failures = new Map<number, string>();
      targets.forEach((t, i) => { if (t === undefined) failures.set(i, "no segment of Whisper's translation overlaps this line"); });
      return { targets, lost: req.lines.map(() => new Set<string>()), failures, method: 'whisper-translate', missReason: "Whisper translates from the audio, so terms cannot be protected; its translation does not use it" };
    },
  },
};

const registry = kindRegistry<MtEngineName, MtEngine>('mt', MT_ENGINE_NAMES, records);

export function mtEngine(name: MtEngineName): MtEngine {
  return registry.get(name);
}

export function mtEngineList(): MtEngine[] {
  return registry.list();
}

/** `--mt` help: the choices and what auto picks, from the records. */
export function mtHelp(): string {
  return `translator: auto = Whisper's translate task when the dub is English and Whisper hears the source, else apertium; ${mtEngineList().map((e) => `${e.name}: ${e.describe}`).join('; ')} (env MT_ENGINE; default auto)`;
}

/** The glossary readable, then the job's translator ready (its `auto` already settled). */
export async function checkMtEngine(options: JobOptions): Promise<void> {
  await loadGlossary(options.mt.glossary);
  if (options.mt.engine !== 'auto') await mtEngine(options.mt.engine).check(options);
}

/** The job's translator, its `auto` settled by prepareJob (an unsettled one is apertium, as auto is without Whisper). */
export function jobMtEngine(options: JobOptions): MtEngine {
  return mtEngine(options.mt.engine === 'auto' ? 'apertium' : options.mt.engine);
}

/**
 * Where lines the job's translator failed go: apertium, rule-based (it answers every line), when it has the pair.
 * `unavailable` says why it cannot take them (undefined: it can).
 */
export async function mtFallback(options: JobOptions): Promise<{ name: MtEngineName; label: string; unavailable?: string }> {
  const pair = pairName(options.src, options.tgt);
  const usable = options.mt.engine !== 'apertium' && (await apertiumPairs().catch((): string[] => [])).includes(pair);
  return { name: 'apertium', label: `apertium:${pair}`, ...(usable ? {} : { unavailable: `apertium has no ${pair} pair to fall back on` }) };
}

/** auto → Whisper's translate task when the dub is English and Whisper hears the source; else apertium. */
export function chooseMtEngine(options: JobOptions, asrEngineName: string, needsMt: boolean): MtEngineName {
  if (options.mt.engine !== 'auto') return options.mt.engine;
  return needsMt && !options.subs && options.tgt === 'en' && asrEngineName === 'faster-whisper' && !/\.en$|turbo/.test(options.asr.model) ? 'whisper' : 'apertium';
}
