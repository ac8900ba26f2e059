// Generated test media: English lines spoken by festival, placed at known times over ffmpeg's
// test-pattern video. The ground truth (each line's text, start and end) is written beside the clip.
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { festivalArgv } from '../engines/tts.js';
import { MIX_RATE, normalizeClipArgv } from '../engines/ffmpeg.js';
import { run } from '../engines/run.js';
import { parseWavHeader, wavHeader } from '../lib/wav.js';
import { systemFfmpeg } from '../engines/ffmpegBuild.js';

export const DEMO_SCRIPT = [
  'Good morning everyone.',
  'The weather is very nice today.',
  'I would like a cup of coffee please.',
  'Where is the train station?',
  'Thank you very much for your help.',
  'See you tomorrow at the school.',
];

export interface ScriptLine { text: string; start: number; end: number }
export interface SpeechClip { video: string; script: ScriptLine[]; durationSec: number }

export interface ClipOptions {
  lines?: string[];
  leadSec?: number;
  gapSec?: number;
  tailSec?: number;
  /** Repeat the spoken track this many times (long inputs for cancellation tests). */
  loops?: number;
  withAudio?: boolean;
  /** The synthesizer argv for line i writing `out` (text on stdin); festival's voice by default. */
  speak?: (i: number, out: string) => string[];
}

/**
 * Builds (or reuses, when the ground truth is already there) a clip at `out`. Parallel test workers asking for the
 * same clip make it once: the first holds a lock beside it while it works, the others wait and reuse it. The clip
 * and then its ground truth are renamed into place, so a clip with a ground truth is always whole.
 */
export async function makeSpeechClip(out: string, opts: ClipOptions = {}): Promise<SpeechClip> {
  const truth = `${out}.script.json`;
  const cachedClip = async (): Promise<SpeechClip | undefined> => {
    const cached: SpeechClip | undefined = await readFile(truth, 'utf8').then(JSON.parse, () => undefined);
    // The clip is where it was asked for: the recorded path may be another checkout's (media shared per machine).
    return cached && (await stat(out).then(() => true, () => false)) ? { ...cached, video: out } : undefined;
  };
  const cached = await cachedClip();
  if (cached) return cached;
  await mkdir(path.dirname(out), { recursive: true });
  const release = await lockfile.lock(out, { realpath: false, stale: 20_000, update: 5_000, retries: { retries: 1_000, minTimeout: 200, maxTimeout: 1_000 } });
  try {
    return (await cachedClip()) ?? (await buildSpeechClip(out, truth, opts));
  } finally {
    await release().catch(() => undefined);
  }
}

async function buildSpeechClip(out: string, truth: string, opts: ClipOptions): Promise<SpeechClip> {
  const { lines = DEMO_SCRIPT, leadSec = 1.5, gapSec = 3.2, tailSec = 1.5, loops = 1 } = opts;
  const work = `${out}.${process.pid}.work`;
  await mkdir(work, { recursive: true });
  const clips: { pcm: Buffer; sec: number }[] = [];
  for (const [i, text] of lines.entries()) {
    const raw = path.join(work, `${i}.raw.wav`);
    const norm = path.join(work, `${i}.wav`);
    await run(opts.speak ? opts.speak(i, raw) : festivalArgv(raw), { input: text + '\n', timeoutMs: 60_000 });
    await run(normalizeClipArgv(raw, norm), { timeoutMs: 60_000 });
    const buf = await readFile(norm);
    const fmt = parseWavHeader(buf, buf.length);
    const pcm = buf.subarray(fmt.dataOffset, fmt.dataOffset + fmt.dataBytes);
    clips.push({ pcm, sec: pcm.length / (MIX_RATE * 4) });
  }

  const script: ScriptLine[] = [];
  let t = leadSec;
  for (let loop = 0; loop < loops; loop++) {
    lines.forEach((text, i) => {
      script.push({ text, start: round3(t), end: round3(t + clips[i].sec) });
      t += clips[i].sec + gapSec;
    });
  }
  const durationSec = round3(t - gapSec + tailSec);
  const frames = Math.round(durationSec * MIX_RATE);
  const wav = path.join(work, 'speech.wav');
  const fh = await open(wav, 'w');
  await fh.write(wavHeader(MIX_RATE, 2, 16, frames * 4), 0, 44, 0);
  for (const [k, line] of script.entries()) {
    const pcm = clips[k % lines.length].pcm;
    await fh.write(pcm, 0, pcm.length, 44 + Math.round(line.start * MIX_RATE) * 4);
  }
  await fh.truncate(44 + frames * 4);
  await fh.close();

  const video = ['-f', 'lavfi', '-i', `testsrc=size=320x240:rate=25:duration=${durationSec}`];
  const audio = opts.withAudio === false ? [] : ['-i', wav, '-c:a', 'aac', '-b:a', '128k'];
  const part = path.join(work, `part${path.extname(out)}`);
  // The system's ffmpeg: a clip is the same file whichever build the pipeline runs (engines/ffmpegBuild.ts).
  await run([systemFfmpeg(), '-nostdin', '-v', 'error', '-y', ...video, ...audio, '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '50', '-t', String(durationSec), part], { timeoutMs: 10 * 60_000 });
  const clip: SpeechClip = { video: out, script, durationSec };
  await rename(part, out);
  await writeFile(path.join(work, 'script.json'), JSON.stringify(clip, null, 2));
  await rename(path.join(work, 'script.json'), truth);
  await rm(work, { recursive: true, force: true });
  return clip;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

// `node dist/scripts/speechClip.js OUT.mp4` makes the demo clip.
if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const out = path.resolve(process.argv[2] ?? 'demo/demo.mp4');
  makeSpeechClip(out).then(
    (c) => console.log(`demo clip: ${c.video} (${c.durationSec.toFixed(1)} s, ${c.script.length} lines spoken by festival)`),
    (e) => { console.error(e); process.exit(1); },
  );
}
