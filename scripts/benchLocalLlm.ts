// The embedded GGUF translator on reference scenes: Japanese lines (the transcript, exact) with a person's English
// translation, and an English scene with a person's Spanish (test/fixtures/en/library.json, compared with apertium).
// Scores chrF against the references, meaning kept (every keyword group of the line in the output), names spelled as
// the reference spells them, lines within ±20 % of their syllable budget, asks, seconds per line, and the process's
// peak memory. Writes one JSON summary line to stdout (and the lines to stderr).
//   node dist/scripts/benchLocalLlm.js [scene.json ...]     (default: test/fixtures/ja/dialogue.json)
// Environment: BENCH_MODEL (a name in MT_GGUF_MODELS, default the bundled Qwen), BENCH_BATCH (lines per prompt),
// BENCH_BUDGET=0 (no length budget), BENCH_HONORIFICS=adapt, BENCH_THREADS (default: the model's setting),
// BENCH_NAMES=0 (no names glossary: the speakers and the transcript's names, lib/names.ts, as a job gets them),
// BENCH_SERIES_NAMES=FILE (a series' names.tsv, e.g. 大地<TAB>Daichi: the spellings a person fixed after an episode).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { apertiumTranslator, pairName } from '../engines/apertium.js';
import { checkLine, parseGlossary } from '../lib/glossary.js';
import { episodeNames } from '../lib/names.js';
import { DEFAULT_GGUF_MODEL } from '../config/schema.js';
import { translateWithChat, type ChatBackend } from '../engines/llmTranslate.js';
import { localChat, localModelFor, preloadLocalModel } from '../engines/localLlm.js';
import { chrF } from '../lib/chrf.js';
import { LENGTH_TOLERANCE } from '../lib/llmProtocol.js';
import { countSyllables, syllableBudget } from '../lib/syllables.js';

interface SceneLine {
  speaker?: string;
  ja?: string;
  en: string;
  es?: string;
  keywords?: string[][];
  start?: number;
  end?: number;
}

const NAME = /\b[A-Z][a-z]+(?:-(?:san|chan|kun|senpai|sama|sensei))?\b/g;

/** Capitalised words of the reference that are names (a cast member, or joined to an honorific). */
function namesIn(ref: string, cast: Set<string>): string[] {
  return [...ref.matchAll(NAME)].map((m) => m[0]).filter((w) => cast.has(w.split('-')[0]) || w.includes('-'));
}

async function main(): Promise<void> {
  const files = process.argv.slice(2);
  if (!files.length) files.push('test/fixtures/ja/dialogue.json');
  const named = localModelFor(process.env.BENCH_MODEL ?? DEFAULT_GGUF_MODEL);
  const model = process.env.BENCH_THREADS ? { ...named, threads: Number(process.env.BENCH_THREADS) } : named;
  const batchSize = Number(process.env.BENCH_BATCH ?? 6);
  const budgetOn = process.env.BENCH_BUDGET !== '0';
  const honorifics = process.env.BENCH_HONORIFICS === 'adapt' ? 'adapt' : 'keep';
  let peakRss = process.memoryUsage().rss;
  const sample = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 200);
  const t0 = performance.now();
  await preloadLocalModel(model);
  const loadSec = (performance.now() - t0) / 1000;
  const backend: ChatBackend = {
    label: model.name, batchSize, maxReasks: 1,
    ask: async (messages, asked) => {
      const t = performance.now();
      const answer = await localChat(model, messages, asked, { timeoutMs: 3_600_000 });
      process.stderr.write(`prompt of ${asked.length} line(s): ${((performance.now() - t) / 1000).toFixed(1)} s, load ${os.loadavg()[0].toFixed(1)}\n`);
      return answer;
    },
  };
  const scenes = [];
  const namesOn = process.env.BENCH_NAMES !== '0';
  const series = process.env.BENCH_SERIES_NAMES ? parseGlossary(await readFile(process.env.BENCH_SERIES_NAMES, 'utf8')) : [];
  for (const file of files) {
    const scene = JSON.parse(await readFile(file, 'utf8')) as { lines: SceneLine[]; target?: string };
    const lines = scene.lines;
    // A scene with Spanish references is English source; the Japanese scenes are ja → en.
    const toEs = scene.target === 'es';
    const [src, tgt] = toEs ? ['en', 'es'] : ['ja', 'en'];
    const sourceOf = (l: SceneLine) => (toEs ? l.en : l.ja!);
    const refOf = (l: SceneLine) => (toEs ? l.es! : l.en);
    const cast = new Set(lines.map((l) => l.speaker).filter((s): s is string => !!s));
    const names = namesOn ? episodeNames({ series, speakers: [...cast], transcript: toEs ? [] : lines.map(sourceOf), honorifics }) : { entries: [], cast: [] };
    const budgetOf = (l: SceneLine) => (budgetOn && l.end !== undefined && l.start !== undefined ? syllableBudget(l.end - l.start, tgt, 'piper') : undefined);
    const t1 = performance.now();
    const out = await translateWithChat(backend, lines.map((l) => ({
      text: sourceOf(l), speaker: l.speaker, ...(budgetOf(l) ? { budget: budgetOf(l) } : {}),
    })), { src, tgt, honorifics, ...(names.cast.length ? { names: names.cast } : {}) }, names.entries);
    const sec = (performance.now() - t1) / 1000;
    const score = (got: string[]) => {
      let kept = 0;
      let named = 0;
      let namesRight = 0;
      let within = 0;
      let budgeted = 0;
      let terms = 0;
      let termsKept = 0;
      lines.forEach((l, i) => {
        const report = checkLine(sourceOf(l), got[i], names.entries);
        terms += report?.applied.length ?? 0;
        termsKept += report?.enforced.length ?? 0;
        const t = got[i].toLowerCase();
        if ((l.keywords ?? []).every((group) => group.some((k) => t.includes(k.toLowerCase())))) kept++;
        for (const n of namesIn(refOf(l), cast)) {
          named++;
          if (got[i].includes(n)) namesRight++;
        }
        const budget = budgetOf(l);
        if (budget) {
          budgeted++;
          if (Math.abs(countSyllables(got[i], tgt) / budget - 1) <= LENGTH_TOLERANCE) within++;
        }
      });
      return {
        chrF: Number(chrF(got, lines.map(refOf)).toFixed(1)), meaningKept: `${kept}/${lines.length}`, namesRight: `${namesRight}/${named}`, glossaryKept: `${termsKept}/${terms}`,
        ...(budgeted ? { withinBudget: `${within}/${budgeted}` } : {}), repeated: got.length - new Set(got.map((t) => t.toLowerCase())).size,
      };
    };
    const got = out.targets.map((t) => t ?? '');
    lines.forEach((l, i) => process.stderr.write(`${i}\t${countSyllables(got[i], tgt)}/${budgetOf(l) ?? '-'}\t${sourceOf(l)}\t${got[i]}\t| ${refOf(l)}\n`));
    const row: Record<string, unknown> = {
      file, pair: `${src}-${tgt}`, lines: lines.length, ...score(got), names: names.entries.length, failed: out.failures.size, requests: out.requests,
      sec: Number(sec.toFixed(1)), secPerLine: Number((sec / lines.length).toFixed(2)),
    };
    if (toEs) {
      // The default engine for en → es on the same lines, for the table engine × pair.
      const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-apertium-'));
      try {
        const t2 = performance.now();
        const ap = await apertiumTranslator(pairName('en', 'es'), dir, path.join(dir, 'commands.jsonl'))(lines.map(sourceOf));
        row.apertium = { ...score(ap), secPerLine: Number(((performance.now() - t2) / 1000 / lines.length).toFixed(2)) };
        lines.forEach((l, i) => process.stderr.write(`apertium ${i}\t${ap[i]}\n`));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    scenes.push(row);
  }
  clearInterval(sample);
  console.log(JSON.stringify({
    date: new Date().toISOString(), machine: `${os.cpus()[0]?.model} × ${os.availableParallelism()}, load ${os.loadavg()[0].toFixed(1)}`,
    model: model.name, threads: model.threads, batchSize, budget: budgetOn, honorifics, names: namesOn, seriesNames: series.length, loadSec: Number(loadSec.toFixed(1)),
    peakRssMb: Math.round(peakRss / 1e6), scenes,
  }));
  process.exit(0);
}

void main();
