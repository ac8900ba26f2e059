// Which queue kind (cpu, gpu) each activity is called on. Plain data, no zod: the workflow bundle imports it,
// and every module a workflow imports is evaluated at a fresh worker's first workflow task.
/** The task queues when settings name none: the schema's defaults, and the workflows' before prepareJob has run. */
export const DEFAULT_QUEUES = { workflows: 'dub-workflows', cpu: 'dub-cpu', gpu: 'dub-gpu' } as const;

export const QUEUE_KINDS = ['cpu', 'gpu'] as const;
export type QueueKind = (typeof QUEUE_KINDS)[number];

/** Activities that may be moved between queues by config (the rest run on cpu). */
export const PLACEABLE_ACTIVITIES = [
  'extractAudio', 'transcribe', 'importSubtitles', 'translateLines',
  'dubLines', 'condenseLines', 'assembleDub', 'separateAudio', 'mixDub', 'muxOutputs', 'lipsync', 'writeReport',
  'analyzeProsody', 'saveReview', 'prepareVoices', 'planStream', 'cutChunk', 'transcribeChunk', 'muxChunk', 'fallbackChunk', 'publishStream', 'stitchStream',
] as const;
export type PlaceableActivity = (typeof PLACEABLE_ACTIVITIES)[number];

/**
 * Former names of placeable activities: `synthesizeLine` (one activity per line until dubLines took its place)
 * places dubLines. Settings may still use it; jobs started before the rename carry only it (replayed 1.0 histories
 * read it); and a placement is written with it too, so a worker still on the former code places dubLines the same
 * during a rolling upgrade.
 */
export const PLACEMENT_ALIASES = { synthesizeLine: 'dubLines' } as const satisfies Record<string, PlaceableActivity>;
type FormerName = keyof typeof PLACEMENT_ALIASES;
export const PLACEMENT_NAMES = [...PLACEABLE_ACTIVITIES, ...(Object.keys(PLACEMENT_ALIASES) as FormerName[])] as const;

export type Placement = Record<PlaceableActivity, QueueKind> & Partial<Record<FormerName, QueueKind>>;

export const DEFAULT_PLACEMENT: Placement = {
  extractAudio: 'cpu', transcribe: 'gpu', importSubtitles: 'cpu', translateLines: 'cpu',
  dubLines: 'gpu', condenseLines: 'cpu', assembleDub: 'cpu', separateAudio: 'gpu', mixDub: 'cpu', muxOutputs: 'cpu', lipsync: 'gpu', writeReport: 'cpu',
  analyzeProsody: 'cpu', saveReview: 'cpu', prepareVoices: 'cpu', planStream: 'cpu', cutChunk: 'cpu', transcribeChunk: 'gpu', muxChunk: 'cpu', fallbackChunk: 'cpu', publishStream: 'cpu', stitchStream: 'cpu',
  synthesizeLine: 'gpu',
};

/** Settings' placement (current or former names) over the defaults; a current name wins over its former one. */
export function withDefaultPlacement(given: Partial<Record<(typeof PLACEMENT_NAMES)[number], QueueKind>>): Placement {
  const out: Placement = { ...DEFAULT_PLACEMENT };
  for (const name of PLACEABLE_ACTIVITIES) {
    const kind = given[name];
    if (kind) out[name] = kind;
  }
  for (const [old, now] of Object.entries(PLACEMENT_ALIASES) as [FormerName, PlaceableActivity][]) {
    if (given[old] && !given[now]) out[now] = given[old];
    out[old] = out[now];
  }
  return out;
}

/** The queue kind an activity is called on under a placement (unplaced names run on cpu). */
export function queueKindOf(placement: Placement, activity: string): QueueKind {
  const byName = placement as Record<string, QueueKind | undefined>;
  const former = Object.entries(PLACEMENT_ALIASES).find(([, now]) => now === activity)?.[0];
  return byName[activity] ?? (former ? byName[former] : undefined) ?? 'cpu';
}
