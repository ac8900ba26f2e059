// What every translator's adapter (engines/mtEngines.ts) shares: the request the translate stage hands it, the
// result it gives back, glossary terms protected around a text engine, a chat model's lines, and Whisper's
// segments put onto the source lines.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { syllableBudget } from '../lib/syllables.js';
import { hasPlaceholder, protectTerms, restoreTerms, type GlossaryEntry } from '../lib/glossary.js';
import type { Line, PreparedJob } from '../lib/job.js';
import { withNames } from '../lib/names.js';
import { translateWithChat, type ChatBackend, type LengthReport } from './llmTranslate.js';

/** What the translate stage (activities/translate.ts) hands a translator. */
export interface MtRequest {
  prep: PreparedJob;
  lines: Line[];
  glossary: GlossaryEntry[];
  /** A folder of the job's for the files an engine writes while it works (tmp/mt). */
  workDir: string;
  /** The job's command log. */
  commandLog: string;
  /** Whisper's translate task on the job's audio, a cached step of the stage's (activities/whisperSteps.ts). */
  audioTranslation(): Promise<Line[]>;
  /**
   * The episode's names (activities/episodeNames.ts), asked for only by a chat translator: finding them may update
   * the series' names file.
   */
  names?(): Promise<{ entries: GlossaryEntry[]; cast: string[] }>;
}

export interface MtResult {
  targets: (string | undefined)[];
  failures: Map<number, string>;
  lost: Set<string>[];
  method: string;
  /** How a glossary term the target lacks came to be missing, for the report. */
  missReason: string;
  /** A chat model's length budget per line. */
  lengths?: (LengthReport | undefined)[];
  /** The terms enforced and reported, when more than the job's glossary (the episode's names). */
  terms?: GlossaryEntry[];
}

type Translate = (texts: string[]) => Promise<string[]>;

/**
 * Runs a text engine with each glossary term swapped for a placeholder it copies through, then puts the target
 * terms back. Lines whose placeholder the engine mangled are translated again unprotected; `lost` says which terms.
 */
export async function translateProtected(texts: string[], glossary: readonly GlossaryEntry[], translate: Translate): Promise<{ targets: string[]; lost: Set<string>[] }> {
  const lost = texts.map(() => new Set<string>());
  if (!glossary.length) return { targets: await translate(texts), lost };
  const prot = texts.map((t) => protectTerms(t, glossary));
  const raw = await translate(prot.map((p) => p.text));
  const targets = raw.map((t, i) => {
    const restored = restoreTerms(t, prot[i].slots);
    for (const e of restored.lost) lost[i].add(e.source);
    return restored.text;
  });
  const redo = targets.map((t, i) => (lost[i].size || hasPlaceholder(t) ? i : -1)).filter((i) => i >= 0);
  if (redo.length) {
    const again = await translate(redo.map((i) => texts[i]));
    redo.forEach((i, k) => { targets[i] = again[k]; });
  }
  return { targets, lost };
}

/** A text engine's result: its targets, glossary losses, no failed lines. */
export async function textEngineResult(req: MtRequest, translate: Translate, method: string, missReason: string): Promise<MtResult> {
  const { targets, lost } = await translateProtected(req.lines.map((l) => l.text), req.glossary, translate);
  return { targets, lost, failures: new Map(), method, missReason };
}

/** Lines as a chat model gets them: speaker, and (unless mt.lengthBudget is off) the syllables that fit the slot. */
function chatLines(prep: PreparedJob, lines: Line[]) {
  const { options } = prep;
  return lines.map((l) => ({
    text: l.text, speaker: l.speaker,
    ...(options.mt.lengthBudget && l.end > l.start ? { budget: syllableBudget(l.end - l.start, options.tgt, prep.ttsEngine) } : {}),
  }));
}

export async function chatTranslate(req: MtRequest, backend: ChatBackend, method: string, reasks: string): Promise<MtResult> {
  const { prep, lines, glossary, workDir } = req;
  const { options } = prep;
  await mkdir(workDir, { recursive: true });
  const names = (await req.names?.()) ?? { entries: [], cast: [] };
  const terms = withNames(glossary, names.entries);
  const lang = { src: options.src, tgt: options.tgt, honorifics: options.mt.honorifics, names: names.cast };
  const out = await translateWithChat(backend, chatLines(prep, lines), lang, terms, path.join(workDir, 'llm.jsonl'));
  return {
    targets: out.targets, lost: lines.map(() => new Set<string>()), failures: out.failures, lengths: out.lengths, method, terms,
    missReason: `the model left it out, also when asked again (${reasks})`,
  };
}
