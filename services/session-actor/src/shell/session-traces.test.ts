import { propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { AgentDefinition, type NewEvent, type SessionEvent } from '@signalbox/events';
import { decide, evolve, initialState, type SessionState } from '@signalbox/session';
import { beforeAll, describe, expect, it } from 'vitest';
import { SessionTraces } from './session-traces.ts';

const agent = AgentDefinition.parse({ name: 'tracer', model: 'scripted', script: [{ final: 'done' }], system: 'You check.', tools: ['workspace.read'] });
const tools = [{ name: 'workspace.read', description: 'Read a file', inputSchema: { type: 'object' } }];

beforeAll(() => {
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});

function tracing() {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  return { exporter, traces: new SessionTraces(provider.getTracer('test')) };
}

/** A session's log as the actor keeps it: each append's events enveloped, and the state before and after. */
class Log {
  state: SessionState = initialState();
  n = 0;
  at = 1_796_000_000_000;

  envelop(events: readonly NewEvent[]): { before: SessionState; after: SessionState; events: SessionEvent[] } {
    const enveloped = events.map((event): SessionEvent => {
      this.n += 1;
      this.at += 10;
      return { ...event, id: `e${this.n}`, v: 1, sessionId: 's1', n: this.n, at: this.at, causationId: null, correlationId: 's1', by: { service: 'test', instance: 't' } };
    });
    const before = this.state;
    this.state = enveloped.reduce(evolve, before);
    return { before, after: this.state, events: enveloped };
  }
}

const start = () => decide({ type: 'StartSession', sessionId: 's1', correlationId: 's1', agent, tools, input: 'read it', budget: agent.budget }, initialState()).events;
const reply = (callId: string, tool: boolean): NewEvent => ({
  type: 'model.responded',
  data: {
    callId,
    model: 'scripted',
    content: tool ? [{ type: 'tool_use', id: 'call_1', name: 'workspace.read', input: { path: 'a.md' } }] : [{ type: 'text', text: 'done' }],
    stopReason: tool ? 'tool_use' : 'end_turn',
    usage: { inputTokens: 5, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 },
    costUsd: 0,
    latencyMs: 3,
  },
});
const toolRequested: NewEvent = { type: 'tool.requested', data: { callId: 'call_1', tool: 'workspace.read', input: { path: 'a.md' }, idempotencyKey: 's1:call_1' } };
const toolCompleted: NewEvent = { type: 'tool.completed', data: { callId: 'call_1', tool: 'workspace.read', output: 'text', durationMs: 2 } };
const requested = (callId: string): NewEvent => ({ type: 'model.requested', data: { callId, model: 'scripted', digest: 'd', digestScheme: 'message-chain', attempt: 1 } });

describe('SessionTraces', () => {
  it('stamps each event with its span, and exports a span only once the append holding its end is acknowledged', () => {
    const { exporter, traces } = tracing();
    const log = new Log();
    const first = log.envelop(start());
    const stamped = traces.stamp(first.before, first.after, first.events);
    stamped.commit();
    const [created, modelRequested] = stamped.events;
    expect(created?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const traceId = created?.traceparent?.split('-')[1];
    expect(modelRequested?.traceparent?.split('-')[1]).toBe(traceId);
    expect(exporter.getFinishedSpans()).toEqual([]);

    const answered = log.envelop([reply('m1', true), toolRequested]);
    const lost = traces.stamp(answered.before, answered.after, answered.events);
    // Not committed (the append lost a race): nothing ends.
    expect(exporter.getFinishedSpans()).toEqual([]);
    lost.commit();
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['chat scripted']);
    const toolTraceparent = traces.traceparentOf('s1', 'call:call_1');
    expect(lost.events[1]?.traceparent).toBe(toolTraceparent);
  });

  it('holds no turn an append began when the append lost its race: the trace is read back from the log instead', () => {
    const { exporter, traces } = tracing();
    const began = new Log().envelop(start());
    const lost = traces.stamp(began.before, began.after, began.events);
    expect(lost.events[0]?.traceparent).toBeDefined();
    // Never committed: another actor's session.created was there first.
    expect(traces.knows('s1', began.after)).toBe(false);
    expect(traces.traceparentOf('s1', 'step')).toBeUndefined();
    expect(exporter.getFinishedSpans()).toEqual([]);
    const won = traces.stamp(began.before, began.after, began.events);
    won.commit();
    expect(traces.knows('s1', began.after)).toBe(true);
  });

  it('ends the step, its calls and the turn when the session completes, and drops what it held of the session', () => {
    const { exporter, traces } = tracing();
    const log = new Log();
    for (const events of [start(), [reply('m1', true), toolRequested], [toolCompleted, requested('m2')], [reply('m2', false)]]) {
      const append = log.envelop(events);
      traces.stamp(append.before, append.after, append.events).commit();
    }
    const completion = log.envelop(decide({ type: 'Resume' }, log.state).events);
    traces.stamp(completion.before, completion.after, completion.events).commit();
    const spans = exporter.getFinishedSpans();
    expect(log.state.status).toBe('completed');
    expect(spans.map((span) => span.name).sort()).toEqual(['chat scripted', 'chat scripted', 'execute_tool workspace.read', 'invoke_agent tracer', 'step', 'step']);
    const turn = spans.find((span) => span.name === 'invoke_agent tracer');
    const steps = spans.filter((span) => span.name === 'step');
    expect(steps.every((step) => step.parentSpanContext?.spanId === turn?.spanContext().spanId)).toBe(true);
    const tool = spans.find((span) => span.name === 'execute_tool workspace.read');
    expect(tool?.parentSpanContext?.spanId).toBe(steps.find((step) => step.attributes['signalbox.model.call_id'] === 'm1')?.spanContext().spanId);
    // Timed by the events' clock: the turn from the task's event to the last.
    expect(turn?.startTime).toEqual([1_796_000_000, 10_000_000]);
    expect(traces.knows('s1', log.state)).toBe(false);
  });

  it("continues a turn another actor began, in its trace, from the last event's traceparent", () => {
    const { traces: first } = tracing();
    const log = new Log();
    for (const events of [start(), [reply('m1', true), toolRequested]]) {
      const append = log.envelop(events);
      first.stamp(append.before, append.after, append.events).commit();
    }
    const toolTraceparent = first.traceparentOf('s1', 'call:call_1');

    const { exporter, traces: second } = tracing();
    expect(second.knows('s1', log.state)).toBe(false);
    expect(second.traceparentOf('s1', 'call:call_1')).toBeUndefined();
    second.recall('s1', log.state, toolTraceparent);
    // The call the first actor opened, dispatched again from here: carried in its trace, under the log's last span.
    expect(second.traceparentOf('s1', 'call:call_1')).toBe(toolTraceparent);
    const resumed = log.envelop([toolCompleted, requested('m2')]);
    const stamped = second.stamp(resumed.before, resumed.after, resumed.events);
    stamped.commit();
    const traceId = toolTraceparent?.split('-')[1];
    expect(stamped.events.every((event) => event.traceparent?.split('-')[1] === traceId)).toBe(true);
    for (const events of [[reply('m2', false)], () => decide({ type: 'Resume' }, log.state).events] as const) {
      const append = log.envelop(typeof events === 'function' ? events() : events);
      second.stamp(append.before, append.after, append.events).commit();
    }
    const step = exporter.getFinishedSpans().find((span) => span.name === 'step');
    expect(step?.spanContext().traceId).toBe(traceId);
    // Under the span the log named, as a remote parent: the turn's span itself was the first actor's.
    expect(step?.parentSpanContext?.spanId).toBe(toolTraceparent?.split('-')[2]);
  });

  it("hangs a turn under the span its command's message named (a lead's delegation), and a name that does not parse starts a trace of its own", () => {
    const lead = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const { exporter, traces } = tracing();
    const log = new Log();
    const first = log.envelop(start());
    const stamped = traces.stamp(first.before, first.after, first.events, lead);
    stamped.commit();
    expect(stamped.events[0]?.traceparent?.split('-')[1]).toBe('0af7651916cd43dd8448eb211c80319c');
    const done = log.envelop([reply('m1', false)]);
    traces.stamp(done.before, done.after, done.events).commit();
    const ended = log.envelop(decide({ type: 'Resume' }, log.state).events);
    traces.stamp(ended.before, ended.after, ended.events).commit();
    const turn = exporter.getFinishedSpans().find((span) => span.name === 'invoke_agent tracer');
    expect(turn?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');

    const { exporter: other, traces: untouched } = tracing();
    const second = new Log();
    const begun = second.envelop(start());
    untouched.stamp(begun.before, begun.after, begun.events, '00-not-a-trace-01').commit();
    const finished = second.envelop([reply('m1', false)]);
    untouched.stamp(finished.before, finished.after, finished.events).commit();
    const closing = second.envelop(decide({ type: 'Resume' }, second.state).events);
    untouched.stamp(closing.before, closing.after, closing.events).commit();
    expect(other.getFinishedSpans().find((span) => span.name === 'invoke_agent tracer')?.parentSpanContext).toBeUndefined();
  });

  it('asks for the log again when a session it last saw between turns is working: another actor may have begun the turn', () => {
    const { traces } = tracing();
    const log = new Log();
    const first = log.envelop(start());
    traces.stamp(first.before, first.after, first.events).commit();
    const paused = log.envelop([{ type: 'session.paused', data: { reason: 'asked', by: 'cli:ann' } }]);
    traces.stamp(paused.before, paused.after, paused.events).commit();
    expect(traces.knows('s1', log.state)).toBe(true);
    expect(traces.knows('s1', { ...log.state, paused: null } as SessionState)).toBe(false);
  });

  it('stamps nothing and starts nothing for appends while the session is not working', () => {
    const { exporter, traces } = tracing();
    const idle = { ...new Log().envelop(start()).after };
    const paused = idle.status === 'new' ? idle : { ...idle, paused: { reason: 'asked', by: 'cli:ann' } };
    const events = new Log().envelop([toolCompleted]).events;
    const stamped = traces.stamp(paused, paused, events);
    stamped.commit();
    expect(stamped.events[0]?.traceparent).toBeUndefined();
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
