// One voice per speaker for the whole job: who speaks (the lines' own speakers, else a diarizer, else one),
// which voice each gets, and for voice cloning a reference clip per speaker cut from the source.
// Written once per job to voices/ (voices.json + <speaker>.wav) and reused while its inputs stay the same.
// With a series (--series, --cast) the voices come from the season's cast instead (lib/cast.ts, ./seriesCast.ts).
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ESPEAK_VARIANTS } from '../engines/tts.js';
import { jobVoice } from './tts.js';
import { referenceClipArgv } from '../engines/xtts.js';
import type { AudioTracks, Line, PreparedJob } from '../lib/job.js';
import { castEntry, castVoices, mergeCasts, type CastAssignment } from '../lib/cast.js';
import { activityContext } from '../engines/activityContext.js';
import { placeOnce, seriesFolder, SERIES_FOLDER, updateCast, type SeriesStore } from '../storage/seriesCast.js';
import type { JobFolderMirror } from '../storage/jobMirror.js';
import { NO_STORES, type WorkerStores } from '../storage/workerStores.js';
import { assignVoices, voicesNeeded, pickReference, REFERENCE_LIMITS, speakerOf, speakersInOrder, FEMALE_FROM_HZ, type AssignOptions, type ReferencePick, type SpeakerProfile, type VoicePlan } from '../lib/voices.js';
import { commandLog, commit, exists, hashOf, inJob, isFresh, tmpOf, writeAtomic } from '../storage/artifacts.js';
import { diarizationWanted, whoSpeaks } from './whoSpeaks.js';
import { castKey, castMixes, castPalettes, castVoiceEngine, ttsEngine as ttsRecord } from '../engines/ttsEngines.js';
import { measureLineFeatures } from '../engines/prosodyFeatures.js';
import { run } from '../engines/run.js';
import { linesOf } from './lineSets.js';
import type { Lines } from '../lib/job.js';
import { dubLanguage } from '../lib/languages.js';

export const VOICES_FILE = 'voices/voices.json';

/**
 * Undefined when the job speaks with one voice (one speaker, no cloning, no diarization, no voices asked for)
 * and keeps no series cast. With a series (options.series) the voices come from its cast, read and updated
 * under the series folder's lock, every time (the cast may have changed since: `anime-dub cast set`).
 */
export async function prepareVoices(prep: PreparedJob, audio: AudioTracks, linesIn: Lines<Line>, stores: WorkerStores = NO_STORES): Promise<VoicePlan | undefined> {
  const lines = await linesOf(prep.job, linesIn);
  const series = prep.options.series;
  if (!series && !voicesNeeded(prep.ttsEngine, lines, prep.options.tts) && !diarizationWanted(prep, lines)) return undefined;
  const { job, options, ttsEngine } = prep;
  const tts = options.tts;
  const mixAbs = inJob(job, audio.mix);
  const mix = await stat(mixAbs);
  const timing = lines.map((l) => [l.index, l.start, l.end, l.speaker ?? null]);
  const hash = hashOf('voices', ttsEngine, tts.voice, tts.piperModel, tts.xttsModel, tts.speakerVoices, tts.diarize, timing, mix.size, mix.mtimeMs, REFERENCE_LIMITS,
    ...(await castKey(options, ttsEngine, dubLanguage(options), FEMALE_FROM_HZ)));
  const file = inJob(job, VOICES_FILE);
  if (!series && (await isFresh(job, file, hash))) {
    const saved = JSON.parse(await readFile(file, 'utf8')) as VoicePlan;
    const refs = saved.speakers.flatMap((s) => (s.reference ? [inJob(job, s.reference)] : []));
    if ((await Promise.all(refs.map(exists))).every(Boolean)) return saved;
  }

  const who = await whoSpeaks(prep, audio, lines);
  const effective = lines.map((l) => ({ ...l, speaker: who.lineSpeakers?.[String(l.index)] ?? speakerOf(l) }));
  const speakers = speakersInOrder(effective);
  const language = dubLanguage(options);

  const record = ttsRecord(ttsEngine);
  const base = (await record.baseVoice?.(options, language)) ?? { voice: jobVoice(ttsEngine, options), speakers: 1 };
  const [baseVoice, modelSpeakers] = [base.voice, base.speakers];
  const mixes = await castMixes(options, ttsEngine, language);
  // A job voice (--voice) for an engine with a palette is the voice asked for: no palette then, every speaker starts from it.
  const palettes = record.palette && tts.voice ? undefined : castPalettes(ttsEngine, baseVoice, mixes);
  const profiles = palettes ? await speakerProfiles(prep, audio, effective, speakers) : undefined;
  const assign: AssignOptions = {
    engine: ttsEngine, baseVoice, modelSpeakers, speakerVoices: tts.speakerVoices, espeakVariants: ESPEAK_VARIANTS,
    ...(palettes ? { palettes, profiles, voiceEngine: castVoiceEngine(ttsEngine, mixes) } : {}),
  };
  const cast = series ? await episodeCast(prep, speakers, assign, stores.mirror) : undefined;
  const voices = cast?.voices ?? assignVoices(speakers, assign);
  for (const v of voices) {
    const settle = ttsRecord(v.engine ?? ttsEngine).settleVoice;
    if (settle && v.voice) v.voice = await settle(options, language, v.voice, baseVoice);
  }

  const picks: ReferencePick[] = [];
  // Voice cloning: a reference clip per speaker, cut from the source.
  if (record.capabilities.speakers === 'cloned') {
    await mkdir(inJob(job, 'voices'), { recursive: true });
    for (const v of voices) {
      // A speaker the series already has a clip for keeps it: copied into this job, not cut again.
      const kept = cast?.dir ? castEntry(cast.cast, v.speaker, ttsEngine)?.reference : undefined;
      const seriesClip = kept ? path.join(cast!.dir!, kept) : undefined;
      const clip = seriesClip ? await stat(seriesClip).catch(() => undefined) : undefined;
      if (seriesClip && clip?.isFile() && !cast!.added.includes(v.speaker)) {
        const out = inJob(job, v.reference!);
        const clipHash = hashOf('cast-reference', seriesClip, clip.size, clip.mtimeMs);
        if (!(await isFresh(job, out, clipHash))) {
          await copyFile(seriesClip, tmpOf(out));
          await commit(job, tmpOf(out), out, clipHash);
        }
        continue;
      }
      let pick = pickReference(effective, v.speaker);
      // A speaker with only very short lines still gets a voice of their own rather than someone else's.
      if (pick.spans.length === 0) pick = pickReference(effective, v.speaker, { ...REFERENCE_LIMITS, floorSec: 0.05 });
      picks.push(pick);
      const out = inJob(job, v.reference!);
      await run(referenceClipArgv(mixAbs, pick.spans, tmpOf(out)), { timeoutMs: 10 * 60_000, recordTo: commandLog(job) });
      await commit(job, tmpOf(out), out, hashOf(hash, v.speaker));
      // The series keeps the first clip cut for a speaker (two episodes adding them at once: one wins).
      if (seriesClip) await placeOnce(out, seriesClip, cast?.store ? { series: cast.store, dir: cast.dir! } : undefined);
    }
  }

  const note = [who.note, cast?.note].filter(Boolean).join('; ');
  const plan: VoicePlan = {
    engine: ttsEngine, speakers: voices, speakersFrom: who.from, ...(note ? { note } : {}), ...(who.lineSpeakers ? { lineSpeakers: who.lineSpeakers } : {}),
    ...(cast ? { cast: { ...(series?.name ? { series: series.name, folder: `${SERIES_FOLDER}/${series.name}` } : {}), known: cast.known, added: cast.added } } : {}),
  };
  await writeAtomic(job, file, JSON.stringify({ ...plan, references: picks }, null, 2), cast ? hashOf(hash, voices) : hash);
  return plan;
}

/** Each speaker's talk time and median source F0 (weighted by each line's voiced time), from the analysis track. */
async function speakerProfiles(prep: PreparedJob, audio: AudioTracks, lines: Line[], speakers: string[]): Promise<SpeakerProfile[]> {
  const sorted = [...lines].sort((a, b) => a.start - b.start);
  const features = await measureLineFeatures(inJob(prep.job, audio.analysis), sorted, prep.media.durationSec, prep.options.src);
  return speakers.map((speaker) => {
    const own = sorted.map((l, i) => ({ l, f: features[i] })).filter(({ l }) => l.speaker === speaker);
    const pitched = own.filter(({ f }) => f.f0MedianHz !== null).map(({ l, f }) => ({ hz: f.f0MedianHz!, w: (l.end - l.start) * f.voicedRatio }));
    const voicedSec = pitched.reduce((t, p) => t + p.w, 0);
    return {
      speaker,
      talkSec: Math.round(own.reduce((t, { l }) => t + (l.end - l.start), 0) * 1000) / 1000,
      pitchHz: pitched.length ? Math.round(weightedMedian(pitched) * 10) / 10 : null,
      voicedSec: Math.round(voicedSec * 1000) / 1000,
    };
  });
}

function weightedMedian(xs: { hz: number; w: number }[]): number {
  const sorted = [...xs].sort((a, b) => a.hz - b.hz);
  const half = sorted.reduce((t, x) => t + x.w, 0) / 2;
  let acc = 0;
  for (const x of sorted) {
    acc += x.w;
    if (acc >= half) return x.hz;
  }
  return sorted[sorted.length - 1].hz;
}

/**
 * This episode's voices from the series' cast (and a cast given with the job): under the series folder's lock
 * (in the store, with the s3 store: `mirror`), so episodes dubbed at once, on any host, agree; the speakers it adds are written back before the lock is let go.
 */
export async function episodeCast(prep: PreparedJob, speakers: string[], assign: AssignOptions, mirror: JobFolderMirror | undefined): Promise<CastAssignment & { dir?: string; store?: SeriesStore }> {
  const { name, cast: given } = prep.options.series!;
  const ctx = activityContext();
  const addedBy = prep.job.name;
  if (!name) return castVoices(given!, speakers, assign, addedBy);
  const dir = await seriesFolder(prep.job.root, name);
  const owner = ctx?.info.workflowExecution?.workflowId ?? addedBy;
  // With the s3 store the series folder lives there too: its lock, and the folder pulled and pushed under it.
  const store = mirror?.seriesStore(dir);
  const assigned = await updateCast(dir, { owner, onWait: () => ctx?.heartbeat('waiting for the series cast'), ...(store ? { store } : {}) }, (stored) => {
    const a = castVoices(given ? mergeCasts(stored, given) : stored, speakers, assign, addedBy);
    return { cast: a.cast, result: a };
  });
  return { ...assigned, dir, ...(store ? { store } : {}) };
}
