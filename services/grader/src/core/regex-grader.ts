import type { GraderResult, GraderSpec } from '@signalbox/events';
import { RE2JS } from 're2js';
import { clip, quote } from './clip.ts';

type RegexSpec = Extract<GraderSpec, { kind: 'regex' }>;

const flagBits: Record<string, number> = { i: RE2JS.CASE_INSENSITIVE, m: RE2JS.MULTILINE, s: RE2JS.DOTALL, u: 0 };

/**
 * RE2's time is linear in the output, times the size of the pattern's program in the worst case
 * (measured: `\w{1000}\d` over 1,000,000 characters took 41 s). Past this product the pattern is not
 * run: about 2 s of matching at most.
 */
export const maxRegexWork = 100_000_000;

/**
 * The output matched against the grader's pattern with RE2 (linear time: no backtracking, so no
 * pattern can hang the grader). RE2 has no backreferences or lookarounds; a pattern it cannot compile
 * fails the grader with the reason. `mustNotMatch` passes when nothing matches. A pattern too large to
 * run over an output this long is a problem: the agent cannot fix that, the outcome's author can.
 */
export function gradeRegex(spec: RegexSpec, output: string): GraderResult | { problem: string } {
  const result = (passed: boolean, reason: string): GraderResult => ({ name: spec.name, kind: 'regex', passed, score: passed ? 1 : 0, reason: clip(reason, 2_000) });
  let pattern: RE2JS;
  try {
    const flags = [...(spec.flags ?? '')].reduce((bits, flag) => bits | (flagBits[flag] ?? 0), 0);
    pattern = RE2JS.compile(spec.pattern, flags);
  } catch (error) {
    return result(false, `the pattern ${quote(spec.pattern)} does not compile as RE2 (no backreferences or lookarounds): ${error instanceof Error ? clip(error.message, 300) : String(error)}`);
  }
  const instructions = programSize(pattern) ?? spec.pattern.length;
  if (instructions * output.length > maxRegexWork) {
    return { problem: `the regex grader "${spec.name}" is too large to run over an output of ${output.length} characters (an RE2 program of ${instructions} instructions): use fewer or smaller bounded repeats` };
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

/** The size of the compiled RE2 program, which bounds the work per character (not in re2js's types). */
function programSize(pattern: RE2JS): number | undefined {
  const program = (pattern as unknown as { re2Input?: { prog?: { numInst?: () => number } } }).re2Input?.prog;
  const size = program?.numInst?.();
  return typeof size === 'number' && size > 0 ? size : undefined;
}
