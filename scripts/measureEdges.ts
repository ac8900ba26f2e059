// Line edges against the truth: where the recognition stage's lines start and end, compared with where the voices
// really do, on the four inputs that have a truth — the 30 s English dialogue fixture (festival voices, no music),
// the Japanese dialogue fixture (two Kokoro voices, no music) and the two Japanese scenes of issue 25 (Kokoro voices
// over a music bed with effects). Rerunnable:
//   npx tsc -p tsconfig.json && node dist/scripts/measureEdges.js [--json FILE]
// Runs the real engines in a warm engine host: faster-whisper base (begun at the first voice as the jobs begin it, its
// answer cached under bench/.cache/edges/, keyed by the audio), Silero VAD and the embedded diarizer; the lines are made by lib/voicedLines.ts, the function
// the recognition stage uses, from the voiced stretches of `voice_activity` with Silero's own ends ("before") and
// with the tightened ends of VAD_SETTINGS ("after"). Results go into docs/PERFORMANCE.md by hand, machine and date.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeEngineHosts } from '../engines/engineHost.js';
import { resolveWhisperModel, transcribeInHost } from '../engines/fasterWhisper.js';
import { run } from '../engines/run.js';
import { VAD_SETTINGS, voiceActivity, voiceTurns, type VadSettings } from '../engines/voiceActivity.js';
import type { AsrResult } from '../engines/whisper.js';
import { firstVoice } from '../engines/whisperRecognize.js';
import type { Line } from '../lib/job.js';
import { SNAP, type Region, type SnapOptions } from '../lib/speechRegions.js';
import { voicedLines } from '../lib/voicedLines.js';
import { parseWavHeader } from '../lib/wav.js';
import { makeSpeechClip } from './speechClip.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CACHE = path.join(ROOT, 'bench', '.cache', 'edges');
const SCENES = path.join(ROOT, 'test', 'fixtures', 'scenes');
/** The job defaults the recognition stage uses (config/schema.ts asr.noSpeechThreshold, asr.minSilenceSec). */
const JOB_DEFAULTS = { noSpeechThreshold: 0.6, minSilenceSec: 0.45 };

interface Input { name: string; language: string; wav: string; durationSec: number; truth: Region[] }
interface LineEdge { index: number; truth: number; start: number; end: number; startErr: number; endErr: number }
export interface EdgeSummary {
  input: string;
  mode: string;
  dubLines: number;
  trueLines: number;
  /** Share of dub lines whose start is within ±200 ms of their true line's. */
  startsWithin200: number;
  /** The earliest start against its true line (negative: early), seconds. */
  earliestStart: number;
  endsWithin100: number;
  medianEndErr: number;
  medianStartErr: number;
  /** Share of true lines with a voiced stretch starting within ±200 ms (VAD alone, before Whisper). */
  vadOnsetsWithin200: number;
  lines: LineEdge[];
}

export const overlap = (a: Region, b: Region) => Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** Any audio → the 16 kHz mono WAV the recognition stage analyses. */
export async function toWav(src: string, out: string): Promise<string> {
  await run(['ffmpeg', '-nostdin', '-v', 'error', '-y', '-i', src, '-vn', '-ac', '1', '-ar', '16000', '-c:a', 'pcm_s16le', out], { timeoutMs: 120_000 });
  return out;
}

/**
 * The dialogue fixture's script times include festival's own quiet head and tail (about 0.1 s at −75 dB), so its
 * truth is where each line's samples first and last pass 0.01 (−40 dBFS), the rule the scenes' tables were made by.
 */
async function voiceEdges(wav: string, script: Region[]): Promise<Region[]> {
  const buf = await readFile(wav);
  const fmt = parseWavHeader(buf, buf.length);
  const pcm = new Int16Array(buf.buffer, buf.byteOffset + fmt.dataOffset, fmt.dataBytes / 2);
  return script.map((l) => {
    const a = Math.max(0, Math.floor((l.start - 0.05) * fmt.sampleRate));
    const b = Math.min(pcm.length, Math.ceil((l.end + 0.05) * fmt.sampleRate));
    let first = -1;
    let last = -1;
    for (let i = a; i < b; i++) if (Math.abs(pcm[i]) > 327) { if (first < 0) first = i; last = i; }
    return { start: first / fmt.sampleRate, end: (last + 1) / fmt.sampleRate };
  });
}

async function inputs(): Promise<Input[]> {
  await mkdir(CACHE, { recursive: true });
  const clip = await makeSpeechClip(path.join(ROOT, 'test', '.cache', 'media', 'dialogue.mp4'));
  const dialogueWav = await toWav(clip.video, path.join(CACHE, 'dialogue.wav'));
  const out: Input[] = [{ name: 'dialogue (30 s, en, no music)', language: 'en', wav: dialogueWav, durationSec: clip.durationSec, truth: await voiceEdges(dialogueWav, clip.script) }];
  const tables: [string, string, string][] = [
    ['ja-dialogue', path.join(ROOT, 'test', 'fixtures', 'ja', 'dialogue.json'), 'ja dialogue (46 s, 2 voices, no music)'],
    ['classroom', path.join(SCENES, 'classroom.json'), 'classroom (ja, music bed)'],
    ['festival', path.join(SCENES, 'festival.json'), 'festival (ja, music bed)'],
  ];
  for (const [name, table, title] of tables) {
    const json = JSON.parse(await readFile(table, 'utf8')) as { audio: string; duration: number; lines: Region[] };
    const wav = await toWav(path.join(path.dirname(table), json.audio), path.join(CACHE, `${name}.wav`));
    out.push({ name: title, language: 'ja', wav, durationSec: json.duration, truth: json.lines.map((l) => ({ start: l.start, end: l.end })) });
  }
  return out;
}

/**
 * faster-whisper base on a 16 kHz WAV in the warm engine host, begun where the jobs begin it (at the first voice,
 * engines/whisperRecognize.ts), its answer kept in `cacheDir` (keyed by the audio and where it began).
 */
export async function cachedWhisper(wav: string, language: string, cacheDir: string): Promise<AsrResult> {
  const { model } = await resolveWhisperModel('base');
  const startSec = await firstVoice(wav);
  const key = createHash('sha256').update(await readFile(wav)).update(path.basename(model)).update(language).update(String(startSec ?? 0)).digest('hex').slice(0, 16);
  const file = path.join(cacheDir, `${path.basename(wav, '.wav')}.${key}.whisper.json`);
  const cached = await readFile(file, 'utf8').then((t) => JSON.parse(t) as AsrResult, () => undefined);
  if (cached) return cached;
  const result = await transcribeInHost({ audio: wav, task: 'transcribe', language, model, startSec });
  await mkdir(cacheDir, { recursive: true });
  await writeFile(`${file}.${process.pid}`, JSON.stringify(result));
  await rename(`${file}.${process.pid}`, file);
  return result;
}

/** Each dub line against the true line it overlaps most (a line over no true line is left out, as the tests do). */
export function measure(input: string, mode: string, lines: readonly Line[], truth: readonly Region[], speech: readonly Region[]): EdgeSummary {
  const rows: LineEdge[] = [];
  for (const l of lines) {
    let best = -1;
    truth.forEach((t, i) => { if (overlap(l, t) > (best < 0 ? 0 : overlap(l, truth[best]))) best = i; });
    if (best < 0) continue;
    rows.push({ index: l.index, truth: best, start: l.start, end: l.end, startErr: l.start - truth[best].start, endErr: l.end - truth[best].end });
  }
  const share = (xs: boolean[]) => (xs.length ? xs.filter(Boolean).length / xs.length : NaN);
  return {
    input, mode, dubLines: lines.length, trueLines: truth.length,
    startsWithin200: share(rows.map((r) => Math.abs(r.startErr) <= 0.2)),
    earliestStart: Math.min(...rows.map((r) => r.startErr)),
    endsWithin100: share(rows.map((r) => Math.abs(r.endErr) <= 0.1)),
    medianEndErr: median(rows.map((r) => r.endErr)),
    medianStartErr: median(rows.map((r) => r.startErr)),
    vadOnsetsWithin200: share(truth.map((t) => speech.some((r) => Math.abs(r.start - t.start) <= 0.2))),
    lines: rows,
  };
}

const ms = (s: number) => `${s >= 0 ? '+' : ''}${(s * 1000).toFixed(0)}`;
const pct = (x: number) => `${(x * 100).toFixed(0)} %`;

async function main(): Promise<void> {
  const jsonAt = process.argv.indexOf('--json');
  // The default path cuts lines where the diarizer hears another voice (tts.diarize auto); the last mode leaves those
  // cuts out (tts.diarize off), to tell the edges' errors from the speaker cuts'.
  const before: VadSettings = { ...VAD_SETTINGS, endThreshold: null, minSpeechSec: 0.25, underBedSure: null };
  const unsnapped: SnapOptions = { sliverSec: 0, lookBackSec: 0 };
  const modes: [string, VadSettings, SnapOptions, boolean][] = [
    ['before (Silero ends, 0.25 s min speech, plain snap)', before, unsnapped, true],
    ['tightened ends only', { ...before, endThreshold: VAD_SETTINGS.endThreshold }, unsnapped, true],
    ['no voice under the bed (source VAD alone)', { ...VAD_SETTINGS, underBedSure: null }, SNAP, true],
    ['after (all: VAD_SETTINGS, SNAP)', VAD_SETTINGS, SNAP, true],
    ['after, no speaker cuts (diarize off)', VAD_SETTINGS, SNAP, false],
  ];
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model}; ${new Date().toISOString()}`);
  const summaries: EdgeSummary[] = [];
  for (const input of await inputs()) {
    const asr = await cachedWhisper(input.wav, input.language, CACHE);
    // Who speaks: the default path (tts.diarize auto) cuts lines where the voice changes.
    const { turns } = await voiceTurns(input.wav);
    for (const [mode, settings, snap, speakerCuts] of modes) {
      const speech = await voiceActivity(input.wav, settings);
      const { lines } = voicedLines(asr.segments, speech, speakerCuts ? turns : [], { ...JOB_DEFAULTS, durationSec: input.durationSec, snap });
      const s = measure(input.name, mode, lines, input.truth, speech);
      summaries.push(s);
      console.log(`\n${input.name}, ${mode}: per dub line (true line) start/end error, ms`);
      console.log(s.lines.map((r) => `${r.index}(${r.truth}) ${ms(r.startErr)}/${ms(r.endErr)}`).join('  '));
    }
  }
  console.log('\n| input | edges | dub lines / true | starts within ±200 ms | earliest start | median start error | ends within ±100 ms | median end error | VAD onsets within ±200 ms |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const s of summaries) {
    console.log(`| ${s.input} | ${s.mode} | ${s.dubLines} / ${s.trueLines} | ${pct(s.startsWithin200)} | ${ms(s.earliestStart)} ms | ${ms(s.medianStartErr)} ms | ${pct(s.endsWithin100)} | ${ms(s.medianEndErr)} ms | ${pct(s.vadOnsetsWithin200)} |`);
  }
  if (jsonAt > 0) await writeFile(process.argv[jsonAt + 1], JSON.stringify(summaries, null, 2));
  await closeEngineHosts();
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  main().catch(async (e) => {
    console.error(e);
    await closeEngineHosts();
    process.exit(1);
  });
}
