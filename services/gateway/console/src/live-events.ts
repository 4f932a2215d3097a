import { useEffect, useState } from 'preact/hooks';
import { api, apiBase, segment } from './api.ts';
import type { LogEvent } from './core/events.ts';
import { streamedEventTypes } from './core/event-types.ts';
import { mergeEvents } from './core/merge-events.ts';

export interface LiveEvents {
  events: LogEvent[];
  /** `live` while the stream is open, `ended` once the session completed, `reconnecting` after a drop. */
  state: 'connecting' | 'live' | 'reconnecting' | 'ended';
  error: string | undefined;
}

/** How long arriving events wait to be merged and drawn together: unnoticed live, and a long log's backlog is a few dozen draws. */
const mergeEveryMs = 50;

/** How long to wait before opening a stream again that the gateway refused or closed: 0.5 s doubling to 8 s. */
const retryMs = (attempt: number) => Math.min(8_000, 500 * 2 ** attempt);

/**
 * A session's events, live: an EventSource on its stream (the browser resumes a dropped connection with
 * Last-Event-ID, so nothing is missed or doubled), closed once the session has completed. A stream the
 * gateway refuses (a fork or a task whose log is not written yet is a 404 for a moment; 429 when the
 * token holds too many streams) is opened again after `?after=` the last event held, and the events
 * endpoint says why meanwhile.
 */
export function useLiveEvents(sessionId: string): LiveEvents {
  const [live, setLive] = useState<LiveEvents>({ events: [], state: 'connecting', error: undefined });
  useEffect(() => {
    let held: LogEvent[] = [];
    let closed = false;
    let source: EventSource | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let attempts = 0;
    const path = `/sessions/${segment(sessionId)}`;
    const ended = () => held.at(-1)?.type === 'session.completed';
    let arriving: LogEvent[] = [];
    let merging: ReturnType<typeof setTimeout> | undefined;
    const publish = (state: LiveEvents['state'], error?: string) => !closed && setLive({ events: held, state, error });
    const merge = () => {
      merging = undefined;
      const merged = mergeEvents(held, arriving);
      arriving = [];
      held = merged.events;
      if (ended()) source?.close();
      publish(ended() ? 'ended' : 'live');
      if (merged.missingAfter !== undefined) void fill(merged.missingAfter);
    };
    // A long log streams in as thousands of events: merged and drawn a batch at a time, not once per event.
    const add = (arrived: LogEvent[]) => {
      arriving.push(...arrived);
      merging ??= setTimeout(merge, mergeEveryMs);
    };
    const fill = (after: number) =>
      api
        .get<{ events: LogEvent[] }>(`${path}/events?after=${after}&limit=1000`)
        .then(({ events }) => add(events))
        .catch((error: unknown) => publish(ended() ? 'ended' : 'reconnecting', String(error)));
    const onEvent = (message: MessageEvent<string>) => {
      attempts = 0;
      try {
        add([JSON.parse(message.data) as LogEvent]);
      } catch {
        publish('live', 'the stream sent an event that is not JSON');
      }
    };
    const open = () => {
      if (closed || ended()) return;
      const current = new EventSource(`${apiBase}${path}/stream?after=${held.at(-1)?.n ?? 0}`);
      source = current;
      for (const type of streamedEventTypes) current.addEventListener(type, onEvent);
      current.onopen = () => publish('live');
      current.onerror = () => {
        if (current.readyState !== EventSource.CLOSED) return publish('reconnecting');
        // What arrived before the stream closed first: its last event may be the session's end.
        if (merging !== undefined) {
          clearTimeout(merging);
          merge();
        }
        publish(ended() ? 'ended' : 'reconnecting');
        if (ended()) return;
        void fill(held.at(-1)?.n ?? 0);
        retry = setTimeout(open, retryMs(attempts++));
      };
    };
    open();
    return () => {
      closed = true;
      clearTimeout(retry);
      clearTimeout(merging);
      source?.close();
    };
  }, [sessionId]);
  return live;
}

const pollMs = 2_000;

/**
 * A session's events, read by polling /events: for the subagent lanes. A browser holds at most six
 * connections to one host over HTTP/1.1, and each EventSource keeps one: a lane per stream would stall
 * the page (and spend the token's stream allowance) once a run has a few subagents.
 */
export function usePolledEvents(sessionId: string): LiveEvents {
  const [live, setLive] = useState<LiveEvents>({ events: [], state: 'connecting', error: undefined });
  useEffect(() => {
    let held: LogEvent[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const poll = async () => {
      try {
        const { events } = await api.get<{ events: LogEvent[] }>(`/sessions/${segment(sessionId)}/events?after=${held.at(-1)?.n ?? 0}&limit=1000`);
        held = mergeEvents(held, events).events;
        const ended = held.at(-1)?.type === 'session.completed';
        if (!stopped) setLive({ events: held, state: ended ? 'ended' : 'live', error: undefined });
        if (ended) return;
      } catch (error) {
        if (!stopped) setLive({ events: held, state: 'reconnecting', error: String(error) });
      }
      if (!stopped) timer = setTimeout(() => void poll(), pollMs);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [sessionId]);
  return live;
}
