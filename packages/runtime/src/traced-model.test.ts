import { ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { ModelRequest } from '@signalbox/events';
import { ModelError, type CallOptions, type ResolvedModel } from '@signalbox/models';
import { describe, expect, it } from 'vitest';
import { tracedModel } from './traced-model.ts';
import { startTracing, traceparentOf } from './tracing.ts';

function keeping(): SpanExporter & { spans: ReadableSpan[] } {
  const spans: ReadableSpan[] = [];
  return {
    spans,
    export: (batch, done) => {
      spans.push(...batch);
      done({ code: ExportResultCode.SUCCESS });
    },
    shutdown: () => Promise.resolve(),
  };
}

const request: ModelRequest = { model: 'judge-1', system: 'Grade it. Secret: hunter2', messages: [{ role: 'user', content: [{ type: 'text', text: 'the answer is 42' }] }], tools: [], maxTokens: 100 };

/** A model that answers (or fails) at once and remembers the options of each call. */
function fakeModel(fails?: Error): ResolvedModel & { seen: CallOptions[] } {
  const seen: CallOptions[] = [];
  return {
    seen,
    name: 'judge-1',
    costOf: (usage) => usage.inputTokens * 0.001,
    provider: {
      name: 'acme',
      complete: async (_request, options = {}) => {
        seen.push(options);
        if (fails) throw fails;
        return { model: 'judge-1-2026', content: [{ type: 'text', text: 'passed: the answer is 42' }], stopReason: 'end_turn', usage: { inputTokens: 12, outputTokens: 3, cacheReadTokens: 0, cacheWriteTokens: 0 } };
      },
    },
  };
}

async function traceOne(model: ResolvedModel & { seen: CallOptions[] }) {
  const exporter = keeping();
  const tracing = startTracing({ endpoint: 'http://127.0.0.1:9' }, { services: ['grader'], instance: 'g-1' }, exporter);
  if (!tracing) throw new Error('no tracing');
  const parent = tracing.tracer.startSpan('grade_outcome');
  const call = tracedModel(model, tracing.tracer, trace.setSpan(ROOT_CONTEXT, parent)).provider.complete(request, { signal: AbortSignal.timeout(5_000) });
  const settled = await call.then(
    () => undefined,
    (error: unknown) => error,
  );
  parent.end();
  await tracing.shutdown();
  const chat = exporter.spans.find((span) => span.name === 'chat judge-1');
  if (!chat) throw new Error('no chat span');
  return { chat, parent: parent.spanContext(), settled };
}

describe('tracedModel', () => {
  it('traces each call as a chat span under its parent, and sends the span as the request’s traceparent; no content reaches the span', async () => {
    const model = fakeModel();
    const { chat, parent } = await traceOne(model);
    expect(chat.parentSpanContext?.spanId).toBe(parent.spanId);
    expect(chat.spanContext().traceId).toBe(parent.traceId);
    expect(chat.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'acme',
      'gen_ai.request.model': 'judge-1',
      'gen_ai.response.model': 'judge-1-2026',
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 3,
      'gen_ai.response.finish_reasons': ['end_turn'],
      'signalbox.cost_usd': 0.012,
    });
    expect(model.seen[0]?.traceparent).toBe(traceparentOf(chat.spanContext()));
    // The caller's own options (its deadline) still reach the provider.
    expect(model.seen[0]?.signal).toBeInstanceOf(AbortSignal);
    expect(JSON.stringify(chat.attributes)).not.toMatch(/hunter2|42/);
  });

  it('marks a failed call with its error code and passes the error on unchanged', async () => {
    const refused = new ModelError('authentication', 'bad key sk-live-1', { retryable: false, status: 401 });
    const { chat, settled } = await traceOne(fakeModel(refused));
    expect(settled).toBe(refused);
    expect(chat.status).toEqual({ code: SpanStatusCode.ERROR, message: 'authentication' });
    expect(chat.attributes['error.type']).toBe('authentication');
    expect(JSON.stringify({ attributes: chat.attributes, status: chat.status, events: chat.events })).not.toContain('sk-live-1');
  });

  it('leaves the model as it is when the process does not trace', () => {
    const model = fakeModel();
    expect(tracedModel(model, undefined, ROOT_CONTEXT)).toBe(model);
  });
});
