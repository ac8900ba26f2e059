// ffmpeg/ffprobe argv builders. One place knows the flags; activities only choose paths.
import { checkedNumber } from './argvValues.js';

export const MIX_RATE = 48_000;
export const ANALYSIS_RATE = 16_000;

export function probeArgv(input: string): string[] {
  return ['ffprobe', '-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', input];
}

/** Both tracks in one decode: 48 kHz stereo for the mix, 16 kHz mono for analysis; `audioStream` is 0:a:N. */
export function extractArgv(input: string, mixOut: string, analysisOut: string, audioStream = 0): string[] {
  const a = `0:a:${audioStream}`;
  return [
    'ffmpeg', '-nostdin', '-v', 'error', '-y', '-i', input,
    '-map', a, '-vn', '-ac', '2', '-ar', String(MIX_RATE), '-c:a', 'pcm_s16le', '-f', 'wav', mixOut,
    '-map', a, '-vn', '-ac', '1', '-ar', String(ANALYSIS_RATE), '-c:a', 'pcm_s16le', '-f', 'wav', analysisOut,
  ];
}

/** Text subtitle codecs ffmpeg can hand over as ASS (kept as is) or SRT (converted); pictures (PGS, VobSub) cannot. */
export const TEXT_SUBTITLE_CODECS = new Set(['ass', 'ssa', 'subrip', 'srt', 'webvtt', 'mov_text', 'text', 'microdvd', 'subviewer', 'jacosub', 'sami', 'realtext', 'mpl2', 'pjs', 'vplayer', 'stl']);

/** One subtitle stream of the input (0:s:N) as a file: ASS stays ASS (styles decide what is dialogue), the rest SRT. */
export function extractSubtitleArgv(input: string, subtitleStream: number, codec: string, output: string): string[] {
  const ass = codec === 'ass' || codec === 'ssa';
  return ['ffmpeg', '-nostdin', '-v', 'error', '-y', '-i', input, '-map', `0:s:${subtitleStream}`, '-c:s', ass ? 'copy' : 'srt', '-f', ass ? 'ass' : 'srt', output];
}

export function silencedetectArgv(input: string, noiseDb: number, minSilenceSec: number): string[] {
  const n = checkedNumber(noiseDb, -120, 0, 'the silence threshold (dB)');
  const d = checkedNumber(minSilenceSec, 0.01, 60, 'the shortest silence (s)');
  return ['ffmpeg', '-nostdin', '-hide_banner', '-v', 'info', '-i', input, '-af', `silencedetect=n=${n}dB:d=${d}`, '-f', 'null', '-'];
}

/** Trims a synthesized clip of the engine's leading/trailing silence and resamples it for the mix. */
const CLIP_TRIM = 'silenceremove=start_periods=1:start_threshold=-50dB:start_silence=0.01';
export const NORMALIZE_CLIP_FILTERS: readonly string[] = [CLIP_TRIM, 'areverse', CLIP_TRIM, 'areverse', `aresample=${MIX_RATE}`];

/** One clip's audio work: its filter chain from one input file to one 48 kHz stereo WAV. */
export interface ClipJob {
  input: string;
  filters: readonly string[];
  output: string;
}

const CLIP_OUT = ['-ac', '2', '-ar', String(MIX_RATE), '-c:a', 'pcm_s16le', '-f', 'wav'];

/**
 * Several clips' work in one ffmpeg: each output is byte for byte what its own run would write, for one start-up
 * (~60 ms of CPU each, most of an ffmpeg run on a short line). One job is the plain `-af` run.
 */
/** `ffmpeg`: the program (a fit that stretches with rubberband names the ffmpeg that has it: activities/fit.ts). */
export function clipJobsArgv(jobs: readonly ClipJob[], ffmpeg = 'ffmpeg'): string[] {
  if (jobs.length === 0) throw new Error('clipJobsArgv: no jobs');
  const head = [ffmpeg, '-nostdin', '-v', 'error', '-y'];
  if (jobs.length === 1) return [...head, '-i', jobs[0].input, '-af', jobs[0].filters.join(','), ...CLIP_OUT, jobs[0].output];
  const graph = jobs.map((j, i) => `[${i}:a]${j.filters.join(',')}[c${i}]`).join(';');
  return [...head, ...jobs.flatMap((j) => ['-i', j.input]), '-filter_complex', graph, ...jobs.flatMap((j, i) => ['-map', `[c${i}]`, ...CLIP_OUT, j.output])];
}

/** A synthesized clip, trimmed of the engine's leading/trailing silence and made 48 kHz stereo. */
export function normalizeClipArgv(input: string, output: string): string[] {
  return clipJobsArgv([{ input, filters: NORMALIZE_CLIP_FILTERS, output }]);
}

export function fitClipArgv(input: string, output: string, filters: string[]): string[] {
  return clipJobsArgv([{ input, filters, output }]);
}

export interface MuxTrackInfo {
  /** Where the video stream comes from (the source, or the lip-synced render). */
  video: string;
  /** Where the original audio track comes from (the source video). */
  original: string;
  /** The dub: a WAV to encode, or an AAC file (.m4a) already encoded once for both containers. */
  mix: string;
  /** Codec of the original's audio track: copied into the MP4 when MP4 can hold it, else encoded. */
  originalCodec: string;
  sourceSrt: string;
  targetSrt: string;
  srcLang: string;
  tgtLang: string;
  title: string;
  /** The original's audio stream (2:a:N); absent = 0. */
  originalAudio?: number;
  /** How many subtitle streams the input has: the MKV keeps them, after the two the dub writes. */
  inputSubtitles?: number;
}

function trackTags(t: MuxTrackInfo, subtitleCodec: string): string[] {
  return [
    '-map', '0:v:0', '-map', '1:a:0', '-map', `2:a:${t.originalAudio ?? 0}`, '-map', '3:0', '-map', '4:0',
    '-c:v', 'copy', '-c:s', subtitleCodec,
    '-metadata', `title=${t.title}`,
    '-metadata:s:a:0', `language=${t.tgtLang}`, '-metadata:s:a:0', `title=Dub (${t.tgtLang})`,
    '-metadata:s:a:1', `language=${t.srcLang}`, '-metadata:s:a:1', `title=Original (${t.srcLang})`,
    '-metadata:s:s:0', `language=${t.srcLang}`, '-metadata:s:s:0', `title=Source (${t.srcLang})`,
    '-metadata:s:s:1', `language=${t.tgtLang}`, '-metadata:s:s:1', `title=Dub (${t.tgtLang})`,
    // The dub and its subtitles are what a player picks; with no default subtitle track the MP4 muxer would flag
    // the first one (the source language's) itself.
    '-disposition:a:0', 'default', '-disposition:a:1', '0', '-disposition:s:0', '0', '-disposition:s:1', 'default',
  ];
}

function muxInputs(t: MuxTrackInfo): string[] {
  return ['ffmpeg', '-nostdin', '-v', 'error', '-y', '-i', t.video, '-i', t.mix, '-i', t.original, '-i', t.sourceSrt, '-i', t.targetSrt];
}

/** Audio codecs an MP4 holds as they are: the original track is copied, never re-encoded. */
const MP4_AUDIO_CODECS = new Set(['aac', 'mp3', 'ac3', 'eac3', 'alac']);

/**
 * The fast coder: 2.2× faster than the default twoloop on a 5-minute dub (2.1 s vs 4.6 s on our 2-core bench
 * machine); at 192 kb/s speech and background stay clean with either.
 */
const AAC = ['aac', '-aac_coder', 'fast', '-b:a', '192k'];

/** The dub encoded to AAC once; both containers then copy it (one encode instead of one per container). */
export function encodeDubArgv(mixWav: string, output: string): string[] {
  return ['ffmpeg', '-nostdin', '-v', 'error', '-y', '-i', mixWav, '-vn', '-c:a', ...AAC, '-f', 'mp4', output];
}

function dubCodec(t: MuxTrackInfo): string[] {
  return ['-c:a:0', ...(/\.m4a$/i.test(t.mix) ? ['copy'] : AAC)];
}

/** MP4: video copied, the dub and the original AAC (copied when they already are), mov_text subtitles. */
export function muxMp4Argv(t: MuxTrackInfo, output: string): string[] {
  const original = MP4_AUDIO_CODECS.has(t.originalCodec) ? ['copy'] : AAC;
  return [...muxInputs(t), ...trackTags(t, 'mov_text'), ...dubCodec(t), '-c:a:1', ...original, '-movflags', '+faststart', '-f', 'mp4', output];
}

/**
 * MKV: video copied, the dub AAC, the original audio copied bit-exact, SRT subtitles; the input's own subtitle
 * streams (fansub ASS, captions) copied after them as they are, with their fonts.
 */
export function muxMkvArgv(t: MuxTrackInfo, output: string): string[] {
  // The input's own subtitle streams keep their content but not a default flag: the dub's subtitles are the default.
  const own = t.inputSubtitles ? ['-map', '2:s', '-map', '2:t?', '-c:t', 'copy', ...Array.from({ length: t.inputSubtitles }, (_, i) => [`-c:s:${i + 2}`, 'copy', `-disposition:s:${i + 2}`, '-default']).flat()] : [];
  return [...muxInputs(t), ...trackTags(t, 'srt'), ...own, ...dubCodec(t), '-c:a:1', 'copy', '-f', 'matroska', output];
}
