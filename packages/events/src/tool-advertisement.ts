import { z } from 'zod';
import { ToolName } from './ids.ts';

/** How a tool is advertised in the `sbx-tools` bucket, under its name: executors write it, session actors read it. */
export const AdvertisedTool = z.object({
  name: ToolName,
  description: z.string(),
  inputSchema: z.record(z.string(), z.unknown()),
  idempotent: z.boolean(),
});
export type AdvertisedTool = z.infer<typeof AdvertisedTool>;
