import type { ModelRequest, ModelResponse } from '@signalbox/events';
import { ModelError, type CallOptions, type ModelProvider } from './provider.ts';

/**
 * Answers the i-th call with the i-th recorded response, so a session can be re-run from its
 * `model.responded` events without calling any model. The requests are not looked at: proving
 * the rebuilt request matches the recorded digest is the runtime's job.
 */
export function createReplayProvider(recorded: readonly ModelResponse[], name = 'replay'): ModelProvider {
  let next = 0;
  return {
    name,
    async complete(_request: ModelRequest, options: CallOptions = {}): Promise<ModelResponse> {
      options.signal?.throwIfAborted();
      const response = recorded[next];
      if (response === undefined) {
        const message = `the recording holds ${recorded.length} model responses and call ${next + 1} asked for another`;
        throw new ModelError('script_exhausted', message, { retryable: false });
      }
      next += 1;
      // A copy, so a caller that changes the response cannot change the recording.
      return structuredClone(response);
    },
  };
}
