// One voice per speaker for the whole job: who speaks (the lines' own speakers, else a diarizer, else one),
// which voice each gets, and for voice cloning a reference clip per speaker cut from the source.
// Written once per job to voices/ (voices.json + <speaker>.wav) and reused while its inputs stay the same.
import { mkdir, readFile, stat } from 'node:fs/promises';
import { loadSettings } from '../config/load.js';
import { FESTIVAL_DEFAULT_VOICE, ESPEAK_VARIANTS } from '../engines/tts.js';
import { referenceClipArgv } from '../engines/xtts.js';
import { speakersFromTurns } from '../lib/diarizer.js';
import type { AudioTracks, Line, PreparedJob } from '../lib/job.js';
import { assignVoices, voicesNeeded, pickReference, REFERENCE_LIMITS, speakerOf, speakersInOrder, type ReferencePick, type VoicePlan } from '../lib/voices.js';
import { commandLog, commit, exists, hashOf, inJob, isFresh, tmpOf, writeAtomic } from './artifacts.js';
import { diarizerNamed } from '../engines/diarize.js';
import { resolvePiperModel } from '../engines/ttsChecks.js';
import { run } from '../engines/run.js';
import { linesOf } from './lineSets.js';
import type { Lines } from '../lib/job.js';
import { dubLanguage } from '../lib/languages.js';

export const VOICES_FILE = 'voices/voices.json';

/** Undefined when the job speaks with one voice (one speaker, no cloning, no diarization, no voices asked for). */
export async function prepareVoices(prep: PreparedJob, audio: AudioTracks, linesIn: Lines<Line>): Promise<VoicePlan | undefined> {
  const lines = await linesOf(prep.job, linesIn);
  if (!voicesNeeded(prep.ttsEngine, lines, prep.options.tts)) return undefined;
  const { job, options, ttsEngine } = prep;
  const tts = options.tts;
  const mixAbs = inJob(job, audio.mix);
  const mix = await stat(mixAbs);
  const timing = lines.map((l) => [l.index, l.start, l.end, l.speaker ?? null]);
  const hash = hashOf('voices', ttsEngine, tts.voice, tts.piperModel, tts.xttsModel, tts.speakerVoices, tts.diarize, timing, mix.size, mix.mtimeMs, REFERENCE_LIMITS);
  const file = inJob(job, VOICES_FILE);
  if (await isFresh(job, file, hash)) {
    const saved = JSON.parse(await readFile(file, 'utf8')) as VoicePlan;
    const refs = saved.speakers.flatMap((s) => (s.reference ? [inJob(job, s.reference)] : []));
    if ((await Promise.all(refs.map(exists))).every(Boolean)) return saved;
  }

  const who = await whoSpeaks(prep, audio, lines);
  const effective = lines.map((l) => ({ ...l, speaker: who.lineSpeakers?.[String(l.index)] ?? speakerOf(l) }));
  const speakers = speakersInOrder(effective);
  const language = dubLanguage(options);

  let baseVoice = tts.voice ?? (ttsEngine === 'festival' ? FESTIVAL_DEFAULT_VOICE : language);
  let modelSpeakers = 1;
  if (ttsEngine === 'piper') {
    const piper = await resolvePiperModel(options, language);
    [baseVoice, modelSpeakers] = [piper.model, piper.speakers];
  }
  const voices = assignVoices(speakers, { engine: ttsEngine, baseVoice, modelSpeakers, speakerVoices: tts.speakerVoices, espeakVariants: ESPEAK_VARIANTS });
  if (ttsEngine === 'piper') {
    // A speaker's own voice is a name or a path: resolve it here, so every line of theirs reads the same file.
    for (const v of voices) if (v.voice && v.voice !== baseVoice) v.voice = (await resolvePiperModel(options, language, v.voice)).model;
  }

  const picks: ReferencePick[] = [];
  if (ttsEngine === 'xtts') {
    await mkdir(inJob(job, 'voices'), { recursive: true });
    for (const v of voices) {
      let pick = pickReference(effective, v.speaker);
      // A speaker with only very short lines still gets a voice of their own rather than someone else's.
      if (pick.spans.length === 0) pick = pickReference(effective, v.speaker, { ...REFERENCE_LIMITS, floorSec: 0.05 });
      picks.push(pick);
      const out = inJob(job, v.reference!);
      await run(referenceClipArgv(mixAbs, pick.spans, tmpOf(out)), { timeoutMs: 10 * 60_000, recordTo: commandLog(job) });
      await commit(job, tmpOf(out), out, hashOf(hash, v.speaker));
    }
  }

  const plan: VoicePlan = { engine: ttsEngine, speakers: voices, speakersFrom: who.from, ...(who.note ? { note: who.note } : {}), ...(who.lineSpeakers ? { lineSpeakers: who.lineSpeakers } : {}) };
  await writeAtomic(job, file, JSON.stringify({ ...plan, references: picks }, null, 2), hash);
  return plan;
}

interface Speakers {
  from: VoicePlan['speakersFrom'];
  note?: string;
  lineSpeakers?: Record<string, string>;
}

/**
 * Lines that name their speakers (ASS Name, WebVTT <v>, review edits) are believed. Otherwise a diarizer
 * runs when asked for (diarize pyannote), or on auto when cloning voices; without one, everyone is S1.
 */
async function whoSpeaks(prep: PreparedJob, audio: AudioTracks, lines: Line[]): Promise<Speakers> {
  if (lines.some((l) => l.speaker?.trim())) return { from: 'lines' };
  const mode = prep.options.tts.diarize ?? 'auto';
  const wanted = mode === 'pyannote' || (mode === 'auto' && prep.ttsEngine === 'xtts');
  if (!wanted) return { from: 'single', note: `the lines name no speakers and tts.diarize is ${mode} (it runs for xtts, or with pyannote): one voice for every line` };
  const diarizer = diarizerNamed('pyannote', loadSettings().plugins.python)!;
  const ready = await diarizer.check();
  if (!ready.available) return { from: 'single', note: `diarizer ${diarizer.name} unavailable (${ready.reason}): one speaker S1` };
  const turns = await diarizer.run(inJob(prep.job, audio.analysis));
  return { from: 'diarizer', note: `${diarizer.name}: ${new Set(turns.map((t) => t.label)).size} speakers in ${turns.length} turns`, lineSpeakers: speakersFromTurns(lines, turns) };
}
