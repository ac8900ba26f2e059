// How far the original is turned down under the dub, over time: ramps in and out of every ducked span instead
// of a gate (a gate drops the music 18 dB inside one 10 ms frame at every line edge: the bed pumps).

/** The bed is down by the time the line starts (look-ahead), and comes back after it ends. */
export const DUCK_ATTACK_SEC = 0.12;
export const DUCK_RELEASE_SEC = 0.2;
/** Gain samples per second in the envelope file; ffmpeg interpolates them to the mix rate. */
export const ENVELOPE_RATE = 1000;
/**
 * The side signal (L−R: music and effects spread wide; a centred voice has none) is ducked this share of the
 * centre's depth, so the scene around the dub stays audible. A mono source has no side: there it changes nothing.
 */
export const SIDE_DUCK_SHARE = 0.5;

/** Depth of one span at t: 1 inside, straight ramps across the attack before and the release after, else 0. */
function spanDepth(a: number, b: number, t: number): number {
  if (t < a - DUCK_ATTACK_SEC || t > b + DUCK_RELEASE_SEC) return 0;
  return t < a ? 1 - (a - t) / DUCK_ATTACK_SEC : t > b ? 1 - (t - b) / DUCK_RELEASE_SEC : 1;
}

/** 0 outside every span, 1 inside one, straight ramps (in dB) across the attack before and the release after. */
export function duckDepth(spans: readonly [number, number][], t: number): number {
  let depth = 0;
  for (const [a, b] of spans) {
    depth = Math.max(depth, spanDepth(a, b, t));
    if (depth >= 1) break;
  }
  return depth;
}

/** Gain (dB) at time t for a duck of `duckDb` at full depth. */
export function duckGainDb(spans: readonly [number, number][], duckDb: number, t: number): number {
  return duckDb * duckDepth(spans, t);
}

export interface DuckEnvelope {
  rate: number;
  /** Linear gains per sample: the centre (L+R) and the side (L−R). */
  mid: Float32Array;
  side: Float32Array;
}

/**
 * The envelope over `durationSec` at ENVELOPE_RATE. Spans must be sorted by start (duckSpans gives them so); one
 * pass with a moving window keeps a 24-minute episode at a few ms.
 */
export function duckEnvelope(spans: readonly [number, number][], duckDb: number, durationSec: number, rate = ENVELOPE_RATE): DuckEnvelope {
  const n = Math.max(1, Math.ceil(durationSec * rate));
  const mid = new Float32Array(n);
  const side = new Float32Array(n);
  const sideDb = duckDb * SIDE_DUCK_SHARE;
  let first = 0;
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    while (first < spans.length && spans[first][1] + DUCK_RELEASE_SEC < t) first++;
    let depth = 0;
    for (let k = first; k < spans.length && spans[k][0] - DUCK_ATTACK_SEC <= t; k++) {
      depth = Math.max(depth, spanDepth(spans[k][0], spans[k][1], t));
      if (depth >= 1) break;
    }
    mid[i] = depth === 0 ? 1 : 10 ** ((duckDb * depth) / 20);
    side[i] = depth === 0 ? 1 : 10 ** ((sideDb * depth) / 20);
  }
  return { rate, mid, side };
}

/** The envelope as a 2-channel 32-bit float WAV (centre gain, side gain), for ffmpeg's amultiply. */
export function envelopeWav(env: DuckEnvelope): Uint8Array {
  const n = env.mid.length;
  const out = new Uint8Array(44 + n * 8);
  const view = new DataView(out.buffer);
  const put = (at: number, s: string) => { for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i); };
  put(0, 'RIFF'); view.setUint32(4, 36 + n * 8, true); put(8, 'WAVE');
  put(12, 'fmt '); view.setUint32(16, 16, true); view.setUint16(20, 3, true); view.setUint16(22, 2, true);
  view.setUint32(24, env.rate, true); view.setUint32(28, env.rate * 8, true); view.setUint16(32, 8, true); view.setUint16(34, 32, true);
  put(36, 'data'); view.setUint32(40, n * 8, true);
  for (let i = 0; i < n; i++) {
    view.setFloat32(44 + i * 8, env.mid[i], true);
    view.setFloat32(48 + i * 8, env.side[i], true);
  }
  return out;
}

/** The envelope thinned for a picture: [t, centre dB, side dB] every `stepSec`. */
export function envelopeCurve(spans: readonly [number, number][], duckDb: number, durationSec: number, stepSec = 0.05): [number, number, number][] {
  const curve: [number, number, number][] = [];
  for (let t = 0; t <= durationSec + 1e-9; t += stepSec) {
    const d = duckDepth(spans, t);
    curve.push([Math.round(t * 1000) / 1000, duckDb * d, duckDb * SIDE_DUCK_SHARE * d]);
  }
  return curve;
}
