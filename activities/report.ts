// report.json and report.html: per line, where the dub sits against its source line and what the fit had to
// do; for the job, the timing figures and the loudness of the final mix (the dub track the containers carry).
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ebur128Argv, loudnessFromJson, parseEbur128, thinFrames, type LoudnessSummary } from '../engines/ebur128.js';
import type { DubOutputs, FittedLine, HashRequest, LipsyncOutcome, PreparedJob, ReportWritten, TranslatedLine } from '../lib/job.js';
import { outputHashesOf } from '../storage/artifactStore.js';
import { qaLines, qaSummary, type QaLoudness } from '../lib/qaReport.js';
import { reportHtml, type SubtitlesSummary } from '../formats/reportHtml.js';
import { drawTimeline } from '../formats/timelinePng.js';
import { commandLog, exists, inJob, isFresh, tmpOf, writeAtomic } from '../storage/artifacts.js';
import { duckSpans, MIX_LOUDNESS, readMixInfo } from './mix.js';
import { envelopeCurve } from '../lib/duckEnvelope.js';
import { encodedDubHash } from './mux.js';
import { run } from '../engines/run.js';
import { SUBTITLES_JSON } from './importSubtitles.js';
import { linesOf } from './lineSets.js';
import type { Lines } from '../lib/job.js';
import { dubLanguage } from '../lib/languages.js';
import { fitVideoOn, toOutput } from '../lib/timeMap.js';
import { fitOf } from '../lib/jobFit.js';
import { readTimeMap } from './fitVideo.js';
import { hasRateKnob } from '../config/ttsEngineNames.js';
import type { VoicePlan } from '../lib/voices.js';
import { VOICES_FILE } from './voices.js';
import { DUB_MIX_WAV, REPORT_FILE } from '../lib/artifactNames.js';

const r6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** Engines that take the fit's rate hint themselves (activities/tts.ts): their pace change counts as speed. */

export const REPORT_HTML = 'report.html';
export const REPORT_PNG = 'report.timeline.png';

/** The dub as the viewer hears it: the first audio track of the MKV (the mix WAV when there is no MKV). */
async function measureDubTrack(prep: PreparedJob, outputs: DubOutputs): Promise<{ file: string; loudness: LoudnessSummary } | undefined> {
  // The mix's own final measurement, when it belongs to the mix on disk: no second decode at the end of the job.
  // It is taken before the AAC encode; the limiter's 1 dB margin leaves the encode's few tenths of a dB room.
  const { job } = prep;
  const stamp = await encodedDubHash(prep, DUB_MIX_WAV).catch(() => undefined);
  if (stamp && (await isFresh(job, inJob(job, MIX_LOUDNESS), stamp))) {
    return { file: DUB_MIX_WAV, loudness: loudnessFromJson(await readFile(inJob(job, MIX_LOUDNESS), 'utf8')) };
  }
  const candidates = [outputs.mkv, outputs.mp4, DUB_MIX_WAV].filter((f): f is string => !!f);
  for (const rel of candidates) {
    const abs = inJob(prep.job, rel);
    if (!(await exists(abs))) continue;
    const { stderr } = await run(ebur128Argv(abs, 0), { timeoutMs: 30 * 60_000, recordTo: commandLog(prep.job) });
    return { file: rel, loudness: parseEbur128(stderr) };
  }
  return undefined;
}

/**
 * report.json, report.html and the timeline PNG. Returns report.json's path; with `want.hashes` (a workflow that
 * carries output hashes to its result) also the SHA-256 and size of the three files, hashed here where they were made.
 */
export async function writeReport(
  prep: PreparedJob, linesIn: Lines<TranslatedLine>, fittedIn: Lines<FittedLine>, outputsIn: DubOutputs, lipsyncIn: LipsyncOutcome = { status: 'off' }, want: HashRequest = {},
): Promise<string | ReportWritten> {
  // Hashes are the result's business, not the report's (a workflow passing muxOutputs' result on as it was).
  const { hashes: _o, ...outputs } = outputsIn as DubOutputs & { hashes?: unknown };
  const { hashes: _l, ...lipsync } = lipsyncIn;
  const timeMap = fitVideoOn(prep.options) ? await readTimeMap(prep.job) : undefined;
  let [lines, fitted] = await Promise.all([linesOf(prep.job, linesIn), timeMap ? timeMap.lines : linesOf(prep.job, fittedIn)]);
  // --fit-video auto: every time in the report is output time (the source lines as the slowed picture shows them).
  if (timeMap) lines = lines.map((l) => ({ ...l, start: toOutput(timeMap, l.start), end: toOutput(timeMap, l.end) }));
  const durationSec = timeMap?.durationSec ?? prep.media.durationSec;
  const fitVideo = timeMap && {
    sourceDurationSec: timeMap.sourceDurationSec, durationSec: timeMap.durationSec, addedSec: r6(timeMap.durationSec - timeMap.sourceDurationSec),
    addedShare: r6(timeMap.durationSec / timeMap.sourceDurationSec - 1), speechSpeed: prep.options.fitVideo.speechSpeed, maxStretch: prep.options.fitVideo.maxStretch,
    spans: timeMap.placed,
  };
  const byIndex = new Map(fitted.map((f) => [f.index, f]));
  const mixOpts = prep.options.mix;
  const qa = qaLines({ lines, fitted, engine: prep.ttsEngine, nativeRate: hasRateKnob(prep.ttsEngine), maxSpeed: fitOf(prep).maxSpeed });
  const rows = lines.map((l, i) => {
    const f = byIndex.get(l.index);
    return {
      ...qa[i],
      slot: f ? { start: f.start, end: f.slotEnd } : undefined,
      ttsDurationSec: f?.ttsDurationSec,
      dubDurationSec: f?.fittedDurationSec,
      speed: f?.speed,
      trimmedSec: f?.trimmedSec,
      paddedSec: f?.paddedSec,
      status: !f ? 'missing' : f.trimmedSec > 0 ? 'trimmed' : f.speed > 1 ? 'sped-up' : 'fits',
      edited: prep.options.review?.overrides?.edits[String(l.index)] !== undefined,
      ttsReused: f?.ttsReused ?? false,
      // A chat translator's length budget for the line (syllables): what it aimed for, what it got, how often asked.
      ...(l.length ? { lengthBudget: l.length } : {}),
    };
  });
  const measured = await measureDubTrack(prep, outputs);
  const loudness: QaLoudness | undefined = measured && {
    integratedLufs: measured.loudness.integratedLufs,
    truePeakDb: measured.loudness.truePeakDb,
    loudnessRangeLu: measured.loudness.loudnessRangeLu,
    targetLufs: mixOpts.loudnessLufs,
    ceilingDb: mixOpts.truePeakDb,
  };
  const qaSum = qaSummary(qa, loudness);
  const mixInfo = await readMixInfo(prep.job);
  const summary = {
    fits: rows.filter((r) => r.status === 'fits').length,
    spedUp: rows.filter((r) => r.status === 'sped-up').length,
    trimmed: rows.filter((r) => r.status === 'trimmed').length,
    maxSpeed: Math.max(1, ...fitted.map((f) => f.speed)),
    resynthesized: fitted.filter((f) => !f.ttsReused).length,
    ...qaSum,
    loudnessMeasuredOn: measured?.file,
  };
  const engines = { asr: prep.options.subs ? 'subtitles' : prep.options.asr.engine, mt: prep.options.translatedSubs || prep.subsLanguage ? 'subtitles' : prep.options.mt.engine, tts: prep.ttsEngine };
  // Imported subtitles: what was voiced, what was skipped and why (songs, signs, SDH, credits, past the end).
  const subtitles = prep.options.subs ? await readFile(inJob(prep.job, SUBTITLES_JSON), 'utf8').then((t) => JSON.parse(t) as unknown, () => undefined) : undefined;
  const background = mixInfo?.background;
  const cast = await readFile(inJob(prep.job, VOICES_FILE), 'utf8').then((t) => castSummary(JSON.parse(t) as VoicePlan), () => undefined);
  const report = {
    version: 2,
    outputVersion: prep.options.review?.outputVersion ?? 1,
    job: prep.job.name,
    input: prep.media.path,
    durationSec,
    ...(fitVideo ? { fitVideo } : {}),
    languages: { source: prep.options.src, target: dubLanguage(prep.options) },
    engines: { ...engines, separation: background?.kind === 'separated' ? background.engine : 'off' },
    mix: mixInfo,
    outputs: { ...outputs, html: REPORT_HTML, timeline: REPORT_PNG },
    lipsync,
    ...(subtitles ? { subtitles } : {}),
    // Who speaks with which voice, and for a cast matched to the source: each speaker's pitch there, and why a voice was a guess.
    ...(cast ? { cast } : {}),
    summary,
    ...(background?.kind === 'ducked' ? { duckingCurve: duckingCurve(fitted, background.duckDb, durationSec).map((p) => [p.t, r2(p.centreDb), r2(p.sideDb)]) } : {}),
    loudnessCurve: measured ? thinFrames(measured.loudness.frames).map((f) => ({ t: f.t, m: f.momentary, s: f.shortTerm })) : [],
    lines: rows,
  };

  const png = drawTimeline({
    durationSec,
    ...(timeMap ? { stretched: timeMap.placed.map((s) => ({ start: s.outStart, end: s.outEnd })) } : {}),
    source: lines.map((l) => ({ start: l.start, end: l.end })),
    dub: qa.filter((r) => r.dub).map((r) => ({ start: r.dub!.start, end: r.dub!.end, problem: r.problems.length > 0 })),
    loudness: measured?.loudness.frames ?? [],
    targetLufs: mixOpts.loudnessLufs,
    ...(background?.kind === 'ducked' ? { ducking: duckingCurve(fitted, background.duckDb, durationSec) } : {}),
  });
  const pngAbs = inJob(prep.job, REPORT_PNG);
  await writeFile(tmpOf(pngAbs), png);
  await rename(tmpOf(pngAbs), pngAbs);
  const backgroundText = !background ? undefined
    : background.kind === 'separated' ? `${background.engine} (${background.path})` : `original ducked ${background.duckDb} dB (${background.reason})`;
  const still = lipsync.still ? await readFile(inJob(prep.job, lipsync.still)).then((b) => b.toString('base64'), () => undefined) : undefined;
  const lipsyncPage = lipsync.status === 'done' && lipsync.shots ? { plugin: lipsync.plugin ?? '', shots: lipsync.shots, ...(still ? { stillPngBase64: still } : {}) } : undefined;
  const html = reportHtml({
    job: prep.job.name, input: prep.media.path, durationSec, ...(fitVideo ? { fitVideo } : {}), ...(lipsyncPage ? { lipsync: lipsyncPage } : {}),
    languages: report.languages, engines, background: backgroundText, summary: qaSum, lines: qa,
    ...(subtitles ? { subtitles: subtitles as SubtitlesSummary } : {}),
  }, png.toString('base64'));
  await writeAtomic(prep.job, inJob(prep.job, REPORT_HTML), html);
  const rel = REPORT_FILE;
  await writeAtomic(prep.job, inJob(prep.job, rel), JSON.stringify(report, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2));
  if (!want.hashes) return rel;
  return { report: rel, hashes: await outputHashesOf((r) => inJob(prep.job, r), [rel, REPORT_HTML, REPORT_PNG]) };
}

/** The ducking envelope the mix applied, about two points per pixel of the picture, never closer than 20 ms (the ramps are 120-200 ms). */
function duckingCurve(fitted: FittedLine[], duckDb: number, durationSec: number): { t: number; centreDb: number; sideDb: number }[] {
  return envelopeCurve(duckSpans(fitted), duckDb, durationSec, Math.max(0.02, durationSec / 2400)).map(([t, centreDb, sideDb]) => ({ t, centreDb, sideDb }));
}

const r2 = (x: number) => Math.round(x * 100) / 100;
/** voices/voices.json as the report gives it: voice names without folders, each speaker's source pitch and any guess. */
function castSummary(plan: VoicePlan) {
  return {
    engine: plan.engine, speakersFrom: plan.speakersFrom, ...(plan.note ? { note: plan.note } : {}),
    speakers: plan.speakers.map((v) => ({
      speaker: v.speaker, engine: v.engine ?? plan.engine, voice: v.voice ? path.basename(v.voice) : v.reference,
      ...(v.register ? { register: v.register, sourcePitchHz: v.sourcePitchHz } : {}), ...(v.why ? { why: v.why } : {}),
    })),
  };
}
