// A series' cast: which voice each speaker keeps across episodes (lib/cast.ts), the schema that guards it and its
// lock (storage/seriesCast.ts), without a server.
import { describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { jobIdFor } from '../../client/api.js';
import { jobOptionsSchema } from '../../config/schema.js';
import { ESPEAK_VARIANTS } from '../../engines/tts.js';
import { castTable, castVoices, EMPTY_CAST, mergeCasts, setCastVoice, voiceCandidates, voiceKey } from '../../lib/cast.js';
import { assignVoices, type AssignOptions } from '../../lib/voices.js';
import { readCast, seriesFolder, updateCast, withCastLock } from '../../storage/seriesCast.js';

const espeak: AssignOptions = { engine: 'espeak-ng', baseVoice: 'en', espeakVariants: ESPEAK_VARIANTS };
const festival: AssignOptions = { engine: 'festival', baseVoice: 'cmu_us_slt_arctic_hts', espeakVariants: ESPEAK_VARIANTS };

describe('castVoices (one cast for a season)', () => {
  it('the first episode gets exactly the voices a job without a series gets, and the cast records them in order', () => {
    const a = castVoices(EMPTY_CAST, ['Misaki', 'Kenji'], espeak, 'ep1.en');
    expect(a.voices).toEqual(assignVoices(['Misaki', 'Kenji'], espeak));
    expect(a.cast.entries.map((e) => [e.speaker, e.voice, e.addedBy])).toEqual([['Misaki', 'en', 'ep1.en'], ['Kenji', 'en+f2', 'ep1.en']]);
    expect(a.added).toEqual(['Misaki', 'Kenji']);
  });

  it('episode 2 keeps episode 1’s voices whatever order the speakers come in; a new speaker gets a voice nobody has', () => {
    const ep1 = castVoices(EMPTY_CAST, ['Misaki', 'Kenji'], espeak).cast;
    const ep2 = castVoices(ep1, ['Kenji', 'Yui', 'Misaki'], espeak);
    expect(ep2.voices).toEqual([{ speaker: 'Kenji', voice: 'en+f2' }, { speaker: 'Yui', voice: 'en+m3' }, { speaker: 'Misaki', voice: 'en' }]);
    expect(ep2.known).toEqual(['Kenji', 'Misaki']);
    expect(ep2.added).toEqual(['Yui']);
    expect(new Set(ep2.cast.entries.map(voiceKey)).size).toBe(3);
  });

  it('a voice set with `cast set` is never handed to a new speaker', () => {
    const cast = setCastVoice(castVoices(EMPTY_CAST, ['Misaki'], espeak).cast, { speaker: 'Kenji', engine: 'espeak-ng', voice: 'en+f2' });
    expect(castVoices(cast, ['Yui'], espeak).voices).toEqual([{ speaker: 'Yui', voice: 'en+m3' }]);
  });

  it('one-voice engines tell speakers apart by pitch, and the pitch is kept across episodes', () => {
    const ep1 = castVoices(EMPTY_CAST, ['A', 'B'], festival).cast;
    const ep2 = castVoices(ep1, ['B', 'C'], festival);
    expect(ep2.voices).toEqual([{ speaker: 'B', voice: festival.baseVoice, pitch: 0.8 }, { speaker: 'C', voice: festival.baseVoice, pitch: 1.22 }]);
  });

  it('an explicit tts.speakerVoices choice for a known speaker applies to this episode only; for a new one it joins the cast', () => {
    const ep1 = castVoices(EMPTY_CAST, ['A'], espeak).cast;
    const ep2 = castVoices(ep1, ['A', 'B'], { ...espeak, speakerVoices: { A: 'en+m7', B: 'en+f5' } });
    expect(ep2.voices).toEqual([{ speaker: 'A', voice: 'en+m7' }, { speaker: 'B', voice: 'en+f5' }]);
    expect(ep2.cast.entries.map((e) => e.voice)).toEqual(['en', 'en+f5']);
  });

  it('speakers of another engine are another cast: their voices do not block these', () => {
    const cast = castVoices(EMPTY_CAST, ['A', 'B'], festival).cast;
    expect(castVoices(cast, ['A'], espeak).voices).toEqual([{ speaker: 'A', voice: 'en' }]);
  });

  it('when every automatic voice is taken, a new speaker shares one and the note says so', () => {
    const many = Array.from({ length: voiceCandidates(espeak).length }, (_, i) => `S${i}`);
    const full = castVoices(EMPTY_CAST, many, espeak).cast;
    const next = castVoices(full, ['Extra'], espeak);
    expect(next.voices[0].voice).toBeDefined();
    expect(next.note).toMatch(/espeak-ng has 13 distinct voices; 1 new speaker\(s\) share one/);
  });

  it('xtts: each new speaker gets a reference clip name of their own in the series folder', () => {
    const a = castVoices(EMPTY_CAST, ['Mio Akiyama', 'Mio_Akiyama'], { ...espeak, engine: 'xtts' });
    expect(a.voices).toEqual([{ speaker: 'Mio Akiyama', reference: 'voices/Mio_Akiyama.wav' }, { speaker: 'Mio_Akiyama', reference: 'voices/Mio_Akiyama-2.wav' }]);
    expect(a.cast.entries.map((e) => e.reference)).toEqual(['voices/Mio_Akiyama.wav', 'voices/Mio_Akiyama-2.wav']);
  });

  it('a cast given with the job (--cast) sets its voices over the series’ own', () => {
    const series = castVoices(EMPTY_CAST, ['A', 'B'], espeak).cast;
    const merged = mergeCasts(series, { version: 1, entries: [{ speaker: 'B', engine: 'espeak-ng', voice: 'en+m7' }] });
    expect(merged.entries.map((e) => e.voice)).toEqual(['en', 'en+m7']);
    expect(castTable(merged)).toMatch(/^speaker\s+engine\s+voice/);
  });
});

describe('series options (job input is untrusted)', () => {
  const parse = (series: unknown) => jobOptionsSchema.safeParse({ video: 'a.mp4', series });
  it('a series name is one folder name: no path, no .., no leading dot', () => {
    expect(parse({ name: 'Kinmoza-S1' }).success).toBe(true);
    for (const bad of ['../etc', 'a/b', '/abs', '.hidden', '..', 'a\\b']) expect(parse({ name: bad }).success).toBe(false);
  });
  it('a cast sent with a job carries no reference clips (those stay in a series folder)', () => {
    expect(parse({ cast: { version: 1, entries: [{ speaker: 'A', engine: 'xtts', reference: 'voices/A.wav' }] } }).success).toBe(false);
    expect(parse({ cast: { version: 1, entries: [{ speaker: 'A', engine: 'espeak-ng', voice: 'en+f2' }] } }).success).toBe(true);
  });
  it('a cast with one speaker twice for one engine is refused; an empty series is refused', () => {
    const twice = { version: 1, entries: [{ speaker: 'A', engine: 'espeak-ng', voice: 'en' }, { speaker: 'A', engine: 'espeak-ng', voice: 'en+f2' }] };
    expect(parse({ cast: twice }).success).toBe(false);
    expect(parse({}).success).toBe(false);
  });
  it('the series is part of a job’s id: the same episode with and without it (or in two series) are two jobs', () => {
    const id = (series?: unknown) => jobIdFor(jobOptionsSchema.parse({ video: '/v/ep1.mkv', ...(series ? { series } : {}) }), '/out');
    expect(new Set([id(), id({ name: 'A' }), id({ name: 'B' })]).size).toBe(3);
    expect(id({ name: 'A' })).toBe(id({ name: 'A' }));
  });
  it('without --series the options carry no series key (job ids and histories of such jobs are unchanged)', () => {
    expect('series' in jobOptionsSchema.parse({ video: 'a.mp4' })).toBe(false);
  });
});

describe('the series folder and its lock', () => {
  const tmp = () => mkdtemp(path.join(os.tmpdir(), 'anime-dub-cast-unit-'));

  it('ten updates at once, each adding speakers in its own order, agree on one voice per speaker', async () => {
    const dir = await seriesFolder(await tmp(), 'Race');
    const orders = Array.from({ length: 10 }, (_, i) => (i % 2 ? ['Aoi', 'Ren', `Guest${i}`] : [`Guest${i}`, 'Ren', 'Aoi']));
    const results = await Promise.all(orders.map((speakers) => updateCast(dir, { owner: 'test' }, (cast) => {
      const a = castVoices(cast, speakers, espeak);
      return { cast: a.cast, result: a.voices };
    })));
    const final = await readCast(dir);
    expect(final.entries).toHaveLength(12);
    expect(new Set(final.entries.map(voiceKey)).size).toBe(12);
    for (const voices of results) {
      for (const v of voices) expect(v.voice).toBe(final.entries.find((e) => e.speaker === v.speaker)!.voice);
    }
  });

  it('a lock left by a dead holder is taken over once it is stale; a live one is waited for', async () => {
    const dir = await seriesFolder(await tmp(), 'Stale');
    const lock = path.join(dir, '.cast.lock');
    await mkdir(lock); // what a holder killed mid-update leaves: the lock folder, no longer refreshed
    const old = new Date(Date.now() - 10 * 60_000);
    await utimes(lock, old, old);
    expect(await withCastLock(dir, { owner: 'me' }, async () => 'ran')).toBe('ran');
    // A live holder: its lock is refreshed while it works, so a waiter times out naming it.
    let releaseBusy!: () => void;
    const busy = withCastLock(dir, { owner: 'busy-episode' }, () => new Promise<string>((r) => { releaseBusy = () => r('busy done'); }));
    await new Promise((r) => setTimeout(r, 100));
    await expect(withCastLock(dir, { owner: 'me', timeoutMs: 300 }, async () => 'ran')).rejects.toThrow(/stayed locked by busy-episode/);
    releaseBusy();
    expect(await busy).toBe('busy done');
    expect(await withCastLock(dir, { owner: 'me' }, async () => 'ran again')).toBe('ran again');
  });

  it('the series folder is never reached through a link, and a broken cast.json is an error that names the file', async () => {
    const root = await tmp();
    await mkdir(path.join(root, 'series'));
    await symlink(os.tmpdir(), path.join(root, 'series', 'Linked'));
    await expect(seriesFolder(root, 'Linked')).rejects.toThrow(/link or a file/);
    await expect(seriesFolder(root, '../x')).rejects.toThrow(/one folder name/);
    const dir = await seriesFolder(root, 'Broken');
    await writeFile(path.join(dir, 'cast.json'), '{"version":1,"entries":[{"speaker":"A"}]}');
    await expect(readCast(dir)).rejects.toThrow(/cast\.json: entries\.0\.engine/);
    expect(JSON.parse(await readFile(path.join(dir, 'cast.json'), 'utf8')).version).toBe(1);
    // Nothing of the file is quoted back: its name and what to do are the message.
    await writeFile(path.join(dir, 'cast.json'), 'secret-token-123 {');
    const err = await readCast(dir).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/cast\.json is not JSON; fix or remove it/);
    expect((err as Error).message).not.toContain('secret-token-123');
    await writeFile(path.join(dir, 'cast.json'), '{"version":1,"entries":[{"speaker":"A","engine":"secret-engine-456","voice":"v"}]}');
    const bad = await readCast(dir).catch((e: Error) => e);
    expect((bad as Error).message).toMatch(/entries\.0\.engine/);
    expect((bad as Error).message).not.toContain('secret-engine-456');
  });
});

describe('a cast with streaming', () => {
  it('is refused up front (typed, final), not silently ignored', async () => {
    const { prepareJob } = await import('../../activities/prepareJob.js');
    for (const series of [{ name: 'Show' }, { cast: { version: 1, entries: [] } }]) {
      const err = await prepareJob({ video: '/nowhere/ep01.mkv', stream: { enabled: true }, series }).catch((e: unknown) => e as { type?: string; nonRetryable?: boolean; message: string });
      expect(err).toMatchObject({ type: 'InvalidConfig', nonRetryable: true });
      expect((err as Error).message).toMatch(/(--series|--cast) is not supported with --stream yet/);
    }
  });
});
