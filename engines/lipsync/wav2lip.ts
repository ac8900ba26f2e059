// Wav2Lip (github.com/Rudrabha/Wav2Lip): runs the repo's own inference.py with stock arguments only.
import { access, constants, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Settings } from '../../config/schema.js';
import { findOnPath } from '../programPath.js';
import { pythonCode } from '../pythonCode.js';
import { run } from '../run.js';
import type { Availability, LipsyncPlugin, LipsyncRequest } from './plugin.js';

const isFile = (p: string) => stat(p).then((s) => s.isFile(), () => false);
const isDir = (p: string) => stat(p).then((s) => s.isDirectory(), () => false);

/**
 * Where we look for the repo: WAV2LIP_DIR, else ~/Wav2Lip. Never the current folder: `anime-dub doctor` or a worker
 * started in a downloaded folder would otherwise run whatever Wav2Lip (or torch.py) that folder holds.
 */
export function repoCandidates(settings: Settings): string[] {
  const configured = settings.plugins.wav2lipDir;
  return configured ? [path.resolve(configured)] : [path.join(os.homedir(), 'Wav2Lip')];
}

/** The checkpoint, in order: WAV2LIP_CHECKPOINT, then <repo>/checkpoints/wav2lip_gan.pth, then wav2lip.pth. */
export function checkpointCandidates(settings: Settings, repo: string): string[] {
  const configured = settings.plugins.wav2lipCheckpoint;
  return configured ? [path.resolve(configured)] : [path.join(repo, 'checkpoints', 'wav2lip_gan.pth'), path.join(repo, 'checkpoints', 'wav2lip.pth')];
}

export const DETECTOR_WEIGHTS = path.join('face_detection', 'detection', 'sfd', 's3fd.pth');

const FIND_TORCH = 'import importlib.util\nsys.path.insert(0, sys.argv[1])\nsys.exit(0 if importlib.util.find_spec("torch") else 1)';

interface Located { repo: string; checkpoint: string; python: string }

async function locate(settings: Settings, needsDetector: boolean): Promise<Located | { reason: string }> {
  const repos = repoCandidates(settings);
  let repo: string | undefined;
  for (const r of repos) if (await isFile(path.join(r, 'inference.py'))) { repo = r; break; }
  if (!repo) return { reason: `Wav2Lip repo not found (looked for inference.py in ${repos.join(', ')}); set WAV2LIP_DIR or --wav2lip-dir` };
  const checkpoints = checkpointCandidates(settings, repo);
  let checkpoint: string | undefined;
  for (const c of checkpoints) if (await isFile(c)) { checkpoint = c; break; }
  if (!checkpoint) return { reason: `Wav2Lip checkpoint missing (looked at ${checkpoints.join(', ')}); set WAV2LIP_CHECKPOINT or --wav2lip-checkpoint` };
  if (needsDetector && !(await isFile(path.join(repo, DETECTOR_WEIGHTS)))) {
    return { reason: `Wav2Lip face detector weights missing at ${path.join(repo, DETECTOR_WEIGHTS)} (or use --lipsync-face center|bbox)` };
  }
  const python = (await findOnPath(settings.plugins.python)) ?? (await access(settings.plugins.python, constants.X_OK).then(() => settings.plugins.python, () => undefined));
  if (!python) return { reason: `python not found (${settings.plugins.python}); set WAV2LIP_PYTHON` };
  // Can inference.py import torch (sys.path[0] is the repo when it runs)? Found, not imported, and never from the
  // current folder: a check runs no code from where the worker or `doctor` happens to be started.
  const torch = await run([python, '-c', pythonCode(FIND_TORCH), repo], { timeoutMs: 120_000, okExitCodes: [0, 1] });
  if (torch.exitCode !== 0) return { reason: `torch is not installed for ${python}; install Wav2Lip's requirements` };
  return { repo, checkpoint, python };
}

/** Stock Wav2Lip arguments only; --box in its own order: top bottom left right. */
export function wav2lipArgv(python: string, repo: string, checkpoint: string, req: LipsyncRequest): string[] {
  const argv = [
    python, path.join(repo, 'inference.py'),
    '--checkpoint_path', checkpoint,
    '--face', req.face,
    '--audio', req.audio,
    '--outfile', req.outfile,
    '--pads', ...req.pads.map(String),
    '--resize_factor', String(req.resizeFactor),
  ];
  if (req.box) argv.push('--box', String(req.box.top), String(req.box.bottom), String(req.box.left), String(req.box.right));
  if (req.nosmooth) argv.push('--nosmooth');
  return argv;
}

export const wav2lip: LipsyncPlugin = {
  name: 'wav2lip',
  describe: 'Wav2Lip (photographic faces; its repository and checkpoint installed separately)',
  capabilities: { languages: 'any', rateKnob: false, speakers: 'many', runs: 'program', device: 'cpu or gpu' },
  async check(settings, needsDetector): Promise<Availability> {
    const found = await locate(settings, needsDetector);
    return 'reason' in found ? { available: false, reason: found.reason } : { available: true, detail: `${found.repo} with ${path.basename(found.checkpoint)}` };
  },
  async run(settings, req) {
    const found = await locate(settings, req.box === undefined);
    if ('reason' in found) throw new Error(found.reason);
    if (!(await isDir(req.workDir))) throw new Error(`work dir missing: ${req.workDir}`);
    // cwd = the job's own folder: Wav2Lip writes temp/result.avi relative to it, so jobs never share temp/.
    await run(wav2lipArgv(found.python, found.repo, found.checkpoint, req), { cwd: req.workDir, timeoutMs: req.timeoutMs, recordTo: req.recordTo });
  },
};
