// Is the job's translation engine ready, and is its glossary readable? Answers name the fix.
import type { JobOptions } from '../config/schema.js';
import { argosInstallHint, argosListArgv, argosPackageName, ARGOS_PROGRAM, ARGOSPM_PROGRAM, parseArgosPackages } from './argos.js';
import { checkLlm, llmSettingsFor } from './llmTranslate.js';
import { llamaCpp } from './llamaCpp.js';
import { checkLocalModel, localModelFor } from './localLlm.js';
import { isWhisperEngine } from './whisper.js';
import { ErrorType, failure } from '../lib/errors.js';
import { checkWhisperEngine } from './asrWhisper.js';
import { findOnPath } from './programPath.js';
import { run } from './run.js';
import { loadGlossary } from './glossaryFile.js';

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

export async function checkMtEngine(options: JobOptions): Promise<void> {
  await loadGlossary(options.mt.glossary);
  const engine = options.mt.engine;
  if (engine === 'argos') {
    const argos = await checkArgos(options.src, options.tgt);
    if (!argos.available) throw failure(ErrorType.EngineMissing, `--mt argos: ${argos.reason}`);
  } else if (engine === 'llm') {
    const llm = await checkLlm(llmSettingsFor(options.mt.llm));
    if (!llm.available) throw failure(llm.type === 'InvalidConfig' ? ErrorType.InvalidConfig : ErrorType.EngineMissing, `--mt llm: ${llm.reason}`);
  } else if (engine === 'local-llm') {
    // The runtime (opt-in install), the file's presence, kind and (bundled) hash; loading the model is the
    // translate step's, once per worker.
    await llamaCpp();
    await checkLocalModel(localModelFor(options.mt.local.model));
  } else if (engine === 'whisper') {
    if (options.tgt !== 'en') throw failure(ErrorType.InvalidConfig, `--mt whisper translates into English only (tgt is "${options.tgt}"); use --mt apertium, argos or llm`);
    // Streaming chunks have no whole-job audio track for Whisper to translate.
    if (options.stream?.enabled) throw failure(ErrorType.InvalidConfig, '--mt whisper is not available in streaming mode; use --mt apertium, argos or llm with --stream');
    await checkWhisperEngine(isWhisperEngine(options.asr.engine) ? options.asr.engine : 'whisper', options);
  }
}
