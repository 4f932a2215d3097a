import { useState } from 'preact/hooks';
import { clip, summarise, tone, type LogEvent } from '../core/events.ts';
import { Payload } from './payload.tsx';

export interface TimelineProps {
  events: readonly LogEvent[];
  /** Offered on every event when given: a new session from the first n events. */
  onFork?: (n: number) => void;
  compact?: boolean;
}

const time = (at: number) => new Date(at).toISOString().slice(11, 23);

/** A session's events, one line each; a line opens to the event's whole data. */
export function Timeline({ events, onFork, compact = false }: TimelineProps) {
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  const toggle = (n: number) => setOpen((was) => (was.has(n) ? new Set([...was].filter((other) => other !== n)) : new Set([...was, n])));
  if (events.length === 0) return <p class="muted">No events yet.</p>;
  return (
    <ol class={compact ? 'timeline compact' : 'timeline'}>
      {events.map((event) => (
        <li key={event.n} class={`event tone-${tone(event.type)}`} data-n={event.n} data-type={event.type}>
          <div class="event-line">
            <span class="n">#{event.n}</span>
            {compact ? null : <span class="at">{time(event.at)}</span>}
            <button type="button" class="type link" aria-expanded={open.has(event.n)} onClick={() => toggle(event.n)}>
              {event.type}
            </button>
            <span class="summary">{compact ? clip(summarise(event), 60) : summarise(event)}</span>
            {onFork ? (
              <button type="button" class="fork small" title={`A new session from events 1 to ${event.n}`} onClick={() => onFork(event.n)}>
                fork here
              </button>
            ) : null}
          </div>
          {open.has(event.n) ? <Payload event={event} /> : null}
        </li>
      ))}
    </ol>
  );
}
