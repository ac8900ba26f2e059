// Speech for one line: the engine's raw output, then trimmed of edge silence and made 48 kHz stereo.
// With a voice plan (prepareVoices), each line speaks with its speaker's voice.
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { CancelledFailure } from '@temporalio/common';
import { clipJobsArgv, NORMALIZE_CLIP_FILTERS, type ClipJob } from '../engines/ffmpeg.js';
import { pitchShiftFilters, type TtsEngineName } from '../engines/tts.js';
import { ttsEngine as ttsRecord, type TtsSpeaker } from '../engines/ttsEngines.js';
import { hasRateKnob } from '../config/ttsEngineNames.js';
import { ErrorType, failure } from '../lib/errors.js';
import { spokenText, type Clip, type PreparedJob, type TranslatedLine } from '../lib/job.js';
import type { JobOptions } from '../config/schema.js';
import { wavFileDuration } from '../engines/wavFile.js';
import { parseEmotionTag, type ProsodyPlan } from '../lib/prosody.js';
import { voiceFor, type SpeakerVoice } from '../lib/voices.js';
import { commandLog, commit, exists, hashOf, hostRequestLog, inJob, isFresh, tmpOf, writeAtomic } from '../storage/artifacts.js';
import { CALIBRATION_TEXT, prosodyFilters } from './expressiveApply.js';
import { activityContext, recordCommand, run } from '../engines/run.js';
import { dubLanguage } from '../lib/languages.js';

export const pad4 = (n: number) => String(n).padStart(4, '0');

/**
 * The voice a line speaks with when its speaker has none of their own: --voice, else the engine's default for
 * the dub language (its record's defaultVoice). The one place the job's voice is decided.
 */
export function jobVoice(engine: TtsEngineName, options: Pick<JobOptions, 'tts' | 'src' | 'tgt' | 'translate'>): string {
  return options.tts.voice || ttsRecord(engine).defaultVoice(dubLanguage(options));
}

/** A line's voice: its speaker's own (prepareVoices), else the job's for the engine it speaks with. */
export function lineVoice(engine: TtsEngineName, options: Pick<JobOptions, 'tts' | 'src' | 'tgt' | 'translate'>, voice: SpeakerVoice | undefined): string {
  return voice?.voice ?? jobVoice(engine, options);
}



/** The line's engine, set up for its speaker by the engine's record (engines/ttsEngines.ts). */
function speakerFor(prep: PreparedJob, voice: SpeakerVoice | undefined, lineIndex: number): Promise<TtsSpeaker> {
  const log = commandLog(prep.job);
  return ttsRecord(engineOf(prep, voice)).speaker({
    options: prep.options,
    language: dubLanguage(prep.options),
    voice,
    lineIndex,
    async runArgv(cmd, out, text) {
      const r = await run(cmd, { input: text + '\n', timeoutMs: 120_000, recordTo: log });
      // A program can print a complaint and still exit 0: no file is the failure it did not report.
      if (!(await exists(out))) throw failure(ErrorType.EngineFailed, `${cmd[0]} wrote no audio for line ${lineIndex}: ${(r.stdout + r.stderr).trim().slice(-400)}`);
    },
    logged: (op, ask) => logged(prep, op, ask),
    inJob: (rel) => inJob(prep.job, rel),
  });
}

/** The engine a line speaks with: its speaker's voice's own (a cast mixing engines), else the job's. */
function engineOf(prep: PreparedJob, voice: SpeakerVoice | undefined): TtsEngineName {
  return voice?.engine ?? prep.ttsEngine;
}

/** A warm-host request, recorded in tmp/engine-host.jsonl (what was asked, without the text) like a command. */
async function logged(prep: PreparedJob, op: string, ask: () => Promise<{ request: Record<string, unknown> }>): Promise<void> {
  const started = Date.now();
  const { request } = await ask();
  await recordCommand(hostRequestLog(prep.job), { argv: [op, JSON.stringify({ ...request, text: undefined })], wallMs: Date.now() - started, exitCode: 0 });
}

/** `plan` is present only with expressive prosody on; without it this is exactly the plain synthesis. */
export async function synthesizeLine(prep: PreparedJob, line: TranslatedLine, plan?: ProsodyPlan): Promise<Clip> {
  return (await synthesizeLines(prep, [{ line, ...(plan ? { plan } : {}) }]))[0];
}

/** A clip the engine has spoken and ffmpeg has still to trim (and, for a one-voice engine's speaker, pitch). */
interface Spoken {
  raw: string;
  out: string;
  hash: string;
  pitch?: number;
  /** With expressive prosody: the plan still to apply to the trimmed clip, and where the trimmed clip goes first. */
  expressive?: Expressive;
  clip: (reused: boolean) => Promise<Clip>;
}

interface Expressive {
  normalized: string;
  apply: (normalized: string) => Promise<{ filters: string[]; done: () => Promise<void> }>;
}

/**
 * Several lines' clips, in order: each spoken by its engine, then the ffmpeg work of all of them in one run per
 * step (trim; the expressive plans; the speakers' pitch), since an ffmpeg start costs about what a short line's
 * work does. A clip already on disk from the same inputs is reused; a cancellation stops before the next line.
 */
export async function synthesizeLines(prep: PreparedJob, items: readonly { line: TranslatedLine; plan?: ProsodyPlan }[]): Promise<Clip[]> {
  const ctx = activityContext();
  const clips: (Clip | Spoken)[] = [];
  for (const { line, plan } of items) {
    if (ctx?.cancellationSignal.aborted) throw new CancelledFailure('synthesis was cancelled between lines');
    clips.push(await speakLine(prep, line, plan));
    ctx?.heartbeat();
  }
  const spoken = clips.filter((c): c is Spoken => 'raw' in c);
  if (spoken.length) await finishClips(prep, spoken);
  return Promise.all(clips.map((c) => ('raw' in c ? c.clip(false) : c)));
}

async function finishClips(prep: PreparedJob, spoken: Spoken[]): Promise<void> {
  const log = commandLog(prep.job);
  await runClipJobs(spoken.map((c) => ({ input: c.raw, filters: NORMALIZE_CLIP_FILTERS, output: c.expressive?.normalized ?? tmpOf(c.out) })), log);
  const expressive = spoken.filter((c) => c.expressive);
  if (expressive.length) {
    const plans: { filters: string[]; done: () => Promise<void> }[] = [];
    for (const c of expressive) plans.push(await c.expressive!.apply(c.expressive!.normalized));
    await runClipJobs(expressive.map((c, i) => ({ input: c.expressive!.normalized, filters: plans[i].filters, output: tmpOf(c.out) })), log);
    for (const [i, c] of expressive.entries()) {
      await rm(c.expressive!.normalized, { force: true });
      await plans[i].done();
    }
  }
  // One-voice engines tell speakers apart by pitch, applied last so expressive pitch stays relative to the voice.
  const pitched = spoken.filter((c) => c.pitch && Math.abs(c.pitch - 1) > 1e-3);
  if (pitched.length) {
    const shifted = (c: Spoken) => `${c.raw.replace(/\.raw\.wav$/, '')}.pitch.wav`;
    await runClipJobs(pitched.map((c) => ({ input: tmpOf(c.out), filters: pitchShiftFilters(c.pitch!), output: shifted(c) })), log);
    for (const c of pitched) await rename(shifted(c), tmpOf(c.out));
  }
  for (const c of spoken) {
    await commit(prep.job, tmpOf(c.out), c.out, c.hash);
    await rm(c.raw, { force: true });
  }
}

/** Clip jobs of one step in one ffmpeg run (a minute for each, as one line's run had). */
async function runClipJobs(jobs: ClipJob[], log: string): Promise<void> {
  await run(clipJobsArgv(jobs), { timeoutMs: 60_000 * jobs.length, recordTo: log });
}

/** One line: its clip from the cache, or the engine's raw output with what ffmpeg has still to do to it. */
async function speakLine(prep: PreparedJob, line: TranslatedLine, plan?: ProsodyPlan): Promise<Clip | Spoken> {
  const { job, options } = prep;
  const rel = `tts/${pad4(line.index)}.wav`;
  const out = inJob(job, rel);
  const voice = voiceFor(prep.voices, line);
  const ttsEngine = engineOf(prep, voice);
  const engineRecord = ttsRecord(ttsEngine);
  const voiceName = lineVoice(ttsEngine, options, voice);
  // The speaker's voice joins the hash only when there is one, so jobs without a voice plan keep their caches.
  const who: unknown[] = voice ? [voice, engineRecord.voiceModel?.(options)] : [];
  // The timing fit's condensing step may ask for a faster pace; only engines with a rate knob take it here
  // (the others are sped up by the fit). Read loosely: lines from before that step carry no hint.
  const hint = hasRateKnob(ttsEngine) ? Number((line as TranslatedLine & { rateHint?: number }).rateHint) || 1 : 1;
  if (hint !== 1) who.push({ rateHint: hint });
  const said = spokenText(line);
  const hash = plan
    ? hashOf('tts', ttsEngine, voiceName, options.tts.espeakSpeed, said, plan, ...who)
    : hashOf('tts', ttsEngine, voiceName, options.tts.espeakSpeed, said, ...who);
  // Tells the fit how much of the line's rateHint the engine already took (only engines with a rate knob).
  const clipOf = async (reused: boolean): Promise<Clip> => ({ index: line.index, path: rel, durationSec: await wavFileDuration(out), reused, ...(hasRateKnob(ttsEngine) ? { rateApplied: hint } : {}) });
  if (await isFresh(job, out, hash)) return clipOf(true);

  await mkdir(path.dirname(out), { recursive: true });
  const raw = inJob(job, `tmp/tts/${pad4(line.index)}.raw.wav`);
  await mkdir(path.dirname(raw), { recursive: true });
  const speaker = await speakerFor(prep, voice, line.index);
  const pitch = voice?.pitch ? { pitch: voice.pitch } : {};
  if (!plan) {
    await speaker.speak(raw, said, hint);
    return { raw, out, hash, ...pitch, clip: clipOf };
  }
  // A leading [happy]/[sad]/[angry]/[calm] is direction, not text to speak.
  const text = parseEmotionTag(said).text;
  const paced = hint === 1 ? plan : { ...plan, multipliers: { ...plan.multipliers, rate: plan.multipliers.rate * hint } };
  // The engine's own rate knob where it has one; what is left goes through atempo with the pitch and energy.
  const { rateApplied, tempoLeft } = await speaker.speakPaced(raw, text, paced.multipliers.rate);
  const reference = { key: speaker.key, speakTo: (o: string) => speaker.speak(o, CALIBRATION_TEXT) };
  const apply = async (normalized: string) => {
    const { filters, applied } = await prosodyFilters(prep, normalized, plan, tempoLeft, reference);
    const done = async () => {
      if (!options.expressive.debug) return;
      const how = { rate: rateApplied, ...applied, pause: plan.pauseMs > 0 ? `${plan.pauseMs} ms kept before the next line when the line fits with it (timing fit)` : 'none' };
      await writeAtomic(job, inJob(job, `expressive/plans/${pad4(line.index)}.json`), JSON.stringify({ ...plan, text: { source: line.text, target: line.target, spoken: text }, applied: how }, null, 2));
    };
    return { filters, done };
  };
  return { raw, out, hash, ...pitch, expressive: { normalized: inJob(job, `tmp/tts/${pad4(line.index)}.norm.wav`), apply }, clip: clipOf };
}
