import type { CompletionResult, DirectBatchOptions, DirectLastFor, JetStreamManager, StoredMsg } from '@nats-io/jetstream';

/**
 * One batched direct get, whole: every message it answers, in order (none when the server finds
 * none). nats.js times a batch out only until its first message, so a replica that stops answering
 * midway (a frozen node) fails it after `timeoutMs` instead of leaving the reader waiting for ever.
 * The callback form, as its inbox is unsubscribed at the end of the batch (the iterator form keeps it 5 s).
 */
export function directBatch(jsm: JetStreamManager, stream: string, request: DirectBatchOptions | DirectLastFor, timeoutMs: number): Promise<StoredMsg[]> {
  return new Promise((resolve, reject) => {
    const messages: StoredMsg[] = [];
    let batch: { stop(): void } | undefined;
    let settled = false;
    const settle = (finish: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      finish();
    };
    const deadline = setTimeout(() => {
      settle(() => reject(new Error(`a batched read of ${stream} got no answer within ${timeoutMs} ms`)));
      batch?.stop();
    }, timeoutMs);
    const callback = (done: CompletionResult | null, stored: StoredMsg) => {
      if (!done) return void messages.push(stored);
      settle(() => (done.err ? reject(done.err) : resolve(messages)));
    };
    jsm.direct.getBatch(stream, { ...request, callback } as DirectBatchOptions).then(
      (started) => void (batch = started),
      (error: Error) => settle(() => reject(error)),
    );
  });
}
