// Whisper told the episode's known names (faster-whisper's hotwords), so it writes ユイ, not 唯 or "Yui" as "you
// e": only trusted names (the series' cast and names file, a cast given with the job), never the audio's own
// words, as the transcript's language writes them. Nothing when the job has no series or cast.
// NOT WIRED IN (2026-12-06): with hotwords "ミサキ, ケンタ" (or the same as initial_prompt) faster-whisper base gave the
// 12 lines of test/fixtures/ja/dialogue.opus as 2 long segments instead of 12, text unchanged, and the recognition
// stage needs the segments. To be turned on behind an option once lines are cut by word times instead.
import { hotwordsOf } from '../lib/names.js';
import type { PreparedJob } from '../lib/job.js';
import type { WhisperTask } from '../engines/whisper.js';
import { readCast, seriesFolder } from '../storage/seriesCast.js';
import { readSeriesNames } from '../storage/seriesNames.js';

const isJapanese = (lang: string | undefined) => !!lang && /^(ja|jpn)(?:[-_]|$)/i.test(lang);

export async function whisperNameHints(prep: PreparedJob, task: WhisperTask): Promise<string | undefined> {
  const { series } = prep.options;
  if (!series) return undefined;
  const speakers = series.cast?.entries.map((e) => e.speaker) ?? [];
  let names: { source: string; target: string }[] = [];
  if (series.name) {
    const dir = await seriesFolder(prep.job.root, series.name);
    speakers.push(...(await readCast(dir)).entries.map((e) => e.speaker));
    names = await readSeriesNames(dir);
  }
  // A Japanese transcript is written in kana and kanji; English (and the translate task's output) in the spellings.
  const written = task === 'transcribe' && isJapanese(prep.options.src);
  return hotwordsOf(written ? names.map((n) => n.source) : [...names.map((n) => n.target), ...speakers]);
}
