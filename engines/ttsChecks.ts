// Are piper and Coqui XTTS ready for this job? Answers name the fix (EngineMissing / UnsupportedLanguage).
import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { JobOptions } from '../config/schema.js';
import { bundledRel, modelsDir, verifyBundled } from './bundledModels.js';
import { engineSettings, hostEnginesAvailable } from './engineHost.js';
import { piperCandidates, piperConfigOf, piperSpeakerCount, piperVoiceDirs, pickPiperDefault } from './piper.js';
import { XTTS_INSTALL, XTTS_LANGUAGES, xttsLanguage } from './xtts.js';
import { ErrorType, failure } from '../lib/errors.js';
import { pythonCode } from './pythonCode.js';
import { probeProgram } from './run.js';

const isFile = (p: string) => access(p).then(() => true, () => false);

export interface PiperModel {
  model: string;
  speakers: number;
}

/**
 * The .onnx voice for a job: tts.piperModel (a path, or a voice name looked up in $PIPER_VOICES_DIR and
 * ~/.local/share/piper), else the first `<language>_*.onnx` in those folders. `nameOrPath` overrides it (a
 * speaker's own voice).
 */
export async function resolvePiperModel(options: JobOptions, language: string, nameOrPath = options.tts.piperModel): Promise<PiperModel> {
  // A voice named without a path is also looked for beside the job's own piper model.
  const own = options.tts.piperModel?.includes('/') ? [path.dirname(options.tts.piperModel)] : [];
  // The bundled voices come last: a voice the user installed or named wins.
  const dirs = [...own, ...piperVoiceDirs(process.env), path.join(modelsDir(), 'piper')];
  let tried: string[];
  if (nameOrPath) {
    tried = piperCandidates(nameOrPath, dirs);
  } else {
    const found: string[] = [];
    for (const dir of dirs) {
      const pick = pickPiperDefault(await readdir(dir).catch(() => []), language);
      if (pick) found.push(path.join(dir, pick));
    }
    tried = found.length ? found : dirs.map((d) => path.join(d, `${language}_*.onnx`));
  }
  for (const model of tried) {
    if (!(await isFile(model))) continue;
    const config = await readFile(piperConfigOf(model), 'utf8').catch(() => undefined);
    if (config === undefined) {
      throw failure(ErrorType.EngineMissing, `piper voice ${model} has no config beside it (${piperConfigOf(model)}); download both files of the voice`);
    }
    const rel = bundledRel(model);
    if (rel) await verifyBundled(rel).catch((e: Error) => { throw failure(ErrorType.EngineMissing, `piper voice: ${e.message}`); });
    return { model, speakers: piperSpeakerCount(config) };
  }
  throw failure(ErrorType.EngineMissing,
    `no piper voice ${nameOrPath ? `"${nameOrPath}"` : `for "${language}"`} (looked for ${tried.join(', ') || 'nothing: set PIPER_VOICES_DIR'}); ` +
    'download one (e.g. python3 -m piper.download_voice en_US-lessac-medium) and pass --piper-model FILE.onnx');
}

export async function checkPiper(options: JobOptions, language: string): Promise<void> {
  const host = await hostEnginesAvailable(probeProgram);
  if (!host.ok) {
    throw failure(ErrorType.EngineMissing, `piper runs in the engine host, which cannot start: ${host.why}; run scripts/setup.sh (it installs piper-tts 1.8.0 into .tools/venv)`);
  }
  await resolvePiperModel(options, language);
  for (const voice of Object.values(options.tts.speakerVoices ?? {})) await resolvePiperModel(options, language, voice);
}

export async function checkXtts(language: string): Promise<void> {
  if (!xttsLanguage(language)) {
    throw failure(ErrorType.UnsupportedLanguage, `XTTS v2 does not speak "${language}" (it speaks ${XTTS_LANGUAGES.join(', ')}); use --tts piper or espeak-ng`);
  }
  if (!(await xttsImportable())) throw failure(ErrorType.EngineMissing, `Coqui TTS is not installed (not importable by the engine Python ${engineSettings().python}); ${XTTS_INSTALL}`);
}

/** Can the engine host load Coqui TTS (the warm host runs XTTS)? */
export function xttsImportable(): Promise<boolean> {
  return probeProgram([engineSettings().python, '-c', pythonCode('import TTS.api')]).then(() => true, () => false);
}
