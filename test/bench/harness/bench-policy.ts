import type { Policy } from '@signalbox/events';

/**
 * A policy of the size an installation writes (20 rules: paths, hosts, methods, a few tools by glob),
 * allowing `tool` only by its 19th rule and denying the rest by default. The broker weighs every rule
 * of it on each call, so a check here costs what it would in use.
 */
export function benchPolicy(name: string, tool: string): Policy {
  return {
    name,
    default: 'deny',
    rules: [
      { id: 'no-secrets', effect: 'deny', tool: 'workspace.*', args: { path: 'secrets/**' }, description: 'secrets stay out of reach' },
      { id: 'no-env-files', effect: 'deny', tool: 'workspace.*', args: { path: '**/.env*' } },
      { id: 'no-keys', effect: 'deny', tool: 'workspace.*', args: { path: '**/*.{pem,key,p12}' } },
      { id: 'read-notes', effect: 'allow', tool: 'workspace.read', args: { path: 'notes/**' } },
      { id: 'read-src', effect: 'allow', tool: 'workspace.read', args: { path: 'src/**/*.{ts,md,json}' } },
      { id: 'write-notes', effect: 'allow', tool: 'workspace.write', args: { path: 'notes/**' } },
      { id: 'write-drafts', effect: 'allow', tool: 'workspace.write', args: { path: 'drafts/*.md' } },
      { id: 'ask-src-writes', effect: 'ask', tool: 'workspace.write', args: { path: 'src/**' } },
      { id: 'list', effect: 'allow', tool: 'workspace.list' },
      { id: 'docs-read', effect: 'allow', tool: 'http.fetch', url: { host: 'docs.example.com', methods: ['GET', 'HEAD'] } },
      { id: 'api-read', effect: 'allow', tool: 'http.fetch', url: { host: '*.api.example.com', methods: ['GET'] } },
      { id: 'api-write', effect: 'ask', tool: 'http.fetch', url: { host: '*.api.example.com', methods: ['POST', 'PUT', 'PATCH'] } },
      { id: 'no-metadata', effect: 'deny', tool: 'http.fetch', url: { host: '169.254.169.254' }, description: 'cloud metadata is not for agents' },
      { id: 'no-internal', effect: 'deny', tool: 'http.fetch', url: { host: '*.internal' } },
      { id: 'search', effect: 'allow', tool: 'search.*' },
      { id: 'no-shell', effect: 'deny', tool: 'shell.*', description: 'no shell in this installation' },
      { id: 'ask-email', effect: 'ask', tool: 'email.send' },
      { id: 'calendar-read', effect: 'allow', tool: 'calendar.{list,read}' },
      { id: 'bench-tool', effect: 'allow', tool, description: 'the benchmark tool' },
      { id: 'no-admin', effect: 'deny', tool: 'admin.*' },
    ],
  };
}
