// One cast for a whole season, through real dub jobs (espeak-ng, ASS speaker names, identity translation) on a
// real dev server and worker, and the real `anime-dub cast` CLI: episodes share their speakers' voices (voices.json
// and the pitch of the synthesized audio), new speakers get voices nobody has, `cast set` changes the next
// render, `cast audition` speaks one line, and two episodes dubbed at once agree.
import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Cast } from '../../config/schema.js';
import { measureClipFeatures } from '../../engines/prosodyFeatures.js';
import type { DubJobResult } from '../../lib/job.js';
import type { VoicePlan } from '../../lib/voices.js';
import { dialogueClip } from '../fixtures/media.js';
import { PROJECT_ROOT, TEST_ADDRESS } from '../support/env.js';
import { jobInput, startJob, tempDir } from '../support/jobs.js';
import { withWorker } from '../support/workers.js';

const CLI = path.join(PROJECT_ROOT, 'dist', 'client', 'cli.js');
const STANDINS = path.join(PROJECT_ROOT, 'test', 'fixtures', 'standins');
/** Coqui's TTS module as a stand-in (its weights cannot be installed here), for the worker and the CLI alike. */
const XTTS_STANDIN_ENV = { PATH: `${STANDINS}${path.delimiter}${process.env.PATH}`, PYTHONPATH: path.join(STANDINS, 'coqui'), COQUI_TOS_AGREED: '1' };
const cli = (args: string[], env: Record<string, string> = {}) => execa(process.execPath, [CLI, ...args], { env: { ...process.env, CI: '1', ...env }, reject: false, timeout: 150_000 });

const assTime = (s: number) => {
  const cs = Math.round(s * 100);
  return `${Math.floor(cs / 360000)}:${String(Math.floor(cs / 6000) % 60).padStart(2, '0')}:${String(Math.floor(cs / 100) % 60).padStart(2, '0')}.${String(cs % 100).padStart(2, '0')}`;
};

/** An ASS script of the dialogue clip's lines, each spoken by the named speaker (the Name field). */
async function writeAss(file: string, speakers: string[]): Promise<string> {
  const clip = await dialogueClip();
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, [
    '[Script Info]', 'ScriptType: v4.00+', '',
    '[V4+ Styles]',
    'Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding',
    'Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,2,2,10,10,10,1', '',
    '[Events]', 'Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text',
    ...speakers.map((who, i) => `Dialogue: 0,${assTime(clip.script[i].start)},${assTime(clip.script[i].end)},Default,${who},0,0,0,,${clip.script[i].text}`),
    '',
  ].join('\n'));
  return file;
}

const EP1 = ['Misaki', 'Kenji', 'Misaki', 'Kenji', 'Misaki', 'Kenji'];
// Kenji speaks first here: without the cast he would get the job's first voice (Misaki's).
const EP2 = ['Kenji', 'Yui', 'Misaki', 'Kenji', 'Yui', 'Misaki'];

const plan = async (r: DubJobResult) => JSON.parse(await readFile(path.join(r.outputDir, 'voices', 'voices.json'), 'utf8')) as VoicePlan;
const voiceOf = (p: VoicePlan, speaker: string) => p.speakers.find((s) => s.speaker === speaker)?.voice;
const readCastJson = async (dir: string, series: string) => JSON.parse(await readFile(path.join(dir, 'series', series, 'cast.json'), 'utf8')) as Cast;

/** The median pitch (Hz) of a speaker's synthesized lines in a job (tts/NNNN.wav, before the mix). */
async function speakerPitch(r: DubJobResult, speakers: string[], who: string): Promise<number> {
  const f0 = [];
  for (const [i, s] of speakers.entries()) {
    if (s !== who) continue;
    const { f0MedianHz } = await measureClipFeatures(path.join(r.outputDir, 'tts', `${String(i).padStart(4, '0')}.wav`));
    if (f0MedianHz) f0.push(f0MedianHz);
  }
  expect(f0.length).toBeGreaterThan(0);
  return f0.sort((a, b) => a - b)[Math.floor(f0.length / 2)];
}

interface Command { argv: string[] }
/** The espeak-ng voice each line was spoken with in this job's runs (tmp/commands.jsonl), by line index. */
async function espeakVoices(r: DubJobResult): Promise<Map<number, string>> {
  const log = (await readFile(path.join(r.outputDir, 'tmp', 'commands.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Command);
  const out = new Map<number, string>();
  for (const c of log.filter((c) => c.argv[0] === 'espeak-ng')) {
    const line = /(\d{4})\.raw\.wav$/.exec(c.argv[c.argv.indexOf('-w') + 1])?.[1];
    if (line) out.set(Number(line), c.argv[c.argv.indexOf('-v') + 1]);
  }
  return out;
}

describe('one cast for a whole season (espeak-ng, ASS speakers, real dev server and worker, real CLI)', () => {
  const queues = withWorker('seriescast', { prepare: () => dialogueClip(), env: XTTS_STANDIN_ENV });

  /** An episode: its own copy of the clip (so its own output folder), its ASS speakers, the shared series. */
  const episode = async (dir: string, name: string, speakers: string[], series: string, engine: 'espeak-ng' | 'xtts' = 'espeak-ng') => {
    const clip = await dialogueClip();
    const video = path.join(dir, 'in', `${name}.mp4`);
    await mkdir(path.dirname(video), { recursive: true });
    await copyFile(clip.video, video);
    const subs = await writeAss(path.join(dir, 'in', `${name}.ass`), speakers);
    return jobInput(video, queues, path.join(dir, 'out'), { subs, translate: false, tts: { engine }, series: { name: series } });
  };

  let season: { dir: string; ep1: DubJobResult; ep2: DubJobResult } | undefined;

  it('episode 2 gives Misaki and Kenji episode 1’s voices (voices.json and the pitch of their lines), and its new speaker Yui a voice nobody has', async () => {
    const dir = await tempDir('series');
    const ep1: DubJobResult = await (await startJob(await episode(dir, 'ep1', EP1, 'Season'), queues)).result();
    const ep2: DubJobResult = await (await startJob(await episode(dir, 'ep2', EP2, 'Season'), queues)).result();
    season = { dir, ep1, ep2 };
    const [p1, p2] = [await plan(ep1), await plan(ep2)];
    expect(p1.speakers).toEqual([{ speaker: 'Misaki', voice: 'en' }, { speaker: 'Kenji', voice: 'en+f2' }]);
    expect(p2.speakers).toEqual([{ speaker: 'Kenji', voice: 'en+f2' }, { speaker: 'Yui', voice: 'en+m3' }, { speaker: 'Misaki', voice: 'en' }]);
    expect(p2.cast).toEqual({ series: 'Season', folder: 'series/Season', known: ['Kenji', 'Misaki'], added: ['Yui'] });
    const cast = await readCastJson(path.join(dir, 'out'), 'Season');
    expect(cast.entries.map((e) => [e.speaker, e.voice, e.addedBy])).toEqual([['Misaki', 'en', 'ep1.en'], ['Kenji', 'en+f2', 'ep1.en'], ['Yui', 'en+m3', 'ep2.en']]);

    // What one hears: each speaker's lines have the same pitch in both episodes, and the speakers differ.
    for (const who of ['Misaki', 'Kenji']) {
      const [a, b] = [await speakerPitch(ep1, EP1, who), await speakerPitch(ep2, EP2, who)];
      expect(Math.abs(a - b) / a).toBeLessThan(0.1);
    }
    const kenji = await speakerPitch(ep2, EP2, 'Kenji');
    const misaki = await speakerPitch(ep2, EP2, 'Misaki');
    expect(Math.abs(kenji - misaki) / misaki).toBeGreaterThan(0.15);
    const yui = await speakerPitch(ep2, EP2, 'Yui');
    expect(Math.abs(yui - kenji) / kenji).toBeGreaterThan(0.05);
  }, 300_000);

  it('`anime-dub cast set` changes the next render (only that speaker’s lines are spoken again); `cast audition` speaks one line in a voice', async () => {
    expect(season).toBeDefined();
    const { dir, ep2 } = season!;
    const out = path.join(dir, 'out');
    const list = await cli(['cast', 'list', '--series', 'Season', '--output', out]);
    expect(list.exitCode).toBe(0);
    expect(list.stdout).toMatch(/Kenji\s+espeak-ng\s+en\+f2/);

    const before = await speakerPitch(ep2, EP2, 'Kenji'); // the files are replaced by the next render
    const yui = await speakerPitch(ep2, EP2, 'Yui');
    const set = await cli(['cast', 'set', 'Kenji', 'en+m7', '--series', 'Season', '--output', out]);
    expect(set.stderr).toBe('');
    expect(set.exitCode).toBe(0);
    const again: DubJobResult = await (await startJob(await episode(dir, 'ep2', EP2, 'Season'), queues)).result();
    expect(again.outputDir).toBe(ep2.outputDir);
    expect(voiceOf(await plan(again), 'Kenji')).toBe('en+m7');
    expect(again.resynthesized).toBe(EP2.filter((s) => s === 'Kenji').length);
    const spoken = await espeakVoices(again);
    expect(EP2.flatMap((s, i) => (s === 'Kenji' ? [spoken.get(i)] : []))).toEqual(['en+m7', 'en+m7']);
    const after = await speakerPitch(again, EP2, 'Kenji');
    expect(after).toBeLessThan(before * 0.85); // en+m7 is a man's voice, en+f2 a woman's

    const audition = await cli(['cast', 'audition', 'Yui', '--series', 'Season', '--output', out, '--text', 'I am Yui, nice to meet you.']);
    expect(audition.exitCode).toBe(0);
    const wav = audition.stdout.trim();
    expect(wav).toBe(path.join(out, 'series', 'Season', 'auditions', 'Yui.espeak-ng.wav'));
    const heard = await measureClipFeatures(wav);
    expect(heard.f0MedianHz).not.toBeNull();
    expect(Math.abs(heard.f0MedianHz! - yui) / yui).toBeLessThan(0.15);

    const refused = await cli(['cast', 'set', 'Kenji', 'en', '--series', '../elsewhere', '--output', out]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/one folder name/);
  }, 300_000);

  it('two episodes started at once, their speakers in opposite orders, agree on one voice per speaker', async () => {
    const dir = await tempDir('series-together');
    const [a, b] = await Promise.all([
      episode(dir, 'epA', ['Aoi', 'Ren', 'Aoi', 'Ren', 'Aoi', 'Ren'], 'Together'),
      episode(dir, 'epB', ['Ren', 'Aoi', 'Ren', 'Aoi', 'Ren', 'Aoi'], 'Together'),
    ]);
    const [ra, rb]: DubJobResult[] = await Promise.all([startJob(a, queues), startJob(b, queues)].map(async (h) => (await h).result()));
    const [pa, pb] = [await plan(ra), await plan(rb)];
    for (const who of ['Aoi', 'Ren']) expect(voiceOf(pa, who)).toBe(voiceOf(pb, who));
    expect(voiceOf(pa, 'Aoi')).not.toBe(voiceOf(pa, 'Ren'));
    const cast = await readCastJson(path.join(dir, 'out'), 'Together');
    expect(cast.entries.map((e) => e.speaker).sort()).toEqual(['Aoi', 'Ren']);
    expect([...pa.cast!.added, ...pb.cast!.added].sort()).toEqual(['Aoi', 'Ren']);
  }, 300_000);

  it('a cast sent with the job (what `run --cast FILE` sends) gives its speakers its voices, the others free ones, and writes no series folder', async () => {
    const dir = await tempDir('series-given');
    const input = await episode(dir, 'epC', ['Aoi', 'Ren', 'Aoi', 'Ren', 'Aoi', 'Ren'], 'unused');
    input.series = { cast: { version: 1, entries: [{ speaker: 'Aoi', engine: 'espeak-ng', voice: 'en+f5' }, { speaker: 'Kei', engine: 'espeak-ng', voice: 'en' }] } };
    const r: DubJobResult = await (await startJob(input, queues)).result();
    const p = await plan(r);
    expect(p.speakers).toEqual([{ speaker: 'Aoi', voice: 'en+f5' }, { speaker: 'Ren', voice: 'en+f2' }]);
    expect(p.cast).toEqual({ known: ['Aoi'], added: ['Ren'] });
    await expect(readFile(path.join(dir, 'out', 'series', 'unused', 'cast.json'))).rejects.toThrow(/ENOENT/);
  }, 300_000);

  it('xtts (Coqui stand-in): a speaker’s reference clip is cut once, kept in the series folder, and cloned from in later episodes', async () => {
    const dir = await tempDir('series-xtts');
    const ep1: DubJobResult = await (await startJob(await episode(dir, 'ep1', EP1, 'Cloned', 'xtts'), queues)).result();
    const ep2: DubJobResult = await (await startJob(await episode(dir, 'ep2', EP2, 'Cloned', 'xtts'), queues)).result();
    const series = path.join(dir, 'out', 'series', 'Cloned');
    const cast = await readCastJson(path.join(dir, 'out'), 'Cloned');
    expect(cast.entries.map((e) => [e.speaker, e.engine, e.reference])).toEqual([
      ['Misaki', 'xtts', 'voices/Misaki.wav'], ['Kenji', 'xtts', 'voices/Kenji.wav'], ['Yui', 'xtts', 'voices/Yui.wav']]);
    const bytes = (f: string) => readFile(f).then((b) => b.toString('base64'));
    // Kenji speaks other lines in episode 2: his clip there is episode 1's (kept), not one cut from episode 2.
    for (const who of ['Misaki', 'Kenji']) {
      expect(await bytes(path.join(ep2.outputDir, 'voices', `${who}.wav`))).toBe(await bytes(path.join(ep1.outputDir, 'voices', `${who}.wav`)));
      expect(await bytes(path.join(series, 'voices', `${who}.wav`))).toBe(await bytes(path.join(ep1.outputDir, 'voices', `${who}.wav`)));
    }
    expect(await bytes(path.join(series, 'voices', 'Yui.wav'))).toBe(await bytes(path.join(ep2.outputDir, 'voices', 'Yui.wav')));
    const p2 = await plan(ep2);
    expect(p2.speakers).toEqual([{ speaker: 'Kenji', reference: 'voices/Kenji.wav' }, { speaker: 'Yui', reference: 'voices/Yui.wav' }, { speaker: 'Misaki', reference: 'voices/Misaki.wav' }]);
    expect((p2 as VoicePlan & { references: { speaker: string }[] }).references.map((r) => r.speaker)).toEqual(['Yui']); // only Yui's was cut

    const audition = await cli(['cast', 'audition', 'Kenji', '--series', 'Cloned', '--output', path.join(dir, 'out')], XTTS_STANDIN_ENV);
    expect(audition.stderr).toBe('');
    expect(audition.exitCode).toBe(0);
    expect((await measureClipFeatures(audition.stdout.trim())).rmsDb).toBeGreaterThan(-60);
  }, 300_000);

  it('`anime-dub run --series NAME --cast FILE` against a Temporal service: the CLI reads the file, the job sends its content, the series takes its voices', async () => {
    const dir = await tempDir('series-cli');
    const input = await episode(dir, 'epR', ['Aoi', 'Ren', 'Aoi', 'Ren', 'Aoi', 'Ren'], 'ByCli');
    const castFile = path.join(dir, 'in', 'cast.json');
    await writeFile(castFile, JSON.stringify({ version: 1, entries: [{ speaker: 'Ren', engine: 'espeak-ng', voice: 'en+m4' }] }));
    const env = { TEMPORAL_ADDRESS: TEST_ADDRESS, DUB_QUEUE_WORKFLOWS: queues.workflows, DUB_QUEUE_CPU: queues.cpu, DUB_QUEUE_GPU: queues.gpu, ANIME_DUB_OUTPUT_DIR: os.tmpdir() };
    const r = await cli(['run', input.video, '--subs', input.subs!, '--no-translate', '--tts', 'espeak-ng', '--src', 'en', '--series', 'ByCli', '--cast', castFile, '--output', path.join(dir, 'out')], env);
    expect(r.exitCode).toBe(0);
    const p = JSON.parse(await readFile(path.join(dir, 'out', 'epR.en', 'voices', 'voices.json'), 'utf8')) as VoicePlan;
    expect(p.speakers).toEqual([{ speaker: 'Aoi', voice: 'en' }, { speaker: 'Ren', voice: 'en+m4' }]);
    const cast = await readCastJson(path.join(dir, 'out'), 'ByCli');
    expect(cast.entries.map((e) => [e.speaker, e.voice])).toEqual([['Ren', 'en+m4'], ['Aoi', 'en']]);

    const missing = await cli(['run', input.video, '--cast', path.join(dir, 'nope.json'), '--output', path.join(dir, 'out')], env);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/--cast .*nope\.json: no such file/);
  }, 300_000);
});
