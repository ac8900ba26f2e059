// Syllables per second of the dub voices themselves, for the translator's length budget (lib/syllables.ts
// VOICE_SYLLABLES_PER_SEC). Each voice says the project's reference dialogue: the English references of the
// Japanese scenes and of test/fixtures/en/library.json, and that scene's Spanish. A clip's time is from its first to
// its last voiced sample (edges below −40 dBFS trimmed), pauses at punctuation included, because the slot a line
// must fit is measured the same way (the scenes' start/end are the speech times of each line). Rerunnable:
//   npx tsc -p tsconfig.json && node dist/scripts/calibrateSpeechRate.js [--json FILE]
// Prints one row per voice and language (total syllables / total seconds, and the median of the per-line rates);
// the numbers go into lib/syllables.ts by hand with the date.
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeEngineHosts } from '../engines/engineHost.js';
import { kokoroSpeak } from '../engines/kokoro.js';
import { piperSpeak } from '../engines/piper.js';
import { countSyllables } from '../lib/syllables.js';
import { parseWavHeader } from '../lib/wav.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PIPER_JOE = path.join(ROOT, '.tools', 'models', 'piper', 'en_US-joe-medium.onnx');
const KOKORO_VOICES = ['jf_alpha', 'jm_kumo'];
const EDGE_DBFS = -40;

/** Seconds from the first to the last sample louder than EDGE_DBFS (16-bit mono PCM, as both engines write). */
export async function voicedSec(wav: string): Promise<number> {
  const size = (await stat(wav)).size;
  const fd = await open(wav, 'r');
  try {
    const head = Buffer.alloc(Math.min(size, 65536));
    await fd.read(head, 0, head.length, 0);
    const f = parseWavHeader(head, size);
    if (f.bitsPerSample !== 16) throw new Error(`${wav}: ${f.bitsPerSample}-bit PCM, want 16`);
    const data = Buffer.alloc(f.dataBytes);
    await fd.read(data, 0, f.dataBytes, f.dataOffset);
    const frame = f.channels * 2;
    const limit = 32768 * 10 ** (EDGE_DBFS / 20);
    const n = Math.floor(f.dataBytes / frame);
    let first = -1;
    let last = -1;
    for (let i = 0; i < n; i++) {
      if (Math.abs(data.readInt16LE(i * frame)) > limit) {
        if (first < 0) first = i;
        last = i;
      }
    }
    return first < 0 ? 0 : (last - first + 1) / f.sampleRate;
  } finally {
    await fd.close();
  }
}

async function texts(): Promise<Record<'en' | 'es', string[]>> {
  const en: string[] = [];
  for (const f of ['test/fixtures/ja/dialogue.json', 'test/fixtures/scenes/classroom.json', 'test/fixtures/scenes/festival.json']) {
    en.push(...(JSON.parse(await readFile(path.join(ROOT, f), 'utf8')) as { lines: { en: string }[] }).lines.map((l) => l.en));
  }
  const library = (JSON.parse(await readFile(path.join(ROOT, 'test/fixtures/en/library.json'), 'utf8')) as { lines: { en: string; es: string }[] }).lines;
  return { en: [...en, ...library.map((l) => l.en)], es: library.map((l) => l.es) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const jsonOut = process.argv.indexOf('--json') > 0 ? process.argv[process.argv.indexOf('--json') + 1] : undefined;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'calibrate-'));
  const lines = await texts();
  const voices: { engine: string; voice: string; lang: 'en' | 'es'; speak: (out: string, text: string) => Promise<unknown> }[] = [
    { engine: 'piper', voice: 'en_US-joe-medium', lang: 'en', speak: (out, t) => piperSpeak(out, t, { model: PIPER_JOE }) },
    ...KOKORO_VOICES.flatMap((v) => (['en', 'es'] as const).map((lang) => ({ engine: 'kokoro', voice: v, lang, speak: (out: string, t: string) => kokoroSpeak(out, t, lang, v) }))),
  ];
  const rows = [];
  try {
    for (const v of voices) {
      let syl = 0;
      let sec = 0;
      const rates: number[] = [];
      for (const [i, text] of lines[v.lang].entries()) {
        const out = path.join(dir, `${v.voice}-${v.lang}-${i}.wav`);
        await v.speak(out, text);
        const s = await voicedSec(out);
        const n = countSyllables(text, v.lang);
        syl += n;
        sec += s;
        if (s > 0) rates.push(n / s);
      }
      const row = {
        engine: v.engine, voice: v.voice, lang: v.lang, lines: lines[v.lang].length, syllables: syl, seconds: Number(sec.toFixed(2)),
        rate: Number((syl / sec).toFixed(2)), medianLineRate: Number(median(rates).toFixed(2)),
      };
      rows.push(row);
      process.stderr.write(`${JSON.stringify(row)}\n`);
    }
  } finally {
    await closeEngineHosts();
    await rm(dir, { recursive: true, force: true });
  }
  const result = { date: new Date().toISOString(), machine: `${os.cpus()[0]?.model} × ${os.availableParallelism()}`, edgeDbfs: EDGE_DBFS, rows };
  console.log(JSON.stringify(result, null, 2));
  if (jsonOut) await writeFile(jsonOut, `${JSON.stringify(result, null, 2)}\n`);
}

void main();
