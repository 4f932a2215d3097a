import { expect } from 'vitest';
import { ModelError } from './provider.ts';

/** The ModelError a call rejects with (only tests import this file); a call that resolves fails the test. */
export async function failure(promise: Promise<unknown>): Promise<ModelError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ModelError);
  return error as ModelError;
}
