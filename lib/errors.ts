// Typed failures. Non-retryable ones are bad input a person must fix; retrying cannot help.
import { ApplicationFailure } from '@temporalio/common';

export const ErrorType = {
  InvalidMedia: 'InvalidMedia',
  InvalidConfig: 'InvalidConfig',
  InvalidSubtitles: 'InvalidSubtitles',
  EngineMissing: 'EngineMissing',
  UnsupportedLanguage: 'UnsupportedLanguage',
  EngineFailed: 'EngineFailed',
  OutputNotWritable: 'OutputNotWritable',
  PluginMissing: 'PluginMissing',
  /** More text than a line's slot (or the whole input) can carry: refused before it is spoken. */
  TooMuchSpeech: 'TooMuchSpeech',
  /** Another running job owns the output folder. */
  FolderBusy: 'FolderBusy',
  /** An activity's input or result over Temporal's payload limit: the same work would hit it again. */
  PayloadsTooLarge: 'PayloadsTooLarge',
} as const;
export type ErrorTypeName = (typeof ErrorType)[keyof typeof ErrorType];

const RETRYABLE = new Set<string>([ErrorType.EngineFailed]);

export function failure(type: ErrorTypeName, message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: !RETRYABLE.has(type),
    details: details === undefined ? undefined : [details],
  });
}

/** Types the activity retry policy must never retry (belt and braces with nonRetryable). */
export const NON_RETRYABLE_TYPES = Object.values(ErrorType).filter((t) => !RETRYABLE.has(t));
