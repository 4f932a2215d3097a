export { toolExecutorService } from './service.ts';
export type { ToolExecutorOptions } from './service.ts';
export type { AllowPrivate, SpecialAddress } from './core/egress.ts';
export { httpFetch, httpFetchTool } from './shell/http-fetch.ts';
export type { HttpFetchOptions, ResolveHost } from './shell/http-fetch.ts';
export { defineTool } from './shell/tool.ts';
export type { JsonValue, ToolContext, ToolOptions, ToolSpec } from './shell/tool.ts';
export { workspaceTools } from './shell/workspace-tools.ts';
export type { Workspace, WorkspaceEntry } from './shell/workspace.ts';
