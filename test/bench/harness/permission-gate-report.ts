import { availableParallelism } from 'node:os';
import { printSummary, verdictLine, type RatioVerdict } from './ratio-report.ts';
import type { SigningCost } from './grant-signing-cost.ts';
import { ms, type Summary } from './stats.ts';
import { inMs, row } from './step-report.ts';
import type { StepTiming } from './step-timeline.ts';

/** The target: a permission check costs at most this many plain request/replies. */
export const checkTarget = 2;

export interface PermissionGateResults {
  server: string;
  /** Rounds (a request batch, a session of each kind) run, of those asked for: fewer when the time budget ran out. */
  pairs: { run: number; asked: number };
  stepsPerSession: number;
  /** Rules in the policy every check is weighed against. */
  rules: number;
  raw: Summary;
  check: Summary;
  bytes: { request: number; rawReply: number; checkReply: number };
  steps: { gated: StepTiming[]; ungated: StepTiming[] };
  /** The ed25519 work in a grant, timed alone after the rounds. */
  signing: SigningCost;
  /** This process's CPU time (every service, the benchmark's own waiting) per step, by kind of session. */
  cpuMsPerStep: { gated: number; ungated: number };
}

/** Prints the human report, then the JSON line last. */
export function reportPermissionGate(results: PermissionGateResults): void {
  const { raw, check, bytes, steps, signing, cpuMsPerStep } = results;
  const verdict: RatioVerdict = { ratio: check.p50 / raw.p50, target: checkTarget, atLeast: false };
  const gated = inMs(steps.gated.map((s) => s.totalUs));
  const ungated = inMs(steps.ungated.map((s) => s.totalUs));
  const stepRatio = gated.p50 / ungated.p50;
  const halves = (pick: (s: StepTiming) => number) => ({ gated: inMs(steps.gated.map(pick)), ungated: inMs(steps.ungated.map(pick)) });
  const model = halves((s) => s.modelHalfUs);
  const permission = halves((s) => s.permissionUs);
  const tool = halves((s) => s.toolHalfUs);
  const side = (label: string, pair: { gated: Summary; ungated: Summary }, note: string) =>
    `  ${label.padEnd(34)} gated ${ms(pair.gated.p50).padStart(7)}  ungated ${ms(pair.ungated.p50).padStart(7)} ms (p50s)   ${note}`;
  console.log(
    [
      `permission-gate · nats-server ${results.server} · node ${process.version} · ${availableParallelism()} cpus · ` +
        `${results.rules}-rule policy, grants signed · ${raw.count} requests of each kind`,
      '',
      `request/reply, same server, sequential, from a connection made as the session actor's (request ${bytes.request} B)`,
      row('plain (responder answers at once)', raw, `   reply ${bytes.rawReply} B`),
      row('permission check', check, `   reply ${bytes.checkReply} B: verdict + signed grant`),
      `  check − plain, p50: ${ms(check.p50 - raw.p50)} ms (decode, weigh the rules, sha256 of the input, ed25519 signature, encode)`,
      `  grant work alone (p50s): signGrant ${ms(signing.signGrantMs)} ms (the broker, per allowed call), checkGrant ${ms(signing.checkGrantMs)} ms (the executor, per job);`,
      `    of which ed25519 (node:crypto) sign ${ms(signing.signMs)} ms, verify ${ms(signing.verifyMs)} ms`,
      '',
      verdictLine('check p50 / plain request-reply p50', verdict),
      '',
      `step with the gate (decider v3) against without (v2, as sessions started before the upgrade run):`,
      `  ${results.pairs.run} pairs of sessions × ${results.stepsPerSession} steps, interleaved, after 1 warm-up of each` +
        (results.pairs.run < results.pairs.asked ? ` (of ${results.pairs.asked} asked: the time budget ran out)` : ''),
      row('gated step', gated, `   n=${gated.count}`),
      row('ungated step', ungated, `   n=${ungated.count}`),
      `  gated / ungated p50 = ${stepRatio.toFixed(2)}x: the gate adds ${ms(gated.p50 - ungated.p50)} ms a step`,
      `  node CPU per step: gated ${ms(cpuMsPerStep.gated)} ms, ungated ${ms(cpuMsPerStep.ungated)} ms (all services, one process)`,
      '',
      'where a step goes, by event `at`',
      side('model.requested → model.responded', model, 'append [tool.completed, model.requested] + model call'),
      side('model.responded → tool.requested', permission, 'gated: append [model.responded] + check; ungated: one decision'),
      side('tool.requested → tool.completed', tool, 'append + job + executor (gated: verifies the grant) + result'),
    ].join('\n'),
  );
  printSummary('permission-gate', verdict, {
    rawRequestP50Ms: raw.p50,
    rawRequestP90Ms: raw.p90,
    checkP50Ms: check.p50,
    checkP90Ms: check.p90,
    checkP99Ms: check.p99,
    gatedStepP50Ms: gated.p50,
    ungatedStepP50Ms: ungated.p50,
    stepRatio,
    gateCostMsPerStep: gated.p50 - ungated.p50,
    gatedPermissionP50Ms: permission.gated.p50,
    signGrantMs: signing.signGrantMs,
    checkGrantMs: signing.checkGrantMs,
    signMs: signing.signMs,
    verifyMs: signing.verifyMs,
    gatedCpuMsPerStep: cpuMsPerStep.gated,
    ungatedCpuMsPerStep: cpuMsPerStep.ungated,
    gatedSteps: gated.count,
    ungatedSteps: ungated.count,
  });
}
