// The one way we start a program: argv array (never a shell), a timeout, heartbeats while it runs,
// Temporal cancellation kills its whole process group, and a failure carries the stderr tail.
import { appendNoFollow } from './noFollow.js';
import path from 'node:path';
import { activityContext, startHeartbeat } from './activityContext.js';
import { CancelledFailure } from '@temporalio/common';
import { execa } from 'execa';
import { ErrorType, failure } from '../lib/errors.js';
import { programSearchPath } from './ffmpegBuild.js';
import { registerProcess } from './processRegistry.js';

export interface RunOptions {
  timeoutMs?: number;
  cwd?: string;
  /** Text written to the child's stdin (how we hand text to engines without argv parsing surprises). */
  input?: string;
  env?: Record<string, string>;
  /** JSON-lines file that records argv, wall time and exit code (the benchmark replays it). */
  recordTo?: string;
  /** Exit codes that are not a failure. */
  okExitCodes?: number[];
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  wallMs: number;
}


export { activityContext } from './activityContext.js';

export function stderrTail(text: string, lines = 12): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

export interface CommandRecord {
  argv: readonly string[];
  cwd?: string;
  wallMs: number;
  exitCode: number;
}

/** One line of a job's tmp/commands.jsonl (best effort: a missing log never fails the work). */
export async function recordCommand(file: string, record: CommandRecord): Promise<void> {
  await appendNoFollow(file, JSON.stringify(record) + '\n').catch(() => {});
}

export async function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [file, ...args] = argv;
  const ctx = activityContext();
  const started = Date.now();
  const child = execa(file, args, {
    cwd: opts.cwd,
    input: opts.input ?? '',
    env: { ...opts.env, PATH: programSearchPath(opts.env?.PATH ?? process.env.PATH ?? '') },
    detached: true, // own process group, so a kill reaches the engine's own children too
    reject: false,
    stripFinalNewline: false,
    encoding: 'utf8',
  });

  // Recorded beside the job's command log, so a later attempt can end it if this worker dies.
  const unregister = opts.recordTo && child.pid !== undefined
    ? await registerProcess(path.join(path.dirname(opts.recordTo), 'processes'), child.pid, file)
    : async () => {};
  let killedBy: 'timeout' | 'cancel' | undefined;
  const killGroup = () => {
    if (child.pid === undefined) return;
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
  };
  const timer = opts.timeoutMs ? setTimeout(() => { killedBy = 'timeout'; killGroup(); }, opts.timeoutMs) : undefined;
  const stopBeat = startHeartbeat(ctx);
  const onCancel = () => { killedBy = 'cancel'; killGroup(); };
  ctx?.cancellationSignal.addEventListener('abort', onCancel);
  if (ctx?.cancellationSignal.aborted) onCancel();

  try {
    const result = await child;
    const wallMs = Date.now() - started;
    const exitCode = result.exitCode ?? -1;
    if (opts.recordTo) await recordCommand(opts.recordTo, { argv, cwd: opts.cwd, wallMs, exitCode });
    if (killedBy === 'cancel') throw new CancelledFailure(`${file} was stopped: the activity was cancelled`);
    if (killedBy === 'timeout') {
      throw failure(ErrorType.EngineFailed, `${file} timed out after ${opts.timeoutMs} ms and was killed\n${stderrTail(result.stderr)}`);
    }
    if ((result as { code?: string }).code === 'ENOENT' || /ENOENT/.test(String(result.message ?? '')) && result.exitCode === undefined) {
      throw failure(ErrorType.EngineMissing, `${file} is not installed (not found on PATH); run scripts/setup.sh or \`anime-dub doctor\``);
    }
    const ok = opts.okExitCodes ?? [0];
    if (!ok.includes(exitCode) && /No space left on device|Read-only file system/.test(result.stderr)) {
      // Retrying cannot make room: say so once instead of three times.
      throw failure(ErrorType.OutputNotWritable, `${file} could not write its output: ${stderrTail(result.stderr, 3)}`);
    }
    if (!ok.includes(exitCode)) {
      throw failure(ErrorType.EngineFailed, `${file} exited ${exitCode}: ${stderrTail(result.stderr) || '(no stderr)'}`);
    }
    return { stdout: String(result.stdout), stderr: String(result.stderr), exitCode, wallMs };
  } finally {
    await unregister();
    if (timer) clearTimeout(timer);
    stopBeat();
    ctx?.cancellationSignal.removeEventListener('abort', onCancel);
  }
}

/** Runs a short probe program (a version question) and returns what it printed. */
export const probeProgram = async (argv: string[]) => (await run(argv, { timeoutMs: 60_000 })).stdout;
