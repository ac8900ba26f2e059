// The names a chat model's translation must spell one way (lib/names.ts): from the lines' speakers, the series'
// cast and names file (kept across the series, updated under its lock), and the Japanese transcript.
import type { JobOptions } from '../config/schema.js';
import type { GlossaryEntry } from '../lib/glossary.js';
import type { Line, PreparedJob } from '../lib/job.js';
import { episodeNames, type NameTerm } from '../lib/names.js';
import { activityContext } from '../engines/activityContext.js';
import type { JobFolderMirror } from '../storage/jobMirror.js';
import { seriesFolder } from '../storage/seriesCast.js';
import { updateSeriesNames } from '../storage/seriesNames.js';

export interface EpisodeNames {
  /** Glossary entries: written form → one spelling (honorifics by the job's policy). */
  entries: GlossaryEntry[];
  /** The romanized names of the people, shown to the translator as data. */
  cast: string[];
}

const isJapanese = (lang: string) => /^(ja|jpn)(?:[-_]|$)/i.test(lang);

/** Names kept for the series: the bare ones (an honorific is spelled per job) that did not come from it. */
const toKeep = (terms: readonly NameTerm[]) => terms
  .filter((t): t is NameTerm & { source: string } => !!t.source && !t.honorific && t.from !== 'series')
  .map((t) => ({ source: t.source, target: t.target }));

export async function namesForEpisode(prep: PreparedJob, lines: readonly Line[], mirror?: JobFolderMirror): Promise<EpisodeNames> {
  const { options } = prep;
  const speakers = [
    ...lines.map((l) => l.speaker).filter((s): s is string => !!s),
    ...(options.series?.cast?.entries.map((e) => e.speaker) ?? []),
  ];
  const find = (series: GlossaryEntry[], castSpeakers: string[]) => episodeNames({
    series, speakers: [...speakers, ...castSpeakers], transcript: isJapanese(options.src) ? lines.map((l) => l.text) : [],
    honorifics: options.mt.honorifics as JobOptions['mt']['honorifics'],
  });
  const name = options.series?.name;
  if (!name) {
    const { entries, cast } = find([], []);
    return { entries, cast };
  }
  const dir = await seriesFolder(prep.job.root, name);
  const ctx = activityContext();
  const store = mirror?.seriesStore(dir);
  return updateSeriesNames(dir, {
    owner: ctx?.info.workflowExecution?.workflowId ?? prep.job.name,
    onWait: () => ctx?.heartbeat('waiting for the series names'), ...(store ? { store } : {}),
  }, (stored, castSpeakers) => {
    const { entries, cast, terms } = find(stored, castSpeakers);
    return { keep: toKeep(terms), result: { entries, cast } };
  });
}
