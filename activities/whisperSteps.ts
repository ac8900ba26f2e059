// Whisper's translate task (any language → English) on a job's 16 kHz mono WAV, cached in whisper-translation.json:
// a step of translateLines for --mt whisper. Running Whisper: engines/whisperRecognize.ts.
import { readFile, stat } from 'node:fs/promises';
import { VAD_SETTINGS } from '../engines/voiceActivity.js';
import { checkWhisperTranslates, whisperTranslator } from '../engines/asrEngines.js';
import { guardedLines, runWhisper } from '../engines/whisperRecognize.js';
import type { WhisperEngineName } from '../engines/whisper.js';
import type { Line, PreparedJob } from '../lib/job.js';
import { commandLog, hashOf, hostRequestLog, inJob, isFresh, writeAtomic } from '../storage/artifacts.js';

const WHISPER_TRANSLATION = 'whisper-translation.json';

/**
 * English lines straight from the source audio by Whisper's translate task (X → English), guarded like a
 * transcript. `audioRel` is a 16 kHz mono WAV relative to the job folder (AudioTracks.analysis). The engine is
 * the job's asr.engine when that is a Whisper one, else openai-whisper. Cached in whisper-translation.json.
 * Lines are Whisper's own segments: their times are not those of the transcript's lines.
 */
export async function whisperTranslate(prep: PreparedJob, audioRel: string, engine?: WhisperEngineName): Promise<Line[]> {
  const { job, options } = prep;
  const chosen: WhisperEngineName = engine ?? whisperTranslator(options);
  const wavAbs = inJob(job, audioRel);
  const out = inJob(job, WHISPER_TRANSLATION);
  const st = await stat(wavAbs);
  const hash = hashOf('whisperTranslate', chosen, st.size, st.mtimeMs, options.src, options.asr, VAD_SETTINGS, options.tts.diarize === 'off');
  if (await isFresh(job, out, hash)) return (JSON.parse(await readFile(out, 'utf8')) as { lines: Line[] }).lines;

  await checkWhisperTranslates(chosen, options);
  const result = await runWhisper(prep, chosen, wavAbs, 'translate', inJob(job, 'tmp/whisper-translate'), { commandLog: commandLog(job), hostLog: hostRequestLog(job) });
  const rec = await guardedLines(prep, chosen, result, wavAbs, prep.media.durationSec);
  await writeAtomic(job, out, JSON.stringify({
    language: 'en', source: chosen, task: 'translate', detectedLanguage: rec.detectedLanguage,
    dropped: rec.dropped, warnings: rec.warnings, lines: rec.lines,
  }, null, 2), hash);
  return rec.lines;
}
