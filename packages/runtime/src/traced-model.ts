import { SpanKind, SpanStatusCode, type Context, type Tracer } from '@opentelemetry/api';
import { ModelError, type ModelProvider, type ResolvedModel } from '@signalbox/models';
import { traceparentOf } from './tracing.ts';

/**
 * `model` with each of its calls traced: a `chat <model>` client span under `parent`, with the GenAI
 * conventions' provider, models, token usage and finish reason (and what the reply cost), and the
 * provider's request carrying the span's `traceparent`, so a gateway or proxy that traces joins the
 * trace. Neither the prompt nor the answer reaches the span. Without a tracer, `model` as it is.
 */
export function tracedModel(model: ResolvedModel, tracer: Tracer | undefined, parent: Context): ResolvedModel {
  if (tracer === undefined) return model;
  const { provider } = model;
  const traced: ModelProvider = {
    name: provider.name,
    complete: async (request, options = {}) => {
      const attributes = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': provider.name, 'gen_ai.request.model': request.model };
      const span = tracer.startSpan(`chat ${request.model}`, { kind: SpanKind.CLIENT, attributes }, parent);
      const traceparent = traceparentOf(span.spanContext());
      try {
        const response = await provider.complete(request, traceparent === undefined ? options : { ...options, traceparent });
        span.setAttributes({
          'gen_ai.response.model': response.model,
          'gen_ai.usage.input_tokens': response.usage.inputTokens,
          'gen_ai.usage.output_tokens': response.usage.outputTokens,
          'gen_ai.response.finish_reasons': [response.stopReason],
          'signalbox.cost_usd': model.costOf(response.usage),
        });
        return response;
      } catch (error) {
        const type = error instanceof ModelError ? error.code : error instanceof Error ? error.name : 'error';
        span.setAttribute('error.type', type);
        span.setStatus({ code: SpanStatusCode.ERROR, message: type });
        throw error;
      } finally {
        span.end();
      }
    },
  };
  return { ...model, provider: traced };
}
