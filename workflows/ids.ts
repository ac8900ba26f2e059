// Every workflow id, built in one place: the client starts a job under its id and finds it again by it; the
// parent starts each chunk under its id and the CLI finds the chunk's progress by it. Pure string work: the
// hash that makes a job's id comes from the client (client/api.ts jobIdFor), which may use Node's crypto.

/** The video's file name without extension, safe in an id (letters, digits, `_ . -`), at most 60 characters. */
export function videoStem(video: string): string {
  return video.split('/').pop()!.replace(/\.[^.]*$/, '').replace(/[^\w.-]+/g, '_').replace(/^[-.]+/, '').slice(0, 60) || 'job';
}

/** `dub-ep01-en-<key>` / `stream-ep01-en-<key>`: the same key (input, root, options) gives the same id. */
export function jobWorkflowId(kind: 'dub' | 'stream', video: string, dubLanguage: string, key: string): string {
  return `${kind}-${videoStem(video)}-${dubLanguage}-${key}`;
}

/** `dub-ep01-20261202042501-x7k2` / `stream-…` (`--new`): a second job beside one with the same options. */
export function freshJobWorkflowId(video: string, stamp: Date, suffix: string, kind: 'dub' | 'stream' = 'dub'): string {
  return `${kind}-${videoStem(video)}-${stamp.toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${suffix}`;
}

/** `<streamDub id>-chunk-007`: the child workflow rendering chunk 7 of a streaming run. */
export function chunkWorkflowId(streamWorkflowId: string, chunkIndex: number): string {
  return `${streamWorkflowId}-chunk-${String(chunkIndex).padStart(3, '0')}`;
}
