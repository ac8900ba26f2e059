// The report's picture: source lines against dub lines on one time axis, and the loudness curve under them.
// Plain pixels (pngjs): no fonts, no browser; the HTML around it carries the labels.
import { PNG } from 'pngjs';

export interface TimelineSpan {
  start: number;
  end: number;
  /** Drawn in the warning colour. */
  problem?: boolean;
}

export interface TimelineData {
  durationSec: number;
  source: TimelineSpan[];
  dub: TimelineSpan[];
  /** Momentary and short-term loudness over time, LUFS. */
  loudness: { t: number; momentary: number; shortTerm: number }[];
  targetLufs?: number;
  /** The ducked original's gain over time (dB, 0 = untouched): the centre, and the side where it differs. */
  ducking?: { t: number; centreDb: number; sideDb: number }[];
  /** --fit-video auto: the slowed spans, in output time (a shaded band behind the lanes, a mark along the top). */
  stretched?: TimelineSpan[];
}

type Rgb = [number, number, number];
export const TIMELINE_COLORS = {
  background: [255, 255, 255] as Rgb,
  grid: [225, 225, 225] as Rgb,
  source: [66, 120, 200] as Rgb,
  dub: [230, 140, 40] as Rgb,
  problem: [210, 40, 40] as Rgb,
  momentary: [170, 170, 170] as Rgb,
  shortTerm: [40, 150, 80] as Rgb,
  target: [120, 60, 160] as Rgb,
  stretchedBand: [236, 228, 250] as Rgb,
  stretched: [150, 100, 210] as Rgb,
  duckCentre: [200, 60, 120] as Rgb,
  duckSide: [235, 170, 200] as Rgb,
};

export const TIMELINE_LAYOUT = { width: 1200, height: 320, laneTop: 20, laneHeight: 40, laneGap: 20, curveTop: 150, curveHeight: 150, floorLufs: -50, ceilLufs: 0 };

class Canvas {
  readonly png: PNG;
  constructor(readonly width: number, readonly height: number, fill: Rgb) {
    this.png = new PNG({ width, height });
    const px = Buffer.from([...fill, 255]);
    for (let i = 0; i < width * height; i++) px.copy(this.png.data, i * 4);
  }
  set(x: number, y: number, c: Rgb): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const d = this.png.data;
    const i = (y * this.width + x) * 4;
    d[i] = c[0];
    d[i + 1] = c[1];
    d[i + 2] = c[2];
    d[i + 3] = 255;
  }
  rect(x0: number, y0: number, x1: number, y1: number, c: Rgb): void {
    for (let y = Math.max(0, Math.floor(y0)); y < Math.min(this.height, Math.ceil(y1)); y++) {
      for (let x = Math.max(0, Math.floor(x0)); x < Math.min(this.width, Math.max(Math.ceil(x1), Math.floor(x0) + 1)); x++) this.set(x, y, c);
    }
  }
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb): void {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    for (let i = 0; i <= steps; i++) this.set(x0 + ((x1 - x0) * i) / steps, y0 + ((y1 - y0) * i) / steps, c);
  }
}

/** Pixel x of a time, for tests and for the HTML's axis labels. */
export function timeToX(t: number, durationSec: number, width = TIMELINE_LAYOUT.width): number {
  return durationSec > 0 ? Math.min(width - 1, Math.max(0, (t / durationSec) * (width - 1))) : 0;
}

/** The ducking curve sits between the dub lane and the loudness curve: 0 dB at the top, DUCK_FLOOR_DB at the bottom. */
export const DUCK_BAND = { top: 124, height: 22, floorDb: -24 };

export function duckDbToY(db: number): number {
  const v = Math.min(0, Math.max(DUCK_BAND.floorDb, db));
  return DUCK_BAND.top + (v / DUCK_BAND.floorDb) * (DUCK_BAND.height - 1);
}

export function lufsToY(lufs: number): number {
  const { curveTop, curveHeight, floorLufs, ceilLufs } = TIMELINE_LAYOUT;
  const v = Number.isFinite(lufs) ? Math.min(ceilLufs, Math.max(floorLufs, lufs)) : floorLufs;
  return curveTop + ((ceilLufs - v) / (ceilLufs - floorLufs)) * (curveHeight - 1);
}

export function drawTimeline(d: TimelineData): Buffer {
  const L = TIMELINE_LAYOUT;
  const C = TIMELINE_COLORS;
  const c = new Canvas(L.width, L.height, C.background);
  const x = (t: number) => timeToX(t, d.durationSec);
  // a faint line every 10 s, so lengths can be read off the picture
  for (const s of d.stretched ?? []) c.rect(x(s.start), 0, x(s.end), L.height, C.stretchedBand);
  for (let t = 0; t <= d.durationSec; t += 10) c.rect(x(t), 0, x(t) + 1, L.height, C.grid);
  for (const s of d.stretched ?? []) c.rect(x(s.start), 2, x(s.end), 14, C.stretched);
  for (let db = L.floorLufs; db <= L.ceilLufs; db += 10) c.rect(0, lufsToY(db), L.width, lufsToY(db) + 1, C.grid);
  const lane = (spans: TimelineSpan[], top: number, color: Rgb) => {
    for (const s of spans) c.rect(x(s.start), top, x(s.end), top + L.laneHeight, s.problem ? C.problem : color);
  };
  lane(d.source, L.laneTop, C.source);
  lane(d.dub, L.laneTop + L.laneHeight + L.laneGap, C.dub);
  if (d.targetLufs !== undefined) {
    for (let px = 0; px < L.width; px += 8) c.rect(px, lufsToY(d.targetLufs), px + 4, lufsToY(d.targetLufs) + 1, C.target);
  }
  const curve = (pick: (f: TimelineData['loudness'][number]) => number, color: Rgb) => {
    let prev: [number, number] | undefined;
    for (const f of d.loudness) {
      const p: [number, number] = [x(f.t), lufsToY(pick(f))];
      if (prev) c.line(prev[0], prev[1], p[0], p[1], color);
      prev = p;
    }
  };
  const duckCurve = (pick: (p: { centreDb: number; sideDb: number }) => number, color: Rgb) => {
    let prev: [number, number] | undefined;
    for (const p of d.ducking ?? []) {
      const q: [number, number] = [x(p.t), duckDbToY(pick(p))];
      if (prev) c.line(prev[0], prev[1], q[0], q[1], color);
      prev = q;
    }
  };
  duckCurve((p) => p.sideDb, C.duckSide);
  duckCurve((p) => p.centreDb, C.duckCentre);
  curve((f) => f.momentary, C.momentary);
  curve((f) => f.shortTerm, C.shortTerm);
  // One row filter (Paeth: 24 KB here vs 22 KB at best): pngjs's default tries all five on every row, 2.5x the time.
  return PNG.sync.write(c.png, { filterType: 4 });
}
