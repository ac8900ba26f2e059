// Coqui TTS (`tts` CLI, TTS/bin/synthesize.py) with XTTS v2: a voice cloned from a reference clip per speaker.
export const XTTS_DEFAULT_MODEL = 'tts_models/multilingual/multi-dataset/xtts_v2';

/** Languages XTTS v2 speaks (its --language_idx values); Chinese is "zh-cn". */
export const XTTS_LANGUAGES = ['en', 'es', 'fr', 'de', 'it', 'pt', 'pl', 'tr', 'ru', 'nl', 'cs', 'ar', 'zh-cn', 'ja', 'hu', 'ko', 'hi'];

export function xttsLanguage(language: string): string | undefined {
  const code = language === 'zh' ? 'zh-cn' : language;
  return XTTS_LANGUAGES.includes(code) ? code : undefined;
}

/**
 * `--text=...` in one argv element: argparse would read a line starting with "-" as an option if it were
 * a separate element, and no shell ever sees the text.
 */
export function xttsArgv(out: string, text: string, v: { model: string; speakerWav: string; language: string }): string[] {
  return ['tts', '--model_name', v.model, `--text=${text}`, '--speaker_wav', v.speakerWav, '--language_idx', v.language, '--out_path', out];
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
