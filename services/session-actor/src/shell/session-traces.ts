import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Link, type Span, type SpanContext, type Tracer } from '@opentelemetry/api';
import type { SessionEvent } from '@signalbox/events';
import { contextOfTraceparent, traceparentOf } from '@signalbox/runtime';
import type { SessionState } from '@signalbox/session';
import { isWorking, spanOfEvent, spanOpsOf, turnChange, turnSpan, type SpanKey, type SpanOp } from '../core/trace-spans.ts';

/** A session's turn as this actor traces it: the turn's context (its span when this actor began it), and its open spans. */
interface TracedTurn {
  /** The turn's span, or the context of one another actor began (a turn continued after a crash or a hand-over). */
  turn: Span | Context;
  spans: Map<SpanKey, Span>;
}

/** An append being traced: its events with their `traceparent`, and what to end once the append is acknowledged. */
export interface TracedAppend {
  events: SessionEvent[];
  commit(): void;
}

/**
 * The session actor's traces: a trace per turn, a span per step, model call and tool call, timed by
 * the events' own clock. Each event appended carries the `traceparent` of its span, so a turn
 * continued by another actor (after a crash) goes on in the same trace, read back from the log.
 * Spans start when their event is proposed and end once the append holding their last event is
 * acknowledged: a decision that loses a race ends nothing, and a turn it began is not held. Only the actor that traces a session
 * holds its turn; the map forgets a session when it completes.
 */
export class SessionTraces {
  readonly #tracer: Tracer;
  readonly #turns = new Map<string, TracedTurn>();
  /** The last turn of each session this actor traced or read back: the next turn links to it. */
  readonly #lastTurns = new Map<string, SpanContext>();

  constructor(tracer: Tracer) {
    this.#tracer = tracer;
  }

  /**
   * Whether this actor knows where the session's trace stands; if not, `recall` it from the log first.
   * A working session needs its turn here: the last turn this actor saw may have been followed by one
   * another actor began.
   */
  knows(sessionId: string, state: SessionState): boolean {
    return this.#turns.has(sessionId) || (!isWorking(state) && this.#lastTurns.has(sessionId));
  }

  /**
   * The `traceparent` of a call's span (a tool's, a delegation's) or of an attempt's grading, while this
   * actor traces it: what its job, or the child's start, carries to the process that takes it up. In a
   * turn picked up from another actor's log, a call that actor opened (a job dispatched again after it
   * crashed) has no span here: it is carried under the span the log's last event named, in the turn's trace.
   */
  traceparentOf(sessionId: string, key: SpanKey): string | undefined {
    const traced = this.#turns.get(sessionId);
    const span = traced?.spans.get(key);
    if (span) return traceparentOf(span.spanContext());
    const recalled = traced && !isSpan(traced.turn) ? trace.getSpanContext(traced.turn) : undefined;
    return recalled && traceparentOf(recalled);
  }

  /** Picks up the trace of a session another actor traced, from the `traceparent` of its last event. */
  recall(sessionId: string, before: SessionState, lastTraceparent: string | undefined): void {
    const context = contextOfTraceparent(lastTraceparent);
    const spanContext = trace.getSpanContext(context);
    if (spanContext === undefined) return;
    if (isWorking(before)) this.#turns.set(sessionId, { turn: context, spans: new Map() });
    else this.#lastTurns.set(sessionId, spanContext);
  }

  /**
   * The events of an append, each with its span's `traceparent`; the spans they start are started. A
   * turn the append starts hangs under `parent` when that names a span (a lead's delegation), else it
   * is a trace of its own.
   */
  stamp(before: SessionState, after: SessionState, events: SessionEvent[], parent?: string): TracedAppend {
    const first = events[0];
    if (first === undefined || after.status === 'new') return { events, commit: () => undefined };
    const sessionId = after.sessionId;
    const change = turnChange(before, after);
    if (change === 'none') return { events, commit: () => undefined };
    const traced = change === 'starts' ? this.#startTurn(after, first, parent) : this.#turns.get(sessionId);
    if (traced === undefined) return { events, commit: () => undefined };
    // An end is resolved to its span now, before a later start takes its key (a step ends as the next begins).
    const ends: { span: Span; op: Extract<SpanOp, { op: 'end' }>; at: number }[] = [];
    const stamped = events.map((event) => {
      for (const op of spanOpsOf(event)) {
        const span = traced.spans.get(op.key);
        if (op.op === 'start') this.#start(traced, op, event.at);
        else if (span) ends.push({ span, op, at: event.at });
      }
      const context = this.#contextOf(traced, spanOfEvent(event));
      const traceparent = context && traceparentOf(context);
      return traceparent === undefined ? event : { ...event, traceparent };
    });
    const endsAt = stamped.at(-1)?.at ?? first.at;
    return {
      events: stamped,
      commit: () => {
        // A turn an append starts is held only once the append is acknowledged: one that lost a race (a
        // session started again elsewhere) must not stand in for the trace the log names.
        if (change === 'starts') this.#turns.set(sessionId, traced);
        for (const { span, op, at } of ends) endSpan(traced.spans, span, op, at);
        if (change === 'ends') this.#endTurn(sessionId, traced, endsAt, after.status === 'completed');
      },
    };
  }

  #startTurn(state: Exclude<SessionState, { status: 'new' }>, trigger: SessionEvent, parent: string | undefined): TracedTurn {
    const { name, attributes } = turnSpan(state, trigger.type);
    const previous = this.#lastTurns.get(state.sessionId);
    const links: Link[] = previous ? [{ context: previous, attributes: { 'signalbox.link': 'previous_turn' } }] : [];
    const under = contextOfTraceparent(parent);
    const root = trace.getSpanContext(under) === undefined;
    const span = this.#tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes, links, startTime: timeOf(trigger.at), root }, root ? ROOT_CONTEXT : under);
    return { turn: span, spans: new Map<SpanKey, Span>() };
  }

  #start(traced: TracedTurn, op: Extract<SpanOp, { op: 'start' }>, at: number): void {
    const step = op.parent === 'step' ? traced.spans.get('step') : undefined;
    const parent = step ? trace.setSpan(ROOT_CONTEXT, step) : contextOfTurn(traced.turn);
    const kind = op.kind === 'client' ? SpanKind.CLIENT : SpanKind.INTERNAL;
    traced.spans.set(op.key, this.#tracer.startSpan(op.name, { kind, attributes: op.attributes, startTime: timeOf(at) }, parent));
  }

  /** The span context an event names: its own span's, else the step's, else the turn's. */
  #contextOf(traced: TracedTurn, key: SpanKey): SpanContext | undefined {
    const span = key === 'turn' ? undefined : (traced.spans.get(key) ?? traced.spans.get('step'));
    return span ? span.spanContext() : trace.getSpanContext(contextOfTurn(traced.turn));
  }

  #endTurn(sessionId: string, traced: TracedTurn, at: number, completed: boolean): void {
    for (const span of traced.spans.values()) span.end(timeOf(at));
    this.#turns.delete(sessionId);
    const turn = traced.turn;
    const context = isSpan(turn) ? turn.spanContext() : trace.getSpanContext(turn);
    if (isSpan(turn)) turn.end(timeOf(at));
    if (completed || context === undefined) this.#lastTurns.delete(sessionId);
    else this.#lastTurns.set(sessionId, context);
  }
}

function contextOfTurn(turn: Span | Context): Context {
  return isSpan(turn) ? trace.setSpan(ROOT_CONTEXT, turn) : turn;
}

function isSpan(value: Span | Context): value is Span {
  return 'spanContext' in value && typeof value.spanContext === 'function';
}

function endSpan(spans: Map<SpanKey, Span>, span: Span, op: Extract<SpanOp, { op: 'end' }>, at: number): void {
  span.setAttributes(op.attributes);
  if (op.error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: op.error });
  span.end(timeOf(at));
  if (spans.get(op.key) === span) spans.delete(op.key);
}

/** An event's time as a Date: the SDK reads a bare number below the process's start as a performance-clock reading. */
function timeOf(at: number): Date {
  return new Date(at);
}
