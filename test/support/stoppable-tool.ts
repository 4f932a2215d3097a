import { defineTool, type ToolSpec } from '@signalbox/tool-executor';
import { z } from 'zod';

/** A tool whose calls work until told to stop, and what became of them: the calls that began, and those told to stop, by call id. */
export interface StoppableTool {
  tool: ToolSpec;
  began: string[];
  toldToStop: string[];
}

/** `slow.work`, taking any object: each call runs until its signal stops it, then fails. */
export function stoppableTool(): StoppableTool {
  const began: string[] = [];
  const toldToStop: string[] = [];
  const tool = defineTool({
    name: 'slow.work',
    description: 'Works until stopped',
    input: z.object({}).loose(),
    run: (_input, { signal, callId }) =>
      new Promise<string>((_, reject) => {
        began.push(callId);
        signal.addEventListener('abort', () => {
          toldToStop.push(callId);
          reject(new Error('stopped'));
        });
      }),
  });
  return { tool, began, toldToStop };
}
