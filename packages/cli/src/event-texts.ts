import { assertNever, type SessionEvent } from '@signalbox/events';
import { clip, dollars } from './excerpts.ts';

/** What a timeline says about one event, after its type: each event type's wording, in one place. */
export interface EventTexts {
  /** A live timeline's line (tail, follow, inspect, the demo): short, each text clipped. */
  live: string;
  /** A replay's line. */
  headline: string;
  /** The texts worth reading under a replay's line, whole: the replay cuts them unless `--full`. */
  bodies: string[];
}

export function textsOf(event: SessionEvent): EventTexts {
  switch (event.type) {
    case 'session.created': {
      const { agent, input, budget, forkedFrom } = event.data;
      const fork = forkedFrom ? ` · fork of ${forkedFrom.sessionId} at #${forkedFrom.n}${forkedFrom.hint === undefined ? '' : ' with a hint'}` : '';
      return {
        live: `agent=${agent.name} model=${agent.model} input=${clip(JSON.stringify(input))}${fork}`,
        headline: `agent ${agent.name} · ${agent.model} · budget ${JSON.stringify(budget)}${fork}`,
        bodies: [`input: ${input}`, ...(forkedFrom?.hint === undefined ? [] : [`hint: ${forkedFrom.hint}`])],
      };
    }
    case 'model.requested': {
      const { callId, model, attempt, digest } = event.data;
      return {
        live: `${callId} ${model}${attempt > 1 ? ` attempt ${attempt}` : ''}`,
        headline: `${callId} ${model} attempt ${attempt} · digest ${digest.slice(0, 12)}`,
        bodies: [],
      };
    }
    case 'model.responded': {
      const { model, content, usage, stopReason, costUsd, latencyMs } = event.data;
      const text = content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join(' ');
      return {
        live: `${stopReason} ${usage.inputTokens}→${usage.outputTokens} tok ${dollars(costUsd)} ${latencyMs}ms${text ? ` "${clip(text)}"` : ''}`,
        headline: `${model} · ${usage.inputTokens} in / ${usage.outputTokens} out tokens · ${dollars(costUsd)} · ${latencyMs} ms · ${stopReason}`,
        bodies: content.map((block) => (block.type === 'text' ? block.text : `→ ${block.name} ${JSON.stringify(block.input)}`)),
      };
    }
    case 'model.failed': {
      const { callId, code, message, retryable, attempt } = event.data;
      return {
        live: `${code}${retryable ? ' (retryable)' : ''}: ${clip(message)}`,
        headline: `${callId} ${code} · ${retryable ? 'retryable' : 'not retryable'} · attempt ${attempt}`,
        bodies: [message],
      };
    }
    case 'tool.requested': {
      const { tool, callId, input } = event.data;
      return { live: `${tool} ${clip(JSON.stringify(input))}`, headline: `${tool} (${callId})`, bodies: [`input: ${JSON.stringify(input)}`] };
    }
    case 'tool.completed': {
      const { tool, callId, output, durationMs, wholeOutput } = event.data;
      // The event holds only the beginning of an output too long for it: every view names the command that prints it whole.
      const whole = wholeOutput ? `whole output (${wholeOutput.chars} chars): signalbox output ${wholeOutput.sha256}` : undefined;
      return {
        live: `${tool} ${durationMs}ms → ${clip(JSON.stringify(output))}${whole ? ` · ${whole}` : ''}`,
        headline: `${tool} (${callId}) · ${durationMs} ms${wholeOutput ? ' · output cut' : ''}`,
        bodies: whole ? [`→ ${output}`, whole] : [`→ ${output}`],
      };
    }
    case 'tool.failed': {
      const { tool, callId, error, durationMs } = event.data;
      return { live: `${tool} ${durationMs}ms ✗ ${clip(error)}`, headline: `${tool} (${callId}) · ${durationMs} ms`, bodies: [`✗ ${error}`] };
    }
    case 'tool.outcome_unknown': {
      const { tool, callId, reason } = event.data;
      return { live: `${tool} ? ${clip(reason)}`, headline: `${tool} (${callId}) · may or may not have run`, bodies: [`? ${reason}`] };
    }
    case 'permission.granted':
    case 'permission.denied': {
      const { tool, callId, effect, reason } = event.data;
      const grant = event.type === 'permission.granted' ? event.data.grant : undefined;
      const verdict = `${tool} (${callId}) · ${event.type === 'permission.granted' ? 'granted' : effect === 'ask' ? 'held for approval' : 'denied'}`;
      const until = grant ? [`grant valid until ${new Date(grant.issuedAt + grant.ttlMs).toISOString()}, signed by ${grant.signer}`] : [];
      return { live: `${tool} (${callId}): ${clip(reason)}`, headline: verdict, bodies: [reason, ...until] };
    }
    case 'approval.requested': {
      const { tool, callId, approvalId, reason, input, deadline } = event.data;
      const until = `until ${new Date(deadline).toISOString()}`;
      return {
        live: `${tool} (${callId}) waits for approval ${approvalId} ${until}: ${clip(reason)}`,
        headline: `${tool} (${callId}) · held for approval ${approvalId} ${until}`,
        bodies: [reason, `input: ${input}`],
      };
    }
    case 'approval.resolved': {
      const { tool, callId, approvalId, approved, by, note, scope } = event.data;
      const answer = `${approved ? 'approved' : 'denied'}${scope === 'session' ? ' for the rest of the session' : ''} by ${by}`;
      return { live: `${tool} (${callId}) ${answer}${note ? `: ${clip(note)}` : ''}`, headline: `${tool} (${callId}) · ${answer} (${approvalId})`, bodies: note ? [`note: ${note}`] : [] };
    }
    case 'supervisor.intervened': {
      const { detector, action, reason, evidence, model, at, fork } = event.data;
      const did = action === 'switch_model' ? `switch_model → ${model ?? '?'}` : action === 'rewind' ? `rewind to #${at ?? '?'} → ${fork ?? '?'}` : action;
      const head = `${did} · ${detector} · evidence #${evidence.join(', #')}`;
      return { live: `${did} by ${detector}: ${clip(reason)}`, headline: head, bodies: [reason] };
    }
    case 'supervisor.gated': {
      const { callId, verdict, reason, detector, evidence, unanswered } = event.data;
      const tool = event.data.tool ?? 'model call';
      const who = unanswered ? ' · no supervisor answered' : detector ? ` · ${detector}` : '';
      const why = evidence ? ` · evidence #${evidence.join(', #')}` : '';
      return { live: `gate ${verdict} ${tool} (${callId})${reason ? `: ${clip(reason)}` : ''}`, headline: `${tool} (${callId}) · gate: ${verdict}${who}${why}`, bodies: reason ? [reason] : [] };
    }
    case 'supervisor.judged': {
      const { model, upTo, verdict, reason, evidence, usage, costUsd } = event.data;
      const verdictText = `${verdict === 'on_track' ? 'on track' : 'off track'} up to #${upTo}`;
      const pointed = evidence.length > 0 ? ` · evidence #${evidence.join(', #')}` : '';
      return {
        live: `${verdictText} by ${model} ${dollars(costUsd)}: ${clip(reason)}`,
        headline: `${verdictText} · ${model} · ${usage.inputTokens} in / ${usage.outputTokens} out tokens · ${dollars(costUsd)}${pointed}`,
        bodies: [reason],
      };
    }
    case 'outcome.submitted': {
      const { attempt, output, files } = event.data;
      const submittedFiles = files.length > 0 ? ` · files ${files.map(({ path, revision }) => (revision === undefined ? path : `${path}@${revision}`)).join(', ')}` : '';
      return { live: `attempt ${attempt}: ${clip(JSON.stringify(output), 200)}${submittedFiles}`, headline: `attempt ${attempt}${submittedFiles}`, bodies: [`output: ${output}`] };
    }
    case 'output.rejected': {
      const { attempt, errors } = event.data;
      return { live: `answer ${attempt} does not satisfy the output schema: ${clip(errors.join('; '))}`, headline: `answer ${attempt} does not satisfy the output schema`, bodies: errors.map((error) => `error: ${error}`) };
    }
    case 'outcome.graded': {
      const { attempt, passed, score, changes, problem, disagreement, costUsd } = event.data;
      if (problem !== undefined) return { live: `attempt ${attempt} not graded: ${clip(problem)}`, headline: `attempt ${attempt} not graded ${dollars(costUsd)}`, bodies: [`problem: ${problem}`] };
      const verdict = `attempt ${attempt} ${passed ? 'passed' : 'failed'} (score ${score}) ${dollars(costUsd)}`;
      const bodies = [...changes.map((change) => `change: ${change}`), ...(disagreement === undefined ? [] : [`disagreement: ${disagreement}`])];
      return { live: `${verdict}${changes.length > 0 ? `: ${clip(changes.join('; '))}` : ''}`, headline: verdict, bodies };
    }
    case 'budget.exceeded': {
      const { limit, used, allowed } = event.data;
      const text = `${limit}: used ${used} of ${allowed}`;
      return { live: text, headline: text, bodies: [] };
    }
    case 'session.paused': {
      const { reason, by } = event.data;
      const text = `by ${by ?? 'someone unnamed'}${reason ? `: ${reason}` : ''}`;
      return { live: clip(text, 200), headline: `by ${by ?? 'someone unnamed'}`, bodies: reason ? [`reason: ${reason}`] : [] };
    }
    case 'session.resumed': {
      const { by, budget } = event.data;
      const text = `by ${by ?? 'someone unnamed'}${budget ? ` · budget now ${JSON.stringify(budget)}` : ''}`;
      return { live: text, headline: text, bodies: [] };
    }
    case 'message.received': {
      const { text, by } = event.data;
      return { live: `${by}: ${clip(JSON.stringify(text), 200)}`, headline: `from ${by}`, bodies: [`text: ${text}`] };
    }
    case 'context.compacted': {
      const { from, upTo, summary, error, model, tokensBefore, tokensAfter, costUsd } = event.data;
      const what = `messages ${from}–${upTo - 1} → ${error === undefined ? 'a summary' : 'nothing (failed)'} · ~${tokensBefore} → ~${tokensAfter} tokens · ${model} ${dollars(costUsd)}`;
      return { live: error === undefined ? what : `${what}: ${clip(error)}`, headline: what, bodies: summary === undefined ? [`error: ${error ?? ''}`] : [`summary: ${summary}`] };
    }
    case 'subagent.spawned': {
      const { agent, sessionId, task, budget } = event.data;
      const what = `${agent} as ${sessionId}${budget ? ` · ${budget.maxSteps} steps${budget.maxCostUsd === undefined ? '' : ` ${dollars(budget.maxCostUsd)}`}` : ''}`;
      return { live: `${what}${task ? ` → ${clip(JSON.stringify(task), 200)}` : ''}`, headline: what, bodies: task ? [`task: ${task}`] : [] };
    }
    case 'subagent.completed': {
      const { sessionId, status, output, reason, totals } = event.data;
      const what = `${sessionId} ${status}${totals ? ` · ${totals.steps} steps ${dollars(totals.costUsd)}` : ''}`;
      return { live: `${what}${reason ? ` (${clip(reason)})` : ''}${output ? ` → ${clip(JSON.stringify(output), 200)}` : ''}`, headline: what, bodies: [...(output ? [`output: ${output}`] : []), ...(reason ? [`reason: ${reason}`] : [])] };
    }
    case 'memory.loaded': {
      const { store, version, entries, problem } = event.data;
      const what = `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} of ${store ?? 'a store'} v${version ?? 0}${problem ? `: ${clip(problem)}` : ''}`;
      return { live: what, headline: what, bodies: entries.map(({ key, text }) => `${key}: ${text}`) };
    }
    case 'signal.received': {
      const { name, payload, by } = event.data;
      return { live: `${name} from ${by}${payload === undefined ? '' : ` → ${clip(JSON.stringify(payload), 200)}`}`, headline: `${name} from ${by}`, bodies: payload === undefined ? [] : [`payload: ${payload}`] };
    }
    case 'turn.completed': {
      const { turn, output } = event.data;
      return { live: `turn ${turn} → ${clip(JSON.stringify(output), 200)} · idle`, headline: `turn ${turn} · idle`, bodies: [`output: ${output}`] };
    }
    case 'session.interrupted': {
      const { by, reason, callId, cancelledCalls } = event.data;
      const stopped = [...(callId === undefined ? [] : [`model call ${callId}`]), ...cancelledCalls].join(', ') || 'nothing running';
      const text = `by ${by} · stopped ${stopped}`;
      return { live: `${text}${reason ? `: ${clip(reason)}` : ''}`, headline: text, bodies: reason ? [`reason: ${reason}`] : [] };
    }
    case 'session.completed': {
      const { status, reason, output, rewoundTo, grade } = event.data;
      const graded = grade ? ` · grade ${grade.passed ? 'passed' : 'failed'} ${grade.score} at attempt ${grade.attempt}` : '';
      return {
        live: `${status}${reason ? ` (${reason})` : ''}${graded}${output ? ` → ${clip(JSON.stringify(output), 200)}` : ''}`,
        headline: `${rewoundTo ? `${status} · rewound to ${rewoundTo}` : status}${graded}`,
        bodies: output ? [`output: ${output}`] : [],
      };
    }
    default:
      return assertNever(event);
  }
}
