// `npm run bench`: the dub pipeline against a plain sequential replay of its own engine commands, at 1, 5 and
// 15 minutes of dialogue, plus a streaming run; results appended to docs/PERFORMANCE.md with two charts.
//
//   node dist/scripts/bench.js [--minutes 1,5,15] [--stream-minutes 5|0] [--real-minutes 5|0] [--cast-minutes 5|0]
//                              [--llm-minutes 1|0] [--no-baseline] [--no-doc] [--label TEXT]
//
// Everything it starts is real and its own: a `temporal server start-dev` on a free port with a temporary state
// dir, a worker process (`node dist/workers/all.js`, fresh for every run so its peak RSS is that run's), and the
// CLI as the client (`node dist/client/cli.js run …` with TEMPORAL_ADDRESS set). Inputs are generated once
// (festival speech over a test pattern) and cached under bench/.cache/.
import { execa, type ResultPromise } from 'execa';
import { existsSync, openSync, readSync, closeSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLED_GGUF_FILE } from '../config/schema.js';
import { parseArgs as parseCliArgs } from 'node:util';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { connectClient } from '../client/api.js';
import { devServerArgv, ensureSearchAttributes, spawnDetached, temporalCliPath, waitForServer } from '../client/devServer.js';
import { loadSettings } from '../config/load.js';
import { espeakArgv } from '../engines/tts.js';
import type { DubJobResult } from '../lib/job.js';
import type { VoicePlan } from '../lib/voices.js';
import type { StreamManifest } from '../lib/streamManifest.js';
import type { StreamDubResult } from '../workflows/streamDub.js';
import { writeBaseline } from './benchBaseline.js';
import { renderPngs, scalingChartSvg, stageChartSvg } from './benchCharts.js';
import { overheadOf, readHistory, stageTimes, type Interval, type Overhead, type StageTime } from './benchHistory.js';
import { makeSpeechClip } from './speechClip.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CACHE = path.join(ROOT, 'bench', '.cache');
/** One pass of the demo script with its gaps: six festival lines, about 28.8 s. */
const LOOP_SEC = 28.8;

// ---------------------------------------------------------------------------------------------- measuring

const CLK_TCK = 100;

/** Busy CPU seconds of the whole machine (all cores) from /proc/stat. */
function machineBusySec(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return (user + nice + system + irq + softirq + (steal ?? 0)) / CLK_TCK;
}

/** utime + stime (+ reaped children) of a process, in seconds; 0 when it is gone. */
function processCpuSec(pid: number | 'self', withChildren = true): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    // after the comm: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14)
    return (f[11] + f[12] + (withChildren ? f[13] + f[14] : 0)) / CLK_TCK;
  } catch {
    return 0;
  }
}

function vmHwmKb(pid: number): number | undefined {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

const mb = (kb: number) => (kb * 1024) / 1e6;

/** Resident memory of a process and all its descendants now (the worker and its warm engine hosts). */
function treeRssKb(root: number): number {
  const parent = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      parent.set(Number(e), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone */ }
  }
  const inTree = (pid: number): boolean => pid === root || (parent.has(pid) && pid > 1 && inTree(parent.get(pid)!));
  let kb = 0;
  for (const pid of parent.keys()) {
    if (!inTree(pid)) continue;
    try { kb += Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/)?.[1] ?? 0); } catch { /* gone */ }
  }
  return kb;
}

/**
 * CPU used by processes that are not ours (another developer's test run), between two marks. Ours = this
 * process with its reaped children (clients, workers, bash, and the engines they reaped) + the dev server.
 */
class ForeignCpu {
  private marks = new Map<string, { busy: number; ours: number; at: number }>();
  constructor(private serverPid: () => number | undefined) {}
  private ours(): number {
    const s = this.serverPid();
    return processCpuSec('self') + (s ? processCpuSec(s) : 0);
  }
  mark(name: string): void {
    this.marks.set(name, { busy: machineBusySec(), ours: this.ours(), at: Date.now() });
  }
  /** Average number of cores other processes kept busy since the mark (call when our children are reaped). */
  since(name: string): number {
    const m = this.marks.get(name)!;
    const foreign = machineBusySec() - m.busy - (this.ours() - m.ours);
    return Math.max(0, foreign / ((Date.now() - m.at) / 1000));
  }
}

// -------------------------------------------------------------------------------------------- processes

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

interface Server { address: string; pid: number; stateDir: string }

async function startServer(): Promise<Server> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'anime-dub-bench-'));
  const [port, uiPort] = [await freePort(), await freePort()];
  const argv = devServerArgv(temporalCliPath(loadSettings({})), { port, uiPort, dbFile: path.join(stateDir, 'temporal.db'), headless: true });
  const pid = await spawnDetached(argv, path.join(stateDir, 'server.log'));
  const address = `127.0.0.1:${port}`;
  await waitForServer(address, 'default', 120);
  await ensureSearchAttributes(address, 'default');
  return { address, pid, stateDir };
}

async function stopServer(s: Server): Promise<void> {
  try { process.kill(-s.pid, 'SIGTERM'); } catch { /* gone */ }
  for (let i = 0; i < 50 && existsSync(`/proc/${s.pid}`); i++) await sleep(100);
  await rm(s.stateDir, { recursive: true, force: true });
}

interface WorkerStats { peakKb?: number; cpuSec: number; engineCpuSec: number; treePeakKb: number }
interface Worker { pid: number; startupMs: number; child: ResultPromise; stop(): Promise<WorkerStats> }

async function startWorker(address: string, log: string): Promise<Worker> {
  const started = Date.now();
  // BENCH_WORKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the worker (node refuses it in NODE_OPTIONS).
  const nodeArgs = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = execa(process.execPath, [...nodeArgs, path.join(ROOT, 'dist', 'workers', 'all.js')], {
    env: { TEMPORAL_ADDRESS: address, DUB_WORKER_IDENTITY: `bench-worker-${process.pid}`, ANIME_DUB_OUTPUT_DIR: CACHE },
    reject: false, all: true, buffer: false,
  });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start in 120 s:\n${out}`)), 120_000);
    child.all!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('polling')) { clearTimeout(timer); resolve(); }
    });
    child.then(() => { clearTimeout(timer); reject(new Error(`worker exited early:\n${out}`)); }, () => {});
  });
  await ready;
  const startupMs = Date.now() - started;
  const pid = child.pid!;
  // The worker with its warm engine hosts (model processes): sampled, as the hosts are children of their own.
  let treePeakKb = 0;
  const sampler = setInterval(() => { treePeakKb = Math.max(treePeakKb, treeRssKb(pid)); }, 500);
  return {
    pid, startupMs, child,
    async stop() {
      clearInterval(sampler);
      treePeakKb = Math.max(treePeakKb, treeRssKb(pid));
      const stats = { peakKb: vmHwmKb(pid), cpuSec: processCpuSec(pid, false), engineCpuSec: processCpuSec(pid) - processCpuSec(pid, false), treePeakKb };
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await child;
      clearTimeout(t);
      await appendFile(log, out);
      return stats;
    },
  };
}

/** Appended lines of a growing commands.jsonl, each stamped with the time it appeared (≈ when it finished). */
class CommandWatcher {
  readonly stamps: { endMs: number; wallMs: number; argv0: string }[] = [];
  private offset = 0;
  private rest = '';
  private timer: NodeJS.Timeout;
  constructor(private file: string) {
    this.timer = setInterval(() => this.poll(), 10);
  }
  private poll(): void {
    let size: number;
    try { size = statSync(this.file).size; } catch { return; }
    if (size <= this.offset) return;
    const now = Date.now();
    const buf = Buffer.alloc(size - this.offset);
    const fd = openSync(this.file, 'r');
    try { readSync(fd, buf, 0, buf.length, this.offset); } finally { closeSync(fd); }
    this.offset = size;
    const lines = (this.rest + buf.toString('utf8')).split('\n');
    this.rest = lines.pop()!;
    for (const l of lines) {
      if (!l.trim()) continue;
      const r = JSON.parse(l) as { wallMs: number; argv: string[] };
      this.stamps.push({ endMs: now, wallMs: r.wallMs, argv0: r.argv[0] });
    }
  }
  stop(): Interval[] {
    this.poll();
    clearInterval(this.timer);
    return this.stamps.map((s) => [s.endMs - s.wallMs, s.endMs]);
  }
}

interface ClientRun { startMs: number; endMs: number; peakRssKb: number; exitCode: number; output: string }

async function runClient(args: string[], address: string, commands?: string, watch: number[] = []): Promise<{ run: ClientRun; engines: Interval[]; cpuSamples: number[][] }> {
  const watcher = commands ? new CommandWatcher(commands) : undefined;
  const startMs = Date.now();
  const child = execa(process.execPath, [path.join(ROOT, 'dist', 'client', 'cli.js'), 'run', ...args], {
    env: { TEMPORAL_ADDRESS: address, ANIME_DUB_OUTPUT_DIR: CACHE }, reject: false, all: true,
  });
  let peak = 0;
  // [ms since start, machine busy CPU s, client CPU s, then each watched process's own CPU s]: a coarse profile
  const cpuSamples: number[][] = [];
  const sample = () => {
    peak = Math.max(peak, vmHwmKb(child.pid!) ?? 0);
    cpuSamples.push([Date.now() - startMs, machineBusySec(), processCpuSec(child.pid!, false), ...watch.map((pid) => processCpuSec(pid, false))]);
  };
  const poll = setInterval(sample, 100);
  const r = await child;
  const endMs = Date.now();
  clearInterval(poll);
  const engines = watcher?.stop() ?? [];
  if (r.exitCode !== 0) {
    const why = String(r.all).match(/failed: (.*)/)?.[1] ?? `exit ${r.exitCode}`;
    throw new Error(`anime-dub run failed: ${why.length > 300 ? `${why.slice(0, 300)}…` : why}`);
  }
  return { run: { startMs, endMs, peakRssKb: peak, exitCode: r.exitCode ?? -1, output: String(r.all) }, engines, cpuSamples };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fixed single-core job (AAC encoding of 60 s of a generated tone), best of three: the machine's speed now. */
async function speedProbe(): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await execa('ffmpeg', ['-nostdin', '-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=60', '-ac', '2', '-c:a', 'aac', '-b:a', '192k', '-f', 'null', '-']);
    best = Math.min(best, (performance.now() - t) / 1000);
  }
  return best;
}

// ------------------------------------------------------------------------------------------------ runs

/** `voices`: the lines spoken by that many espeak-ng voices (four speakers for the cast row) instead of festival's one. */
interface InputSpec { name: string; minutes: number; loops: number; voices?: number; japanese?: boolean }

/** The Japanese rows' input: the project's Japanese dialogue (Kokoro voices, 12 lines, 46 s) looped. */
const JA_DIALOGUE = path.join(ROOT, 'test', 'fixtures', 'ja', 'dialogue.opus');
const JA_LOOP_SEC = 46.1;

interface DubRun {
  input: string;
  minutes: number;
  durationSec: number;
  lines: number;
  wallSec: number;
  workflowSec: number;
  rtf: number;
  secPerInputMin: number;
  workerStartupSec: number;
  workerPeakMB?: number;
  /** The worker and its engine hosts together, sampled every 0.5 s. */
  workerTreePeakMB: number;
  /** Which engines: the Debian ones (pocketsphinx, apertium, espeak-ng: the baseline can replay them) or the model engines. */
  engines: Engines;
  /** The Japanese rows: the translate stage per line, and how the fit treated the English (report.json). */
  translation?: { secPerLine: number; atSlowFloor: number; withinSlotShare: number };
  /** The cast row: speakers the diarizer found and the voice each got (voices/voices.json). */
  cast?: { speakers: number; voices: string[]; note?: string };
  clientPeakMB: number;
  /** CPU seconds during the run: the worker's own (Node: activities, workflow tasks), its engines, the dev server. */
  cpu: { workerSec: number; enginesSec: number; serverSec: number };
  stages: StageTime[];
  overhead: Overhead;
  commands: number;
  engineSumSec: number;
  workflowTasks: number;
  historyEvents: number;
  baseline?: { sec: number; commands: number; script: string };
  ratio?: number;
  foreignCores: { ours: number; baseline?: number };
  /** Seconds for a fixed single-core job (speedProbe) just before the run: how fast the machine was then. */
  speedProbeSec: number;
}

interface StreamRun {
  input: string;
  durationSec: number;
  wallSec: number;
  rtf: number;
  chunks: number;
  failed: number;
  timeToFirstChunkSec: number;
  firstChunkRenderSec: number;
  medianChunkRenderSec: number;
  workerPeakMB?: number;
  clientPeakMB: number;
  foreignCores: number;
}

/**
 * espeak-ng voices and pitches (-p) for a many-speaker input: two women and two men far apart in pitch (median F0
 * 302, 84, 178 and 121 Hz; the embedded diarizer found these four in a 1-minute cut, 2026-12-06).
 */
const INPUT_VOICES: [string, number][] = [['en-us+f2', 95], ['en-us+m3', 15], ['en-us+f4', 50], ['en-us+m1', 75]];

async function ensureInput(spec: InputSpec): Promise<{ video: string; durationSec: number }> {
  const video = path.join(CACHE, 'media', `${spec.name}.mp4`);
  if (spec.japanese) return ensureJapaneseInput(spec, video);
  const voices = INPUT_VOICES.slice(0, spec.voices ?? 0);
  const speak = voices.length ? (i: number, out: string) => espeakArgv(out, voices[i % voices.length][0], 150, voices[i % voices.length][1]) : undefined;
  const clip = await makeSpeechClip(video, { loops: spec.loops, speak });
  return { video, durationSec: clip.durationSec };
}

async function ensureJapaneseInput(spec: InputSpec, video: string): Promise<{ video: string; durationSec: number }> {
  if (!existsSync(video)) {
    const part = `${video}.part.mp4`;
    await mkdir(path.dirname(video), { recursive: true });
    await execa('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-stream_loop', String(spec.loops - 1), '-i', JA_DIALOGUE, '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25',
      '-map', '1:v', '-map', '0:a', '-shortest', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k', part]);
    await execa('mv', [part, video]);
  }
  const probe = await execa('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', video]);
  return { video, durationSec: Number(probe.stdout.trim()) };
}

/** The bundled GGUF that `--mt local-llm` loads (installed by scripts/setup-llm.sh, opt-in). */
const BUNDLED_GGUF = path.join(ROOT, '.tools', 'models', BUNDLED_GGUF_FILE);

/**
 * Which engines a row runs. `debian`: English → Spanish with pocketsphinx, apertium and espeak-ng, every engine a
 * command the baseline replays. `real`: re-voiced into English by the embedded model engines (faster-whisper base
 * int8 and warm piper), no engine flags; no baseline (the warm hosts answer requests, they are not commands to
 * replay). `cast`: the same on a four-speaker input, so the defaults diarize (the embedded diarizer) and hand the
 * speakers Kokoro voices beside piper's joe. `ja-whisper` / `ja-llm`: Japanese dialogue into English with the
 * defaults (Whisper's translate task) or with `--mt local-llm` (the bundled Qwen GGUF): what the text translator
 * costs a whole dub.
 */
type Engines = 'debian' | 'real' | 'cast' | 'ja-whisper' | 'ja-llm';
const JAPANESE: Engines[] = ['ja-whisper', 'ja-llm'];

/** One job with the given engines. */
async function dubRun(server: Server, spec: InputSpec, video: string, foreign: ForeignCpu, baseline: boolean, engines: Engines = 'debian'): Promise<DubRun> {
  const dir = path.join(CACHE, engines === 'debian' ? spec.name : `${spec.name}-${engines}`);
  const outRoot = path.join(dir, 'out');
  await rm(outRoot, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const logs = path.join(dir, 'logs');
  await mkdir(logs, { recursive: true });
  // The workers' output root is the bench cache (ANIME_DUB_OUTPUT_DIR); --output names a folder inside it.
  const jobDir = path.join(outRoot, `${spec.name}.${engines === 'debian' ? 'es' : 'en'}`);
  const id = `bench-${spec.name}-${Date.now().toString(36)}`;

  const speedProbeSec = await speedProbe();
  foreign.mark('ours');
  const worker = await startWorker(server.address, path.join(logs, 'worker.log'));
  const serverCpu0 = processCpuSec(server.pid);
  const langs = engines === 'debian' ? ['--src', 'en', '--tgt', 'es', '--asr', 'pocketsphinx', '--tts', 'espeak-ng']
    : engines === 'ja-whisper' ? ['--src', 'ja', '--tgt', 'en']
      : engines === 'ja-llm' ? ['--src', 'ja', '--tgt', 'en', '--mt', 'local-llm']
        : ['--src', 'en', '--tgt', 'en', '--no-translate'];
  const { run, engines: engineIntervals, cpuSamples } = await runClient([video, ...langs, '--output', outRoot, '--workflow-id', id], server.address, path.join(jobDir, 'tmp', 'commands.jsonl'), [worker.pid, server.pid])
    .catch(async (e) => { await worker.stop(); throw e; });
  const serverCpuSec = processCpuSec(server.pid) - serverCpu0;
  const workerStats = await worker.stop();
  const foreignOurs = foreign.since('ours');
  await writeFile(path.join(logs, 'client.log'), run.output);

  const client = await connectClient(server.address);
  const handle = client.workflow.getHandle(id);
  const result = (await handle.result()) as DubJobResult;
  const fullHistory = await handle.fetchHistory();
  await writeFile(path.join(dir, 'history.json'), historyToJSON(fullHistory)); // replayable: Worker.runReplayHistory
  const history = readHistory(fullHistory.events ?? []);
  await client.connection.close();
  const commands = (await readFile(path.join(jobDir, 'tmp', 'commands.jsonl'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { wallMs: number; argv: string[] });
  const commandsArgv0 = commands.map((c) => c.argv[0]);

  const wallSec = (run.endMs - run.startMs) / 1000;
  const out: DubRun = {
    input: spec.name,
    minutes: result.durationSec / 60,
    durationSec: result.durationSec,
    lines: result.lines,
    wallSec,
    workflowSec: (history.closeMs - history.startMs) / 1000,
    rtf: wallSec / result.durationSec,
    secPerInputMin: wallSec / (result.durationSec / 60),
    workerStartupSec: worker.startupMs / 1000,
    workerPeakMB: workerStats.peakKb === undefined ? undefined : mb(workerStats.peakKb),
    workerTreePeakMB: mb(workerStats.treePeakKb),
    engines,
    clientPeakMB: mb(run.peakRssKb),
    cpu: { workerSec: workerStats.cpuSec, enginesSec: workerStats.engineCpuSec, serverSec: serverCpuSec },
    stages: stageTimes(history),
    overhead: overheadOf(run.startMs, run.endMs, history, engineIntervals),
    commands: commands.length,
    engineSumSec: commands.reduce((s, c) => s + c.wallMs, 0) / 1000,
    workflowTasks: history.workflowTasks,
    historyEvents: history.events,
    foreignCores: { ours: foreignOurs },
    speedProbeSec,
  };
  if (JAPANESE.includes(engines)) {
    const report = JSON.parse(await readFile(path.join(jobDir, 'report.json'), 'utf8')) as { lines: { speed?: number }[]; summary: { withinSlotShare: number } };
    const translateSec = out.stages.find((x) => x.stage === 'translate')?.sec ?? NaN;
    out.translation = {
      secPerLine: translateSec / Math.max(1, result.lines),
      atSlowFloor: report.lines.filter((l) => l.speed !== undefined && l.speed <= 0.9 + 1e-3).length,
      withinSlotShare: report.summary.withinSlotShare,
    };
  }
  if (engines === 'cast') {
    const plan = JSON.parse(await readFile(path.join(jobDir, 'voices', 'voices.json'), 'utf8')) as VoicePlan;
    out.cast = { speakers: plan.speakers.length, voices: plan.speakers.map((v) => `${v.engine ?? plan.engine}:${path.basename(v.voice ?? '-', '.onnx')}`), note: plan.note };
  }
  // For profiling by hand: every activity and engine interval, in ms from the client's start.
  const rel = (t: number) => Math.round(t - run.startMs);
  await writeFile(path.join(dir, 'timeline.json'), JSON.stringify({
    clientMs: [0, rel(run.endMs)],
    workflowMs: [rel(history.startMs), rel(history.closeMs)],
    activities: history.activities.map((a) => ({ type: a.type, scheduled: rel(a.scheduledMs), started: rel(a.startedMs), closed: rel(a.closedMs) })),
    engines: engineIntervals.map(([a, b], i) => ({ argv0: commandsArgv0[i], start: rel(a), end: rel(b) })),
    cpuSamples: { columns: ['ms', 'machineBusySec', 'clientSec', 'workerSec', 'serverSec'], rows: cpuSamples },
  } satisfies Record<string, unknown>, null, 1));

  if (baseline && engines === 'debian') {
    const b = await writeBaseline(jobDir, path.join(dir, 'replay', spec.name), path.join(dir, 'baseline.sh'));
    foreign.mark('baseline');
    const started = Date.now();
    const r = await execa('bash', [b.script], { reject: false, stdout: { file: path.join(logs, 'baseline.out') }, stderr: { file: path.join(logs, 'baseline.err') } });
    const sec = (Date.now() - started) / 1000;
    out.foreignCores.baseline = foreign.since('baseline');
    if (r.exitCode !== 0) throw new Error(`baseline ${b.script} failed (${r.exitCode}); see ${logs}/baseline.err`);
    out.baseline = { sec, commands: b.commands, script: path.relative(ROOT, b.script) };
    out.ratio = wallSec / sec;
    await rm(b.scratch, { recursive: true, force: true });
  }
  return out;
}

async function streamRun(server: Server, spec: InputSpec, video: string, foreign: ForeignCpu): Promise<StreamRun> {
  const dir = path.join(CACHE, spec.name);
  const outRoot = path.join(dir, 'stream-out');
  await rm(outRoot, { recursive: true, force: true });
  const logs = path.join(dir, 'logs');
  await mkdir(logs, { recursive: true });
  const id = `bench-stream-${spec.name}-${Date.now().toString(36)}`;
  foreign.mark('stream');
  const worker = await startWorker(server.address, path.join(logs, 'stream-worker.log'));
  const { run } = await runClient([video, '--src', 'en', '--tgt', 'es', '--asr', 'pocketsphinx', '--tts', 'espeak-ng', '--output', outRoot, '--workflow-id', id, '--stream', 'on'], server.address)
    .catch(async (e) => { await worker.stop(); throw e; });
  const workerStats = await worker.stop();
  const foreignCores = foreign.since('stream');
  await writeFile(path.join(logs, 'stream-client.log'), run.output);

  const client = await connectClient(server.address);
  const result = (await client.workflow.getHandle(id).result()) as StreamDubResult;
  await client.connection.close();
  const manifest = JSON.parse(await readFile(path.join(result.outputDir, result.manifest), 'utf8')) as StreamManifest;
  const renders = manifest.chunks.map((c) => c.timings.renderSec ?? NaN).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const wallSec = (run.endMs - run.startMs) / 1000;
  return {
    input: spec.name,
    durationSec: manifest.source.durationSec,
    wallSec,
    rtf: wallSec / manifest.source.durationSec,
    chunks: result.chunks,
    failed: result.failed,
    timeToFirstChunkSec: result.timeToFirstChunkSec ?? NaN,
    firstChunkRenderSec: manifest.chunks[0]?.timings.renderSec ?? NaN,
    medianChunkRenderSec: renders[Math.floor(renders.length / 2)] ?? NaN,
    workerPeakMB: workerStats.peakKb === undefined ? undefined : mb(workerStats.peakKb),
    clientPeakMB: mb(run.peakRssKb),
    foreignCores,
  };
}

// --------------------------------------------------------------------------------------------- report

interface Verdict { target: string; value: string; met: boolean | undefined }

function verdicts(all: DubRun[], stream?: StreamRun): Verdict[] {
  const runs = all.filter((r) => r.engines === 'debian');
  const real = all.find((r) => r.engines === 'real');
  const cast = all.find((r) => r.engines === 'cast');
  const jaWhisper = all.find((r) => r.engines === 'ja-whisper');
  const jaLlm = all.find((r) => r.engines === 'ja-llm');
  // the run whose input is nearest to m minutes, if one is within 25% of it
  const at = (m: number) => runs
    .filter((r) => Math.abs(r.minutes - m) <= 0.25 * m)
    .reduce<DubRun | undefined>((best, r) => (!best || Math.abs(r.minutes - m) < Math.abs(best.minutes - m) ? r : best), undefined);
  const five = at(5);
  const one = at(1);
  const fifteen = at(15);
  const v: Verdict[] = [];
  const f = (x: number, d = 2) => x.toFixed(d);
  if (five?.ratio !== undefined) v.push({ target: 'ours / baseline ≤ 0.7 at 5 min', value: `${f(five.ratio)} (${f(five.wallSec, 1)} s / ${f(five.baseline!.sec, 1)} s)`, met: five.ratio <= 0.7 });
  if (five) v.push({ target: 'real-time factor ≤ 0.25 at 5 min (≤ 75 s)', value: `${f(five.rtf, 3)} (${f(five.wallSec, 1)} s for ${f(five.durationSec, 1)} s)`, met: five.rtf <= 0.25 });
  if (five) v.push({ target: 'orchestration overhead ≤ 5% of wall time (5 min)', value: `${f(five.overhead.overheadPct, 1)}% (${f(five.overhead.overheadSec, 1)} s)`, met: five.overhead.overheadPct <= 5 });
  if (stream) {
    const limit = 1.5 * stream.medianChunkRenderSec;
    v.push({ target: 'streaming: first chunk ≤ 1.5 × one chunk’s processing', value: `${f(stream.timeToFirstChunkSec, 1)} s vs 1.5 × ${f(stream.medianChunkRenderSec, 1)} s = ${f(limit, 1)} s (median chunk; first chunk rendered in ${f(stream.firstChunkRenderSec, 1)} s)`, met: stream.timeToFirstChunkSec <= limit });
    v.push({ target: 'streaming: real-time factor < 1', value: `${f(stream.rtf, 3)} (${f(stream.wallSec, 1)} s for ${f(stream.durationSec, 1)} s)`, met: stream.rtf < 1 });
  }
  if (one && fifteen && one !== fifteen) {
    const growth = fifteen.secPerInputMin / one.secPerInputMin - 1;
    // The target guards against cost growing with length; a long input that is cheaper per minute meets it.
    v.push({
      target: 'cost per input minute at 15 min within 10% of 1 min (not more than +10%)',
      value: `${f(fifteen.secPerInputMin, 1)} vs ${f(one.secPerInputMin, 1)} s per input min (${growth >= 0 ? '+' : ''}${f(100 * growth, 1)}%${growth < -0.1 ? '; cheaper: fixed per-job costs weigh more on 1 min' : ''})`,
      met: growth <= 0.1,
    });
  }
  if (fifteen?.workerPeakMB !== undefined) v.push({ target: 'worker peak RSS ≤ 400 MB at 15 min', value: `${f(fifteen.workerPeakMB, 0)} MB`, met: fifteen.workerPeakMB <= 400 });
  if (real) {
    v.push({ target: `real engines (faster-whisper base int8 + warm piper, re-voiced into English): RTF ≤ 0.25 at ${f(real.durationSec / 60, 1)} min`, value: `${f(real.rtf, 3)} (${f(real.wallSec, 1)} s for ${f(real.durationSec, 1)} s)`, met: real.rtf <= 0.25 });
    v.push({ target: 'real engines: worker + engine hosts peak RSS ≤ 1.2 GB', value: `${f(real.workerTreePeakMB, 0)} MB (worker alone ${f(real.workerPeakMB ?? NaN, 0)} MB)`, met: real.workerTreePeakMB <= 1200 });
  }
  if (cast) {
    const who = cast.cast ? `; ${cast.cast.speakers} speakers found (${cast.cast.voices.join(', ')})` : '';
    v.push({ target: `Kokoro voices (four speakers) + diarization: RTF ≤ 0.35 at ${f(cast.durationSec / 60, 1)} min`, value: `${f(cast.rtf, 3)} (${f(cast.wallSec, 1)} s for ${f(cast.durationSec, 1)} s)${who}`, met: cast.rtf <= 0.35 });
    v.push({ target: 'Kokoro voices + diarization: worker + engine hosts peak RSS ≤ 1.5 GB', value: `${f(cast.workerTreePeakMB, 0)} MB (worker alone ${f(cast.workerPeakMB ?? NaN, 0)} MB)`, met: cast.workerTreePeakMB <= 1500 });
  }
  for (const r of [jaWhisper, jaLlm]) {
    if (!r?.translation) continue;
    const t = r.translation;
    v.push({ target: `ja → en ${r.engines === 'ja-llm' ? 'with --mt local-llm (Qwen2.5-Coder-1.5B GGUF)' : 'with the defaults (Whisper translate)'}: translate stage per line, whole dub`, value: `${f(t.secPerLine, 2)} s per line; RTF ${f(r.rtf, 3)} (${f(r.wallSec, 1)} s for ${f(r.durationSec, 1)} s); ${t.atSlowFloor} of ${r.lines} lines at the 0.90× floor; ${f(100 * t.withinSlotShare, 0)} % within their slot`, met: undefined });
  }
  if (jaWhisper && jaLlm) v.push({ target: 'the text translator\'s cost on a whole dub (RTF, local-llm − Whisper translate)', value: `${jaLlm.rtf - jaWhisper.rtf >= 0 ? '+' : ''}${f(jaLlm.rtf - jaWhisper.rtf, 3)}`, met: undefined });
  return v;
}

async function machine(): Promise<{ nproc: number; cpu: string; memGiB: number; node: string; commit: string; dirty: boolean; kernel: string }> {
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1]?.trim() ?? os.cpus()[0]?.model ?? '?';
  const memKb = Number(readFileSync('/proc/meminfo', 'utf8').match(/MemTotal:\s+(\d+)/)?.[1] ?? 0);
  const commit = (await execa('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, reject: false })).stdout.trim() || '?';
  const status = (await execa('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, reject: false })).stdout.trim();
  return { nproc: os.availableParallelism(), cpu, memGiB: memKb / 2 ** 20, node: process.version, commit, dirty: status.length > 0, kernel: os.release() };
}

function markdown(m: Awaited<ReturnType<typeof machine>>, runs: DubRun[], stream: StreamRun | undefined, failures: { input: string; error: string }[], v: Verdict[], label: string, totalSec: number, date: string): string {
  const f = (x: number | undefined, d = 1) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));
  const maxForeign = Math.max(...runs.flatMap((r) => [r.foreignCores.ours, r.foreignCores.baseline ?? 0]), stream?.foreignCores ?? 0);
  const engineLabel = { debian: '', real: ' (real engines)', cast: ' (Kokoro voices, four speakers + diarization)', 'ja-whisper': ' (Japanese → English, Whisper translate)', 'ja-llm': ' (Japanese → English, --mt local-llm)' } satisfies Record<Engines, string>;
  const name = (r: DubRun) => `${f(r.durationSec / 60, 2)} min${engineLabel[r.engines]}`;
  const rows: string[] = [];
  rows.push(`## ${date}${label ? ` — ${label}` : ''}`, '');
  rows.push(`Machine: ${m.nproc} cores (${m.cpu}), ${f(m.memGiB, 1)} GiB, Linux ${m.kernel}, Node ${m.node}. Commit ${m.commit}${m.dirty ? ' with uncommitted changes' : ''}. Bench wall time ${f(totalSec / 60, 1)} min.`);
  rows.push(maxForeign > 0.25
    ? `**The machine was busy**: other processes kept up to ${f(maxForeign, 2)} cores busy during a measurement (column “others” below); those figures are pessimistic.`
    : `The machine was otherwise idle (other processes used at most ${f(maxForeign, 2)} cores during any measurement).`, '');
  for (const x of failures) rows.push(`**${x.input} failed**: ${x.error.replace(/\|/g, '\\|')}`, '');
  rows.push('| target | measured | |', '| --- | --- | --- |');
  for (const x of v) rows.push(`| ${x.target} | ${x.value} | ${x.met === undefined ? '–' : x.met ? 'met' : '**missed**'} |`);
  rows.push('');
  rows.push('Rows marked “real engines” re-voice the input into English with the embedded model engines (faster-whisper base int8, warm piper), no engine flags; the “Kokoro voices” row does the same on a four-speaker input (diarization and the Kokoro cast by default); the “Japanese → English” rows dub the project\'s Japanese dialogue (looped) with the defaults (Whisper translate) and with `--mt local-llm` (the bundled Qwen2.5-Coder-1.5B GGUF, text translation of the transcript); the others dub English → Spanish with pocketsphinx, apertium and espeak-ng, whose commands the baseline replays. Worker peak RSS of the model-engine rows: the worker and its engine hosts together.', '');
  rows.push('| input | lines | ours | baseline | ours / baseline | RTF | s per input min | overhead | worker start | worker peak RSS | client peak RSS | others (cores) | speed probe |');
  rows.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of runs) {
    rows.push(`| ${name(r)} | ${r.lines} | ${f(r.wallSec)} s | ${r.baseline ? `${f(r.baseline.sec)} s` : '–'} | ${f(r.ratio, 2)} | ${f(r.rtf, 3)} | ${f(r.secPerInputMin)} | ${r.engines !== 'debian' ? '–' : `${f(r.overhead.overheadSec)} s (${f(r.overhead.overheadPct)}%)`} | ${f(r.workerStartupSec)} s | ${f(r.engines !== 'debian' ? r.workerTreePeakMB : r.workerPeakMB, 0)} MB | ${f(r.clientPeakMB, 0)} MB | ${f(r.foreignCores.ours, 2)} / ${f(r.foreignCores.baseline, 2)} | ${f(r.speedProbeSec, 2)} s |`);
  }
  rows.push('');
  rows.push('Overhead breakdown (seconds): client side (CLI start, connect, result) / between activities (queue waits, workflow tasks) / inside activities with no engine running (our own code); engine commands and the sum of their wall times.', '');
  rows.push('| input | wall | engine critical path | overhead | client side | between activities | inside activities | commands | engine time summed | workflow tasks | history events |');
  rows.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of runs.filter((x) => x.engines === 'debian')) {
    const o = r.overhead;
    rows.push(`| ${f(r.durationSec / 60, 2)} min | ${f(o.wallSec)} | ${f(o.engineCriticalSec)} | ${f(o.overheadSec)} | ${f(o.clientSideSec)} | ${f(o.betweenActivitiesSec)} | ${f(o.insideActivitiesSec)} | ${r.commands} | ${f(r.engineSumSec)} | ${r.workflowTasks} | ${r.historyEvents} |`);
  }
  rows.push('');
  const stages = [...new Set(runs.flatMap((r) => r.stages.map((s) => s.stage)))];
  rows.push(`Time per stage (seconds, first activity scheduled → last closed, from the workflow history):`, '');
  rows.push(`| input | ${stages.join(' | ')} |`, `| --- | ${stages.map(() => '---').join(' | ')} |`);
  for (const r of runs) rows.push(`| ${name(r)} | ${stages.map((s) => f(r.stages.find((x) => x.stage === s)?.sec, 2)).join(' | ')} |`);
  rows.push('');
  if (stream) {
    rows.push(`Streaming (${f(stream.durationSec / 60, 2)} min input, \`--stream on\`, default 20 s chunks, concurrency 1): ${stream.chunks} chunks (${stream.failed} failed), wall ${f(stream.wallSec)} s (RTF ${f(stream.rtf, 3)}), first chunk after ${f(stream.timeToFirstChunkSec)} s, chunk render median ${f(stream.medianChunkRenderSec)} s (first chunk ${f(stream.firstChunkRenderSec)} s), worker peak RSS ${f(stream.workerPeakMB, 0)} MB, client ${f(stream.clientPeakMB, 0)} MB, others ${f(stream.foreignCores, 2)} cores.`, '');
  }
  rows.push('![Time per stage](images/perf-stages.png)', '![Scaling with input length](images/perf-scaling.png)', '');
  return rows.join('\n');
}

const DOC_HEADER = `# Performance

\`npm run bench\` (\`scripts/bench.ts\`) measures the whole pipeline on generated inputs of 1, 5 and 15 minutes of
dialogue (festival speech over a test pattern, cached in \`bench/.cache/media/\`) and appends a section here.
Those rows dub English → Spanish with the Debian engines (\`--asr pocketsphinx\`), so the baseline can replay every
engine command; a real-engine row (\`--real-minutes N\`) re-voices the N-minute input into English with the model
engines (faster-whisper base int8, warm piper), its peak RSS the worker's and its engine hosts' together. The cast
row (\`--cast-minutes N\`) does the same with no engine flags on an N-minute input whose lines four espeak-ng voices
speak (two women, two men): the embedded diarizer finds the speakers and the cast hands them Kokoro voices beside
piper's joe.

How it measures:

- **Ours**: a real \`temporal server start-dev\` (free port, temporary state dir), a fresh worker process
  (\`node dist/workers/all.js\`) per run, and the CLI as the client (\`anime-dub run VIDEO\` with \`TEMPORAL_ADDRESS\`
  set): wall time from starting the client to its exit. Worker start-up is measured apart (the worker is up first,
  as on a cluster or with the background worker).
- **Baseline**: the engine commands the job ran (\`Output/<job>/tmp/commands.jsonl\`) written out as
  \`bench/.cache/<input>/baseline.sh\` (every argument quoted, paths moved into a scratch copy of the job folder,
  the synthesizers' text on stdin as in the run) and run with bash: the same work with no orchestration and no
  parallelism. Not in it: ffprobe and the engine checks of \`prepareJob\` (not recorded), and our own code that cuts
  recognizer segments and assembles the dub track (not engine commands).
- **Orchestration overhead** = wall time − engine time on the critical path. Every stage ends before the next
  begins, so at any instant where at least one engine runs the job is progressing on its critical path; the
  critical path's engine time is therefore approximated by the **union of the intervals in which some engine
  process runs**. Each command's interval ends when its record appears in commands.jsonl (polled every 10 ms) and
  starts its recorded wall time earlier. What is left is split, with the history's activity times, into client
  side (outside the workflow's start → close), between activities (queue waits, workflow tasks) and inside
  activities with no engine running (our own code: hashing, WAV cutting and assembly).
- **Time per stage**: from the workflow history (\`fetchHistory()\`), first activity of a stage scheduled → last one
  closed; synthesize includes the per-line fit.
- **Streaming**: the 5-minute input with \`--stream on\`; time to first chunk is the result's
  \`timeToFirstChunkSec\`, one chunk's processing time is the median \`renderSec\` of \`stream/manifest.json\`.
- **Peak RSS**: \`VmHWM\` from \`/proc/<pid>/status\` of the worker (read just before it is stopped) and of the CLI
  (sampled every 100 ms).
- **Others (cores)**: CPU time used by processes that are not the bench's (from \`/proc/stat\` minus our own
  process tree and dev server) divided by the wall time: a measure of how busy the machine was (during our run /
  during the baseline).
- **Speed probe**: seconds for a fixed single-core job (ffmpeg encoding 60 s of a generated tone to AAC, the
  best of three) just before each run. On a virtual machine the host's load is invisible to \`/proc/stat\`; a
  slower probe says the whole machine was slower, and every figure of that run with it.

`;

// ------------------------------------------------------------------------------------------------- main

const USAGE = `usage: node dist/scripts/bench.js [--minutes 1,5,15] [--stream-minutes 5|0] [--real-minutes 5|0] [--cast-minutes 5|0]
                              [--llm-minutes 1|0] [--no-baseline] [--no-doc] [--label TEXT]
Dubs generated inputs of each length on a fresh dev server and worker (and replays their engine commands one after
another unless --no-baseline); appends the table to docs/PERFORMANCE.md unless --no-doc. A length of 0 drops that row.`;

const BENCH_OPTIONS = {
  minutes: { type: 'string', default: '1,5,15' }, 'stream-minutes': { type: 'string', default: '5' },
  'real-minutes': { type: 'string', default: '5' }, 'cast-minutes': { type: 'string', default: '5' },
  'llm-minutes': { type: 'string', default: '1' },
  'no-baseline': { type: 'boolean', default: false }, 'no-doc': { type: 'boolean', default: false },
  label: { type: 'string', default: '' }, help: { type: 'boolean', short: 'h', default: false },
} as const;

function parseArgs(argv: string[]) {
  // node's own parser, strict: a mistyped flag is an error, not a 25-minute run with the defaults
  let parsed;
  try {
    parsed = parseCliArgs({ args: argv, options: BENCH_OPTIONS });
  } catch (e) {
    console.error(`bench: ${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const values = parsed.values;
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  return {
    minutes: values.minutes.split(',').map(Number).filter((x) => x > 0),
    streamMinutes: Number(values['stream-minutes']),
    /** The real-engine row's input length (0 = no such row). */
    realMinutes: Number(values['real-minutes']),
    /** The cast row's input length: four speakers, Kokoro voices and diarization (0 = no such row). */
    castMinutes: Number(values['cast-minutes']),
    /** The Japanese rows' input length: Whisper translate and the local GGUF translator (0 = no such rows). */
    llmMinutes: Number(values['llm-minutes']),
    baseline: !values['no-baseline'],
    doc: !values['no-doc'],
    label: values.label,
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const began = Date.now();
  const m = await machine();
  const specs: InputSpec[] = args.minutes.map((min) => ({ name: `dialogue-${String(min).padStart(2, '0')}min`, minutes: min, loops: Math.max(1, Math.round((min * 60) / LOOP_SEC)) }));
  const streamSpec = args.streamMinutes > 0 ? specs.find((s) => s.minutes === args.streamMinutes) ?? { name: `dialogue-${String(args.streamMinutes).padStart(2, '0')}min`, minutes: args.streamMinutes, loops: Math.max(1, Math.round((args.streamMinutes * 60) / LOOP_SEC)) } : undefined;

  await mkdir(CACHE, { recursive: true });
  const inputs = new Map<string, { video: string; durationSec: number }>();
  for (const s of [...specs, ...(streamSpec ? [streamSpec] : [])]) {
    if (inputs.has(s.name)) continue;
    const t = Date.now();
    inputs.set(s.name, await ensureInput(s));
    log(`input ${s.name}: ${inputs.get(s.name)!.durationSec.toFixed(1)} s (${((Date.now() - t) / 1000).toFixed(1)} s to make or find)`);
  }

  const server = await startServer();
  log(`dev server ${server.address} (pid ${server.pid})`);
  const foreign = new ForeignCpu(() => server.pid);
  const runs: DubRun[] = [];
  const failures: { input: string; error: string }[] = [];
  let stream: StreamRun | undefined;
  try {
    for (const s of specs) {
      const r = await dubRun(server, s, inputs.get(s.name)!.video, foreign, args.baseline).catch((e: Error) => {
        failures.push({ input: s.name, error: e.message });
        log(`${s.name}: FAILED ${e.message}`);
        return undefined;
      });
      if (!r) continue;
      runs.push(r);
      log(`${s.name}: ours ${r.wallSec.toFixed(1)} s, baseline ${r.baseline?.sec.toFixed(1) ?? '–'} s, ratio ${r.ratio?.toFixed(2) ?? '–'}, RTF ${r.rtf.toFixed(3)}, overhead ${r.overhead.overheadSec.toFixed(1)} s (${r.overhead.overheadPct.toFixed(1)}%), worker ${r.workerPeakMB?.toFixed(0)} MB, client ${r.clientPeakMB.toFixed(0)} MB, others ${r.foreignCores.ours.toFixed(2)} cores, speed probe ${r.speedProbeSec.toFixed(2)} s`);
      log(`  stages: ${r.stages.map((x) => `${x.stage} ${x.sec.toFixed(1)}`).join(', ')}; CPU s: worker ${r.cpu.workerSec.toFixed(1)}, engines ${r.cpu.enginesSec.toFixed(1)}, server ${r.cpu.serverSec.toFixed(1)}`);
    }
    const realSpec = args.realMinutes > 0 ? specs.find((s) => s.minutes === args.realMinutes) ?? { name: `dialogue-${String(args.realMinutes).padStart(2, '0')}min`, minutes: args.realMinutes, loops: Math.max(1, Math.round((args.realMinutes * 60) / LOOP_SEC)) } : undefined;
    if (realSpec) {
      if (!inputs.has(realSpec.name)) inputs.set(realSpec.name, await ensureInput(realSpec));
      const r = await dubRun(server, realSpec, inputs.get(realSpec.name)!.video, foreign, false, 'real').catch((e: Error) => {
        failures.push({ input: `${realSpec.name} (real engines)`, error: e.message });
        log(`${realSpec.name} real engines: FAILED ${e.message}`);
        return undefined;
      });
      if (r) {
        runs.push(r);
        log(`${realSpec.name} real engines: ${r.wallSec.toFixed(1)} s, RTF ${r.rtf.toFixed(3)}, worker + hosts ${r.workerTreePeakMB.toFixed(0)} MB (worker ${r.workerPeakMB?.toFixed(0)} MB)`);
        log(`  stages: ${r.stages.map((x) => `${x.stage} ${x.sec.toFixed(1)}`).join(', ')}; CPU s: worker ${r.cpu.workerSec.toFixed(1)}, engines ${r.cpu.enginesSec.toFixed(1)}, server ${r.cpu.serverSec.toFixed(1)}`);
      }
    }
    if (args.castMinutes > 0) {
      const castSpec: InputSpec = { name: `cast4-${String(args.castMinutes).padStart(2, '0')}min`, minutes: args.castMinutes, loops: Math.max(1, Math.round((args.castMinutes * 60) / LOOP_SEC)), voices: 4 };
      if (!inputs.has(castSpec.name)) inputs.set(castSpec.name, await ensureInput(castSpec));
      const r = await dubRun(server, castSpec, inputs.get(castSpec.name)!.video, foreign, false, 'cast').catch((e: Error) => {
        failures.push({ input: `${castSpec.name} (Kokoro voices + diarization)`, error: e.message });
        log(`${castSpec.name} cast: FAILED ${e.message}`);
        return undefined;
      });
      if (r) {
        runs.push(r);
        log(`${castSpec.name} cast: ${r.wallSec.toFixed(1)} s, RTF ${r.rtf.toFixed(3)}, worker + hosts ${r.workerTreePeakMB.toFixed(0)} MB (worker ${r.workerPeakMB?.toFixed(0)} MB); ${r.cast?.speakers} speakers: ${r.cast?.voices.join(', ')}`);
        log(`  stages: ${r.stages.map((x) => `${x.stage} ${x.sec.toFixed(1)}`).join(', ')}; CPU s: worker ${r.cpu.workerSec.toFixed(1)}, engines ${r.cpu.enginesSec.toFixed(1)}, server ${r.cpu.serverSec.toFixed(1)}`);
      }
    }
    if (args.llmMinutes > 0) {
      const jaSpec: InputSpec = { name: `ja-dialogue-${String(args.llmMinutes).padStart(2, '0')}min`, minutes: args.llmMinutes, loops: Math.max(1, Math.round((args.llmMinutes * 60) / JA_LOOP_SEC)), japanese: true };
      if (!inputs.has(jaSpec.name)) inputs.set(jaSpec.name, await ensureInput(jaSpec));
      for (const engines of JAPANESE) {
        if (engines === 'ja-llm' && !existsSync(BUNDLED_GGUF)) {
          failures.push({ input: `${jaSpec.name} (--mt local-llm)`, error: `not run: the bundled GGUF is not installed (bash scripts/setup-llm.sh)` });
          continue;
        }
        const r = await dubRun(server, jaSpec, inputs.get(jaSpec.name)!.video, foreign, false, engines).catch((e: Error) => {
          failures.push({ input: `${jaSpec.name} (${engines})`, error: e.message });
          log(`${jaSpec.name} ${engines}: FAILED ${e.message}`);
          return undefined;
        });
        if (r) {
          runs.push(r);
          log(`${jaSpec.name} ${engines}: ${r.wallSec.toFixed(1)} s, RTF ${r.rtf.toFixed(3)}, translate ${r.translation?.secPerLine.toFixed(2)} s per line, ${r.translation?.atSlowFloor} of ${r.lines} lines at the 0.90× floor, worker + hosts ${r.workerTreePeakMB.toFixed(0)} MB`);
          log(`  stages: ${r.stages.map((x) => `${x.stage} ${x.sec.toFixed(1)}`).join(', ')}; CPU s: worker ${r.cpu.workerSec.toFixed(1)}, engines ${r.cpu.enginesSec.toFixed(1)}, server ${r.cpu.serverSec.toFixed(1)}`);
        }
      }
    }
    if (streamSpec) {
      stream = await streamRun(server, streamSpec, inputs.get(streamSpec.name)!.video, foreign).catch((e: Error) => {
        failures.push({ input: `${streamSpec.name} (streaming)`, error: e.message });
        log(`stream ${streamSpec.name}: FAILED ${e.message}`);
        return undefined;
      });
      if (stream) log(`stream ${streamSpec.name}: wall ${stream.wallSec.toFixed(1)} s (RTF ${stream.rtf.toFixed(3)}), first chunk ${stream.timeToFirstChunkSec.toFixed(1)} s, chunk median ${stream.medianChunkRenderSec.toFixed(1)} s`);
    }
  } finally {
    await stopServer(server);
  }

  const v = verdicts(runs, stream);
  const totalSec = (Date.now() - began) / 1000;
  const date = new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  const resultFile = path.join(CACHE, 'results', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await mkdir(path.dirname(resultFile), { recursive: true });
  await writeFile(resultFile, JSON.stringify({ machine: m, label: args.label, date, totalSec, runs, stream, failures, verdicts: v }, null, 2));
  for (const x of v) log(`${x.met === undefined ? '-' : x.met ? 'met   ' : 'MISSED'} ${x.target}: ${x.value}`);
  log(`results: ${path.relative(ROOT, resultFile)}`);

  if (args.doc && runs.length) {
    const images = path.join(ROOT, 'docs', 'images');
    const debian = runs.filter((r) => r.engines === 'debian');
    const stageChart = stageChartSvg(debian.map((r) => ({
      label: `${(r.durationSec / 60).toFixed(1)} min input`,
      wallSec: r.wallSec,
      stages: Object.fromEntries(r.stages.map((s) => [s.stage, s.sec])),
    })), `Where the wall time goes (share per stage; ${m.nproc} cores, commit ${m.commit})`);
    const scaling = scalingChartSvg(debian.map((r) => ({ minutes: r.durationSec / 60, oursSec: r.wallSec, baselineSec: r.baseline?.sec, engineSumSec: r.engineSumSec })), `Wall time vs input length (${m.nproc} cores, commit ${m.commit})`);
    await renderPngs([
      { ...stageChart, out: path.join(images, 'perf-stages.png') },
      { ...scaling, out: path.join(images, 'perf-scaling.png') },
    ]);
    const doc = path.join(ROOT, 'docs', 'PERFORMANCE.md');
    if (!existsSync(doc)) await writeFile(doc, DOC_HEADER);
    await appendFile(doc, markdown(m, runs, stream, failures, v, args.label, totalSec, date) + '\n');
    log(`appended to docs/PERFORMANCE.md; charts in docs/images/perf-stages.png, perf-scaling.png`);
  }
}

function log(msg: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

main().then(
  () => process.exit(0),
  (e) => { console.error(e); process.exit(1); },
);
