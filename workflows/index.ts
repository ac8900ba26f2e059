export { dubJob } from './dubJob.js';
export { streamDub } from './streamDub.js';
export { streamChunk } from './streamChunk.js';
