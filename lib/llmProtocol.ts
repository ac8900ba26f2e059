// The text side of translating with a chat model: the prompt, and reading its reply however untidy.
// Models wrap JSON in code fences, add prose, leave trailing commas, drop or add entries; we repair what can be
// repaired and name each line still missing so only those are asked again.
import { jsonrepair } from 'jsonrepair';
import type { GlossaryEntry } from './glossary.js';
import { containsTerm } from './glossary.js';
import { respellNames } from './names.js';
import { countSyllables } from './syllables.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface LineToTranslate {
  /** Number the model sees and must answer with (position in the batch). */
  i: number;
  text: string;
  speaker?: string;
  /** Syllables of spoken target language that fit the line's slot (lib/syllables.ts syllableBudget). */
  budget?: number;
}

export type HonorificPolicy = 'keep' | 'adapt';

export interface PromptContext {
  src: string;
  tgt: string;
  /**
   * Lines said just before and after the batch (source text), for the model's sense of the scene. A line before
   * that is already translated is shown in the target language only: a small model shown source text it was
   * not asked for translated it in place of the first asked line (measured with Qwen2.5-Coder-1.5B).
   */
  before?: readonly { text: string; speaker?: string; target?: string }[];
  after?: readonly { text: string; speaker?: string }[];
  glossary?: readonly GlossaryEntry[];
  /** Japanese honorifics: kept romanized after the name (anime subtitles), or adapted to English usage. */
  honorifics?: HonorificPolicy;
  /** The people of the episode, romanized (lib/names.ts): shown as JSON data so the model spells them so. */
  names?: readonly string[];
}

/** "ja" → "Japanese" (the model knows names better than codes); the code itself when ICU has no name. */
export function languageName(code: string): string {
  try {
    const name = new Intl.DisplayNames(['en'], { type: 'language' }).of(code);
    return name && name !== code ? `${name} (${code})` : code;
  } catch {
    return code;
  }
}

/**
 * Text of one prompt line: every line break (and other control character) becomes a space. The prompt's structure
 * is one numbered line per dialogue line, so a cue or a speaker name holding a newline must not be able to add a
 * line of its own (a fake "1. …" would take another line's number and shift every answer).
 */
export const oneLine = (text: string) => text.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ').replace(/ {2,}/g, ' ').trim();

const said = (l: { text: string; speaker?: string }) => (l.speaker ? `${oneLine(l.speaker)}: ${oneLine(l.text)}` : oneLine(l.text));

export function systemPrompt(ctx: PromptContext): string {
  const src = languageName(ctx.src);
  const tgt = languageName(ctx.tgt);
  const rules = [
    `You translate dialogue lines of a video from ${src} into ${tgt} for dubbing.`,
    'Translate each numbered line on its own, as natural spoken dialogue about as long as the original; never merge or split lines.',
    'Reply with JSON only, no prose and no code fences, in exactly this shape: {"lines":[{"i":0,"t":"translation of line 0"},{"i":1,"t":"..."}]}',
    'There must be exactly one entry per numbered line, with the same number i.',
    'The speaker name before a line is context: do not put it in the translation.',
  ];
  if (ctx.src === 'ja' || ctx.src === 'jpn') rules.push(...honorificRules(ctx.honorifics ?? 'keep'));
  if (ctx.glossary?.length) {
    rules.push('Always translate these terms exactly as given (source => target):');
    for (const e of ctx.glossary) rules.push(`  ${oneLine(e.source)} => ${oneLine(e.target)}`);
  }
  return rules.join('\n');
}

/** How names and honorifics are written: one spelling per name (Hepburn), and the job's honorific policy. */
function honorificRules(policy: HonorificPolicy): string[] {
  const names = 'Write Japanese personal names in Hepburn romanization with the family name and given name as said (田中 => Tanaka, タケシ => Takeshi), the same way every time.';
  if (policy === 'keep') {
    return [names, 'Keep honorifics after names, romanized and joined with a hyphen: さん => -san, ちゃん => -chan, くん/君 => -kun, 先輩 => -senpai, 様 => -sama; 先生 alone or after a name => Sensei.'];
  }
  // No "Mr./Ms." template in the wording: the 1.5B model wrote it literally ("I'm sorry, Mr./Ms. Tanaka", taking
  // the name from the speaker list) for 先生 on the classroom scene.
  return [names, 'Adapt honorifics to natural English: drop -san, -chan, -kun, -senpai after names, and translate 先生 as "teacher" (a name only if the line says one).'];
}

/** "line 0: about 12 syllables": the length each line should have when said aloud, so it fits the slot. */
function budgetSection(lines: readonly LineToTranslate[]): string | undefined {
  const given = lines.filter((l) => l.budget);
  if (!given.length) return undefined;
  return 'Each translation is spoken in the time of the original line, so aim for about this many syllables (use natural wording to condense or expand; never pad):\n'
    + given.map((l) => `line ${l.i}: about ${l.budget} syllables`).join('\n');
}

export function userPrompt(lines: readonly LineToTranslate[], ctx: PromptContext, note?: string): string {
  const parts: string[] = [];
  if (note) parts.push(note);
  const translatedBefore = ctx.before?.filter((l) => l.target) ?? [];
  if (ctx.before?.length && translatedBefore.length === ctx.before.length) {
    parts.push(`Said just before, already translated (context only):\n${translatedBefore.map((l) => said({ text: l.target!, speaker: l.speaker })).join('\n')}`);
  } else if (ctx.before?.length) parts.push(`Context before (do not translate):\n${ctx.before.map(said).join('\n')}`);
  parts.push(`Translate these ${lines.length} line${lines.length === 1 ? '' : 's'}:\n${lines.map((l) => `${l.i}. ${said(l)}`).join('\n')}`);
  if (ctx.after?.length) parts.push(`Context after (do not translate):\n${ctx.after.map(said).join('\n')}`);
  // Data, not instructions: a JSON array of plain names, so a name cannot add a line or a rule to the prompt.
  if (ctx.names?.length) parts.push(`People in this episode (JSON data; write their names exactly so): ${JSON.stringify(ctx.names.map(oneLine))}`);
  const budgets = budgetSection(lines);
  if (budgets) parts.push(budgets);
  parts.push(`Answer with {"lines":[...]} holding exactly ${lines.length} entr${lines.length === 1 ? 'y' : 'ies'}, i = ${lines.map((l) => l.i).join(', ')}.`);
  return parts.join('\n\n');
}

export function buildMessages(lines: readonly LineToTranslate[], ctx: PromptContext, note?: string): ChatMessage[] {
  return [
    { role: 'system', content: systemPrompt(ctx) },
    { role: 'user', content: userPrompt(lines, ctx, note) },
  ];
}

/** Follow-up for the lines a reply lacked or got wrong, saying what was wrong with each. */
export function reaskNote(problems: ReadonlyMap<number, string>): string {
  const listed = [...problems].map(([i, why]) => `line ${i}: ${why}`).join('; ');
  return `Your previous answer was not usable for some lines (${listed}). Translate only the lines below.`;
}

export class ReplyNotJson extends Error {}

/**
 * The JSON value in a model's reply: code fences and prose around it dropped, then repaired (trailing commas,
 * single quotes, unquoted keys, a missing closing bracket). Throws ReplyNotJson when nothing JSON-like is there.
 */
export function extractJson(reply: string): unknown {
  let text = reply.trim();
  const fenced = text.match(/```[a-zA-Z]*\s*\n?([\s\S]*?)```/);
  if (fenced) text = fenced[1].trim();
  const start = text.search(/[[{]/);
  if (start < 0) throw new ReplyNotJson(`no JSON in the reply: ${JSON.stringify(reply.slice(0, 120))}`);
  const open = text[start];
  const close = open === '{' ? '}' : ']';
  const end = text.lastIndexOf(close);
  text = end > start ? text.slice(start, end + 1) : text.slice(start);
  try {
    return JSON.parse(text);
  } catch {
    try {
      return JSON.parse(jsonrepair(text));
    } catch (e) {
      throw new ReplyNotJson(`the reply's JSON could not be repaired (${(e as Error).message}): ${JSON.stringify(reply.slice(0, 120))}`);
    }
  }
}

export interface ParsedReply {
  /** Line number → translation, for the lines answered well. */
  translations: Map<number, string>;
  /** Line number → what was wrong (missing, empty, not text, glossary term left out). */
  problems: Map<number, string>;
  /** Translations held back only because they leave out a glossary term (used if re-asking does not help). */
  unglossed: Map<number, string>;
  /** Entries the reply had that were not asked for (ignored). */
  extra: number;
}

function entriesOf(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    for (const key of ['lines', 'translations', 'result', 'data', 'items']) if (Array.isArray(obj[key])) return obj[key] as unknown[];
    // {"0": "...", "1": "..."}
    const keys = Object.keys(obj);
    if (keys.length && keys.every((k) => /^\d+$/.test(k))) return keys.map((k) => ({ i: Number(k), t: obj[k] }));
  }
  return undefined;
}

const pick = (o: Record<string, unknown>, keys: string[]) => keys.map((k) => o[k]).find((v) => v !== undefined);

/**
 * Reads a reply against the line numbers asked for. Entries are matched by their `i`; entries without a number
 * are taken by position only when the count is exactly right. Glossary terms are checked per line when given.
 */
export function parseReply(value: unknown, asked: readonly LineToTranslate[], glossary: readonly GlossaryEntry[] = []): ParsedReply {
  const wanted = new Set(asked.map((l) => l.i));
  const speakers = [...new Set(asked.map((l) => l.speaker).filter((x): x is string => !!x))];
  const translations = new Map<number, string>();
  const problems = new Map<number, string>();
  const unglossed = new Map<number, string>();
  let extra = 0;
  const entries = entriesOf(value) ?? [];
  const positional = entries.length === asked.length && entries.every((e) => typeof e === 'string' || (e && typeof e === 'object' && pick(e as Record<string, unknown>, ['i', 'index', 'id', 'n', 'line']) === undefined));
  entries.forEach((entry, pos) => {
    let i: number | undefined;
    let t: unknown;
    if (typeof entry === 'string') {
      i = positional ? asked[pos].i : undefined;
      t = entry;
    } else if (entry && typeof entry === 'object') {
      const o = entry as Record<string, unknown>;
      const n = pick(o, ['i', 'index', 'id', 'n', 'line']);
      i = n === undefined ? (positional ? asked[pos].i : undefined) : Number(n);
      t = pick(o, ['t', 'text', 'translation', 'target', 'tr']);
    }
    if (i === undefined || !wanted.has(i) || translations.has(i)) {
      extra++;
      return;
    }
    if (typeof t !== 'string') problems.set(i, 'the entry has no text "t"');
    else if (!t.trim()) problems.set(i, 'the translation is empty');
    else translations.set(i, respellNames(withoutSpeaker(t.trim(), speakers), asked.find((l) => l.i === i)!.text, glossary));
  });
  for (const line of asked) {
    const t = translations.get(line.i);
    if (t === undefined) {
      if (!problems.has(line.i)) problems.set(line.i, 'no entry for it');
      continue;
    }
    const left = glossary.filter((e) => containsTerm(line.text, e.source) && !containsTerm(t, e.target));
    if (left.length) {
      translations.delete(line.i);
      unglossed.set(line.i, t);
      problems.set(line.i, `it must use ${left.map((e) => `"${e.target}" for "${e.source}"`).join(', ')}`);
    }
  }
  return { translations, problems, unglossed, extra };
}

/** A small model sometimes repeats a "Speaker: " the prompt showed (not always the line's own); the dub must not say it. */
function withoutSpeaker(t: string, speakers: readonly string[]): string {
  for (const speaker of speakers) {
    const prefix = `${oneLine(speaker)}:`;
    if (t.startsWith(prefix) && t.length > prefix.length) return t.slice(prefix.length).trim();
  }
  return t;
}

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const CJK_TARGETS = new Set(['ja', 'zh', 'ko', 'jpn', 'zho', 'kor']);

/**
 * Why a translation cannot be used though it is well-formed: still in the source script (a small model copies
 * the line), or the same words as another line's translation (it copied the context). Undefined = usable.
 */
export function contentProblem(t: string, tgt: string, others: readonly string[]): string | undefined {
  if (!CJK_TARGETS.has(tgt) && CJK.test(t)) return `it is not in ${languageName(tgt)}; translate it`;
  const norm = (x: string) => x.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
  if (others.some((o) => norm(o) === norm(t))) return 'it repeats the translation of another line; translate this line\'s own words';
  return undefined;
}

/** Budget ±LENGTH_TOLERANCE counts as fitting; further off, a line is asked again. */
export const LENGTH_TOLERANCE = 0.2;
/** Beyond this a line is asked again, once (issue 26: lines off by more than the tolerance). */
export const LENGTH_REASK = LENGTH_TOLERANCE;

/** Why a translation is far from its length budget (undefined = near enough), with its syllable count. */
export function lengthProblem(text: string, budget: number | undefined, tgt: string): { got: number; why?: string } {
  const got = countSyllables(text, tgt);
  if (!budget) return { got };
  const ratio = got / budget;
  if (ratio > 1 + LENGTH_REASK) return { got, why: `it has ${got} syllables, too long for its time; say the same in about ${budget} syllables` };
  if (ratio < 1 - LENGTH_REASK) return { got, why: `it has ${got} syllables, too short for its time; say the same more fully in about ${budget} syllables (natural wording, no padding)` };
  return { got };
}

/** Splits lines into batches of at most `size`, each with a few neighbouring lines as context. */
export function batches<T>(items: readonly T[], size: number, contextLines = 2): { items: T[]; offset: number; before: T[]; after: T[] }[] {
  const out: { items: T[]; offset: number; before: T[]; after: T[] }[] = [];
  for (let offset = 0; offset < items.length; offset += size) {
    const end = Math.min(items.length, offset + size);
    out.push({
      items: items.slice(offset, end),
      offset,
      before: items.slice(Math.max(0, offset - contextLines), offset),
      after: items.slice(end, end + contextLines),
    });
  }
  return out;
}

/** The assistant text of an OpenAI chat-completions response body. */
export function completionText(body: unknown): string | undefined {
  const choice = (body as { choices?: { message?: { content?: unknown }; text?: unknown }[] } | undefined)?.choices?.[0];
  const content = choice?.message?.content ?? choice?.text;
  if (typeof content === 'string') return content;
  // Some servers return content parts: [{type:'text', text:'...'}]
  if (Array.isArray(content)) return content.map((p) => (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join('');
  return undefined;
}
