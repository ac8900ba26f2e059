// `node dist/scripts/benchFitVideo.js [--input VIDEO | --gap SEC [--loops N]] [--port N] [--doc] [--keep]`: the pacing measurement of issue 18 on
// the benchmark's input (English → Spanish with pocketsphinx, apertium and espeak-ng, as `npm run bench` dubs
// it), once with --fit-video off and once with auto. It reports the share of lines spoken faster than 1.10×,
// the output's length against the input's, and whether picture and sound end together (ffprobe on the files).
// Not a timed test: wall times are printed for information only. With --doc the table goes into PERFORMANCE.md.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { devServerArgv, ensureSearchAttributes, spawnDetached, temporalCliPath, waitForServer } from '../client/devServer.js';
import { loadSettings } from '../config/load.js';
import { formatSrt } from '../formats/subtitles.js';
import { makeSpeechClip } from './speechClip.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const SPEECH_CAP = 1.1;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ReportLine { index: number; speedFactor?: number; problems: string[] }
interface Measured {
  mode: 'off' | 'auto';
  subs: boolean;
  args: string;
  wallSec: number;
  lines: number;
  above: number;
  maxFactor: number;
  trimmed: number;
  inputSec: number;
  outputSec: number;
  spans: number;
  /** Picture and original sound at the last line: how far from where the map puts them (ms). */
  offsets: { pictureMs: number; soundMs: number };
  /** Per container: video stream duration − each audio stream's duration, seconds. */
  endSync: { file: string; video: number; audio: number[] }[];
}

async function streamDurations(file: string): Promise<{ video: number; audio: number[]; format: number }> {
  // Durations from the last packets (MKV has no per-stream duration in its header).
  const last = async (sel: string) => {
    const { stdout } = await execa('ffprobe', ['-v', 'error', '-select_streams', sel, '-show_entries', 'packet=pts_time,duration_time', '-of', 'csv=p=0', file]);
    let end = 0;
    for (const row of stdout.trim().split('\n')) {
      const [pts, dur] = row.split(',').map(Number);
      if (Number.isFinite(pts)) end = Math.max(end, pts + (Number.isFinite(dur) ? dur : 0));
    }
    return end;
  };
  const { stdout } = await execa('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type:format=duration', '-of', 'json', file]);
  const info = JSON.parse(stdout) as { streams: { codec_type: string }[]; format: { duration: string } };
  const audios = info.streams.filter((s) => s.codec_type === 'audio').length;
  return { video: await last('v:0'), audio: await Promise.all(Array.from({ length: audios }, (_, i) => last(`a:${i}`))), format: Number(info.format.duration) };
}

/** Decoded bytes of one frame of `file` at `t` seconds (gray, small: a fingerprint of the picture). */
async function frameAt(file: string, t: number): Promise<Buffer> {
  const r = await execa('ffmpeg', ['-nostdin', '-v', 'error', '-ss', t.toFixed(6), '-i', file, '-frames:v', '1', '-vf', 'scale=80:60,format=gray', '-f', 'rawvideo', '-'], { encoding: 'buffer' });
  return Buffer.from(r.stdout as unknown as Uint8Array);
}

/** Mono 8 kHz samples of audio stream `stream` of `file` from `t` for `sec` seconds. */
async function samplesAt(file: string, stream: number, t: number, sec: number): Promise<Int16Array> {
  const r = await execa('ffmpeg', ['-nostdin', '-v', 'error', '-ss', t.toFixed(6), '-t', sec.toFixed(6), '-i', file, '-map', `0:a:${stream}`, '-ac', '1', '-ar', '8000', '-f', 's16le', '-'], { encoding: 'buffer' });
  const b = Buffer.from(r.stdout as unknown as Uint8Array);
  return new Int16Array(b.buffer, b.byteOffset, Math.floor(b.length / 2));
}

/**
 * How far the output's picture and original sound sit from where the time map puts them, near the end: the
 * source frame at T is looked for among the output's frames around map(T) (a frame = 40 ms at 25 fps), and a
 * second of the source's sound at T is cross-correlated with the output's original track around map(T).
 */
async function endOffsets(source: string, output: string, map: { spans: { srcStart: number; srcEnd: number; factor: number }[] }, t: number): Promise<{ pictureMs: number; soundMs: number }> {
  const added = map.spans.reduce((a, s) => a + (Math.min(t, s.srcEnd) - Math.min(t, s.srcStart)) * (s.factor - 1), 0);
  const out = t + added;
  const want = await frameAt(source, t);
  let pictureMs = Infinity;
  for (const k of [0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5]) {
    if ((await frameAt(output, out + k * 0.04)).equals(want)) { pictureMs = k * 40; break; }
  }
  const ref = await samplesAt(source, 0, t, 1);
  const hay = await samplesAt(output, 1, out - 0.2, 1.4);
  let best = -Infinity;
  let lag = 0;
  for (let d = 0; d + ref.length <= hay.length; d++) {
    let dot = 0;
    for (let i = 0; i < ref.length; i += 2) dot += ref[i] * hay[d + i];
    if (dot > best) { best = dot; lag = d; }
  }
  return { pictureMs, soundMs: Math.round(((lag / 8000) - 0.2) * 1000) };
}

async function runJob(video: string, address: string, outRoot: string, mode: 'off' | 'auto', subs?: string): Promise<Measured> {
  const started = Date.now();
  const r = await execa(process.execPath, [
    path.join(ROOT, 'dist', 'client', 'cli.js'), 'run', video, '--src', 'en', '--tgt', 'es', ...(subs ? ['--subs', subs] : ['--asr', 'pocketsphinx']), '--tts', 'espeak-ng',
    '--output', path.join(outRoot, mode), '--fit-video', mode, '--new',
  ], { env: { TEMPORAL_ADDRESS: address, ANIME_DUB_OUTPUT_DIR: outRoot }, reject: false, all: true });
  const wallSec = (Date.now() - started) / 1000;
  if (r.exitCode !== 0) throw new Error(`anime-dub run --fit-video ${mode} failed:\n${String(r.all).slice(-2000)}`);
  const folder = path.join(outRoot, mode, path.basename(video, path.extname(video)) + '.es');
  const report = JSON.parse(await readFile(path.join(folder, 'report.json'), 'utf8'));
  const lines = report.lines as ReportLine[];
  const factors = lines.map((l) => l.speedFactor ?? 1);
  const endSync: Measured['endSync'] = [];
  let outputSec = 0;
  for (const rel of [report.outputs.mp4, report.outputs.mkv] as string[]) {
    const d = await streamDurations(path.join(folder, rel));
    outputSec = Math.max(outputSec, d.video);
    endSync.push({ file: path.extname(rel).slice(1), video: d.video, audio: d.audio });
  }
  // At the end: the last line's source sound (translated.json keeps source times) and picture, where the map says.
  const map = report.fitVideo ?? { spans: [] };
  const source = JSON.parse(await readFile(path.join(folder, 'translated.json'), 'utf8')).lines as { start: number }[];
  const offsets = await endOffsets(video, path.join(folder, report.outputs.mp4), map, Math.max(...source.map((l) => l.start)) + 0.1);
  return {
    offsets,
    mode, subs: !!subs, args: process.argv.slice(2).filter((a) => a !== '--doc' && a !== '--keep').map((a) => ` ${a}`).join(''), wallSec, lines: lines.length, above: factors.filter((f) => f > SPEECH_CAP + 1e-6).length, maxFactor: Math.max(1, ...factors),
    trimmed: lines.filter((l) => l.problems.some((p) => p.startsWith('trimmed'))).length,
    inputSec: report.fitVideo?.sourceDurationSec ?? report.durationSec, outputSec, spans: report.fitVideo?.spans.length ?? 0, endSync,
  };
}

async function main(): Promise<void> {
  // The bench's 5-minute input; --gap SEC makes the same dialogue with shorter pauses (a denser clip).
  const gap = arg('--gap');
  const loops = Number(arg('--loops') ?? 10);
  const name = gap ? `dialogue-${loops}x-gap${gap}.mp4` : 'dialogue-05min.mp4';
  const clip = arg('--input') ? undefined : await makeSpeechClip(path.join(ROOT, 'bench', '.cache', 'media', name), { loops, ...(gap ? { gapSec: Number(gap) } : {}) });
  const video = arg('--input') ?? clip!.video;
  // Pauses shorter than recognition's silence minimum merge lines: a dense clip's lines come from its script as subtitles.
  const subs = gap && clip ? `${clip.video}.srt` : undefined;
  if (subs) await writeFile(subs, formatSrt(clip!.script));
  const port = Number(arg('--port') ?? 18233);
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'anime-dub-benchfit-'));
  const outRoot = path.join(stateDir, 'out');
  const argv = devServerArgv(temporalCliPath(loadSettings({})), { port, uiPort: port + 1, dbFile: path.join(stateDir, 'temporal.db'), headless: true });
  const serverPid = await spawnDetached(argv, path.join(stateDir, 'server.log'));
  const address = `127.0.0.1:${port}`;
  let worker: ReturnType<typeof execa> | undefined;
  try {
    await waitForServer(address, 'default', 120);
    await ensureSearchAttributes(address, 'default');
    worker = execa(process.execPath, [path.join(ROOT, 'dist', 'workers', 'all.js')], {
      env: { TEMPORAL_ADDRESS: address, ANIME_DUB_OUTPUT_DIR: outRoot, DUB_WORKER_IDENTITY: `benchfit-${process.pid}` }, reject: false, all: true, buffer: false,
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`worker did not start:\n${out}`)), 120_000);
      worker!.all!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('polling')) { clearTimeout(timer); resolve(); }
      });
    });
    const results: Measured[] = [];
    for (const mode of ['off', 'auto'] as const) results.push(await runJob(video, address, outRoot, mode, subs));
    console.log(JSON.stringify(results, null, 2));
    const md = markdown(video, results);
    console.log(md);
    if (process.argv.includes('--doc')) await appendFile(path.join(ROOT, 'docs', 'PERFORMANCE.md'), `\n${md}`);
  } finally {
    worker?.kill('SIGTERM');
    await worker?.catch(() => undefined);
    try { process.kill(-serverPid, 'SIGTERM'); } catch { /* gone */ }
    for (let i = 0; i < 50 && existsSync(`/proc/${serverPid}`); i++) await sleep(100);
    if (!process.argv.includes('--keep')) await rm(stateDir, { recursive: true, force: true });
    else console.log(`kept ${stateDir}`);
  }
}

function markdown(video: string, rs: Measured[]): string {
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const cpu = os.cpus();
  const pct = (a: number, b: number) => `${((a / Math.max(1, b)) * 100).toFixed(0)}%`;
  const sync = (r: Measured) => r.endSync.map((e) => `${e.file} ${e.audio.map((a) => `${Math.round((e.video - a) * 1000)}`).join(' / ')} ms`).join('; ');
  return [
    `## ${when} UTC — pacing: --fit-video off vs auto (issue 18)`,
    '',
    `Machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? '?'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${os.release()}, Node ${process.version}. Input: ${path.basename(video)} (${(rs[0].inputSec / 60).toFixed(2)} min, ${rs[0].lines} lines), English → Spanish with ${rs[0].subs ? 'the script as subtitles (--subs)' : 'pocketsphinx'}, apertium and espeak-ng (\`node dist/scripts/benchFitVideo.js${rs[0].args}\`). Wall times for information only.`,
    '',
    '| --fit-video | lines | lines above 1.10× | max speech factor | lines cut | slowed spans | input | output | longer by | stream ends (video − dub / original audio) | picture / original sound at the last line vs the map | wall |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rs.map((r) => `| ${r.mode} | ${r.lines} | ${r.above} (${pct(r.above, r.lines)}) | ${r.maxFactor.toFixed(3)}× | ${r.trimmed} | ${r.spans} | ${r.inputSec.toFixed(2)} s | ${r.outputSec.toFixed(2)} s | ${(((r.outputSec / r.inputSec) - 1) * 100).toFixed(2)}% | ${sync(r)} | ${Number.isFinite(r.offsets.pictureMs) ? `${r.offsets.pictureMs} ms` : 'no match'} / ${r.offsets.soundMs} ms | ${r.wallSec.toFixed(1)} s |`),
    '',
  ].join('\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
