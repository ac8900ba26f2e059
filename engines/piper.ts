// piper (rhasspy / OHF-Voice piper1): a neural voice per .onnx file. It runs inside the warm engine host
// (engines/engineHost.ts), so a voice loads once per worker, not once per line. Its rate knob is length_scale.
import path from 'node:path';
import { engineSettings, hostPool } from './engineHost.js';

export interface PiperVoiceArgs {
  model: string;
  /** Speaker id inside a multi-speaker model. */
  speakerId?: number;
  /** Rate multiplier (1 = the model's pace); piper's length_scale is its inverse: larger is slower. */
  rate?: number;
}

/** What the host is asked for one text (length_scale only when the rate is not the model's own). */
export function piperRequest(out: string, text: string, v: PiperVoiceArgs): Record<string, unknown> {
  return {
    model: v.model, out, text,
    speakerId: v.speakerId ?? null,
    lengthScale: v.rate !== undefined && Math.abs(v.rate - 1) > 1e-3 ? Number(lengthScaleFor(v.rate).toFixed(3)) : null,
  };
}

/** Speaks `text` into `out` (a mono WAV at the voice's own rate) in a warm host. */
export async function piperSpeak(out: string, text: string, v: PiperVoiceArgs): Promise<{ durationSec: number; request: Record<string, unknown> }> {
  const request = piperRequest(out, text, v);
  const r = await hostPool().request<{ durationSec: number }>('synthesize', { ...request, device: engineSettings().device }, { modelKey: `piper:${v.model}`, what: `piper (${path.basename(v.model)})` });
  return { durationSec: r.durationSec, request };
}

export function lengthScaleFor(rate: number): number {
  return 1 / rate;
}

/** piper reads `<model>.json` beside the model unless told otherwise; without it the voice cannot load. */
export function piperConfigOf(model: string): string {
  return `${model}.json`;
}

/** How many speakers a voice holds, from its config (`num_speakers`, 1 when absent or unreadable). */
export function piperSpeakerCount(configJson: string): number {
  try {
    const n = Number(JSON.parse(configJson)?.num_speakers);
    return Number.isInteger(n) && n > 1 ? n : 1;
  } catch {
    return 1;
  }
}

/**
 * Where a voice named without a path is looked for: $PIPER_VOICES_DIR, then piper's own download folder.
 * A bare name ("en_US-lessac-medium") becomes `<dir>/<name>.onnx`.
 */
export function piperVoiceDirs(env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME ?? '';
  return [env.PIPER_VOICES_DIR, home && path.join(home, '.local', 'share', 'piper', 'voices'), home && path.join(home, '.local', 'share', 'piper')]
    .filter((d): d is string => !!d);
}

export function piperCandidates(nameOrPath: string, dirs: readonly string[]): string[] {
  if (nameOrPath.includes('/')) return [nameOrPath];
  const file = nameOrPath.endsWith('.onnx') ? nameOrPath : `${nameOrPath}.onnx`;
  return dirs.map((d) => path.join(d, file));
}

/** A default voice for a language when none is configured: the first `<lang>_*.onnx` by name. */
export function pickPiperDefault(files: readonly string[], language: string): string | undefined {
  return [...files].filter((f) => f.startsWith(`${language}_`) && f.endsWith('.onnx')).sort()[0];
}
