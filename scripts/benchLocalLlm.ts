// The embedded GGUF translator on reference scenes: Japanese lines (the transcript, exact) with a person's English
// translation. Scores chrF against the references, meaning kept (every keyword group of the line in the output),
// names spelled as the reference spells them, lines within ±20 % of their syllable budget, asks, seconds per line,
// and the process's peak memory. Writes one JSON summary line to stdout (and the lines to stderr).
//   node dist/scripts/benchLocalLlm.js [scene.json ...]     (default: test/fixtures/ja/dialogue.json)
// Environment: BENCH_MODEL (a name in MT_GGUF_MODELS, default the bundled Qwen), BENCH_BATCH (lines per prompt),
// BENCH_BUDGET=0 (no length budget), BENCH_HONORIFICS=adapt, BENCH_THREADS (default: the model's setting).
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { DEFAULT_GGUF_MODEL } from '../config/schema.js';
import { translateWithChat, type ChatBackend } from '../engines/llmTranslate.js';
import { localChat, localModelFor, preloadLocalModel } from '../engines/localLlm.js';
import { chrF } from '../lib/chrf.js';
import { LENGTH_TOLERANCE } from '../lib/llmProtocol.js';
import { countSyllables, syllableBudget } from '../lib/syllables.js';

interface SceneLine {
  speaker?: string;
  ja: string;
  en: string;
  keywords?: string[][];
  start: number;
  end: number;
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
  for (const file of files) {
    const scene = JSON.parse(await readFile(file, 'utf8')) as { lines: SceneLine[] };
    const lines = scene.lines;
    const cast = new Set(lines.map((l) => l.speaker).filter((s): s is string => !!s));
    const t1 = performance.now();
    const out = await translateWithChat(backend, lines.map((l) => ({
      text: l.ja, speaker: l.speaker, ...(budgetOn ? { budget: syllableBudget(l.end - l.start, 'en', 'piper') } : {}),
    })), { src: 'ja', tgt: 'en', honorifics }, []);
    const sec = (performance.now() - t1) / 1000;
    const got = out.targets.map((t) => t ?? '');
    let kept = 0;
    let names = 0;
    let namesRight = 0;
    let within = 0;
    lines.forEach((l, i) => {
      const t = got[i].toLowerCase();
      const meaning = (l.keywords ?? []).every((group) => group.some((k) => t.includes(k.toLowerCase())));
      if (meaning) kept++;
      for (const n of namesIn(l.en, cast)) {
        names++;
        if (got[i].includes(n)) namesRight++;
      }
      const budget = syllableBudget(l.end - l.start, 'en', 'piper');
      const syl = countSyllables(got[i], 'en');
      if (Math.abs(syl / budget - 1) <= LENGTH_TOLERANCE) within++;
      process.stderr.write(`${i}\t${meaning ? 'ok' : '--'}\t${syl}/${budget}\t${l.ja}\t${got[i]}\t| ${l.en}\n`);
    });
    const repeated = got.length - new Set(got.map((t) => t.toLowerCase())).size;
    scenes.push({
      file, lines: lines.length, chrF: Number(chrF(got, lines.map((l) => l.en)).toFixed(1)),
      meaningKept: `${kept}/${lines.length}`, namesRight: `${namesRight}/${names}`, withinBudget: `${within}/${lines.length}`,
      repeated, failed: out.failures.size, requests: out.requests, sec: Number(sec.toFixed(1)), secPerLine: Number((sec / lines.length).toFixed(2)),
      referenceChrF: Number(chrF(lines.map((l) => l.en), lines.map((l) => l.en)).toFixed(1)),
    });
  }
  clearInterval(sample);
  console.log(JSON.stringify({
    date: new Date().toISOString(), machine: `${os.cpus()[0]?.model} × ${os.availableParallelism()}, load ${os.loadavg()[0].toFixed(1)}`,
    model: model.name, threads: model.threads, batchSize, budget: budgetOn, honorifics, loadSec: Number(loadSec.toFixed(1)),
    peakRssMb: Math.round(peakRss / 1e6), scenes,
  }));
  process.exit(0);
}

void main();
