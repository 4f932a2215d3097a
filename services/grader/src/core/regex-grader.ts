import type { GraderResult, GraderSpec } from '@signalbox/events';
import { RE2JS } from 're2js';
import { clip, quote } from './clip.ts';

type RegexSpec = Extract<GraderSpec, { kind: 'regex' }>;

const flagBits: Record<string, number> = { i: RE2JS.CASE_INSENSITIVE, m: RE2JS.MULTILINE, s: RE2JS.DOTALL, u: 0 };

/**
 * The output matched against the grader's pattern with RE2 (linear time: no pattern, however
 * hostile, can hang the grader). RE2 has no backreferences or lookarounds; a pattern it cannot
 * compile fails the grader with the reason. `mustNotMatch` passes when nothing matches.
 */
export function gradeRegex(spec: RegexSpec, output: string): GraderResult {
  const result = (passed: boolean, reason: string): GraderResult => ({ name: spec.name, kind: 'regex', passed, score: passed ? 1 : 0, reason: clip(reason, 2_000) });
  let pattern: RE2JS;
  try {
    const flags = [...(spec.flags ?? '')].reduce((bits, flag) => bits | (flagBits[flag] ?? 0), 0);
    pattern = RE2JS.compile(spec.pattern, flags);
  } catch (error) {
    return result(false, `the pattern ${quote(spec.pattern)} does not compile as RE2 (no backreferences or lookarounds): ${error instanceof Error ? clip(error.message, 300) : String(error)}`);
  }
  const matcher = pattern.matcher(output);
  const found = matcher.find();
  const shown = quote(spec.pattern);
  if (found) {
    const what = `${quote(matcher.group() ?? '')} at character ${matcher.start()}`;
    return spec.mustNotMatch ? result(false, `the output must not match ${shown}, but it does: ${what}`) : result(true, `the output matches ${shown}: ${what}`);
  }
  return spec.mustNotMatch ? result(true, `the output does not match ${shown}, as required`) : result(false, `the output does not match ${shown}`);
}
