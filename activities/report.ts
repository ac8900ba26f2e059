// report.json: per line, where it sits, how long the dub is, and what the fit had to do.
import type { DubOutputs, FittedLine, LipsyncOutcome, PreparedJob, TranslatedLine } from '../lib/job.js';
import { inJob, writeAtomic } from './artifacts.js';

export async function writeReport(prep: PreparedJob, lines: TranslatedLine[], fitted: FittedLine[], outputs: DubOutputs, lipsync: LipsyncOutcome = { status: 'off' }): Promise<string> {
  const byIndex = new Map(fitted.map((f) => [f.index, f]));
  const rows = lines.map((l) => {
    const f = byIndex.get(l.index);
    return {
      index: l.index,
      source: { start: l.start, end: l.end, text: l.text },
      target: l.target,
      slot: f ? { start: f.start, end: f.slotEnd } : undefined,
      ttsDurationSec: f?.ttsDurationSec,
      dubDurationSec: f?.fittedDurationSec,
      speed: f?.speed,
      trimmedSec: f?.trimmedSec,
      paddedSec: f?.paddedSec,
      status: !f ? 'missing' : f.trimmedSec > 0 ? 'trimmed' : f.speed > 1 ? 'sped-up' : 'fits',
      edited: prep.options.review?.overrides?.edits[String(l.index)] !== undefined,
      ttsReused: f?.ttsReused ?? false,
    };
  });
  const summary = {
    lines: rows.length,
    fits: rows.filter((r) => r.status === 'fits').length,
    spedUp: rows.filter((r) => r.status === 'sped-up').length,
    trimmed: rows.filter((r) => r.status === 'trimmed').length,
    maxSpeed: Math.max(1, ...fitted.map((f) => f.speed)),
    resynthesized: fitted.filter((f) => !f.ttsReused).length,
  };
  const report = {
    version: 1,
    outputVersion: prep.options.review?.outputVersion ?? 1,
    job: prep.job.name,
    input: prep.media.path,
    durationSec: prep.media.durationSec,
    languages: { source: prep.options.src, target: prep.options.translate ? prep.options.tgt : prep.options.src },
    engines: { asr: prep.options.subs ? 'subtitles' : prep.options.asr.engine, mt: prep.options.translatedSubs ? 'subtitles' : prep.options.mt.engine, tts: prep.ttsEngine },
    outputs,
    lipsync,
    summary,
    lines: rows,
  };
  const rel = 'report.json';
  await writeAtomic(prep.job, inJob(prep.job, rel), JSON.stringify(report, null, 2));
  return rel;
}
