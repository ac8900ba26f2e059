// Activity errors from the file system that no retry can fix (a full disk, a read-only or missing folder)
// become one typed, non-retryable failure instead of a retry storm.
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import { ErrorType, failure } from '../lib/errors.js';

const PERMANENT = new Set(['ENOSPC', 'EROFS', 'EACCES', 'EPERM', 'ENOTDIR', 'EDQUOT']);

export class FileSystemErrors implements ActivityInboundCallsInterceptor {
  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    try {
      return await next(input);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException)?.code;
      if (code && PERMANENT.has(code)) {
        const why = code === 'ENOSPC' || code === 'EDQUOT' ? 'the disk is full' : 'the folder cannot be written';
        throw failure(ErrorType.OutputNotWritable, `${why}: ${(err as Error).message}`);
      }
      throw err;
    }
  }
}
