// The folder lock and a series' cast through the s3 artifact store, against a real MinIO server (built by
// scripts/setup.sh): two "hosts" with separate output roots and caches and one bucket race for one folder's lock,
// take over a stale one, and dub episodes of one series at the same moment. The rules alone, without a server:
// test/unit/storeLocks.test.ts; a whole job through the store: artifactStoreJob.test.ts.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { S3Store } from '../../storage/artifactStore.js';
import { lockFolder, lockHolder, unlockFolder } from '../../storage/jobFolder.js';
import { JobFolderMirror } from '../../storage/jobMirror.js';
import { ensureBucket, getText, listObjects, type S3Location } from '../../storage/s3Client.js';
import { readCast, seriesFolder } from '../../storage/seriesCast.js';
import { episodeCast } from '../../activities/voices.js';
import { ESPEAK_VARIANTS } from '../../engines/tts.js';
import type { PreparedJob } from '../../lib/job.js';
import type { AssignOptions } from '../../lib/voices.js';
import { tempDir } from '../support/jobs.js';
import { startMinio, type MinioServer } from '../support/minio.js';

const espeak: AssignOptions = { engine: 'espeak-ng', baseVoice: 'es', espeakVariants: ESPEAK_VARIANTS };

describe('locks and series casts through the s3 store (real MinIO, two hosts with separate folders)', () => {
  let minio: MinioServer;
  let dir: string;
  let loc: S3Location;
  const hosts: Record<'A' | 'B' | 'C', JobFolderMirror> = {} as Record<'A' | 'B' | 'C', JobFolderMirror>;
  const root = (h: string) => path.join(dir, `host${h}`, 'out');

  beforeAll(async () => {
    dir = await tempDir('s3locks');
    minio = await startMinio(path.join(dir, 'minio-data'));
    loc = { endpoint: minio.endpoint, bucket: 'dub-locks', region: 'us-east-1', accessKeyId: minio.accessKeyId, secretAccessKey: minio.secretAccessKey };
    await ensureBucket(loc);
    for (const h of ['A', 'B', 'C'] as const) hosts[h] = new JobFolderMirror(new S3Store(loc, path.join(dir, `host${h}`, 'cache'), 'studio/'), root(h));
  }, 90_000);
  afterAll(async () => { await minio?.stop(); });

  const slotOf = (h: 'A' | 'B', folder: string) => hosts[h].lockSlot(path.join(root(h), folder), '.lock')!;
  const attempt = (h: 'A' | 'B', folder: string, workflowId: string, isRunning: (id: string) => Promise<boolean>) =>
    lockFolder(path.join(root(h), folder), workflowId, isRunning, slotOf(h, folder))
      .then(() => `${workflowId} took it`, (e: Error) => (/^FolderBusy$/.test((e as { type?: string }).type ?? '') && /being written by job/.test(e.message) ? `${workflowId} FolderBusy` : `${workflowId}: ${e.message}`));

  it('two hosts starting jobs for one folder at the same moment: exactly one takes the lock, the other gets FolderBusy (20 races)', async () => {
    const running = async () => true;
    const winners: string[] = [];
    for (let i = 0; i < 20; i++) {
      const folder = `race${i}.es`;
      const got = await Promise.all([attempt('A', folder, `job-a${i}`, running), attempt('B', folder, `job-b${i}`, running)]);
      const took = got.filter((g) => g.endsWith('took it'));
      expect({ i, took: took.length, busy: got.filter((g) => g.endsWith('FolderBusy')).length }).toEqual({ i, took: 1, busy: 1 });
      // Both hosts read the same holder from the store: the winner.
      const holderA = (await lockHolder(path.join(root('A'), folder), slotOf('A', folder)))?.workflowId;
      const holderB = (await lockHolder(path.join(root('B'), folder), slotOf('B', folder)))?.workflowId;
      expect(holderA).toBe(holderB);
      expect(took[0]).toBe(`${holderA} took it`);
      winners.push(took[0].startsWith('job-a') ? 'A' : 'B');
    }
    process.stdout.write(`lock races: host A won ${winners.filter((w) => w === 'A').length} of 20, host B ${winners.filter((w) => w === 'B').length}\n`);
  }, 60_000);

  it('a stale lock (its job ended) is taken over by another host; the old job cannot release the new one\'s; its own release frees it everywhere', async () => {
    const folder = 'stale.es';
    const running = new Set(['job-old']);
    const isRunning = async (id: string) => running.has(id);
    expect(await attempt('A', folder, 'job-old', isRunning)).toBe('job-old took it');
    expect(await attempt('B', folder, 'job-new', isRunning)).toBe('job-new FolderBusy');
    running.delete('job-old'); // ended without releasing it (its worker died)
    running.add('job-new');
    running.add('job-other');
    // Two hosts take it over at once: one does, the other then finds that job running.
    const got = await Promise.all([attempt('B', folder, 'job-new', isRunning), attempt('A', folder, 'job-other', isRunning)]);
    expect(got.filter((g) => g.endsWith('took it')).length).toBe(1);
    expect(got.filter((g) => g.endsWith('FolderBusy')).length).toBe(1);
    const holder = (await lockHolder(path.join(root('A'), folder), slotOf('A', folder)))!.workflowId;
    await unlockFolder(path.join(root('A'), folder), 'job-old', slotOf('A', folder)); // not its lock any more
    expect((await lockHolder(path.join(root('B'), folder), slotOf('B', folder)))?.workflowId).toBe(holder);
    await unlockFolder(path.join(root('B'), folder), holder, slotOf('B', folder));
    expect(await getText(loc, `studio/jobs/${folder}/.lock`)).toBeUndefined();
    expect(await attempt('A', folder, 'job-next', isRunning)).toBe('job-next took it');
  }, 60_000);

  it('the lock is never a mirrored file: a push of the folder writes no .lock index object and a pull places none', async () => {
    const folder = 'mirrored.es';
    const dirA = path.join(root('A'), folder);
    await mkdir(dirA, { recursive: true });
    const view = await hosts.A.pull(dirA);
    await lockFolder(dirA, 'job-m', async () => true, slotOf('A', folder));
    await writeFile(path.join(dirA, 'job.json'), '{}');
    await writeFile(path.join(dirA, '.lock'), '{"workflowId":"a stray local file"}');
    await hosts.A.push(view);
    expect(JSON.parse((await getText(loc, `studio/jobs/${folder}/.lock`))!.text).workflowId).toBe('job-m');
    const dirB = path.join(root('B'), folder);
    await hosts.B.pull(dirB);
    expect(await readFile(path.join(dirB, 'job.json'), 'utf8')).toBe('{}');
    await expect(readFile(path.join(dirB, '.lock'), 'utf8')).rejects.toThrow(/ENOENT/);
  }, 60_000);

  const episode = (h: 'A' | 'B' | 'C', name: string): PreparedJob => ({ job: { root: root(h), name }, options: { series: { name: 'Show' } } } as unknown as PreparedJob);

  it('two episodes of one series dubbed on two hosts at the same moment agree on one voice per speaker, and a third host sees the cast', async () => {
    for (let round = 0; round < 5; round++) {
      const series = `Round${round}`;
      const ep = (h: 'A' | 'B', name: string): PreparedJob => ({ ...episode(h, name), options: { series: { name: series } } } as unknown as PreparedJob);
      const [a, b] = await Promise.all([
        episodeCast(ep('A', 'ep01.es'), ['Misaki', 'Kenji'], espeak, hosts.A),
        episodeCast(ep('B', 'ep02.es'), ['Kenji', 'Yui', 'Misaki'], espeak, hosts.B),
      ]);
      const voiceOf = (x: typeof a, s: string) => x.voices.find((v) => v.speaker === s)?.voice;
      for (const s of ['Misaki', 'Kenji']) expect({ round, s, onB: voiceOf(b, s) }).toEqual({ round, s, onB: voiceOf(a, s) });
      // One of them came first; the other knew its speakers.
      expect([[2, 1], [0, 3]]).toContainEqual([a.added.length, b.added.length]);
      // The store holds one cast with each speaker once, with three different voices; host C reads it.
      const dirC = await seriesFolder(root('C'), series);
      await hosts.C.pull(dirC);
      const cast = await readCast(dirC);
      expect(cast.entries.map((e) => e.speaker).sort()).toEqual(['Kenji', 'Misaki', 'Yui']);
      expect(new Set(cast.entries.map((e) => e.voice)).size).toBe(3);
      // A later episode on host A finds the speaker host B added.
      const later = await episodeCast(ep('A', 'ep03.es'), ['Yui'], espeak, hosts.A);
      expect(later.known).toEqual(['Yui']);
      expect(voiceOf(later, 'Yui')).toBe(voiceOf(b, 'Yui'));
    }
    // No cast lock is left behind, and none was ever a file on a host.
    const stored = await listObjects(loc, 'studio/jobs/series/');
    expect(stored.filter((o) => o.key.endsWith('.cast.lock'))).toEqual([]);
    expect(stored.filter((o) => o.key.endsWith('/cast.json')).length).toBe(5);
  }, 120_000);

  it("a speaker's first reference clip wins across hosts: published once in the store, the other host receives the winner's", async () => {
    const dirA = await seriesFolder(root('A'), 'Show');
    const dirB = await seriesFolder(root('B'), 'Show');
    const [clipA, clipB] = [path.join(dir, 'clipA.wav'), path.join(dir, 'clipB.wav')];
    await writeFile(clipA, 'clip cut on host A');
    await writeFile(clipB, 'clip cut on host B');
    const [storeA, storeB] = [hosts.A.seriesStore(dirA)!, hosts.B.seriesStore(dirB)!];
    // Both hosts pulled the folder before (an activity's view): the clip placed since is in their sync state.
    const [viewA, viewB] = [await hosts.A.pull(dirA), await hosts.B.pull(dirB)];
    const won = await Promise.all([storeA.placeOnce(clipA, 'voices/Misaki.wav'), storeB.placeOnce(clipB, 'voices/Misaki.wav')]);
    expect(won.filter(Boolean).length).toBe(1);
    const winner = won[0] ? 'clip cut on host A' : 'clip cut on host B';
    // The winner's clip was published by placeOnce: a push after it has nothing more to publish, on either host.
    expect(await hosts.A.push(viewA)).toEqual({ uploaded: 0, removed: 0 });
    expect(await hosts.B.push(viewB)).toEqual({ uploaded: 0, removed: 0 });
    hosts.A.release(dirA);
    hosts.B.release(dirB);
    await (await storeA.pull())();
    await (await storeB.pull())();
    expect(await readFile(path.join(dirA, 'voices', 'Misaki.wav'), 'utf8')).toBe(winner);
    expect(await readFile(path.join(dirB, 'voices', 'Misaki.wav'), 'utf8')).toBe(winner);
  }, 60_000);
});
