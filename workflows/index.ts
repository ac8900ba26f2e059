export { dubJob } from './dubJob.js';
