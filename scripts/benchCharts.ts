// The benchmark's two charts, drawn as small hand-written SVGs and rendered to PNG by headless Chromium
// (playwright-core, a devDependency): no charting library.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

const COLORS: Record<string, string> = {
  prepare: '#8c8c8c', extract: '#4e79a7', transcribe: '#f28e2b', translate: '#e15759', expressive: '#b07aa1',
  synthesize: '#59a14f', assemble: '#76b7b2', mix: '#edc948', mux: '#9c755f', lipsync: '#ff9da7', report: '#bab0ac',
  overhead: '#d3d3d3',
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const text = (x: number, y: number, s: string, extra = '') => `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${extra}>${esc(s)}</text>`;

export interface StageBar {
  label: string;
  wallSec: number;
  /** Stage name → seconds; whatever the stages leave of the wall time is drawn as "overhead". */
  stages: Record<string, number>;
}

/** One horizontal bar per run, each segment a stage's share of that run's wall time; the total at the right. */
export function stageChartSvg(bars: StageBar[], title: string): { svg: string; width: number; height: number } {
  const width = 860;
  const left = 150;
  const right = 110;
  const barH = 30;
  const gap = 16;
  const top = 50;
  const plotW = width - left - right;
  const names = [...new Set(bars.flatMap((b) => Object.keys(b.stages)))];
  const legendRows = Math.ceil((names.length + 1) / 6);
  const height = top + bars.length * (barH + gap) + 40 + legendRows * 22;
  const parts: string[] = [];
  parts.push(text(left, 28, title, 'font-size="16" font-weight="bold"'));
  bars.forEach((b, i) => {
    const y = top + i * (barH + gap);
    let x = left;
    const used = Object.values(b.stages).reduce((s, v) => s + v, 0);
    const segs = [...names.map((n) => [n, b.stages[n] ?? 0] as const), ['overhead', Math.max(0, b.wallSec - used)] as const];
    for (const [name, sec] of segs) {
      const w = (plotW * sec) / b.wallSec;
      if (w <= 0) continue;
      parts.push(`<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${COLORS[name] ?? '#333'}"><title>${esc(`${name} ${sec.toFixed(1)} s`)}</title></rect>`);
      if (w > 34) parts.push(text(x + w / 2, y + barH / 2 + 4, `${Math.round((100 * sec) / b.wallSec)}%`, 'font-size="11" text-anchor="middle" fill="#fff"'));
      x += w;
    }
    parts.push(text(left - 8, y + barH / 2 + 5, b.label, 'font-size="13" text-anchor="end"'));
    parts.push(text(left + plotW + 8, y + barH / 2 + 5, `${b.wallSec.toFixed(1)} s`, 'font-size="13"'));
  });
  const ly = top + bars.length * (barH + gap) + 18;
  [...names, 'overhead'].forEach((n, i) => {
    const lx = left + (i % 6) * 105;
    const yy = ly + Math.floor(i / 6) * 22;
    parts.push(`<rect x="${lx}" y="${yy - 10}" width="12" height="12" fill="${COLORS[n] ?? '#333'}"/>`);
    parts.push(text(lx + 17, yy, n === 'overhead' ? 'not in a stage' : n, 'font-size="12"'));
  });
  return { svg: wrap(width, height, parts), width, height };
}

export interface ScalingPoint {
  minutes: number;
  oursSec: number;
  baselineSec?: number;
  engineSumSec: number;
}

/** Wall time against input length: ours, the sequential baseline, and the real-time-factor 0.25 target. */
export function scalingChartSvg(points: ScalingPoint[], title: string): { svg: string; width: number; height: number } {
  const width = 820;
  const height = 440;
  const left = 70;
  const right = 230;
  const top = 50;
  const bottom = 60;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const maxX = Math.max(...points.map((p) => p.minutes)) * 1.05;
  const maxY = niceCeil(Math.max(...points.flatMap((p) => [p.oursSec, p.baselineSec ?? 0, p.engineSumSec])) * 1.1);
  const X = (m: number) => left + (plotW * m) / maxX;
  const Y = (s: number) => top + plotH - (plotH * s) / maxY;
  const parts: string[] = [];
  parts.push(text(left, 28, title, 'font-size="16" font-weight="bold"'));
  for (let i = 0; i <= 5; i++) {
    const v = (maxY * i) / 5;
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${Y(v)}" y2="${Y(v)}" stroke="#e5e5e5"/>`);
    parts.push(text(left - 8, Y(v) + 4, `${Math.round(v)}`, 'font-size="12" text-anchor="end"'));
  }
  for (const p of points) {
    parts.push(`<line x1="${X(p.minutes)}" x2="${X(p.minutes)}" y1="${top + plotH}" y2="${top + plotH + 5}" stroke="#333"/>`);
    parts.push(text(X(p.minutes), top + plotH + 20, `${p.minutes.toFixed(1)}`, 'font-size="12" text-anchor="middle"'));
  }
  parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`);
  parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#333"/>`);
  parts.push(text(left + plotW / 2, height - 18, 'input length (minutes)', 'font-size="13" text-anchor="middle"'));
  parts.push(text(18, top + plotH / 2, 'wall time (s)', `font-size="13" text-anchor="middle" transform="rotate(-90 18 ${top + plotH / 2})"`));
  const series: { name: string; color: string; dash?: string; pts: [number, number][] }[] = [
    { name: 'baseline (sequential replay)', color: '#e15759', pts: points.filter((p) => p.baselineSec !== undefined).map((p) => [p.minutes, p.baselineSec!]) },
    { name: 'engine time, summed', color: '#f28e2b', dash: '2 4', pts: points.map((p) => [p.minutes, p.engineSumSec]) },
    { name: 'ours (Temporal pipeline)', color: '#4e79a7', pts: points.map((p) => [p.minutes, p.oursSec]) },
    // the target line, clipped to the plot
    { name: 'target: 0.25 × input length', color: '#59a14f', dash: '6 4', pts: [[0, 0], [Math.min(maxX, maxY / 15), Math.min(maxX, maxY / 15) * 15]] },
  ];
  series.forEach((s, i) => {
    if (!s.pts.length) return;
    const d = s.pts.map(([m, v], k) => `${k ? 'L' : 'M'}${X(m).toFixed(1)},${Y(v).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2.5"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    if (!s.name.startsWith('target')) for (const [m, v] of s.pts) parts.push(`<circle cx="${X(m).toFixed(1)}" cy="${Y(v).toFixed(1)}" r="4" fill="${s.color}"/>`);
    const ly = top + 10 + i * 22;
    parts.push(`<line x1="${left + plotW + 15}" x2="${left + plotW + 40}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2.5"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    parts.push(text(left + plotW + 46, ly + 4, s.name, 'font-size="12"'));
  });
  points.forEach((p, i) => {
    parts.push(text(left + plotW + 15, top + 120 + i * 18, `${p.minutes.toFixed(1)} min: ${(p.oursSec / p.minutes).toFixed(1)} s per input min`, 'font-size="11" fill="#4e79a7"'));
  });
  return { svg: wrap(width, height, parts), width, height };
}

function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(Math.max(v, 1)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function wrap(width: number, height: number, parts: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif"><rect width="100%" height="100%" fill="#fff"/>${parts.join('')}</svg>`;
}

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Renders each SVG to a PNG of the same size with headless Chromium. */
export async function renderPngs(charts: { svg: string; width: number; height: number; out: string }[]): Promise<void> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ deviceScaleFactor: 1 });
    for (const c of charts) {
      await mkdir(path.dirname(c.out), { recursive: true });
      await page.setViewportSize({ width: c.width, height: c.height });
      await page.setContent(`<!doctype html><html><body style="margin:0">${c.svg}</body></html>`);
      await page.screenshot({ path: c.out, clip: { x: 0, y: 0, width: c.width, height: c.height } });
    }
  } finally {
    await browser.close();
  }
}
