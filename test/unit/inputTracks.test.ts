// Choosing the input's tracks: the audio to dub (default disposition, --audio-track N|lang) and the subtitle
// stream behind --subs embedded[:N|:lang]; errors name the track and list what there is.
import { describe, expect, it } from '@jest/globals';
import { chooseAudioStream } from '../../activities/probeMedia.js';
import { pickSubtitleStream, subsSource, subtitleLanguage } from '../../activities/subtitleSource.js';
import type { SubtitleStream } from '../../lib/job.js';
import { cutAudioArgv, cutVideoArgv } from '../../engines/ffmpegStream.js';

const audios = [
  { codec_type: 'audio', codec_name: 'aac', tags: { language: 'und' } },
  { codec_type: 'audio', codec_name: 'opus', tags: { language: 'eng' }, disposition: { default: 1 } },
  { codec_type: 'audio', codec_name: 'flac', tags: { language: 'jpn' } },
];

describe('the audio track to dub', () => {
  it('is the one marked default, not the first', () => {
    expect(chooseAudioStream(audios, undefined, 'ep.mkv')).toBe(1);
    expect(chooseAudioStream([audios[0], audios[2]], undefined, 'ep.mkv')).toBe(0);
  });

  it('--audio-track chooses by number (from 0) or by language (ja = jpn)', () => {
    expect(chooseAudioStream(audios, '0', 'ep.mkv')).toBe(0);
    expect(chooseAudioStream(audios, 'ja', 'ep.mkv')).toBe(2);
    expect(chooseAudioStream(audios, 'eng', 'ep.mkv')).toBe(1);
  });

  it('a missing track is a non-retryable InvalidMedia naming the track and listing the others', () => {
    expect(() => chooseAudioStream(audios, '3', 'ep.mkv')).toThrow('--audio-track 3: ep.mkv has no audio track 3 (audio tracks, counted from 0: 0: aac und; 1: opus eng default; 2: flac jpn)');
    try {
      chooseAudioStream(audios, 'fr', 'ep.mkv');
    } catch (e) {
      expect(e).toMatchObject({ type: 'InvalidMedia', nonRetryable: true });
    }
  });
});

describe('a streaming chunk is cut from the chosen audio track', () => {
  it('maps the n-th audio stream in the copy and re-encode cuts and the audio cut; the first by default; a non-number is refused', () => {
    const maps = (argv: string[]) => argv.flatMap((a, i) => (argv[i - 1] === '-map' ? [a] : []));
    expect(maps(cutVideoArgv('in.mkv', 0, 5, undefined, 'out.mp4', 1))).toEqual(['0:v:0', '1:a:1']);
    expect(maps(cutVideoArgv('in.mkv', 0, 5, false, 'out.mp4', 2))).toEqual(['0:v:0', '0:a:2']);
    expect(maps(cutAudioArgv('in.mkv', 0, 5, 16000, 1, 'out.wav', 1))).toEqual(['0:a:1']);
    expect(maps(cutAudioArgv('in.mkv', 0, 5, 16000, 1, 'out.wav'))).toEqual(['0:a:0']);
    expect(cutVideoArgv('in.mkv', 0, 5, false, 'out.mp4', 1).at(-1)).toBe('out.mp4');
    for (const bad of [-1, 1.5, 100, NaN]) expect(() => cutAudioArgv('in.mkv', 0, 5, 16000, 1, 'o.wav', bad)).toThrow(/not a track number/);
  });
});

describe('--subs embedded[:N|:lang]', () => {
  const subtitleStreams: SubtitleStream[] = [
    { index: 0, codec: 'hdmv_pgs_subtitle', language: 'eng', default: false },
    { index: 1, codec: 'ass', language: 'eng', default: true },
    { index: 2, codec: 'subrip', language: 'jpn', default: false },
  ];
  const media = { path: '/videos/ep01.mkv', subtitleStreams };

  it('reads the flag', () => {
    expect(subsSource('embedded')).toEqual({ kind: 'embedded' });
    expect(subsSource('embedded:2')).toEqual({ kind: 'embedded', selector: '2' });
    expect(subsSource('/subs/ep.ass')).toEqual({ kind: 'file', file: '/subs/ep.ass' });
  });

  it('takes the default track, a track by number, or the first text track in a language', () => {
    expect(pickSubtitleStream(media, undefined).index).toBe(1);
    expect(pickSubtitleStream(media, '2').index).toBe(2);
    expect(pickSubtitleStream(media, 'ja').index).toBe(2);
  });

  it('refuses picture subtitles and missing tracks, naming the track', () => {
    expect(() => pickSubtitleStream(media, '0')).toThrow(/--subs embedded:0: subtitle track 0 of ep01\.mkv is hdmv_pgs_subtitle, pictures rather than text/);
    expect(() => pickSubtitleStream(media, '9')).toThrow(/ep01\.mkv has no such subtitle track \(subtitle tracks, counted from 0: 0: hdmv_pgs_subtitle eng; 1: ass eng default; 2: subrip jpn\)/);
    expect(() => pickSubtitleStream({ path: '/v/a.mp4' }, undefined)).toThrow('--subs embedded: a.mp4 has no subtitle track');
  });
});

describe('the language subtitles are written in', () => {
  const en = [{ index: 0, start: 1, end: 2, text: 'Where were you?' }];
  const ja = [{ index: 0, start: 1, end: 2, text: 'どこにいたの？' }];
  it('from a language tag in the file name or the stream', () => {
    expect(subtitleLanguage({ src: 'ja', tgt: 'en' }, 'ep01.en.ass', ja)).toBe('en');
    expect(subtitleLanguage({ src: 'ja', tgt: 'en' }, 'ep01.eng.srt', ja)).toBe('en');
    expect(subtitleLanguage({ src: 'ja', tgt: 'en' }, 'jpn', en)).toBe('ja');
  });
  it('else from the script, between a CJK language and a Latin one', () => {
    expect(subtitleLanguage({ src: 'ja', tgt: 'en' }, 'ep01.ass', en)).toBe('en');
    expect(subtitleLanguage({ src: 'ja', tgt: 'en' }, 'ep01.ass', ja)).toBe('ja');
    expect(subtitleLanguage({ src: 'en', tgt: 'es' }, 'ep01.srt', en)).toBeUndefined();
  });
});
