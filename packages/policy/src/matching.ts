import picomatch from 'picomatch';
import type { PolicyRule, UrlMatcher } from '@signalbox/events';

/** A tool call as a policy sees it: the tool's name and its input as the model gave it. */
export interface PolicyCall {
  tool: string;
  input: unknown;
}

/**
 * Whether a call meets a rule's conditions. `unsure` is a value the matcher will not judge (a path
 * that climbs with `..`, a URL that does not parse): deny rules take it as a match, grants do not.
 */
export type RuleMatch = 'yes' | 'no' | 'unsure';

// `dot`: `secrets/**` must match `secrets/.token` too; a deny rule that missed it would let it through.
const globOptions = { dot: true } as const;

/** Stands for `/` in a value matched by a pattern with no `/`, where a slash is an ordinary character. */
const flatSlash = '\u0000';

export function ruleMatch(rule: PolicyRule, call: PolicyCall): RuleMatch {
  const matches = [flatMatch(rule.tool, call.tool)];
  for (const [key, pattern] of Object.entries(rule.args ?? {})) matches.push(argumentMatch(pattern, valueAt(call.input, key)));
  if (rule.url !== undefined) matches.push(urlMatch(rule.url, call.input));
  if (matches.includes('no')) return 'no';
  return matches.includes('unsure') ? 'unsure' : 'yes';
}

/**
 * A pattern holding `/` is a path pattern (`notes/**`): `*` stops at a slash. One without (`git *`,
 * `rm *`) matches the value as flat text, so that `rm *` matches `rm -rf /`.
 */
export function argumentMatch(pattern: string, value: unknown): RuleMatch {
  if (typeof value !== 'string') return 'no';
  return pattern.includes('/') ? pathMatch(pattern, value) : flatMatch(pattern, value);
}

function flatMatch(pattern: string, value: string, options: picomatch.PicomatchOptions = globOptions): RuleMatch {
  return matcherOf(pattern, options)(value.replaceAll('/', flatSlash)) ? 'yes' : 'no';
}

/** `notes/../secrets` is not judged (no normalising guesses how a tool resolves it); `./a` and `a//b` are read as `a` and `a/b`. */
function pathMatch(pattern: string, path: string): RuleMatch {
  const segments = path.split('/');
  if (segments.some((segment) => segment.split('\\').includes('..'))) return 'unsure';
  const canonical = segments.filter((segment, index) => (segment !== '' || index === 0) && segment !== '.').join('/');
  return matcherOf(pattern, globOptions)(canonical) ? 'yes' : 'no';
}

/**
 * Compiling a glob costs far more than matching with it, and every call is matched against every
 * rule: each pattern is compiled once. Tasks bring patterns of their own, so the cache is bounded.
 */
const compiled = new Map<string, picomatch.Matcher>();
const mostCompiled = 10_000;

function matcherOf(pattern: string, options: picomatch.PicomatchOptions): picomatch.Matcher {
  const key = `${options.nocase === true ? 'i' : 's'}:${pattern}`;
  let matcher = compiled.get(key);
  if (!matcher) {
    if (compiled.size >= mostCompiled) compiled.clear();
    compiled.set(key, (matcher = picomatch(pattern, options)));
  }
  return matcher;
}

function urlMatch(matcher: UrlMatcher, input: unknown): RuleMatch {
  const url = valueAt(input, 'url');
  const method = valueAt(input, 'method') ?? 'GET';
  if (typeof url !== 'string' || typeof method !== 'string') return 'no';
  if (matcher.methods !== undefined && !matcher.methods.some((allowed) => allowed === method.toUpperCase())) return 'no';
  const parsed = URL.parse(url);
  if (parsed === null) return 'unsure';
  // The URL parser lower-cases host names; a pattern written in capitals still means the same host.
  return flatMatch(matcher.host, parsed.hostname, { ...globOptions, nocase: true });
}

/** The value at a dotted key (`options.cwd`, `files.0`), through own properties only. */
export function valueAt(input: unknown, key: string): unknown {
  let value = input;
  for (const name of key.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, name)) return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return value;
}
