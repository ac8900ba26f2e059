// The QA summary the CLI prints after a run, read from the job's report.json (the workflow result stays small).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { DubJobResult } from '../lib/job.js';
import { formatQaSummary, type QaSummary } from '../lib/qaReport.js';

export function qaSummaryLines(result: Pick<DubJobResult, 'outputDir' | 'outputs'>): string[] {
  if (!result.outputs.report) return [];
  try {
    const report = JSON.parse(readFileSync(path.join(result.outputDir, result.outputs.report), 'utf8')) as {
      summary?: QaSummary; fitVideo?: { sourceDurationSec: number; durationSec: number; spans: unknown[] };
    };
    if (!report.summary || report.summary.withinSlotShare === undefined) return []; // a report from before the QA figures
    const fv = report.fitVideo;
    const slowed = fv
      ? [`Picture slowed (--fit-video auto): ${fv.spans.length} span${fv.spans.length === 1 ? '' : 's'}, ${fv.sourceDurationSec.toFixed(2)} s → ${fv.durationSec.toFixed(2)} s (+${((fv.durationSec / fv.sourceDurationSec - 1) * 100).toFixed(1)}%); timemap.json`]
      : [];
    return ['', ...formatQaSummary(report.summary), ...slowed];
  } catch {
    return []; // the output folder is on another machine (cluster), or the report is not readable: nothing to add
  }
}
