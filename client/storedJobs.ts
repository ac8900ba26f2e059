// The client's half of the s3 artifact store (DUB_ARTIFACT_STORE=s3, docs/DEPLOY.md): workers on other hosts cannot
// read the client's files, so the input (and any subtitle or glossary file the job names) is uploaded under a
// content key the job carries, and the finished job's outputs are downloaded into the local output folder.
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { tempName } from '../engines/tempNames.js';
import path from 'node:path';
import { ContentMismatchError, ObjectStoreError, openArtifactStore, S3Store, sha256OfFile, storeSettingsOf, type ArtifactRef } from '../storage/artifactStore.js';
import { getText, listObjects } from '../storage/s3Client.js';
import type { JobOptions, Settings } from '../config/schema.js';
import type { DubJobResult, OutputHashes } from '../lib/job.js';
import { JOB_OPTIONS_FILE } from '../lib/artifactNames.js';

let opened: { settings: Settings; store: Promise<S3Store | undefined> } | undefined;

/** The installation's s3 store, or undefined with the shared folder (credentials from this process's AWS_* env). */
export function s3StoreOf(settings: Settings): Promise<S3Store | undefined> {
  if (settings.artifacts.store !== 's3') return Promise.resolve(undefined);
  if (opened?.settings !== settings) {
    const store = openArtifactStore(storeSettingsOf(settings), settings.outputDir).then((s) => s as S3Store);
    opened = { settings, store };
    // A store that could not be opened (the service down, a wrong setting) is tried again next time, not remembered.
    store.catch(() => { if (opened?.store === store) opened = undefined; });
  }
  return opened.store;
}

const uploaded = (ref: ArtifactRef) => ({ key: ref.key, sha256: ref.sha256!, bytes: ref.bytes });

/**
 * With the s3 store: the job's input files uploaded (each once: the key is its SHA-256) and named in
 * `options.stored`; the same content gives the same options, so the same job id. Unchanged with the shared folder.
 */
export async function withStoredInputs(settings: Settings, options: JobOptions): Promise<JobOptions> {
  const store = await s3StoreOf(settings);
  if (!store || options.stored) return options;
  const isFile = (p: string | undefined) => !!p && !(p === options.subs && /^embedded(?::|$)/.test(p));
  const put = async (p: string | undefined) => (isFile(p) ? uploaded(await store.putInput(p!)) : undefined);
  const [video, subs, translatedSubs, glossary] = await Promise.all([put(options.video), put(options.subs), put(options.translatedSubs), put(options.mt.glossary)]);
  return { ...options, stored: { video: video!, ...(subs ? { subs } : {}), ...(translatedSubs ? { translatedSubs } : {}), ...(glossary ? { glossary } : {}) } };
}

/**
 * Outputs the client refused to keep: their bytes in the store are not what the job's result says the worker made
 * (SHA-256 and size), or they are missing. The job itself completed; nothing refused is left under its name.
 */
export class OutputsRefusedError extends Error {
  constructor(readonly refused: { file: string; reason: string }[], readonly dir: string, readonly downloaded: string[]) {
    super(`the job completed, but ${refused.length === 1 ? 'an output was' : `${refused.length} outputs were`} refused: ${refused.map((r) => `${r.file} (${r.reason})`).join('; ')}. `
      + `${downloaded.length ? `The other ${downloaded.length} file(s) were checked and downloaded to ${dir}.` : 'Nothing was downloaded.'} `
      + 'Someone with write access to the bucket changed it, or the store lost it: run the job again (its finished work is reused) or ask the store\'s operator.');
    this.name = 'OutputsRefusedError';
  }
}

/** An output name a job's result may carry: one plain file name at the top of its folder. */
const plainName = (name: string) => !!name && !name.includes('/') && !name.includes('\\') && !name.startsWith('.') && name !== '..';

/** Copies a verified cached file to `dest` by a temp name and a rename: a reader never sees a half-written output. */
async function placeCopy(cached: string, dest: string): Promise<void> {
  const tmp = tempName(dest);
  try {
    await copyFile(cached, tmp);
    await rename(tmp, dest);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * A finished job's outputs fetched from the s3 store into `<output root>/<job folder>/` here. `outputDir` is the
 * job's folder as the workers name it (`s3://<bucket>/<prefix>jobs/<folder>`); returns the local folder and the files
 * written.
 *
 * With `expected` (the result's `hashes`, read from Temporal): exactly those files, each fetched by its content key
 * and checked against the SHA-256 and size the worker that made it computed; the store's index objects (which every
 * holder of write credentials can change) are not trusted for anything. A file whose bytes differ is refused: an
 * OutputsRefusedError names it after the others are placed, and no file stays under its name here.
 * Without (a job finished by workers from before output hashes): the files at the top of the folder as the index
 * names them, checked only against the index; a damaged index object is skipped with a warning (`say`).
 */
export async function downloadOutputs(settings: Settings, outputDir: string, expected?: OutputHashes, say: (line: string) => void = () => {}): Promise<{ dir: string; files: string[] }> {
  const store = await s3StoreOf(settings);
  if (!store) return { dir: outputDir, files: [] };
  const root = `s3://${store.location.bucket}/${store.prefix}jobs/`;
  if (!outputDir.startsWith(root)) throw new Error(`${outputDir} is not a job folder of the s3 store ${root}`);
  const folder = outputDir.slice(root.length).replace(/\/+$/, '');
  if (!folder || folder.split('/').some((p) => p === '..' || p === '.' || p === '')) throw new Error(`${outputDir} is not a job folder`);
  const dir = path.join(path.resolve(settings.outputDir), ...folder.split('/'));
  const prefix = `${store.prefix}jobs/${folder}/`;
  if (expected) return downloadVerified(store, dir, prefix, expected);
  const files: string[] = [];
  for (const { key } of await listObjects(store.location, prefix)) {
    const name = key.slice(prefix.length);
    if (name.includes('/') || name.startsWith('.') || name === JOB_OPTIONS_FILE) continue;
    const entry = await getText(store.location, key);
    if (!entry) continue;
    const ref = indexEntryOf(entry.text);
    // Named, never quoted: the object's content is not ours to print. A damaged index object costs that one file,
    // never the job's outcome (which is Temporal's, not the bucket's).
    if (!ref) {
      say(`warning: the index object ${key} in bucket ${store.location.bucket} is damaged (not an index entry of this store); ${name} was not downloaded`);
      continue;
    }
    const cached = await store.get(ref);
    await mkdir(dir, { recursive: true });
    const dest = path.join(dir, name);
    await placeCopy(cached, dest);
    files.push(dest);
  }
  return { dir, files: files.sort() };
}

async function downloadVerified(store: S3Store, dir: string, prefix: string, expected: OutputHashes): Promise<{ dir: string; files: string[] }> {
  const files: string[] = [];
  const refused: { file: string; reason: string }[] = [];
  for (const name of Object.keys(expected).sort()) {
    const want = expected[name];
    if (!plainName(name) || !want || !/^[0-9a-f]{64}$/.test(String(want.sha256)) || !Number.isSafeInteger(want.bytes) || want.bytes < 0) {
      refused.push({ file: name, reason: "the job's result names it oddly (not a plain file name with a SHA-256 and a size)" });
      continue;
    }
    const dest = path.join(dir, name);
    // Already here as the worker made it (an earlier download): kept.
    if ((await sha256OfFile(dest).catch(() => undefined))?.sha256 === want.sha256) {
      files.push(dest);
      continue;
    }
    // By its content key first: the key is the expected SHA-256, so the index is not consulted at all. The index
    // object's key only as a second place to look, and its bytes are checked against the result's hash as well.
    const refs = [store.contentRef(want.sha256, want.bytes, name)];
    const indexed = await getText(store.location, prefix + name).then((e) => e && indexEntryOf(e.text), () => undefined);
    if (indexed && indexed.key !== refs[0].key && indexed.key.startsWith(store.prefix) && !indexed.key.split('/').includes('..')) refs.push({ key: indexed.key, bytes: want.bytes, sha256: want.sha256 });
    let cached: string | undefined;
    let mismatch = false;
    let lastError: unknown;
    for (const ref of refs) {
      try {
        cached = await store.get(ref);
        break;
      } catch (e) {
        if (e instanceof ContentMismatchError) mismatch = true;
        else if (!(e instanceof ObjectStoreError && (e.status === 404 || e.status === 0))) throw e;
        lastError = e;
      }
    }
    if (!cached) {
      // Never left under the output's name: not a tampered copy, not an older one.
      await rm(dest, { force: true });
      refused.push({
        file: name,
        reason: mismatch
          ? `its bytes in the store are not the SHA-256 ${want.sha256.slice(0, 12)}… and ${want.bytes} bytes the worker recorded in the job's result: changed after the job made it`
          : `not in the store (${lastError instanceof Error ? lastError.message : String(lastError)})`,
      });
      continue;
    }
    await mkdir(dir, { recursive: true });
    await placeCopy(cached, dest);
    files.push(dest);
  }
  if (refused.length) throw new OutputsRefusedError(refused, dir, files.sort());
  return { dir, files: files.sort() };
}

function indexEntryOf(text: string): ArtifactRef | undefined {
  try {
    const v = JSON.parse(text) as ArtifactRef;
    return v && typeof v.key === 'string' && typeof v.bytes === 'number' && typeof v.sha256 === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A finished job's result as this machine sees it: with the s3 store its outputs are downloaded first, each checked
 * against the hashes the result carries, and the result names the local folder (`say` hears where they came from and
 * any warning). Unchanged with the shared folder, and for a streamed job (its chunks are not downloaded yet:
 * docs/DEPLOY.md). A refused output throws OutputsRefusedError (the job completed; its outputs did not arrive intact).
 */
export async function withLocalOutputs<R extends DubJobResult | { manifest: string }>(settings: Settings, result: R, say: (line: string) => void = () => {}): Promise<R> {
  if (settings.artifacts.store !== 's3' || 'manifest' in result) return result;
  const dub = result as DubJobResult;
  const got = await downloadOutputs(settings, dub.outputDir, dub.hashes, say);
  if (!got.files.length) {
    say(`No output files found in the s3 artifact store under ${dub.outputDir}: nothing was downloaded (the job's folder in the store is empty or was deleted)`);
  } else {
    say(`Fetched ${got.files.length} output file(s) from the s3 artifact store (${dub.outputDir})${dub.hashes ? ", each matching the SHA-256 in the job's result" : " (not checked: the job's result carries no output hashes; it was finished by workers from before them)"}`);
  }
  return { ...dub, outputDir: got.dir } as R;
}
