// Coqui TTS with XTTS v2: a voice cloned from a reference clip per speaker. It runs inside the warm engine host
// (engines/engineHost.ts), so the model loads once per worker instead of once per line as its CLI did.
import path from 'node:path';
import { engineSettings, hostPool } from './engineHost.js';
import { checkedName } from './argvValues.js';

export const XTTS_DEFAULT_MODEL = 'tts_models/multilingual/multi-dataset/xtts_v2';

/** Languages XTTS v2 speaks (its language codes); Chinese is "zh-cn". */
export const XTTS_LANGUAGES = ['en', 'es', 'fr', 'de', 'it', 'pt', 'pl', 'tr', 'ru', 'nl', 'cs', 'ar', 'zh-cn', 'ja', 'hu', 'ko', 'hi'];

export const XTTS_INSTALL = 'pip install coqui-tts into the engine Python (.tools/venv, or ENGINE_PYTHON); XTTS v2 also needs COQUI_TOS_AGREED=1 in the worker environment once you accept its licence';

export function xttsLanguage(language: string): string | undefined {
  const code = language === 'zh' ? 'zh-cn' : language;
  return XTTS_LANGUAGES.includes(code) ? code : undefined;
}

export interface XttsVoice {
  model: string;
  speakerWav: string;
  language: string;
}

/** What the host is asked for one text. */
export function xttsRequest(out: string, text: string, v: XttsVoice): Record<string, unknown> {
  return { model: checkedName(v.model, 'modelName', 'the XTTS model'), out, text, speakerWav: v.speakerWav, language: checkedName(v.language, 'language', 'the XTTS language') };
}

/** Speaks `text` into `out` with the speaker's cloned voice, in a warm host. */
export async function xttsSpeak(out: string, text: string, v: XttsVoice): Promise<{ durationSec: number; request: Record<string, unknown> }> {
  const request = xttsRequest(out, text, v);
  const r = await hostPool().request<{ durationSec: number }>('xtts', { ...request, device: engineSettings().device }, { modelKey: `xtts:${v.model}`, what: `XTTS (${path.basename(v.speakerWav)})` });
  return { durationSec: r.durationSec, request };
}

export interface Span {
  start: number;
  end: number;
}

/** XTTS conditions on 22.05 kHz mono; we cut at 24 kHz mono (its output rate) and it resamples. */
export const REFERENCE_RATE = 24_000;

/**
 * One reference clip from several spans of the source: each span is its own input seek (fast on long
 * episodes), then all are joined in time order.
 */
export function referenceClipArgv(input: string, spans: readonly Span[], out: string): string[] {
  const inputs = spans.flatMap((s) => ['-ss', s.start.toFixed(3), '-t', (s.end - s.start).toFixed(3), '-i', input]);
  const pads = spans.map((_, i) => `[${i}:a]`).join('');
  const graph = `${pads}concat=n=${spans.length}:v=0:a=1,aresample=${REFERENCE_RATE}[out]`;
  return ['ffmpeg', '-nostdin', '-v', 'error', '-y', ...inputs, '-filter_complex', graph, '-map', '[out]', '-ac', '1', '-ar', String(REFERENCE_RATE), '-c:a', 'pcm_s16le', '-f', 'wav', out];
}
