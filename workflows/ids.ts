// Workflow ids a workflow builds itself, in one place: the parent starts each chunk under this id and the CLI
// finds the chunk's progress by it, so the two can never disagree. (A job's own id: client/api.ts jobIdFor.)

/** `<streamDub id>-chunk-007`: the child workflow rendering chunk 7 of a streaming run. */
export function chunkWorkflowId(streamWorkflowId: string, chunkIndex: number): string {
  return `${streamWorkflowId}-chunk-${String(chunkIndex).padStart(3, '0')}`;
}
