export { toolDurable, toolExecutorService } from './service.ts';
export type { ToolExecutorOptions } from './service.ts';
export { readToolDefinitions, UnadvertisedToolsError } from './tool-registry.ts';
export { defineTool } from './tool.ts';
export type { JsonValue, ToolContext, ToolOptions, ToolSpec } from './tool.ts';
export { workspaceTools } from './workspace-tools.ts';
export type { Workspace, WorkspaceEntry } from './workspace.ts';
