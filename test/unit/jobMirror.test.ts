// The pure parts of the s3 job-folder mirror: which files stay on their host, and how paths travel between hosts.
import { describe, expect, it } from '@jest/globals';
import { S3Store } from '../../storage/artifactStore.js';
import path from 'node:path';
import { hostLocal, JobFolderMirror } from '../../storage/jobMirror.js';
import { tempName } from '../../engines/tempNames.js';
import { parseJobOptions } from '../../config/load.js';

const store = new S3Store({ endpoint: 'http://127.0.0.1:1', bucket: 'dubs', region: 'us-east-1', accessKeyId: 'k', secretAccessKey: 's' }, '/cache', 'studio/');

describe('job folder mirror', () => {
  it('keeps temp files and the engine process registry on their host, and mirrors everything else', () => {
    for (const rel of ['tts/.0003.12-1.part.wav', 'audio/x.wav.4242.ab12cd.part', 'tmp/processes/123.json', '.lock.4242.k3j2']) expect({ rel, local: hostLocal(rel) }).toEqual({ rel, local: true });
    for (const rel of ['.lock', '.input.json', 'tts/0003.wav', 'tmp/lines/translated-ab.json', 'tmp/cache/tts/0003.wav.sha', 'ep.es.dub.mp4']) expect({ rel, local: hostLocal(rel) }).toEqual({ rel, local: false });
  });

  it('mirrors ordinary names that contain ".part" (Show.part.2.mkv): only the exact temp-name shapes of the writers stay on their host', () => {
    for (const rel of ['Show.part.2.mkv', 'input/Show.part.2.mkv', 'Show.part.mkv', 'part.json', 'input/.part', 'tts/a.part.b.wav']) expect({ rel, local: hostLocal(rel) }).toEqual({ rel, local: false });
    for (const rel of ['input/.Show.part.2.prepareJob-1.part.mkv', '.job.p4242.part.json', 'report.json.4242.part', 'review.json.part', 'input/Show.part.2.mkv.4242.x1y2z3.part']) expect({ rel, local: hostLocal(rel) }).toEqual({ rel, local: true });
    // Every writer names its temp files with storage/tempNames.ts (one convention), the lock's and the cast's too.
    for (const file of ['input/Show.part.2.mkv', 'series/Show/cast.json', '.lock', 'audio/original.48k.wav']) {
      const rel = path.posix.relative('/root', tempName(`/root/${file}`));
      expect({ rel, local: hostLocal(rel) }).toEqual({ rel, local: true });
    }
    expect(tempName('/root/tts/0003.wav', 'synth-7-2')).toBe('/root/tts/.0003.synth-7-2.part.wav');
  });

  it('names the output root s3://<bucket>/<prefix>jobs between hosts and each host’s own root inside an activity', () => {
    const hostA = new JobFolderMirror(store, '/srv/a/out');
    const hostB = new JobFolderMirror(store, '/data/b');
    const made = { job: { root: '/srv/a/out/season1', name: 'ep.es' }, media: { path: '/srv/a/out/season1/ep.es/input/ep.mp4' }, other: '/srv/a/outside', n: 3, list: ['/srv/a/out'] };
    const travelling = hostA.toCanonical(made);
    expect(travelling).toEqual({ job: { root: 's3://dubs/studio/jobs/season1', name: 'ep.es' }, media: { path: 's3://dubs/studio/jobs/season1/ep.es/input/ep.mp4' }, other: '/srv/a/outside', n: 3, list: ['s3://dubs/studio/jobs'] });
    expect(hostB.toLocal(travelling)).toEqual({ job: { root: '/data/b/season1', name: 'ep.es' }, media: { path: '/data/b/season1/ep.es/input/ep.mp4' }, other: '/srv/a/outside', n: 3, list: ['/data/b'] });
  });

  it('a job input may name stored inputs only by an inputs/sha256 key matching its hash, and nothing about the store', () => {
    const sha = 'ab'.repeat(32);
    const ok = { video: '/home/me/ep.mp4', stored: { video: { key: `inputs/sha256/${sha}.mp4`, sha256: sha, bytes: 10 } } };
    expect(parseJobOptions(ok).ok).toBe(true);
    for (const stored of [
      { video: { key: `inputs/sha256/${sha}.mp4`, sha256: 'cd'.repeat(32), bytes: 10 } },
      { video: { key: `sha256/ab/${sha}.mp4`, sha256: sha, bytes: 10 } },
      { video: { key: `inputs/sha256/../../${sha}`, sha256: sha, bytes: 10 } },
      { video: { key: `inputs/sha256/${sha}.mp4`, sha256: sha, bytes: 10, endpoint: 'http://evil' } },
      { video: { key: `inputs/sha256/${sha}.mp4`, sha256: sha, bytes: 10 }, accessKeyId: 'AKIA' },
    ]) expect(parseJobOptions({ ...ok, stored }).ok).toBe(false);
    expect(parseJobOptions({ ...ok, artifacts: { store: 's3' } }).ok).toBe(false);
  });
});
