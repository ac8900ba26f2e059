// Which queue kind (cpu, gpu) each activity is called on. Plain data, no zod: the workflow bundle imports it,
// and every module a workflow imports is evaluated at a fresh worker's first workflow task.
/** The task queues when settings name none: the schema's defaults, and the workflows' before prepareJob has run. */
export const DEFAULT_QUEUES = { workflows: 'dub-workflows', cpu: 'dub-cpu', gpu: 'dub-gpu' } as const;

export const QUEUE_KINDS = ['cpu', 'gpu'] as const;
export type QueueKind = (typeof QUEUE_KINDS)[number];

/**
 * Activities that may be moved between queues by config (the rest run on cpu, except dubLines: see PLACED_WITH).
 * synthesizeLine is no activity of its own any more; its name places dubLines (settings already use it).
 */
export const PLACEABLE_ACTIVITIES = [
  'extractAudio', 'transcribe', 'importSubtitles', 'translateLines',
  'synthesizeLine', 'condenseLines', 'assembleDub', 'separateAudio', 'mixDub', 'muxOutputs', 'lipsync', 'writeReport',
  'analyzeProsody', 'saveReview', 'prepareVoices', 'planStream', 'cutChunk', 'transcribeChunk', 'muxChunk', 'fallbackChunk', 'publishStream', 'stitchStream',
] as const;
export type PlaceableActivity = (typeof PLACEABLE_ACTIVITIES)[number];

export const DEFAULT_PLACEMENT: Record<PlaceableActivity, QueueKind> = {
  extractAudio: 'cpu', transcribe: 'gpu', importSubtitles: 'cpu', translateLines: 'cpu',
  synthesizeLine: 'gpu', condenseLines: 'cpu', assembleDub: 'cpu', separateAudio: 'gpu', mixDub: 'cpu', muxOutputs: 'cpu', lipsync: 'gpu', writeReport: 'cpu',
  analyzeProsody: 'cpu', saveReview: 'cpu', prepareVoices: 'cpu', planStream: 'cpu', cutChunk: 'cpu', transcribeChunk: 'gpu', muxChunk: 'cpu', fallbackChunk: 'cpu', publishStream: 'cpu', stitchStream: 'cpu',
};

/** dubLines (each line synthesized, then fitted where it was synthesized) goes where synthesizeLine is placed. */
const PLACED_WITH: Record<string, PlaceableActivity> = { dubLines: 'synthesizeLine' };

export type Placement = Record<PlaceableActivity, QueueKind>;

/** The queue kind an activity is called on under a placement (unplaced names run on cpu). */
export function queueKindOf(placement: Placement, activity: string): QueueKind {
  return (placement as Record<string, QueueKind | undefined>)[PLACED_WITH[activity] ?? activity] ?? 'cpu';
}
