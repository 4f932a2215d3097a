export { AgentDefinition, Budget, ContextSettings, ConversationSettings, maxIdleTimeoutMs, ScriptStep } from './agent.ts';
export { compactionInstructions, contextWindowOf } from './context-windows.ts';
export { assertNever } from './assert-never.ts';
export { BudgetLimits, DetectorName, DigestScheme, eventData, eventTypes, eventVersion, ForkOrigin, GateVerdict, GateVerdictKind, InterventionAction, NewEventSchema, PauseReason, Requester, Totals, WholeOutput, WorkspaceRevision } from './catalogue.ts';
export type { EventData, EventType, NewEvent } from './catalogue.ts';
export { decode, decodeEvent, decodeEventMessage, DecodeError, encode, encodeEvent, encodeEventMessage, parseJson, validate } from './codec.ts';
export { commandSubject, ForkRequest, InboxCommand, ToolJob, ToolOutcome, ToolResult } from './commands.ts';
export {
  ContentBlock,
  ImageBlock,
  Message,
  ModelRequest,
  ModelResponse,
  StopReason,
  TextBlock,
  ToolDefinition,
  ToolResultBlock,
  ToolUseBlock,
  Usage,
  zeroUsage,
} from './conversation.ts';
export { EventMeta, SessionEvent } from './envelope.ts';
export type { EventOf } from './envelope.ts';
export { AgentName, ApprovalId, ModelName, ApprovalScope, isSubjectToken, SessionId, sessionOfApproval, TimerId, toSubjectToken, ToolName } from './ids.ts';
export { holdsProtoKey, JsonData } from './json-data.ts';
export { checkJson, jsonIn, jsonShapeOf, maxCheckedDepth, maxUniqueItems, unsafeSchemaKeyword } from './json-schema-check.ts';
export type { JsonCheck } from './json-schema-check.ts';
export { maxOutputSchemaBytes, maxOutputSchemaDepth, OutputSchema } from './output-schema.ts';
export { JudgedData, JudgementCommand, JudgeSettings, JudgeVerdict } from './judge.ts';
export { Criterion, CriterionVerdict, GradeCommand, GradedData, GradeJob, GraderResult, GraderSpec, OutcomeSettings, readRubric, Rubric, RubricInput, SubmittedData, SubmittedFile, SubmittedPath } from './outcome.ts';
export { approvalsToken, deadLetterObjectHeader, gradesToken, graderDurable, interventionsToken, memoryConsolidatorDurable, messagesToken, reservedInboxTokens, subagentsToken, deliveriesHeader, errorHeader, naming, replyToHeader, sourceSubjectHeader, timerHeader, toolJobDurable, typeHeader } from './naming.ts';
export type { Naming } from './naming.ts';
export {
  DetectorSettings,
  ErrorSpiralSettings,
  GateSettings,
  NoProgressSettings,
  RepetitionSettings,
  StalledSettings,
  SupervisionAction,
  SupervisionConfig,
  WasteSettings,
} from './supervision-config.ts';
export { ScheduledCommand } from './scheduled-command.ts';
export {
  ApprovalDecisionCommand,
  CallsCancelled,
  CancelledCallId,
  ChildResultCommand,
  CloseCommand,
  InterruptCommand,
  InterventionCommand,
  maxCancelledCalls,
  PauseCommand,
  ResumeCommand,
  SignalCommand,
  UserMessageCommand,
} from './session-commands.ts';
export { builtInTools, delegateTool, handoffTool, isBuiltInTool, isMemoryTool, maxWaitMs, memoryTools, sessionToolNames, WaitSignalInput, WaitTimeInput } from './built-in-tools.ts';
export { ChildBudget, defaultSubagentConcurrency, DelegateInput, DelegatingSession, DelegationChain, HandoffInput, maxDelegationDepth, SubagentStartCommand } from './delegation.ts';
export { SessionIndexEntry, WaitingApproval } from './session-index.ts';
export {
  ConsolidationSettings,
  DreamJob,
  DreamRun,
  maxMemoryEntries,
  maxMemoryTextChars,
  MemoryAuthor,
  MemoryChange,
  MemoryDraft,
  MemoryEntry,
  MemoryEntryId,
  MemoryEvidence,
  MemoryOrigin,
  MemoryReads,
  MemoryScope,
  MemorySearchInput,
  MemorySettings,
  MemoryStoreDefinition,
  MemoryStoreName,
  MemoryVersion,
  MemoryWriteInput,
} from './memory.ts';
export { Task, TaskOutcome } from './task.ts';
export { AdvertisedTool, McpServerStatus, mcpStatusKey } from './tool-advertisement.ts';
export { isToolOutcome, toolCallResult, toolOutcomeEvent, toolResultOf, workspaceRevisionOf } from './tool-outcome.ts';
export type { ToolCall, ToolOutcomeEvent } from './tool-outcome.ts';
export { inputLimits, jsonLimitProblem, maxEventDepth, maxInputDepth, maxMessageBytes, msgpackLimitProblem, storedLimits, valueDepthProblem } from './wire-limits.ts';
export type { WireLimits } from './wire-limits.ts';
export { CanonicalPart, canonicalJson } from './canonical-json.ts';
export { maxSchemaBytes, maxSchemaDepth, schemaBoundsProblem } from './schema-bounds.ts';
export { ApprovalTimeoutMs, defaultApprovalTimeoutMs, Effect, HttpMethod, layersOf, Policy, PolicyLayer, policyLimits, PolicyName, PolicyRule, SecretName, UrlMatcher } from './policy-document.ts';
export { PermissionBrokerStatus, PermissionCheck, PermissionReply, PermissionVerdict, permissionCheckTimeoutMs, ToolGrant } from './permission.ts';
export { maxGatedCalls, SupervisorGateReply, SupervisorGateRequest } from './supervisor-gate.ts';
export { decodeLiveMessage, encodeLiveMessage, LiveEnd, LiveMessage, LiveText } from './live.ts';
export { isPastRetention, RetentionPeriod, retentionMs } from './retention.ts';
export type { RetentionRules } from './retention.ts';
