// Which job options go together is decided once, in the schema (config/schema.ts OPTION_RULES): the CLI's
// resolveJobOptions, a start by type (prepareJob) and a program all refuse the same inputs with the same message.
import { describe, expect, it } from '@jest/globals';
import { parseJobOptions, resolveJobOptions, loadSettings } from '../../config/load.js';
import { jobOptionsFields, OPTION_RULES } from '../../config/schema.js';

const stream = { stream: { enabled: true } };
/** Each refused combination, the option named in the message, and what the message says. */
const REFUSED: [string, Record<string, unknown>, string, RegExp][] = [
  ['fit-video with lip-sync', { fitVideo: { mode: 'auto' }, lipsync: { engine: 'wav2lip' } }, 'fitVideo.mode', /--fit-video auto is not supported with --lipsync wav2lip yet/],
  ['fit-video with streaming', { fitVideo: { mode: 'auto' }, ...stream }, 'fitVideo.mode', /--fit-video auto is not supported with --stream yet/],
  ['a dry run without streaming', { stream: { dryRun: true } }, 'stream.dryRun', /--dry-run works with --stream on/],
  ['a series with streaming', { series: { name: 'Show' }, ...stream }, 'series', /--series is not supported with --stream yet/],
  ['a cast with streaming', { series: { cast: { version: 1, entries: [] } }, ...stream }, 'series', /--cast is not supported with --stream yet/],
  ['translated subtitles with streaming', { translatedSubs: '/in/ep.es.srt', ...stream }, 'translatedSubs', /--translated-subs is not supported with --stream yet/],
  ['expressive with streaming', { expressive: { mode: 'auto' }, ...stream }, 'expressive.mode', /--expressive auto is not supported with --stream yet/],
  ['the older emotion switch with streaming', { expressive: { emotionMode: 'tags' }, ...stream }, 'expressive.mode', /--emotion-mode tags is not supported with --stream yet/],
  ['voices per speaker with streaming', { tts: { speakerVoices: { Misaki: 'en+f2' } }, ...stream }, 'tts.speakerVoices', /tts\.speakerVoices is not supported with --stream yet/],
  ['pyannote with streaming', { tts: { diarize: 'pyannote' }, ...stream }, 'tts.diarize', /tts\.diarize pyannote is not supported with --stream yet/],
  ['voice cloning with streaming', { tts: { engine: 'xtts' }, ...stream }, 'tts.engine', /--tts xtts is not supported with --stream yet/],
  ['a review pause with streaming', { review: { pause: true }, ...stream }, 'review', /--review .* is not supported with --stream yet/],
  ['review overrides with streaming', { review: { overrides: { version: 1, edits: {} } }, ...stream }, 'review', /--review .* is not supported with --stream yet/],
  ['a re-render version with streaming', { review: { outputVersion: 2 }, ...stream }, 'review', /--review .* is not supported with --stream yet/],
  ['lip-sync with streaming', { lipsync: { engine: 'animeflap' }, ...stream }, 'lipsync.engine', /--lipsync animeflap is not supported with --stream yet/],
];

/** What streaming does honour, and the defaults: never refused. */
const ALLOWED: [string, Record<string, unknown>][] = [
  ['the defaults', {}],
  ['streaming with its defaults', stream],
  ['streaming with subtitles, a voice, separation and an MT engine', { ...stream, subs: '/in/ep.srt', tts: { engine: 'espeak-ng', voice: 'en+f2' }, mix: { separation: 'demucs' }, mt: { engine: 'argos' } }],
  ['a streaming dry run', { stream: { enabled: true, dryRun: true } }],
  ['everything off-by-default at once without streaming', { expressive: { mode: 'auto' }, review: { pause: true }, lipsync: { engine: 'wav2lip' }, tts: { engine: 'xtts', diarize: 'pyannote' }, series: { name: 'Show' } }],
  ['fit-video alone', { fitVideo: { mode: 'auto' } }],
];

describe('option combinations (the schema decides)', () => {
  it.each(REFUSED)('refuses %s, naming the option, in the schema and through resolveJobOptions alike', (_name, extra, key, message) => {
    const parsed = parseJobOptions({ video: '/in/ep01.mkv', ...extra });
    expect(parsed.ok).toBe(false);
    const said = (parsed as { message: string }).message;
    expect(said).toMatch(message);
    expect(said.startsWith(`${key}: `) || said.includes(`; ${key}: `)).toBe(true);
    // The CLI's path (settings' defaults merged, then the same schema) says the same.
    expect(() => resolveJobOptions(loadSettings({}), { video: '/in/ep01.mkv', ...extra })).toThrow(said);
  });

  it.each(ALLOWED)('accepts %s', (_name, extra) => {
    const parsed = parseJobOptions({ video: '/in/ep01.mkv', ...extra });
    expect(parsed).toMatchObject({ ok: true });
  });

  it('every rule is exercised by a refused combination above', () => {
    const fields = REFUSED.map(([, extra]) => jobOptionsFields.parse({ video: '/in/ep01.mkv', ...extra }));
    expect(OPTION_RULES.filter((r) => !fields.some((f) => r.refuses(f))).map((r) => r.path.join('.'))).toEqual([]);
  });

  it('prepareJob refuses a start by type with the same message, typed and final, before touching anything', async () => {
    const { prepareJob } = await import('../../activities/prepareJob.js');
    for (const [, extra, , message] of REFUSED) {
      const err = await prepareJob({ video: '/nowhere/ep01.mkv', ...extra }).catch((e: unknown) => e as { type?: string; nonRetryable?: boolean; message: string });
      expect(err).toMatchObject({ type: 'InvalidConfig', nonRetryable: true });
      expect((err as Error).message).toMatch(/^invalid job options: /);
      expect((err as Error).message).toMatch(message);
    }
  });
});

