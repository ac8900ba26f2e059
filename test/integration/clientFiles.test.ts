// Issue 27 (points 2 and 10), through the real CLI: what the client writes into folders it did not make never
// follows a planted link; names from files and jobs reach the terminal escaped; a --cast file's content never
// comes back in an error.
import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { lstat, mkdir, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT, TEST_ADDRESS } from '../support/env.js';
import { tempDir } from '../support/jobs.js';
import { withWorker } from '../support/workers.js';

const CLI = path.join(PROJECT_ROOT, 'dist', 'client', 'cli.js');
const anime = (args: string[], env: Record<string, string> = {}, cwd?: string) =>
  execa(process.execPath, [CLI, ...args], { env: { ...env, CI: '1' }, reject: false, cwd, timeout: 170_000 });

const VICTIM_TEXT = '# the user\'s own file: must stay as it is\nexport PATH=$HOME/bin:$PATH\n';

/**
 * A finished job's folder as `review` reads it (job.json, translated.json, report.json), made by hand the way
 * someone could hand one over, and a victim file outside it (the user's ~/.bashrc).
 */
async function reviewFolder(prefix: string): Promise<{ base: string; dir: string; victim: string }> {
  const base = await tempDir(prefix);
  const dir = path.join(base, 'episode.es');
  await mkdir(dir);
  await mkdir(path.join(base, 'home'));
  const victim = path.join(base, 'home', '.bashrc');
  await writeFile(victim, VICTIM_TEXT);
  await writeFile(path.join(dir, 'job.json'), JSON.stringify({ video: path.join(base, 'episode.mkv'), src: 'en', tgt: 'es' }));
  await writeFile(path.join(dir, 'translated.json'), JSON.stringify({
    lines: [
      { index: 0, start: 0.5, end: 2, text: 'Hello there.', target: 'Hola.', speaker: 'Ann' },
      { index: 1, start: 2.5, end: 4, text: 'Where is the station?', target: '¿Dónde está la estación?', speaker: 'Bob' },
    ],
  }));
  await writeFile(path.join(dir, 'report.json'), JSON.stringify({ lines: [{ index: 0, status: 'fits' }, { index: 1, status: 'fits' }] }));
  return { base, dir, victim };
}

/** The names the review command used (or might use) as its temporary file, planted as links to the victim. */
async function plantLinks(dir: string, victim: string): Promise<string[]> {
  const names = ['review.json.part', 'review.json.tmp', '.review.json.tmp', 'review.json.new'];
  for (const n of names) await symlink(victim, path.join(dir, n));
  return names;
}

describe('review writes into the job folder without following links', () => {
  it('edit, lock, retime and voice with review.json.part (and other temp names) planted as links to ~/.bashrc: the victim is untouched, review.json gets each change', async () => {
    const { dir, victim } = await reviewFolder('clientfiles-review');
    const planted = await plantLinks(dir, victim);
    const steps: [string[], (edits: Record<string, Record<string, unknown>>) => void][] = [
      [['edit', '1', '--text', 'Perdón, ¿la estación?'], (e) => expect(e['1'].text).toBe('Perdón, ¿la estación?')],
      [['lock', '0'], (e) => expect(e['0']).toMatchObject({ locked: true, text: 'Hola.' })],
      [['retime', '1', '--start', '2.4', '--end', '4.2'], (e) => expect(e['1']).toMatchObject({ start: 2.4, end: 4.2 })],
      [['voice', '1', '--speaker', 'Carol'], (e) => expect(e['1'].speaker).toBe('Carol')],
    ];
    for (const [args, check] of steps) {
      const r = await anime(['review', dir, ...args]);
      expect({ args, stderr: r.stderr, exit: r.exitCode }).toEqual({ args, stderr: '', exit: 0 });
      expect(await readFile(victim, 'utf8')).toBe(VICTIM_TEXT);
      const st = await lstat(path.join(dir, 'review.json'));
      expect(st.isFile()).toBe(true); // a file of its own, not a link put in place by a rename
      check(JSON.parse(await readFile(path.join(dir, 'review.json'), 'utf8')).edits);
    }
    // The planted links are left as they were (not followed, not renamed into place) and no temp file stays.
    for (const n of planted) expect(await readlink(path.join(dir, n))).toBe(victim);
    expect((await readdir(dir)).sort()).toEqual([...planted, 'job.json', 'report.json', 'review.json', 'translated.json'].sort());
    // Every edit is there together, and the table shows them.
    const list = await anime(['review', dir]);
    expect(list.exitCode).toBe(0);
    expect(list.stdout).toMatch(/1 .*Carol .*edited .*\n.*→ Perdón, ¿la estación\?/);
  });

  it('a review.json that is a link is refused (not followed, not replaced), and so is a folder that is a link', async () => {
    const { base, dir, victim } = await reviewFolder('clientfiles-reviewlink');
    await symlink(victim, path.join(dir, 'review.json'));
    const r = await anime(['review', dir, 'edit', '0', '--text', 'pwned']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain(`${path.join(dir, 'review.json')} is a symbolic link: refusing to follow or replace it`);
    expect(await readFile(victim, 'utf8')).toBe(VICTIM_TEXT);
    expect(await readlink(path.join(dir, 'review.json'))).toBe(victim);

    // The folder handed over is itself a link to somewhere else: nothing is written there.
    const other = await reviewFolder('clientfiles-reviewelsewhere');
    const link = path.join(base, 'linked.es');
    await symlink(other.dir, link);
    const viaLink = await anime(['review', link, 'edit', '0', '--text', 'pwned']);
    expect(viaLink.exitCode).not.toBe(0);
    expect(viaLink.stderr).toContain(`${link} is a symbolic link`);
    expect((await readdir(other.dir)).sort()).toEqual(['job.json', 'report.json', 'translated.json']);
  });

  it('a job folder file that is not JSON is named with its line and column, never quoted (a link there is refused)', async () => {
    const { dir, victim } = await reviewFolder('clientfiles-reviewjson');
    await writeFile(path.join(dir, 'translated.json'), 'CANARY-71 {"lines": []}');
    const r = await anime(['review', dir]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain(`${path.join(dir, 'translated.json')} is not JSON: line 1, column 1: expected a value`);
    expect(r.stderr + r.stdout).not.toContain('CANARY');

    // translated.json as a link to a file of secrets: not read at all.
    await writeFile(victim, 'CANARY-72=hunter2\n');
    await rm(path.join(dir, 'translated.json'));
    await symlink(victim, path.join(dir, 'translated.json'));
    const linked = await anime(['review', dir]);
    expect(linked.exitCode).not.toBe(0);
    expect(linked.stderr).toContain(`${path.join(dir, 'translated.json')} is a symbolic link`);
    expect(linked.stderr + linked.stdout).not.toContain('CANARY');
  });
});

describe('cast writes into the series folder without following links', () => {
  it('`cast set SPEAKER clip.wav --engine xtts` with voices/<name>.wav.tmp planted as a link: the victim is untouched, the clip is copied in', async () => {
    const base = await tempDir('clientfiles-cast');
    const output = path.join(base, 'Output');
    const series = path.join(output, 'series', 'Kinmoza');
    await mkdir(path.join(series, 'voices'), { recursive: true });
    await mkdir(path.join(base, 'home'));
    const victim = path.join(base, 'home', '.bashrc');
    await writeFile(victim, VICTIM_TEXT);
    for (const n of ['Alice.wav.tmp', 'Alice.wav.part']) await symlink(victim, path.join(series, 'voices', n));
    const clip = path.join(base, 'alice-clip.wav');
    await writeFile(clip, 'RIFF-not-really-a-wav-but-a-clip');
    const r = await anime(['cast', 'set', 'Alice', clip, '--engine', 'xtts', '--series', 'Kinmoza', '--output', output]);
    expect({ stderr: r.stderr, exit: r.exitCode }).toEqual({ stderr: '', exit: 0 });
    expect(await readFile(victim, 'utf8')).toBe(VICTIM_TEXT);
    expect((await lstat(path.join(series, 'voices', 'Alice.wav'))).isFile()).toBe(true);
    expect(await readFile(path.join(series, 'voices', 'Alice.wav'), 'utf8')).toBe('RIFF-not-really-a-wav-but-a-clip');
    const cast = JSON.parse(await readFile(path.join(series, 'cast.json'), 'utf8'));
    expect(cast.entries).toEqual([expect.objectContaining({ speaker: 'Alice', engine: 'xtts', reference: 'voices/Alice.wav' })]);
    expect((await readdir(path.join(series, 'voices'))).sort()).toEqual(['Alice.wav', 'Alice.wav.part', 'Alice.wav.tmp']);

    // voices/ itself a link out of the series folder: refused, nothing written where it points.
    const elsewhere = path.join(base, 'elsewhere');
    await mkdir(elsewhere);
    const other = path.join(output, 'series', 'Other');
    await mkdir(other, { recursive: true });
    await symlink(elsewhere, path.join(other, 'voices'));
    const viaLink = await anime(['cast', 'set', 'Alice', clip, '--engine', 'xtts', '--series', 'Other', '--output', output]);
    expect(viaLink.exitCode).not.toBe(0);
    expect(viaLink.stderr).toContain(`${path.join(other, 'voices')} is a symbolic link`);
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it('`cast audition` with its old work names planted as links next to the clip: the engines never write through them', async () => {
    const base = await tempDir('clientfiles-audition');
    const output = path.join(base, 'Output');
    const series = path.join(output, 'series', 'Kinmoza');
    await mkdir(path.join(series, 'auditions'), { recursive: true });
    await mkdir(path.join(base, 'home'));
    const victim = path.join(base, 'home', '.bashrc');
    await writeFile(victim, VICTIM_TEXT);
    await writeFile(path.join(series, 'cast.json'), JSON.stringify({ version: 1, entries: [{ speaker: 'Alice', engine: 'espeak-ng', voice: 'en' }] }));
    const out = path.join(series, 'auditions', 'Alice.espeak-ng.wav');
    for (const n of [`${out}.raw.wav`, `${out}.norm.wav`]) await symlink(victim, n);
    const r = await anime(['cast', 'audition', 'Alice', '--series', 'Kinmoza', '--output', output, '--text', 'Hello.']);
    expect({ stderr: r.stderr, exit: r.exitCode }).toEqual({ stderr: '', exit: 0 });
    expect(r.stdout.trim()).toBe(out);
    expect(await readFile(victim, 'utf8')).toBe(VICTIM_TEXT);
    const st = await lstat(out);
    expect(st.isFile() && st.size > 1000).toBe(true);
    expect((await readdir(path.join(series, 'auditions'))).sort()).toEqual(['Alice.espeak-ng.wav', 'Alice.espeak-ng.wav.norm.wav', 'Alice.espeak-ng.wav.raw.wav']);

    // The clip's own name a link: refused, not followed.
    await rm(out);
    await symlink(victim, out);
    const refused = await anime(['cast', 'audition', 'Alice', '--series', 'Kinmoza', '--output', output, '--text', 'Hello.']);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain(`${out} is a symbolic link`);
    expect(await readFile(victim, 'utf8')).toBe(VICTIM_TEXT);
  });
});

describe('`run --cast FILE` errors name the file, line or key and what was expected, never a value from it', () => {
  const runWithCast = async (content: string) => {
    const dir = await tempDir('clientfiles-castfile');
    const file = path.join(dir, 'cast.json');
    await writeFile(file, content);
    return { file, r: await anime(['run', path.join(dir, 'episode.mkv'), '--cast', file], { TEMPORAL_ADDRESS: TEST_ADDRESS }) };
  };

  it('not JSON: the line and column and what JSON allows there', async () => {
    const first = await runWithCast('CANARY-SECRET-1 {"version": 1}');
    expect(first.r.exitCode).toBe(2);
    expect(first.r.stderr).toContain(`--cast ${first.file} is not JSON: line 1, column 1: expected a value`);
    expect(first.r.stderr + first.r.stdout).not.toContain('CANARY');

    const third = await runWithCast('{\n  "version": 1,\n  "entries": [ CANARY-SECRET-2 ]\n}\n');
    expect(third.r.exitCode).toBe(2);
    expect(third.r.stderr).toContain('is not JSON: line 3, column 16: expected a value');
    expect(third.r.stderr + third.r.stdout).not.toContain('CANARY');

    const key = await runWithCast('{"version": 1, "entries": [{"speaker": "A", "engine": "espeak-ng" "CANARY-SECRET-3": 1}]}');
    expect(key.r.stderr).toMatch(/line 1, column \d+: expected "," or "}"/);
    expect(key.r.stderr + key.r.stdout).not.toContain('CANARY');
  });

  it('a bad value: the key and the rule, not the value', async () => {
    const engine = await runWithCast(JSON.stringify({ version: 1, entries: [{ speaker: 'A', engine: 'sk-CANARY-SECRET-4', voice: 'en' }] }));
    expect(engine.r.exitCode).toBe(2);
    expect(engine.r.stderr).toMatch(/entries\.0\.engine: .*espeak-ng/);
    expect(engine.r.stderr + engine.r.stdout).not.toContain('CANARY');

    const voice = await runWithCast(JSON.stringify({ version: 1, entries: [{ speaker: 'A', engine: 'espeak-ng', voice: 'password=CANARY SECRET 5' }] }));
    expect(voice.r.stderr).toMatch(/entries\.0\.voice: a voice name or model path/);
    expect(voice.r.stderr + voice.r.stdout).not.toContain('CANARY');

    const version = await runWithCast(JSON.stringify({ version: 'CANARY-SECRET-6', entries: [] }));
    expect(version.r.stderr).toMatch(/--cast .*: version: /);
    expect(version.r.stderr + version.r.stdout).not.toContain('CANARY');

    // The schema's duplicate rule would name the speaker: the two entries are named instead.
    const twice = await runWithCast(JSON.stringify({ version: 1, entries: [{ speaker: 'CANARY-SECRET-7', engine: 'espeak-ng', voice: 'en' }, { speaker: 'CANARY-SECRET-7', engine: 'espeak-ng', voice: 'en+f3' }] }));
    expect(twice.r.exitCode).toBe(2);
    expect(twice.r.stderr).toContain('entries.1: the same speaker and engine as entries.0; keep one');
    expect(twice.r.stderr + twice.r.stdout).not.toContain('CANARY');
  });
});

describe('`run` prints names from files with control characters made visible (real dev server and worker)', () => {
  const queues = withWorker('clientfiles');
  const env = { TEMPORAL_ADDRESS: TEST_ADDRESS, DUB_QUEUE_WORKFLOWS: queues.workflows, DUB_QUEUE_CPU: queues.cpu, DUB_QUEUE_GPU: queues.gpu, ANIME_DUB_OUTPUT_DIR: os.tmpdir() };

  it('several files, one named with an OSC title escape and one with a clear-screen: every line shows them as \\x1b… text', async () => {
    const dir = await tempDir('clientfiles-run');
    const inputs = path.join(dir, 'in');
    await mkdir(inputs);
    const names = ['a\x1b]0;pwned\x07.mp4', 'b\x1b[2J.mp4'];
    for (const n of names) await writeFile(path.join(inputs, n), 'not a video');
    const r = await anime(['run', inputs, '--src', 'en', '--tgt', 'es', '--tts', 'espeak-ng', '--set', 'tts.diarize=off', '--output', path.join(dir, 'out'), '--new'], env);
    const all = r.stdout + r.stderr;
    expect(r.exitCode).toBe(1); // neither is a video: both fail, the table says so
    expect(all).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(r.stderr).toContain(`for ${path.join(inputs, 'a\\x1b]0;pwned\\x07.mp4')}`);
    expect(r.stderr).toContain(`for ${path.join(inputs, 'b\\x1b[2J.mp4')}`);
    expect(r.stdout).toContain('a\\x1b]0;pwned\\x07.mp4');
    expect(r.stdout).toContain('b\\x1b[2J.mp4');
    expect(r.stdout).toMatch(/0 of 2 dubbed, 2 failed/);
  }, 120_000);
});
