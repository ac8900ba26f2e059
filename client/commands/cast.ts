// `anime-dub cast`: a series' cast (README "One cast for a whole season"): list it, set a speaker's voice, hear
// one line in it. Works on the series folder directly (<output>/series/<name>/), like `review` on a job folder,
// and changes it under the same lock the episodes take.
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { z } from 'zod';
import { loadSettings, resolveJobOptions } from '../../config/load.js';
import { CAST_ENGINES, castEntrySchema, castSchema, describeIssues, seriesNameProblem, type Cast, type CastEntry } from '../../config/schema.js';
import { castReferenceFor, castTable, castEntry, setCastVoice } from '../../lib/cast.js';
import { referenceNames, type VoiceEngine } from '../../lib/voices.js';
import { voiceProblem } from '../../engines/ttsEngines.js';
import { copyFileNoFollow, parseJsonQuietly, privateWorkFolder, renameNoFollow, safeTarget } from '../safeWrite.js';
import { printable, printableLines } from '../terminalText.js';
import { fail } from './context.js';

/** The largest cast file `--cast` reads (a cast of 2,000 speakers is far below it). */
const MAX_CAST_FILE = 1_000_000;

/**
 * `--cast FILE`: read and checked on the caller's side, so the job carries the cast itself and never a path.
 * Reference clips stay behind (they live in a series folder); a warning says so.
 * Errors name the file, the line or key and what was expected, never a value from it: a wrong path could point
 * at a file of secrets (the parser's own message would quote a snippet; zod's checks would echo a value).
 */
export async function readCastFile(file: string): Promise<Cast> {
  const name = `--cast ${printable(file)}`;
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) throw new Error(`${name}: no such file`);
  if (st.size > MAX_CAST_FILE) throw new Error(`${name}: ${st.size} bytes; a cast file is at most ${MAX_CAST_FILE}`);
  const raw = parseJsonQuietly(await readFile(file, 'utf8'), name);
  const parsed = castSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${name}: ${castIssues(parsed.error, raw)}; expected a cast file (\`anime-dub cast list --json\`: {"version": 1, "entries": [{"speaker", "engine", "voice", …}]})`);
  const withClips = parsed.data.entries.filter((e) => e.reference);
  if (withClips.length) {
    process.stderr.write(`--cast: reference clips are not sent with a job (${withClips.map((e) => printable(e.speaker)).join(', ')}); keep them in a series folder with --series NAME\n`);
  }
  return { version: 1, entries: parsed.data.entries.map(({ reference: _, ...e }) => e) };
}

/**
 * The problems of a cast file by key and rule, with no value from it. The schema's one custom rule (two voices
 * for one speaker and engine) names the speaker in its message: here it names the two entries instead.
 */
function castIssues(error: z.ZodError, raw: unknown): string {
  const entries = (raw as { entries?: unknown[] } | null)?.entries;
  return error.issues.map((issue) => {
    const key = issue.path.length ? issue.path.map((k) => printable(String(k))).join('.') : '(top level)';
    if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => `${issue.path.length ? `${key}.` : ''}${printable(k)}: unknown key`).join('; ');
    if (issue.code === 'custom') {
      const at = issue.path[1];
      const entry = (i: unknown) => (Array.isArray(entries) ? (entries[Number(i)] as { speaker?: unknown; engine?: unknown } | undefined) : undefined);
      const earlier = typeof at === 'number' ? Array.from({ length: at }, (_, j) => j).find((j) => entry(j)?.speaker === entry(at)?.speaker && entry(j)?.engine === entry(at)?.engine) : undefined;
      return earlier === undefined ? `${key}: breaks a rule of cast files` : `${key}: the same speaker and engine as entries.${earlier}; keep one`;
    }
    // zod's own messages name the rule and the expected type or choices, not the value.
    return `${key}: ${issue.message}`;
  }).join('; ');
}

interface Where { series?: string; output?: string }

/** The series folder these flags name: <--output or the output root>/series/<name>. */
function seriesDirOf(o: Where): { name: string; dir: string } {
  const settings = loadSettings();
  const name = o.series ?? settings.job.series?.name;
  if (!name) fail('which series? --series NAME (or env DUB_SERIES)', 2);
  const problem = seriesNameProblem(name);
  if (problem) fail(`--series ${JSON.stringify(name)}: ${problem}`, 2);
  return { name, dir: path.join(path.resolve(o.output ?? settings.outputDir), 'series', name) };
}

function engineFor(cast: Cast, speaker: string, given: string | undefined): VoiceEngine {
  if (given) {
    if (!(CAST_ENGINES as readonly string[]).includes(given)) fail(`--engine ${given}: one of ${CAST_ENGINES.join(', ')}`, 2);
    return given as VoiceEngine;
  }
  const engines = cast.entries.filter((e) => e.speaker === speaker).map((e) => e.engine);
  if (engines.length === 1) return engines[0];
  const configured = loadSettings().job.tts.engine;
  if (!engines.length && configured !== 'auto') return configured;
  fail(engines.length ? `${speaker} has voices for ${engines.join(', ')}: say which with --engine` : `${speaker} is not in the cast yet: say which engine with --engine (${CAST_ENGINES.join(', ')})`, 2);
}

export function addCastCommands(program: Command): void {
  const cast = program
    .command('cast')
    .description('one cast for a whole season: each speaker keeps their voice in every episode dubbed with --series NAME')
    .addHelpText('after', `
The cast lives in <output>/series/<name>/cast.json (voice cloning's reference clips in voices/ beside it).
Episodes add new speakers in order of first appearance, each with a voice nobody in the cast has;
a speaker the cast knows keeps their voice. A change here applies to the next render of an episode.`);
  const where = (c: Command) => c
    .option('--series <name>', 'the series (env DUB_SERIES)')
    .option('--output <dir>', 'the output folder the series sits in (default the output root, env ANIME_DUB_OUTPUT_DIR)');

  where(cast.command('list').description('each speaker\'s voice, in the order they joined'))
    .option('--json', 'print cast.json (usable as `anime-dub run --cast FILE`)')
    .action(async (o) => {
      const { readCast } = await import('../../storage/seriesCast.js');
      const { dir, name } = seriesDirOf(o);
      const c = await readCast(dir).catch((e: Error) => fail(e.message));
      if (o.json) console.log(JSON.stringify(c, null, 2));
      else console.log(`series ${printableLines(name)} (${printableLines(dir)})\n${printableLines(castTable(c))}`);
      process.exit(0);
    });

  where(cast.command('set').description('give a speaker a voice (the next render of an episode uses it)'))
    .argument('<speaker>', 'the speaker\'s name as the subtitles give it')
    .argument('<voice>', 'espeak-ng voice (en+f3), festival voice, piper voice (name or .onnx), Kokoro voice or blend (jf_alpha, jm_kumo+jf_alpha@0.25), or for xtts a WAV reference clip')
    .option('--engine <engine>', `the engine this voice is for (${CAST_ENGINES.join(', ')}; default the speaker's only one)`)
    .option('--pitch <factor>', 'pitch factor applied after synthesis (0.5–2; 1 = none)')
    .option('--speaker-id <n>', 'piper: the speaker inside a multi-speaker model')
    .action(async (speaker: string, voice: string, o) => {
      const { readCast, seriesFolder, updateCast } = await import('../../storage/seriesCast.js');
      const { dir: planned, name } = seriesDirOf(o);
      const dir = await seriesFolder(path.dirname(path.dirname(planned)), name).catch((e: Error) => fail(e.message));
      const current = await readCast(dir).catch((e: Error) => fail(e.message));
      const engine = engineFor(current, speaker, o.engine);
      let entry: Partial<CastEntry> = { speaker, engine, addedBy: 'cast set' };
      if (o.pitch !== undefined) entry.pitch = Number(o.pitch);
      if (o.speakerId !== undefined) entry.speakerId = Number(o.speakerId);
      let clip: string | undefined;
      if (engine === 'xtts') {
        clip = path.resolve(voice);
        if (!(await stat(clip).catch(() => undefined))?.isFile()) fail(`xtts voices are reference clips: ${voice} is not a file`, 2);
        entry.reference = castReferenceFor(current, speaker); // named again under the lock below
      } else {
        entry.voice = engine === 'piper' && voice.includes('/') ? path.resolve(voice) : voice;
      }
      const refused = entry.voice !== undefined ? voiceProblem(engine, entry.voice) : undefined;
      if (refused) fail(`${voice}: ${refused}`, 2);
      const checked = castEntrySchema.safeParse(entry);
      if (!checked.success) fail(describeIssues(checked.error, entry), 2);
      entry = checked.data;
      await updateCast(dir, { owner: 'anime-dub cast set' }, async (c) => {
        if (clip) {
          entry.reference = castReferenceFor(c, speaker);
          // The series folder may be shared: an exclusive temporary name, no link inside it followed.
          await copyFileNoFollow(clip, dir, entry.reference!, { create: true });
        }
        return { cast: setCastVoice(c, entry as CastEntry), result: undefined };
      }).catch((e: Error) => fail(e.message));
      console.log(`${speaker} (${engine}): ${entry.voice ?? entry.reference}${entry.pitch ? ` pitch ${entry.pitch}` : ''}${entry.speakerId !== undefined ? ` speaker ${entry.speakerId}` : ''} in series ${name}`);
      process.exit(0);
    });

  where(cast.command('audition').description('hear a speaker\'s voice: renders one line in it to a WAV'))
    .argument('<speaker>', 'the speaker')
    .option('--engine <engine>', 'which of the speaker\'s voices (default their only one)')
    .option('--text <line>', 'the line to say', 'Hello! This is how I sound in this series.')
    .option('--out <file>', 'where to write it (default <series>/auditions/<speaker>.<engine>.wav)')
    .action(async (speaker: string, o) => {
      const { readCast } = await import('../../storage/seriesCast.js');
      const { dir } = seriesDirOf(o);
      const c = await readCast(dir).catch((e: Error) => fail(e.message));
      const engine = engineFor(c, speaker, o.engine);
      const entry = castEntry(c, speaker, engine);
      if (!entry) fail(`${speaker} has no ${engine} voice in the cast (${c.entries.map((e) => `${e.speaker}/${e.engine}`).join(', ') || 'empty'})`, 2);
      // In the series folder (which may be shared) the clip's place is checked for links; --out is the user's own.
      const name = `auditions/${referenceNames([speaker])[0]}.${engine}.wav`;
      const place = o.out === undefined ? { dir, name } : undefined;
      const out = place ? await safeTarget(dir, name, { create: true }).catch((e: Error) => fail(e.message)) : path.resolve(o.out);
      try {
        await audition(entry, dir, o.text, out, place);
      } catch (e) {
        fail(`audition failed: ${(e as Error).message}`);
      }
      console.log(out);
      process.exit(0);
    });
}

/** One line in the entry's voice: the engine, then the job's own clip treatment (trim, 48 kHz stereo) and pitch. */
async function audition(entry: CastEntry, dir: string, text: string, out: string, place?: { dir: string; name: string }): Promise<void> {
  const { run } = await import('../../engines/run.js');
  const { espeakArgv, festivalArgv, pitchShiftArgv } = await import('../../engines/tts.js');
  const { normalizeClipArgv } = await import('../../engines/ffmpeg.js');
  await mkdir(path.dirname(out), { recursive: true });
  // The engines and ffmpeg write files by name: into a new private folder where nothing can be planted, and the
  // result is renamed into place (with place: checked for links on the way).
  const work = await privateWorkFolder(path.dirname(out), 'audition');
  const raw = path.join(work, 'raw.wav');
  const norm = path.join(work, 'norm.wav');
  const pitched = path.join(work, 'pitched.wav');
  const settings = loadSettings();
  const options = resolveJobOptions(settings, { video: 'audition' });
  const language = settings.job.tgt;
  try {
    switch (entry.engine) {
      case 'espeak-ng':
        await run(espeakArgv(raw, entry.voice ?? language, options.tts.espeakSpeed), { input: `${text}\n`, timeoutMs: 60_000 });
        break;
      case 'festival':
        await run(festivalArgv(raw, entry.voice), { input: `${text}\n`, timeoutMs: 120_000 });
        break;
      case 'piper': {
        const { resolvePiperModel } = await import('../../engines/ttsChecks.js');
        const { piperSpeak } = await import('../../engines/piper.js');
        const { closeEngineHosts } = await import('../../engines/engineHost.js');
        const { model } = await resolvePiperModel(options, language, entry.voice);
        await piperSpeak(raw, text, { model, speakerId: entry.speakerId }).finally(() => closeEngineHosts());
        break;
      }
      case 'kokoro': {
        const { kokoroSpeak } = await import('../../engines/kokoro.js');
        const { closeEngineHosts } = await import('../../engines/engineHost.js');
        await kokoroSpeak(raw, text, language, entry.voice ?? 'jm_kumo').finally(() => closeEngineHosts());
        break;
      }
      case 'xtts': {
        const { xttsSpeak, xttsLanguage, XTTS_DEFAULT_MODEL } = await import('../../engines/xtts.js');
        const { closeEngineHosts } = await import('../../engines/engineHost.js');
        if (!entry.reference) throw new Error(`${entry.speaker} has no reference clip yet (an episode cuts one, or \`anime-dub cast set ${entry.speaker} clip.wav --engine xtts\`)`);
        await xttsSpeak(raw, text, { model: options.tts.xttsModel ?? XTTS_DEFAULT_MODEL, speakerWav: path.join(dir, entry.reference), language: xttsLanguage(language) ?? language })
          .finally(() => closeEngineHosts());
        break;
      }
    }
    await run(normalizeClipArgv(raw, norm), { timeoutMs: 60_000 });
    let result = norm;
    if (entry.pitch && Math.abs(entry.pitch - 1) > 1e-3) {
      await run(pitchShiftArgv(norm, pitched, entry.pitch), { timeoutMs: 60_000 });
      result = pitched;
    }
    if (place) await renameNoFollow(result, place.dir, place.name);
    else await rename(result, out);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
