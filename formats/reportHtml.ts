// report.html: one self-contained page (inline CSS, the timeline PNG as a data: URL), readable offline.
import type { QaLine, QaSummary } from '../lib/qaReport.js';
import { SLOT_TOLERANCE } from '../lib/qaReport.js';
import type { CueDecision, SkippedCue } from '../lib/subtitleEvents.js';
import { TIMELINE_COLORS, TIMELINE_LAYOUT } from './timelinePng.js';
import type { LipsyncShot } from '../lib/job.js';

/** What subtitles.json says about imported subtitles (report.json repeats it), as far as the page shows it. */
export interface SubtitlesSummary {
  source?: string;
  voiced?: number;
  skipped?: SkippedCue[];
  skippedByReason?: Record<string, number>;
  decisions?: CueDecision[];
  pastEnd?: { count: number; from: number; to: number };
}

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
  /** --subs: the events not voiced, by reason and one by one. */
  subtitles?: SubtitlesSummary;
  fitVideo?: { sourceDurationSec: number; durationSec: number; spans: { srcStart: number; srcEnd: number; outStart: number; outEnd: number; factor: number; addedSec: number; lines: number[] }[] };
  /** A lip-sync plugin's account: per shot what it did, and a changed frame beside its original (PNG, base64). */
  lipsync?: { plugin: string; shots: LipsyncShot[]; stillPngBase64?: string };
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
th{background:#f4f4f4}summary{cursor:pointer}tr.bad td{background:#fdecec}small{color:#777}
.key{margin-right:16px}.key i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
img{max-width:100%;border:1px solid #ddd}
</style></head><body>
<h1>Dub report: ${escapeHtml(page.job)}</h1>
<p>${escapeHtml(page.input)} · ${page.durationSec.toFixed(1)} s · ${escapeHtml(page.languages.source)} → ${escapeHtml(page.languages.target)}</p>
<table>${summaryRows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>
${fitVideoHtml(page.fitVideo)}
${subtitlesHtml(page.subtitles)}
${lipsyncHtml(page.lipsync)}
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

/** Rows listed one by one on the page; report.json keeps every one (a season's karaoke is thousands). */
export const SKIPPED_ROWS_SHOWN = 2000;

const REASONS: Record<string, string> = {
  song: 'songs (karaoke, OP/ED, lyrics)', sign: 'signs (typeset, placed, drawn)', comment: 'comments', 'skip-style': 'styles in --skip-styles',
  sound: 'sound cues ([door slams])', music: 'music marks (♪)', credit: 'credits and adverts',
};

function clock(x: number): string {
  const m = Math.floor(x / 60);
  return `${m}:${(x - m * 60).toFixed(2).padStart(5, '0')}`;
}

/** Imported subtitles: how many events were voiced, which were not and why (counts, then a collapsible list with times). */
function subtitlesHtml(sub: SubtitlesSummary | undefined): string {
  if (!sub) return '';
  const skipped = sub.skipped ?? [];
  const byReason = sub.skippedByReason ?? skipped.reduce<Record<string, number>>((acc, k) => ({ ...acc, [k.reason]: (acc[k.reason] ?? 0) + 1 }), {});
  const total = Object.values(byReason).reduce((a, b) => a + b, 0);
  const counts = Object.entries(byReason).sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `<tr><th>${escapeHtml(REASONS[reason] ?? reason)}</th><td>${n}</td></tr>`).join('');
  const shown = skipped.slice(0, SKIPPED_ROWS_SHOWN);
  const rows = shown.map((k) => `<tr><td>${k.line}</td><td>${clock(k.start)}–${clock(k.end)}</td><td>${escapeHtml(k.reason)}</td><td>${escapeHtml(k.style ?? '')}</td><td>${escapeHtml(k.why)}</td></tr>`).join('\n');
  const more = skipped.length > shown.length ? `<p>… and ${skipped.length - shown.length} more (report.json lists every one).</p>` : '';
  const changed: Record<string, number> = {};
  for (const d of sub.decisions ?? []) changed[d.action] = (changed[d.action] ?? 0) + 1;
  const changes = Object.entries(changed).map(([a, n]) => `${escapeHtml(a)}: ${n}`).join(', ');
  const decisions = (sub.decisions ?? []).slice(0, SKIPPED_ROWS_SHOWN);
  const decisionList = decisions.length ? `<details><summary>Changes to voiced cues, one by one (${sub.decisions!.length}): labels read or kept, two-speaker rows split, captions merged, sound cues cut</summary>
<table><tr><th>file line</th><th>change</th><th>detail</th></tr>
${decisions.map((d) => `<tr><td>${d.line}</td><td>${escapeHtml(d.action)}</td><td>${escapeHtml(d.detail)}</td></tr>`).join('\n')}
</table></details>` : '';
  return `<h2>Subtitles</h2>
<p>${escapeHtml(sub.source ?? '')} · ${sub.voiced ?? '–'} line${sub.voiced === 1 ? '' : 's'} voiced · ${total} event${total === 1 ? '' : 's'} not voiced${sub.pastEnd ? ` · ${sub.pastEnd.count} past the video's end` : ''}${changes ? ` · changes: ${changes}` : ''}</p>
${total ? `<table class="skips">${counts}</table>
<details><summary>Events not voiced, one by one (${skipped.length})</summary>
<table><tr><th>file line</th><th>time</th><th>reason</th><th>style</th><th>why</th></tr>
${rows}
</table>${more}</details>` : ''}
${decisionList}`;
}

/** Lip-sync per shot (what the plugin found and changed), and one changed frame beside its original. */
function lipsyncHtml(ls: ReportPage['lipsync']): string {
  if (!ls) return '';
  const rows = ls.shots.map((s, i) => `<tr><td>${i + 1}</td><td>${sec(s.start)}–${sec(s.end)}</td><td>${s.faces}</td><td>${s.linesRetimed.join(', ') || '–'}</td><td>${s.framesChanged}</td></tr>`).join('\n');
  return `<h2>Lip-sync (${escapeHtml(ls.plugin)})</h2>
<table><tr><th>shot</th><th>time, s</th><th>faces</th><th>lines re-timed</th><th>frames changed</th></tr>
${rows}
</table>
${ls.stillPngBase64 ? `<p>A changed frame: the original (left) and after lip-sync (right).</p>\n<img alt="a frame before and after lip-sync" src="data:image/png;base64,${ls.stillPngBase64}">` : ''}`;
}
