// The input's probe (ffprobe): its length, picture, the audio stream chosen, its subtitle streams; prepareJob's
// first read of the input.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { probeArgv } from '../engines/ffmpeg.js';
import { ErrorType, failure } from '../lib/errors.js';
import type { MediaInfo, SubtitleStream } from '../lib/job.js';
import { sameLanguage } from '../lib/languages.js';
import { run, type CommandRecord } from '../engines/run.js';


interface FfprobeStream {
  codec_type?: string; codec_name?: string; width?: number; height?: number;
  avg_frame_rate?: string; r_frame_rate?: string; sample_rate?: string; channels?: number;
  disposition?: { default?: number }; tags?: { language?: string };
}

function fps(rate: string | undefined): number {
  const [n, d] = (rate ?? '0/1').split('/').map(Number);
  return d ? n / d : 0;
}


/** Inputs longer than this are refused: a broken header claiming days would otherwise tie up workers. */
export const MAX_INPUT_HOURS = 12;

/**
 * ffprobe's stderr in our words: it quotes what it read (a playlist's lines, a file's header), so the message
 * carries only a fixed phrase for what went wrong, never its text.
 */
export function ffprobeReason(stderr: string): string {
  const known: [RegExp, string][] = [
    [/moov atom not found/i, 'it is truncated or unfinished (no moov atom)'],
    [/Invalid data found when processing input/i, 'its data is not a container ffmpeg knows (Invalid data found when processing input)'],
    [/not in whitelist|Protocol not found|protocol_whitelist/i, 'it refers to other files or network addresses, which are not followed'],
    [/Permission denied/i, 'permission denied'],
    [/End of file|Truncat/i, 'it ends before its header does'],
    [/timed out|timeout/i, 'ffprobe took too long reading it'],
  ];
  return known.find(([re]) => re.test(stderr))?.[1] ?? 'ffprobe could not parse it';
}

/** `probed` hears of the ffprobe run (the job's command log does not exist yet when the input is probed). */
export async function probeMedia(video: string, maxHours = MAX_INPUT_HOURS, probed: (r: CommandRecord) => void = () => {}, audioTrack?: string): Promise<MediaInfo> {
  const info = await stat(video).catch(() => undefined);
  if (!info) throw failure(ErrorType.InvalidMedia, `input not found: ${video}`);
  if (!info.isFile()) throw failure(ErrorType.InvalidMedia, `input is not a regular file: ${video}`);
  if (info.size === 0) throw failure(ErrorType.InvalidMedia, `input is empty (0 bytes): ${video}`);

  let json: { streams?: FfprobeStream[]; format?: { duration?: string; format_name?: string } };
  try {
    const argv = probeArgv(video);
    const { stdout, wallMs, exitCode } = await run(argv, { timeoutMs: 30_000 });
    probed({ argv, wallMs, exitCode });
    json = JSON.parse(stdout);
  } catch (e) {
    throw failure(ErrorType.InvalidMedia, `${path.basename(video)} is not a video ffmpeg can read: ${ffprobeReason(e instanceof Error ? e.message : String(e))}`);
  }
  const name = path.basename(video);
  const streams = json.streams ?? [];
  const durationSec = Number(json.format?.duration ?? NaN);
  if (durationSec === 0) throw failure(ErrorType.InvalidMedia, `${name} lasts 0 seconds: nothing to dub`);
  const v = streams.find((s) => s.codec_type === 'video');
  const audios = streams.filter((s) => s.codec_type === 'audio');
  const audioStream = audios.length ? chooseAudioStream(audios, audioTrack, name) : 0;
  const a = audios[audioStream];
  const kinds = streams.map((s) => `${s.codec_name ?? '?'} ${s.codec_type ?? '?'}`).join(', ') || 'none';
  if (!v) throw failure(ErrorType.InvalidMedia, `${name} has no video stream (streams: ${kinds})`);
  if (!a) throw failure(ErrorType.InvalidMedia, `${name} has no audio stream (streams: ${kinds})`);
  for (const s of [v, a]) {
    if (!s.codec_name || s.codec_name === 'unknown' || s.codec_name === 'none') {
      throw failure(ErrorType.InvalidMedia, `${name}: its ${s.codec_type} codec is not supported by this ffmpeg (tag ${(s as { codec_tag_string?: string }).codec_tag_string ?? '?'})`);
    }
  }
  if (!(durationSec > 0)) throw failure(ErrorType.InvalidMedia, `${name} has no usable duration (${json.format?.duration ?? 'none'})`);
  if (durationSec > maxHours * 3600) {
    throw failure(ErrorType.InvalidMedia, `${name} claims to last ${(durationSec / 3600).toFixed(1)} h, more than the ${maxHours} h limit (a damaged header?)`);
  }
  return {
    path: video,
    durationSec,
    video: { codec: v.codec_name ?? '?', width: v.width ?? 0, height: v.height ?? 0, fps: fps(v.avg_frame_rate ?? v.r_frame_rate) },
    audio: { codec: a.codec_name ?? '?', sampleRate: Number(a.sample_rate ?? 0), channels: a.channels ?? 0 },
    ...(audioStream ? { audioStream } : {}),
    ...subtitleStreamsOf(streams),
  };
}

const describeStream = (s: FfprobeStream, i: number) => `${i}: ${s.codec_name ?? '?'}${s.tags?.language ? ` ${s.tags.language}` : ''}${s.disposition?.default ? ' default' : ''}`;

/**
 * The source audio: the one `--audio-track` names (its place among the audio streams, 0:a:N, or a language),
 * else the stream marked default (a release's main language), else the first.
 */
export function chooseAudioStream(audios: FfprobeStream[], audioTrack: string | undefined, name: string): number {
  const listed = () => audios.map(describeStream).join('; ');
  if (audioTrack !== undefined && /^\d+$/.test(audioTrack)) {
    const n = Number(audioTrack);
    if (n >= audios.length) throw failure(ErrorType.InvalidMedia, `--audio-track ${n}: ${name} has no audio track ${n} (audio tracks, counted from 0: ${listed()})`);
    return n;
  }
  if (audioTrack !== undefined) {
    const n = audios.findIndex((s) => !!s.tags?.language && sameLanguage(s.tags.language, audioTrack));
    if (n < 0) throw failure(ErrorType.InvalidMedia, `--audio-track ${audioTrack}: ${name} has no audio track in that language (audio tracks: ${listed()})`);
    return n;
  }
  const byDefault = audios.findIndex((s) => s.disposition?.default === 1);
  return byDefault > 0 ? byDefault : 0;
}

function subtitleStreamsOf(streams: FfprobeStream[]): { subtitleStreams?: SubtitleStream[] } {
  const subs = streams.filter((s) => s.codec_type === 'subtitle').map((s, index) => ({
    index, codec: s.codec_name ?? '?', default: s.disposition?.default === 1, ...(s.tags?.language ? { language: s.tags.language } : {}),
  }));
  return subs.length ? { subtitleStreams: subs } : {};
}
