// `anime-dub run`: one video or many (a batch), flags mapped onto job options, waited for or detached.
import path from 'node:path';
import { Option, type Command } from 'commander';
import { loadSettings, resolveJobOptions, setPath } from '../../config/load.js';
import { LIPSYNC_PLUGIN_NAMES, type JobOptions, type Settings } from '../../config/schema.js';
import { TTS_ENGINE_NAMES } from '../../config/ttsEngineNames.js';
import { ttsHelp } from '../../engines/ttsEngines.js';
import { asrHelp } from '../../engines/asrEngines.js';
import { mtHelp } from '../../engines/mtEngines.js';
import { ASR_ENGINE_NAMES, engineChoices, MT_ENGINE_NAMES } from '../../config/engineNames.js';
import { ALL_ROLES } from '../../workers/roles.js';
import type { RunningWorkers } from '../../workers/startWorkers.js';
import { OutputsRefusedError, withLocalOutputs } from '../storedJobs.js';
import { cancelJob, failureMessage, startJob, waitForResult } from '../api.js';
import { ensureBackgroundWorker } from '../backgroundWorker.js';
import { resolveTemporalTarget } from '../../config/connection.js';
import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { reclaimFromDeadLocalWorkers } from '../reclaim.js';
import { readCastFile } from './cast.js';
import { printable, printableLines } from '../terminalText.js';
import { context, fail, jobLink, workerLibrary, type Ctx } from './context.js';
import { follow, printResult } from './follow.js';

// Repeatable flags (--set k=v) gather into a list.
const collect = (v: string, prev: string[] = []) => [...prev, v];

const VIDEO_EXTENSIONS = new Set(['.mp4', '.mkv', '.webm', '.mov', '.avi', '.m4v', '.ts', '.m2ts', '.flv', '.wmv']);

/** Files as given; folders become the video files directly inside them, in name order. */
async function expandInputs(inputs: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const input of inputs) {
    if (existsSync(input) && statSync(input).isDirectory()) {
      const names = (await readdir(input)).filter((n) => VIDEO_EXTENSIONS.has(path.extname(n).toLowerCase())).sort();
      out.push(...names.map((n) => path.join(input, n)));
    } else {
      out.push(input);
    }
  }
  return out;
}

/** --output as a sub-folder of the workers' root (they share it); anything outside it is refused. */
export function outputSubFolder(root: string, dir: string): string | undefined {
  const rel = path.relative(root, dir);
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    fail(`--output ${dir} is outside the workers' output root ${root} (ANIME_DUB_OUTPUT_DIR): with a Temporal service, name a folder inside it`, 2);
  }
  return rel || undefined;
}

/**
 * One flag of `anime-dub run`: its commander spelling and help, its choices, and the job option it sets (a dotted
 * path into the options) with how its value becomes the option's (undefined = not set). Flags without an option
 * are read by the command itself (where the outputs go, which id, the worker's plugin folders).
 */
export interface RunFlag {
  flags: string;
  help: string;
  choices?: readonly string[];
  repeat?: true;
  option?: string;
  value?: (given: unknown) => unknown;
}

const flag = (flags: string, help: string, more: Omit<RunFlag, 'flags' | 'help'> = {}): RunFlag => ({ flags, help, ...more });

/** Every flag of `anime-dub run`, in the order `--help` lists them. */
export const RUN_FLAGS: readonly RunFlag[] = [
  flag('--src <lang>', 'source language (env SRC_LANG)', { option: 'src' }),
  flag('--tgt <lang>', 'target language (env TGT_LANG)', { option: 'tgt' }),
  flag('--subs <file|embedded[:N|:lang]>', 'SRT/WebVTT/ASS with the lines to dub (skips speech recognition; any encoding; ASS songs, signs and comments, SDH sound cues and credits not voiced), or a subtitle track of the input (embedded = the default one, :N counted from 0, :lang); in the target language they are spoken as written', { option: 'subs' }),
  flag('--voice-styles <list>', 'ASS styles voiced whatever they look like, comma-separated (e.g. "OP Romaji" to dub a song too)', { option: 'subtitles.voiceStyles' }),
  flag('--skip-styles <list>', 'ASS styles never voiced, comma-separated', { option: 'subtitles.skipStyles' }),
  flag('--audio-track <N|lang>', 'the input audio track to dub: N counted from 0, or a language such as ja (default: the track marked default, else the first)', { option: 'audioTrack' }),
  flag('--translated-subs <file>', 'SRT/WebVTT/ASS with the target lines (skips machine translation)', { option: 'translatedSubs' }),
  flag('--no-translate', 'keep the source language (identity translation)', { option: 'translate', value: (v) => (v === false ? false : undefined) }),
  flag('--asr <engine>', asrHelp(), { choices: engineChoices(ASR_ENGINE_NAMES), option: 'asr.engine' }),
  flag('--asr-model <name|dir>', 'Whisper model: base and tiny.en are installed; a folder with a CTranslate2 model.bin inside the worker’s models folder (.tools/models or ENGINE_MODELS_DIR), by name; other names (small, large-v3, …) faster-whisper downloads where there is internet (env ASR_MODEL; default base)', { option: 'asr.model' }),
  flag('--mt <engine>', mtHelp(), { choices: engineChoices(MT_ENGINE_NAMES), option: 'mt.engine' }),
  flag('--glossary <file>', 'TSV of source term<TAB>target term the translation must use (env MT_GLOSSARY)', { option: 'mt.glossary', value: (v) => path.resolve(v as string) }),
  flag('--llm-endpoint <name>', "which of the worker's LLM endpoints --mt llm uses (env MT_LLM_ENDPOINT; default \"default\": MT_LLM_URL, else Ollama on 127.0.0.1:11434); endpoints are worker settings (MT_LLM_ENDPOINTS)", { option: 'mt.llm.endpoint' }),
  flag('--llm-model <name>', 'model for --mt llm (env MT_LLM_MODEL)', { option: 'mt.llm.model' }),
  flag('--local-model <name>', "which of the worker's GGUF models --mt local-llm loads (env MT_LOCAL_MODEL; default qwen2.5-coder-1.5b, installed by setup); models are worker settings (MT_GGUF_MODELS)", { option: 'mt.local.model' }),
  flag('--honorifics <policy>', 'Japanese honorifics in a chat model\'s translation: keep (-san, -chan, -kun, -senpai, Sensei) or adapt to English (env MT_HONORIFICS; default keep)', { choices: ['keep', 'adapt'], option: 'mt.honorifics' }),
  flag('--tts <engine>', ttsHelp(), { choices: engineChoices(TTS_ENGINE_NAMES), option: 'tts.engine' }),
  flag('--piper-model <file>', 'piper voice: a .onnx file or a voice name in $PIPER_VOICES_DIR (env TTS_PIPER_MODEL)', { option: 'tts.piperModel', value: (v) => ((v as string).includes('/') ? path.resolve(v as string) : v) }),
  flag('--voice <name>', 'engine voice (espeak-ng voice name or festival voice)', { option: 'tts.voice' }),
  flag('--series <name>', 'one cast for a season: each speaker keeps their voice across episodes, kept in <output>/series/<name>/cast.json (env DUB_SERIES; see `anime-dub cast`)', { option: 'series.name' }),
  flag('--cast <file>', 'a cast file (the cast.json of a series, or `anime-dub cast list --json`): its speakers get its voices; read here and sent with the job', { option: 'series.cast' }),
  flag('--synthesis-concurrency <n>', 'lines synthesized at once (env SYNTH_CONCURRENCY)', { option: 'synthesisConcurrency' }),
  flag('--max-speed <x>', 'largest speed-up of a line before it is cut (env FIT_MAX_SPEED)', { option: 'fit.maxSpeed' }),
  flag('--min-speed <x>', 'slowest a line much shorter than its source line is played, to fill its time (env FIT_MIN_SPEED; default 0.9; 1 = never slowed)', { option: 'fit.minSpeed' }),
  flag('--fit-video <mode>', 'auto = slow the picture of a span (and everything after it moves) where a line would be spoken faster than 1.10x (env FIT_VIDEO; default off)', { choices: ['auto', 'off'], option: 'fitVideo.mode' }),
  flag('--fit-video-max-stretch <factor>', 'most the picture of one span is slowed with --fit-video auto (env FIT_VIDEO_MAX_STRETCH; default 1.25)', { option: 'fitVideo.maxStretch' }),
  flag('--condense <on|off>', 'shorten lines clearly too long for their slot before synthesis (env FIT_CONDENSE; default on)', { choices: ['on', 'off'], option: 'fit.condense', value: (v) => v === 'on' }),
  flag('--duck-db <db>', 'level of the original audio under the dub (env MIX_DUCK_DB)', { option: 'mix.duckDb' }),
  flag('--separation <mode>', 'background under the dub: auto = demucs when installed, else the ducked original (env MIX_SEPARATION)', { choices: ['auto', 'demucs', 'off'], option: 'mix.separation' }),
  flag('--loudness <lufs>', 'integrated loudness of the dub track, EBU R128 (env MIX_LOUDNESS_LUFS; default -16)', { option: 'mix.loudnessLufs' }),
  flag('--output <dir>', 'output root of the local worker; the job writes to <dir>/<video name>.<language>/ (env ANIME_DUB_OUTPUT_DIR; default Output)'),
  flag('--workflow-id <id>', 'workflow id to use (default dub-<name>-<language>-<hash of input, output root and options>: the same command attaches to its running job)'),
  flag('--new', 'start a new job even when the same command is still running (default: attach to it)'),
  flag('--expressive <mode>', "carry each source line's energy, pitch and pace into its dub (env EXPRESSIVE)", { choices: ['off', 'auto', 'source-audio', 'text-only'], option: 'expressive.mode' }),
  flag('--expressive-strength <0..1>', 'how much of it (env EXPRESSIVE_STRENGTH; default 0.5)', { option: 'expressive.strength' }),
  flag('--expressive-debug', 'write Output/<job>/expressive/plans/NNNN.json per line (env EXPRESSIVE_DEBUG)', { option: 'expressive.debug', value: () => true }),
  flag('--emotion-mode <mode>', 'older switch: auto = --expressive auto; tags = read a leading [happy]/[sad]/[angry]/[calm] (env EMOTION_MODE)', { choices: ['off', 'auto', 'tags'], option: 'expressive.emotionMode' }),
  flag('--lipsync <plugin>', 'lip-sync the video to the dub (env LIPSYNC)', { choices: ['off', ...LIPSYNC_PLUGIN_NAMES], option: 'lipsync.engine' }),
  flag('--strict-plugins', 'fail the job when lip-sync is unavailable or fails (env STRICT_PLUGINS); default: keep the dub, say why', { option: 'lipsync.strict', value: () => true }),
  flag('--wav2lip-dir <dir>', 'Wav2Lip repository (env WAV2LIP_DIR; else ~/Wav2Lip; never the current folder)'),
  flag('--wav2lip-checkpoint <file>', 'Wav2Lip weights (env WAV2LIP_CHECKPOINT; else <repo>/checkpoints/wav2lip_gan.pth, wav2lip.pth)'),
  flag('--lipsync-face <mode>', 'auto = face detector; center = middle of the frame; bbox = --lipsync-box (env LIPSYNC_FACE)', { choices: ['auto', 'center', 'bbox'], option: 'lipsync.face' }),
  flag('--lipsync-box <x1,y1,x2,y2>', 'face box in source pixels for --lipsync-face bbox (env LIPSYNC_BOX)', { option: 'lipsync.box' }),
  flag('--lipsync-timeout <sec>', 'stop lip-sync after this many seconds (env LIPSYNC_TIMEOUT)', { option: 'lipsync.timeoutSec' }),
  flag('--stream <mode>', 'streaming mode: a playable MP4 per chunk + live manifest/playlist (env STREAM)', { choices: ['on', 'off'], option: 'stream.enabled', value: (v) => v === 'on' }),
  flag('--realtime', 'alias of --stream on', { option: 'stream.enabled', value: () => true }),
  flag('--chunk-seconds <sec>', 'target chunk length, snapped to a silence/keyframe (env STREAM_CHUNK_SECONDS; default 20)', { option: 'stream.chunkSeconds' }),
  flag('--chunk-overlap <sec>', 'context each side of a chunk for recognition only (env STREAM_CHUNK_OVERLAP; default 2)', { option: 'stream.overlapSeconds' }),
  flag('--stream-concurrency <n>', 'chunks rendered at once (env STREAM_CONCURRENCY; default 1)', { option: 'stream.concurrency' }),
  flag('--stitch', 'join the chunks into stream/stream.final.mp4 at the end (default; env STREAM_STITCH)', { option: 'stream.stitch', value: (v) => (v === false ? false : undefined) }),
  flag('--no-stitch', 'keep only the chunks'),
  flag('--stream-output <kind>', 'segments = the chunks are the result; final = the stitched file is (env STREAM_OUTPUT)', { choices: ['segments', 'final'], option: 'stream.output' }),
  flag('--dry-run', 'streaming only: no ASR/MT/TTS, a silent dub; still cuts, muxes, writes manifest and playlist, stitches', { option: 'stream.dryRun', value: () => true }),
  flag('--set <key=value>', 'any job option by its path, e.g. --set asr.silenceDb=-40 (repeatable)', { repeat: true }),
  flag('--detach', 'start the job and return at once (a background worker runs it locally)'),
  flag('--review', 'pause after translation until approved (edit lines with editLine Updates, then the approve signal)', { option: 'review.pause', value: () => true }),
  flag('--ui', 'start the embedded server with its web UI (env ANIME_DUB_UI; default headless: the UI answers any web page that reaches 127.0.0.1)'),
];

/** The flags on a command (`run`, or a test's). */
export function addRunFlags(command: Command): Command {
  for (const f of RUN_FLAGS) {
    const option = new Option(f.flags, f.help);
    if (f.choices) option.choices(f.choices);
    if (f.repeat) option.argParser(collect);
    command.addOption(option);
  }
  return command;
}

/** The key commander stores a flag's value under (`--no-translate` → translate). */
const keyOf = (f: RunFlag) => new Option(f.flags, f.help).attributeName();

/**
 * The job options a command line asks for: `--set` paths first, then each flag with an option (a flag wins over
 * `--set` on the same path), then the settings' defaults under them and the one schema over all (resolveJobOptions).
 */
export function jobOptionsFromFlags(settings: Settings, video: string, o: Record<string, unknown>, outputDir?: string): JobOptions {
  const tree: Record<string, unknown> = {};
  for (const kv of (o.set ?? []) as string[]) {
    const [k, ...rest] = kv.split('=');
    setPath(tree, k, rest.join('='));
  }
  for (const f of RUN_FLAGS) {
    const given = f.option ? o[keyOf(f)] : undefined;
    const value = given === undefined ? undefined : f.value ? f.value(given) : given;
    if (value !== undefined) setPath(tree, f.option!, value);
  }
  return resolveJobOptions(settings, { ...tree, video, ...(outputDir ? { outputDir } : {}) });
}

/** Every file its own workflow, all at once; one failure does not stop the others; a table at the end. */
async function runBatch(
  ctx: Ctx,
  jobs: { video: string; options?: JobOptions; error?: string }[],
  start: (options: JobOptions) => Promise<{ workflowId: string }>,
  detach: boolean,
): Promise<number> {
  const rows = await Promise.all(jobs.map(async (job) => {
    if (!job.options) return { video: job.video, id: '-', ok: false, detail: job.error! };
    const { workflowId } = await start(job.options);
    process.stderr.write(`started ${printable(workflowId)} for ${printable(job.video)}\n`);
    if (detach) return { video: job.video, id: workflowId, ok: true, detail: 'started' };
    try {
      const result = await withLocalOutputs(ctx.settings, await waitForResult(ctx.client, workflowId));
      process.stderr.write(`done    ${printable(workflowId)}\n`);
      const main = 'manifest' in result ? path.join(result.outputDir, result.final ?? result.manifest) : path.join(result.outputDir, result.outputs.mkv);
      return { video: job.video, id: workflowId, ok: true, detail: main };
    } catch (e) {
      process.stderr.write(`failed  ${printable(workflowId)}\n`);
      return { video: job.video, id: workflowId, ok: false, detail: failureMessage(e) };
    }
  }));
  const width = Math.min(40, Math.max(...rows.map((r) => printable(path.basename(r.video)).length)));
  console.log(`\n${'file'.padEnd(width)}  result  job / output or error`);
  for (const r of rows) console.log(`${printable(path.basename(r.video)).padEnd(width)}  ${r.ok ? 'ok    ' : 'FAILED'}  ${r.id === '-' ? '' : `${printable(r.id)}  `}${printableLines(r.detail)}`);
  const failed = rows.filter((r) => !r.ok).length;
  console.log(`\n${rows.length - failed} of ${rows.length} dubbed${failed ? `, ${failed} failed` : ''}`);
  return failed ? 1 : 0;
}

export function addRunCommand(program: Command): void {
  const run = program
    .command('run')
    .description('dub a video and wait for it with a progress bar (Ctrl-C cancels the job); several files or a folder: one job each, a summary at the end')
    .argument('<videos...>', 'input video file(s) or folder(s)');
  addRunFlags(run)
    .action(async (inputs: string[], o) => {
      if (o.ui) process.env.ANIME_DUB_UI = '1';
      // Plugin locations are worker settings (never job input): the in-process or background worker reads them from env.
      if (o.wav2lipDir) process.env.WAV2LIP_DIR = path.resolve(o.wav2lipDir);
      if (o.wav2lipCheckpoint) process.env.WAV2LIP_CHECKPOINT = path.resolve(o.wav2lipCheckpoint);
      // The output root is a worker setting too (job input names only a sub-folder of it): --output sets the
      // local worker's root, or, with a Temporal service, names a folder inside the workers' shared root.
      let subFolder: string | undefined;
      const here = loadSettings();
      if (o.output && resolveTemporalTarget(here).embedded) process.env.ANIME_DUB_OUTPUT_DIR = path.resolve(o.output);
      else if (o.output) subFolder = outputSubFolder(path.resolve(here.outputDir), path.resolve(o.output));
      const videos = await expandInputs(inputs);
      const batch = videos.length > 1 || inputs.some((i) => existsSync(i) && statSync(i).isDirectory());
      if (batch && o.workflowId) fail('--workflow-id names one job; leave it out when dubbing several files', 2);
      if (videos.length === 0) fail(`no video files in ${inputs.map(printable).join(', ')}`, 2);
      if (o.cast) o.cast = await readCastFile(o.cast).catch((e: Error) => fail(e.message, 2));
      let settings: Settings;
      const jobs: { video: string; options?: JobOptions; error?: string }[] = [];
      try {
        settings = loadSettings(process.env);
      } catch (e) {
        fail(e instanceof Error ? e.message : String(e), 2);
      }
      for (const video of videos) {
        try {
          jobs.push({ video, options: jobOptionsFromFlags(settings, video, o, subFolder) });
        } catch (e) {
          if (!batch) fail(e instanceof Error ? e.message : String(e), 2);
          jobs.push({ video, error: e instanceof Error ? e.message : String(e) });
        }
      }

      const ctx = await context({ startServer: true });
      let workers: RunningWorkers | undefined;
      if (ctx.embedded && o.detach) await ensureBackgroundWorker(ctx.settings);
      else if (ctx.embedded) workers = await (await workerLibrary()).startWorkers(ctx.settings, ALL_ROLES, { handleSignals: false });
      const start = (options: JobOptions) => startJob(ctx.client, ctx.settings, options, { workflowId: o.workflowId, fresh: !!o.new });

      if (batch) {
        const code = await runBatch(ctx, jobs, async (options) => (await start(options)).handle, !!o.detach);
        await workers?.shutdown().catch(() => {});
        process.exit(code);
      }

      const { handle, attached } = await start(jobs[0].options!);
      if (attached) {
        console.log(`Attached to job ${printable(handle.workflowId)}, already running with these options (--new starts another)`);
        const reclaimed = await reclaimFromDeadLocalWorkers(ctx.client, ctx.settings.temporal.namespace, handle.workflowId).catch(() => 0);
        if (reclaimed) console.log(`  resuming ${reclaimed} step(s) left by a worker that is gone`);
      } else {
        console.log(`Started job ${printable(handle.workflowId)}`);
      }
      const link = jobLink(ctx, handle.workflowId);
      if (o.detach) {
        if (link) console.log(`Temporal UI: ${link}`);
        console.log(`Follow it with: anime-dub status ${printable(handle.workflowId)}`);
        process.exit(0);
      }
      let interrupted = false;
      process.on('SIGINT', () => {
        if (interrupted) process.exit(130); // a second Ctrl-C: leave now (the job stays in Temporal)
        interrupted = true;
        process.stderr.write('\nCancelling the job (Ctrl-C again to leave without waiting)…\n');
        cancelJob(ctx.client, handle.workflowId).catch(() => {});
      });
      try {
        // With the s3 store the workers' folders are on other hosts: the outputs come down into the local output folder.
        const result = await withLocalOutputs(ctx.settings, await follow(ctx, handle.workflowId), (line) => console.log(line));
        printResult(ctx, handle.workflowId, result);
        await workers?.shutdown();
        process.exit(0);
      } catch (e) {
        // The job completed; what arrived from the store did not match its result: say so, not "failed" (exit 3 as `result` does).
        if (e instanceof OutputsRefusedError) {
          process.stderr.write(`\nJob ${printable(handle.workflowId)} completed, but an output was refused: ${printableLines(e.message)}\n`);
          await workers?.shutdown().catch(() => {});
          process.exit(3);
        }
        process.stderr.write(`\nJob ${printable(handle.workflowId)} ${interrupted ? 'was cancelled' : 'failed'}: ${printableLines(failureMessage(e))}\n`);
        if (link) process.stderr.write(`Temporal UI: ${link}\n`);
        await workers?.shutdown().catch(() => {});
        process.exit(interrupted ? 130 : 1);
      }
    });
}
