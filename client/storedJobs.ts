// The client's half of the s3 artifact store (DUB_ARTIFACT_STORE=s3, docs/DEPLOY.md): workers on other hosts cannot
// read the client's files, so the input (and any subtitle or glossary file the job names) is uploaded under a
// content key the job carries, and the finished job's outputs are downloaded into the local output folder.
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { openArtifactStore, S3Store, storeSettingsOf, type ArtifactRef } from '../activities/artifactStore.js';
import { getText, listObjects } from '../activities/s3Client.js';
import type { JobOptions, Settings } from '../config/schema.js';
import type { DubJobResult } from '../lib/job.js';

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
 * A finished job's outputs (the files at the top of its folder: dub video, subtitles, report, transcript) fetched
 * from the s3 store into `<output root>/<job folder>/` here. `outputDir` is the job's folder as the workers name it
 * (`s3://<bucket>/<prefix>jobs/<folder>`); returns the local folder and the files written.
 */
export async function downloadOutputs(settings: Settings, outputDir: string): Promise<{ dir: string; files: string[] }> {
  const store = await s3StoreOf(settings);
  if (!store) return { dir: outputDir, files: [] };
  const root = `s3://${store.location.bucket}/${store.prefix}jobs/`;
  if (!outputDir.startsWith(root)) throw new Error(`${outputDir} is not a job folder of the s3 store ${root}`);
  const folder = outputDir.slice(root.length).replace(/\/+$/, '');
  if (!folder || folder.split('/').some((p) => p === '..' || p === '.' || p === '')) throw new Error(`${outputDir} is not a job folder`);
  const dir = path.join(path.resolve(settings.outputDir), ...folder.split('/'));
  const prefix = `${store.prefix}jobs/${folder}/`;
  const files: string[] = [];
  for (const { key } of await listObjects(store.location, prefix)) {
    const name = key.slice(prefix.length);
    if (name.includes('/') || name.startsWith('.') || name === 'job.json') continue;
    const entry = await getText(store.location, key);
    if (!entry) continue;
    const ref = indexEntryOf(entry.text);
    // Named, never quoted: the object's content is not ours to print.
    if (!ref) throw new Error(`the index object ${key} in bucket ${store.location.bucket} is damaged (not an index entry of this store); ${name} cannot be downloaded`);
    const cached = await store.get(ref);
    await mkdir(dir, { recursive: true });
    const dest = path.join(dir, name);
    const tmp = `${dest}.${process.pid}.part`;
    try {
      await copyFile(cached, tmp);
      await rename(tmp, dest);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    files.push(dest);
  }
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
 * A finished job's result as this machine sees it: with the s3 store its outputs are downloaded first and the result
 * names the local folder (`say` hears where they came from). Unchanged with the shared folder, and for a streamed
 * job (its chunks are not downloaded yet: docs/DEPLOY.md).
 */
export async function withLocalOutputs<R extends DubJobResult | { manifest: string }>(settings: Settings, result: R, say: (line: string) => void = () => {}): Promise<R> {
  if (settings.artifacts.store !== 's3' || 'manifest' in result) return result;
  const dub = result as DubJobResult;
  const got = await downloadOutputs(settings, dub.outputDir);
  if (!got.files.length) {
    say(`No output files found in the s3 artifact store under ${dub.outputDir}: nothing was downloaded (the job's folder in the store is empty or was deleted)`);
  } else {
    say(`Fetched ${got.files.length} output file(s) from the s3 artifact store (${dub.outputDir})`);
  }
  return { ...dub, outputDir: got.dir } as R;
}
