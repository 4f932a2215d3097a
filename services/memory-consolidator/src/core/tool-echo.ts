import type { Transcript } from './transcript.ts';

/** Words in a row a change's text must share with a tool's output to count as repeating it (fewer for a shorter text, down to 3). */
const runWords = 6;
const minimumWords = 3;

/** Where a tool said something: the session and the event. */
export interface ToolSaid {
  sessionId: string;
  n: number;
}

/**
 * Finds the tool output a text repeats: a run of words of it (6, or all of a shorter text's) found in
 * that order in a tool's output shown in the transcripts read. A model a tool's output steered may cite
 * other events as evidence; what it repeats of the output gives it away.
 */
export function toolEchoFinder(transcripts: readonly Transcript[]): (text: string) => ToolSaid | undefined {
  const indexes = new Map<number, Map<string, ToolSaid>>();
  const indexOf = (length: number): Map<string, ToolSaid> => {
    let index = indexes.get(length);
    if (index) return index;
    index = new Map();
    for (const { sessionId, toolOutputs } of transcripts) {
      // A line's own prefix (`[e4] tool output http.get: `) is not what the tool said.
      for (const [n, line] of toolOutputs) for (const run of runsOf(wordsOf(line.slice(line.indexOf(': ') + 2)), length)) if (!index.has(run)) index.set(run, { sessionId, n });
    }
    indexes.set(length, index);
    return index;
  };
  return (text) => {
    const words = wordsOf(text);
    if (words.length < minimumWords) return undefined;
    const length = Math.min(runWords, words.length);
    const index = indexOf(length);
    for (const run of runsOf(words, length)) {
      const said = index.get(run);
      if (said) return said;
    }
    return undefined;
  };
}

function wordsOf(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

function runsOf(words: readonly string[], length: number): string[] {
  return Array.from({ length: Math.max(0, words.length - length + 1) }, (_, start) => words.slice(start, start + length).join(' '));
}
