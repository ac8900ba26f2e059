// report.html: one self-contained page (inline CSS, the timeline PNG as a data: URL), readable offline.
import type { QaLine, QaSummary } from '../lib/qaReport.js';
import { SLOT_TOLERANCE } from '../lib/qaReport.js';
import { TIMELINE_COLORS, TIMELINE_LAYOUT } from './timelinePng.js';

export interface ReportPage {
  job: string;
  input: string;
  durationSec: number;
  languages: { source: string; target: string };
  engines: Record<string, string>;
  background?: string;
  summary: QaSummary;
  lines: QaLine[];
  /** --fit-video auto: each slowed span (output time), its factor, and the new total duration. */
  fitVideo?: { sourceDurationSec: number; durationSec: number; spans: { srcStart: number; srcEnd: number; outStart: number; outEnd: number; factor: number; addedSec: number; lines: number[] }[] };
}

export function escapeHtml(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

const sec = (x: number | undefined, digits = 2) => (x === undefined ? '–' : x.toFixed(digits));
const ms = (x: number | undefined) => (x === undefined ? '–' : `${Math.round(x * 1000)}`);
const rgb = (c: readonly number[]) => `rgb(${c.join(',')})`;

export function reportHtml(page: ReportPage, timelinePngBase64: string): string {
  const s = page.summary;
  const L = TIMELINE_LAYOUT;
  const legend = (color: readonly number[], label: string) => `<span class="key"><i style="background:${rgb(color)}"></i>${escapeHtml(label)}</span>`;
  const summaryRows: [string, string][] = [
    [`Lines within ±${SLOT_TOLERANCE * 100}% of their source line`, `${(s.withinSlotShare * 100).toFixed(0)}% of ${s.lines}`],
    ['Speed factor, max / 95th percentile', `${s.maxSpeedFactor.toFixed(2)}× / ${s.p95SpeedFactor.toFixed(2)}×`],
    ['Drift at the end', `${ms(s.endDriftSec)} ms`],
    ...(s.loudness ? [
      ['Integrated loudness', `${s.loudness.integratedLufs.toFixed(1)} LUFS (target ${s.loudness.targetLufs})`],
      ['True peak', `${s.loudness.truePeakDb.toFixed(1)} dBTP (ceiling ${s.loudness.ceilingDb})`],
    ] as [string, string][] : []),
    ['Background', page.background ?? '–'],
    ['Engines', Object.entries(page.engines).map(([k, v]) => `${k}: ${v}`).join(', ')],
    ['Lines to check', String(s.problemLines.filter((p) => p.index >= 0).length)],
  ];
  const rows = page.lines.map((l) => `<tr class="${l.problems.length ? 'bad' : ''}">
<td>${l.index}</td><td>${sec(l.source.start)}–${sec(l.source.end)}</td><td>${l.slot ? `${sec(l.slot.start)}–${sec(l.slot.end)}` : '–'}</td>
<td>${sec(l.dubDurationSec)}</td><td>${l.speedFactor === undefined ? '–' : `${l.speedFactor.toFixed(2)}×`}${l.filter && l.filter !== 'none' ? ` <small>${escapeHtml(l.filter)}</small>` : ''}</td>
<td>${ms(l.onsetErrorSec)}</td><td>${ms(l.offsetErrorSec)}</td><td>${ms(l.overlapNextSec)}</td>
<td>${escapeHtml(l.source.text)}</td><td>${escapeHtml(l.target)}${l.uncondensedTarget !== undefined ? ` <small>(condensed from: ${escapeHtml(l.uncondensedTarget)})</small>` : ''}</td>
<td>${escapeHtml(l.engine)}</td><td>${l.problems.map(escapeHtml).join('<br>')}</td></tr>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Dub report: ${escapeHtml(page.job)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f4f4f4}tr.bad td{background:#fdecec}small{color:#777}
.key{margin-right:16px}.key i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
img{max-width:100%;border:1px solid #ddd}
</style></head><body>
<h1>Dub report: ${escapeHtml(page.job)}</h1>
<p>${escapeHtml(page.input)} · ${page.durationSec.toFixed(1)} s · ${escapeHtml(page.languages.source)} → ${escapeHtml(page.languages.target)}</p>
<table>${summaryRows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>
${fitVideoHtml(page.fitVideo)}
<h2>Timeline</h2>
<p>${legend(TIMELINE_COLORS.source, 'source lines')}${legend(TIMELINE_COLORS.dub, 'dub lines')}${legend(TIMELINE_COLORS.problem, 'dub lines to check')}${legend(TIMELINE_COLORS.momentary, 'momentary loudness')}${legend(TIMELINE_COLORS.shortTerm, 'short-term loudness')}${legend(TIMELINE_COLORS.target, 'target')}${page.background?.startsWith('original ducked') ? `${legend(TIMELINE_COLORS.duckCentre, 'ducking, centre')}${legend(TIMELINE_COLORS.duckSide, 'ducking, sides')}` : ''}${page.fitVideo?.spans.length ? legend(TIMELINE_COLORS.stretched, 'slowed spans (--fit-video)') : ''}</p>
<img alt="source and dub lines over time, and the loudness curve (${L.floorLufs} to ${L.ceilLufs} LUFS, grid every 10 s and 10 LU)" width="${L.width}" height="${L.height}" src="data:image/png;base64,${timelinePngBase64}">
<h2>Lines</h2>
<table><tr><th>#</th><th>source, s</th><th>slot, s</th><th>dub, s</th><th>speed</th><th>onset error, ms</th><th>offset error, ms</th><th>overlap next, ms</th><th>source text</th><th>dub text</th><th>engine</th><th>problems</th></tr>
${rows}
</table>
</body></html>
`;
}

/** The slowed spans of --fit-video auto: where each sits in the source and the output, by how much, for whom. */
function fitVideoHtml(fv: ReportPage['fitVideo']): string {
  if (!fv) return '';
  const added = fv.durationSec - fv.sourceDurationSec;
  const rows = fv.spans.map((s, i) => `<tr><td>${i + 1}</td><td>${sec(s.srcStart)}–${sec(s.srcEnd)}</td><td>${sec(s.outStart)}–${sec(s.outEnd)}</td><td>${s.factor.toFixed(3)}×</td><td>${sec(s.addedSec)}</td><td>${s.lines.join(', ')}</td></tr>`).join('\n');
  return `<h2>Slowed picture (--fit-video auto)</h2>
<p>${fv.spans.length} span${fv.spans.length === 1 ? '' : 's'} slowed; duration ${sec(fv.sourceDurationSec)} s → ${sec(fv.durationSec)} s (+${sec(added)} s, +${((added / Math.max(1e-9, fv.sourceDurationSec)) * 100).toFixed(1)}%)</p>
<table><tr><th>#</th><th>source, s</th><th>output, s</th><th>factor</th><th>added, s</th><th>lines</th></tr>
${rows}
</table>`;
}
