// Subtitles a person already has, read the way a player reads them: a file (any common encoding) or a subtitle
// stream of the input (`--subs embedded[:N|:lang]`), classified (dialogue is voiced; songs, signs, comments, SDH
// cues and credits are not), merged (one caption = one line), fitted to the video, and their language settled
// (already in the target language = the dub script). Messages name the file, the line and what was expected:
// never the file's own text.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { extractSubtitleArgv, TEXT_SUBTITLE_CODECS } from '../engines/ffmpeg.js';
import { ErrorType, failure } from '../lib/errors.js';
import type { JobOptions } from '../config/schema.js';
import type { Line, MediaInfo, SubtitleStream } from '../lib/job.js';
import { sameLanguage } from '../lib/languages.js';
import { decodeSubtitleBytes } from '../formats/subtitleEncoding.js';
import { classifyCues, fitToMedia, type CueDecision, type SkippedCue } from '../lib/subtitleEvents.js';
import { noCueReason, readCues, type SubtitleFormat, type SubtitleWarning } from '../formats/subtitles.js';
import { run } from '../engines/run.js';
import { readNamedFile } from '../engines/namedFile.js';
import { scriptProblem } from '../lib/speechBudget.js';

/** Biggest subtitle file read: a 2-hour film's ASS with karaoke is a few MB. */
export const MAX_SUBTITLE_BYTES = 32 * 1024 * 1024;

/** A subtitle file a job names: a regular file of at most MAX_SUBTITLE_BYTES (engines/namedFile.ts). */
const readSubtitleBytes = (file: string, flag: string) => readNamedFile(file, { flag, maxBytes: MAX_SUBTITLE_BYTES, type: ErrorType.InvalidSubtitles });

/** What subtitles.json records (report.json repeats it): where the lines came from and every decision. */
export interface SubtitleImport {
  /** A file's name, or `embedded:N` (the input's subtitle stream N). */
  source: string;
  /** How messages name it. */
  shown: string;
  format: SubtitleFormat;
  encoding: string;
  /** The language they are written in when known (file name tag, stream tag, or script), and whether that is the dub's target. */
  language?: string;
  inTarget: boolean;
  lines: Line[];
  skipped: SkippedCue[];
  decisions: CueDecision[];
  warnings: SubtitleWarning[];
  /** Cues past the video's end: skipped before any work. */
  pastEnd?: { count: number; from: number; to: number };
  clamped: number;
}

type Where = { kind: 'file'; file: string } | { kind: 'embedded'; selector?: string };

export function subsSource(subs: string): Where {
  const m = /^embedded(?::(.+))?$/.exec(subs);
  return m ? { kind: 'embedded', ...(m[1] ? { selector: m[1] } : {}) } : { kind: 'file', file: subs };
}

/** The input's subtitle stream `--subs embedded[:N|:lang]` means: N counted from 0, a language, or the default/first. */
export function pickSubtitleStream(media: Pick<MediaInfo, 'path' | 'subtitleStreams'>, selector: string | undefined): SubtitleStream {
  const name = path.basename(media.path);
  const streams = media.subtitleStreams ?? [];
  const flag = `--subs embedded${selector ? `:${selector}` : ''}`;
  const listed = streams.map((s) => `${s.index}: ${s.codec}${s.language ? ` ${s.language}` : ''}${s.default ? ' default' : ''}`).join('; ');
  if (streams.length === 0) throw failure(ErrorType.InvalidSubtitles, `${flag}: ${name} has no subtitle track`);
  let pick: SubtitleStream | undefined;
  if (selector === undefined) pick = streams.find((s) => s.default) ?? streams[0];
  else if (/^\d+$/.test(selector)) pick = streams[Number(selector)];
  else pick = streams.find((s) => s.language && sameLanguage(s.language, selector));
  if (!pick) throw failure(ErrorType.InvalidSubtitles, `${flag}: ${name} has no such subtitle track (subtitle tracks, counted from 0: ${listed})`);
  if (!TEXT_SUBTITLE_CODECS.has(pick.codec)) {
    throw failure(ErrorType.InvalidSubtitles, `${flag}: subtitle track ${pick.index} of ${name} is ${pick.codec}, pictures rather than text; choose a text track (${listed})`);
  }
  return pick;
}

/**
 * The subtitle bytes: a file read (refused when missing or too big), or the input's stream extracted by ffmpeg
 * (argv, no shell) into `extractDir` (the job's folder: source.embedded-N.ass|srt), or to a pipe before the folder exists.
 */
async function subtitleBytes(subs: string, media: MediaInfo, flag: string, extractDir?: string): Promise<{ bytes: Buffer; source: string; stream?: SubtitleStream }> {
  const where = subsSource(subs);
  if (where.kind === 'file') {
    return { bytes: await readSubtitleBytes(where.file, flag), source: path.basename(where.file) };
  }
  const stream = pickSubtitleStream(media, where.selector);
  const ext = stream.codec === 'ass' || stream.codec === 'ssa' ? 'ass' : 'srt';
  const extractTo = extractDir ? path.join(extractDir, `source.embedded-${stream.index}.${ext}`) : undefined;
  const out = extractTo ?? 'pipe:1';
  const argv = extractSubtitleArgv(media.path, stream.index, stream.codec, out);
  let stdout: string;
  try {
    ({ stdout } = await run(argv, { timeoutMs: 10 * 60_000 }));
  } catch {
    // ffmpeg's own words may quote the track's text: the message names the track only.
    throw failure(ErrorType.InvalidSubtitles, `${flag}: ffmpeg could not read subtitle track ${stream.index} (${stream.codec}) of ${path.basename(media.path)} as text`);
  }
  const bytes = extractTo ? await readFile(extractTo) : Buffer.from(stdout, 'utf8');
  return { bytes, source: `embedded:${stream.index}`, stream };
}

/**
 * Reads and classifies the job's `--subs` (a file needs no media; an embedded track needs the probed input).
 * Refuses (InvalidSubtitles, not retried) only when no cue is usable; every skipped cue is listed with its reason.
 */
export async function readImport(options: Pick<JobOptions, 'subs' | 'src' | 'tgt' | 'translate' | 'subtitles'>, media: MediaInfo | undefined, extractDir?: string): Promise<SubtitleImport> {
  const flag = '--subs';
  if (!media && subsSource(options.subs!).kind === 'embedded') throw new Error('an embedded subtitle track is read after the input is probed');
  const { bytes, source, stream } = await subtitleBytes(options.subs!, media!, flag, extractDir);
  const decoded = decodeSubtitleBytes(bytes);
  const parsed = readCues(decoded.text);
  const shown = stream ? `${source} (subtitle track ${stream.index} of ${path.basename(media!.path)})` : source;
  const classified = classifyCues(parsed.cues, options.subtitles ?? {});
  if (classified.lines.length === 0) {
    throw failure(ErrorType.InvalidSubtitles, `${flag} ${shown} is not valid SRT, WebVTT or ASS: ${noCueReason(parsed)}`);
  }
  const language = subtitleLanguage(options, stream ? stream.language ?? '' : source, classified.lines);
  return {
    source, shown, format: parsed.format, encoding: decoded.encoding,
    ...(language ? { language } : {}),
    inTarget: !!language && options.translate && !sameLanguage(options.src, options.tgt) && sameLanguage(language, options.tgt),
    lines: classified.lines, skipped: classified.skipped, decisions: classified.decisions, warnings: parsed.warnings, clamped: 0,
  };
}

/** Only what the video can show: cues past its end skipped (counted), ends brought back to it; none inside → refused. */
export function fitImport(sub: SubtitleImport, media: MediaInfo): SubtitleImport {
  const fit = fitToMedia(sub.lines, media.durationSec);
  if (fit.lines.length === 0) {
    const p = fit.pastEnd!;
    throw failure(ErrorType.InvalidSubtitles, `--subs ${sub.shown}: no cue starts inside the video (${path.basename(media.path)} lasts ${clock(media.durationSec)}; its ${p.count} cues run from ${clock(p.from)} to ${clock(p.to)}); are these the subtitles of another video?`);
  }
  // Speech is bounded by the time it has: one huge cue or a flood of tiny ones is refused before any work.
  const tooMuch = scriptProblem(fit.lines, media.durationSec);
  if (tooMuch) throw failure(ErrorType.InvalidSubtitles, `--subs ${sub.shown}: ${tooMuch}`);
  return { ...sub, lines: fit.lines, clamped: fit.clamped, ...(fit.pastEnd ? { pastEnd: fit.pastEnd } : {}) };
}

export async function loadSubtitles(options: Pick<JobOptions, 'subs' | 'src' | 'tgt' | 'translate' | 'subtitles'>, media: MediaInfo, extractDir?: string): Promise<SubtitleImport> {
  return fitImport(await readImport(options, media, extractDir), media);
}

/** The one warning for cues past the video's end; one per unreadable cue (line and what was expected). */
export function importWarnings(flag: string, sub: SubtitleImport): string[] {
  const out = sub.warnings.map((w) => `${flag} ${sub.source} line ${w.line}: ${w.message}`);
  if (sub.pastEnd) {
    out.push(`${flag} ${sub.source}: ${sub.pastEnd.count} cue(s) from ${clock(sub.pastEnd.from)} to ${clock(sub.pastEnd.to)} start after the video ends; skipped`);
  }
  return out;
}

const CJK_LANGS = ['ja', 'zh', 'ko'];
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/**
 * The language subtitles are written in, when it can be told: a language tag of the stream or in the file's
 * name (`ep.en.ass`, `ep.eng.srt`) that is the job's source or target; else, between a CJK language and a
 * Latin-script one, the script most lines are written in.
 */
export function subtitleLanguage(options: Pick<JobOptions, 'src' | 'tgt'>, tagOrName: string, lines: readonly Line[]): string | undefined {
  const mine = [options.src, options.tgt];
  const tags = /^[a-z]{2,3}$/i.test(tagOrName) ? [tagOrName] : path.basename(tagOrName).split('.').slice(1, -1).reverse();
  for (const tag of tags) {
    const code = tag.split(/[-_]/)[0];
    const hit = mine.find((l) => /^[a-z]{2,3}$/i.test(code) && sameLanguage(l, code));
    if (hit) return hit;
  }
  const cjkShare = lines.filter((l) => CJK.test(l.text)).length / Math.max(1, lines.length);
  const [srcCjk, tgtCjk] = mine.map((l) => CJK_LANGS.includes(l));
  if (srcCjk === tgtCjk) return undefined;
  if (cjkShare >= 0.5) return srcCjk ? options.src : options.tgt;
  if (cjkShare <= 0.1) return srcCjk ? options.tgt : options.src;
  return undefined;
}

function clock(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor(s / 60) % 60).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${mm}:${ss}` : `${Math.floor(s / 60)}:${ss}`;
}

/** A subtitle file read for its lines alone (--translated-subs, streaming chunks): decoded and classified the same way. */
export async function readSubtitleLines(file: string, flag: string, opts: JobOptions['subtitles'] = {}): Promise<{ lines: Line[]; warnings: string[] }> {
  const name = path.basename(file);
  const parsed = readCues(decodeSubtitleBytes(await readSubtitleBytes(file, flag)).text);
  const { lines } = classifyCues(parsed.cues, opts);
  if (lines.length === 0) throw failure(ErrorType.InvalidSubtitles, `${flag} ${name} is not valid SRT, WebVTT or ASS: ${noCueReason(parsed)}`);
  return { lines, warnings: parsed.warnings.map((w) => `${flag} ${name} line ${w.line}: ${w.message}`) };
}
