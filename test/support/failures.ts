// The typed failure behind a failed workflow, however deep the workflow wrapped it (shared by the suites that
// assert on refusals).
import { expect } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';

export function typedCause(err: unknown): ApplicationFailure {
  expect(err).toBeInstanceOf(WorkflowFailedError);
  let cause = (err as WorkflowFailedError).cause as Error | undefined;
  while (cause && !(cause instanceof ApplicationFailure && cause.type)) cause = (cause as { cause?: Error }).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}
