import { existsSync, readdirSync, readFileSync } from 'node:fs';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Modules that do I/O. A decider's core must not import them: it stays pure and replayable.
 * NKeys only sign and verify in memory (grants), so they are no I/O. The client SDK talks to NATS: its pure parts live in @signalbox/session.
 */
const ioModules = ['node:fs', 'node:fs/*', 'node:net', 'node:http', 'node:https', 'node:child_process', 'node:os', 'pino', '@nats-io/*', '!@nats-io/nkeys', '@anthropic-ai/sdk', 'openai', '@signalbox/client'];

/** Every package under services/, by its name: the top layer, which only the CLI's registry and tests import. */
const servicesDir = `${import.meta.dirname}/services`;
const servicePackages = readdirSync(servicesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(`${servicesDir}/${entry.name}/package.json`))
  .map((entry) => JSON.parse(readFileSync(`${servicesDir}/${entry.name}/package.json`, 'utf8')).name);

// A later block's `no-restricted-imports` replaces an earlier one's, so each block lists every group it keeps.
const deepImports = { group: ['@signalbox/*/*'], message: 'import from the package index, not a deep path' };
const serviceImports = {
  group: servicePackages,
  message: 'services are the top layer: packages and other services do not import them (the CLI starts them through packages/cli/src/services.ts)',
};
const ioImports = { group: ioModules, message: 'the core is pure: I/O belongs in the shell' };
/** Only the session actor appends to a session's log; everything else reads through `EventReader`. */
const eventStoreImport = {
  name: '@signalbox/store',
  importNames: ['EventStore'],
  message: "only the session actor appends to a session's log: read it through EventReader (ServiceContext.store, openEventReader)",
};
const tests = ['**/*.test.ts', '**/spec.ts'];

/**
 * The grader grades an output against a rubric and must never see the conversation that produced it:
 * nothing in services/grader may reach a session's log (the workspace it reads through WorkspaceFiles).
 */
const graderLogReaders = {
  '@signalbox/store': ['openEventReader', 'EventReader', 'EventStore', 'ReadOptions', 'SessionHead', 'liveWorkspaceView', 'workspaceViewAt', 'TranscriptStore', 'SnapshotStore', 'SubscriberMembers'],
  '@signalbox/runtime': ['startEventSubscriber', 'partitionDurable', 'Delivery', 'EventSubscriberOptions', 'RunningSubscriber'],
};
const graderLogImports = [
  ...Object.entries(graderLogReaders).map(([name, importNames]) => ({ name, importNames, message: 'the grader never reads a session\'s log: it sees the output, the rubric and the workspace files (WorkspaceFiles)' })),
  { name: '@signalbox/client', message: 'the grader never reads a session\'s log, and the client reads it' },
];
const graderStoreSyntax = [
  { selector: "MemberExpression[property.name='store']", message: "the grader never reads a session's log: leave ServiceContext.store alone" },
  { selector: "ObjectPattern > Property[key.name='store']", message: "the grader never reads a session's log: leave ServiceContext.store alone" },
];
const processEnvSyntax = {
  selector: "MemberExpression[object.name='process'][property.name='env']",
  message: 'read settings through @signalbox/runtime (configFromEnv, readEnvironment): its config module is the only reader of process.env',
};

/**
 * The project's error classes, for `preserve-caught-error`, with the position of the argument that
 * carries the cause (an `{ cause }` object, or the cause itself): second unless said. Add new ones here.
 */
const projectErrors = [
  ...['CallInFlightError', 'ConfigError', 'DeadLetterError', 'DeadlineError', 'ForkError', 'OversizeResponseError', 'McpServersFileError', 'McpServerUnavailableError', 'MissingPartsError', 'Rejection'],
  ...['DecodeError', 'InvalidAdvertisementError', 'InvalidCommandError', 'InvalidLedgerEntryError', 'NatsAuthError', 'ProviderConfigError', 'UnknownSessionError'],
  ...['ConcurrencyError', 'CorruptLogError', 'HarnessUnavailable', 'MemoryStoreError', 'MissingTranscriptError', 'ModelError', 'NatsConnectionError'].map((name) => ({ name, argumentPosition: 3 })),
  { name: 'InvalidTimerError', argumentPosition: 1 },
  { name: 'ShellWriteBackConflictError', argumentPosition: 1 },
  ...['ScratchLimitError', 'ShellContainerNetworkError', 'UnofferedToolError'],
];

export default tseslint.config(
  { ignores: ['node_modules/', '.tooling/', '.data/', '**/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // A switch over a union names every member (a default does not stand in for one: end it in assertNever);
      // one over a plain string has a default.
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: false, allowDefaultCaseForExhaustiveSwitch: true, requireDefaultForNonUnion: true },
      ],
      // An error thrown from a catch block carries what was caught as its `cause`: built-in errors, and ours.
      'preserve-caught-error': ['error', { requireCatchParameter: true, errorClassNames: projectErrors }],
      // Async functions that implement an async interface need no await.
      '@typescript-eslint/require-await': 'off',
      // Packages are used through their public index only.
      'no-restricted-imports': ['error', { patterns: [deepImports] }],
    },
  },
  {
    // Layers: packages sit below the services, and no service imports another; tests import what they need.
    files: ['packages/*/src/**/*.ts', 'services/*/src/**/*.ts', 'templates/*/src/**/*.ts'],
    ignores: [...tests, 'packages/cli/src/services.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [eventStoreImport], patterns: [deepImports, serviceImports] }],
    },
  },
  {
    files: ['packages/session/src/**/*.ts', 'packages/policy/src/**/*.ts', 'packages/supervision/src/**/*.ts', 'packages/evals/src/core/**/*.ts', 'services/*/src/core/**/*.ts', 'templates/*/src/core/**/*.ts'],
    ignores: tests,
    rules: {
      'no-restricted-imports': ['error', { paths: [eventStoreImport], patterns: [deepImports, serviceImports, ioImports] }],
    },
  },
  {
    // The session actor's shell is the one writer of session logs: it may open an EventStore.
    files: ['services/session-actor/src/**/*.ts'],
    ignores: [...tests, 'services/session-actor/src/core/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [deepImports, serviceImports] }],
    },
  },
  {
    // Settings come from one place: the runtime's config module names every variable, with its default.
    files: ['packages/*/src/**/*.ts', 'services/*/src/**/*.ts', 'templates/*/src/**/*.ts'],
    ignores: [...tests, 'packages/runtime/src/config.ts', 'packages/testing/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        processEnvSyntax,
      ],
    },
  },
  {
    // The grader, its tests included, never reaches the log: no reader of it, no ServiceContext.store.
    files: ['services/grader/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [eventStoreImport, ...graderLogImports], patterns: [deepImports, serviceImports] }],
      'no-restricted-syntax': ['error', processEnvSyntax, ...graderStoreSyntax],
    },
  },
  {
    files: ['services/grader/src/core/**/*.ts'],
    ignores: tests,
    rules: {
      'no-restricted-imports': ['error', { paths: [eventStoreImport, ...graderLogImports], patterns: [deepImports, serviceImports, ioImports] }],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    // The provider SDKs type their error fields as `any`; the adapters narrow them at once.
    files: ['packages/models/src/anthropic.ts', 'packages/models/src/openai.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
    },
  },
  {
    // Everything the console shows came from a session's log, which models and tools wrote: it is rendered
    // as text only, never parsed as HTML (a model's reply can hold markup aimed at whoever reads it).
    files: ['services/gateway/console/src/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "JSXAttribute[name.name='dangerouslySetInnerHTML']", message: 'the console renders log data as text only' },
        { selector: 'MemberExpression[property.name=/^(innerHTML|outerHTML)$/]', message: 'the console renders log data as text only' },
        { selector: "CallExpression[callee.property.name=/^(insertAdjacentHTML|write|writeln)$/]", message: 'the console renders log data as text only' },
      ],
    },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);
