// One chunk of a streaming run, as a child workflow:
// cut → transcribe (context window) → translate → synthesize + fit each line → assemble → mix → mux chunk MP4 + segment
import { ApplicationFailure, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Chunk } from '../lib/chunkPlan.js';
import type { PreparedJob } from '../lib/job.js';
import { type Stage } from '../lib/progress.js';
import { progressQuery } from './messages.js';
import type { ChunkProgress } from '../lib/streamProgress.js';
import type { ChunkEntry } from '../lib/streamManifest.js';
import { activitiesOn } from './activitiesOn.js';
import { linesToMix } from './linesToMix.js';
import { chunkOriginProblem } from './entryPoints.js';

export interface StreamChunkInput {
  prep: PreparedJob;
  chunk: Chunk;
}

export type StreamChunkResult = Required<Pick<ChunkEntry, 'index' | 'video' | 'files' | 'lines' | 'timings'>>;

export async function streamChunk({ prep, chunk }: StreamChunkInput): Promise<StreamChunkResult> {
  // Its input is a PreparedJob no activity validates again as a job start: it must come from its parent.
  const refused = chunkOriginProblem(workflowInfo(), chunk?.index);
  if (refused) throw ApplicationFailure.create({ type: 'InvalidConfig', message: refused, nonRetryable: true });
  let stage: Stage = 'extract';
  setHandler(progressQuery, () => ({ kind: 'chunk', index: chunk.index, stage }) as ChunkProgress as never);
  const act = activitiesOn(prep.options.queues, prep.options.placement, prep.options.timeouts?.heartbeatSec);

  const cut = await act.cutChunk(prep, chunk);
  const part = cut.chunkPrep;
  let mix: string;
  let lines = 0;
  if (prep.options.stream.dryRun) {
    stage = 'assemble';
    mix = await act.assembleDub(part, []); // a silent dub, but everything after it is real
  } else {
    stage = 'transcribe';
    const heard = await act.transcribeChunk(part, cut.audio, chunk);
    stage = 'translate';
    const translated = await act.translateLines(part, heard);
    ({ mix } = await linesToMix(act, part, cut.audio, translated, { stage: async (name, work) => ((stage = name), work()) }));
    lines = translated.count;
  }
  stage = 'mux';
  const files = await act.muxChunk(prep, chunk, part, mix);
  stage = 'done';
  return {
    index: chunk.index,
    video: cut.video,
    files: { mp4: files.mp4, ts: files.ts },
    lines,
    timings: { startedAt: cut.startedAt, finishedAt: files.finishedAt, renderSec: (Date.parse(files.finishedAt) - Date.parse(cut.startedAt)) / 1000 },
  };
}
