import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineTool, workspaceTools } from '@signalbox/tool-executor';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EventStore } from '@signalbox/store';
import { completedSession, eventsUntil } from '../support/runtime.ts';
import { appendInBatches, syntheticSessionEvents } from '../bench/harness/synthetic-session.ts';
import { browserProbe, startConsoleStack, type ConsoleStack } from './console-stack.ts';

/** Screenshots of the main pages, for a person to look at (gitignored). */
const screenshots = fileURLToPath(new URL('../../.artifacts/screenshots/', import.meta.url));

/** Answers when the test opens it: a session waits at it, running, while the page is watched. */
const waitingGates: (() => void)[] = [];
const gate = defineTool({ name: 'gate.wait', description: 'Waits for the test', input: z.object({}), run: () => new Promise<string>((resolve) => waitingGates.push(() => resolve('opened'))) });
async function openGate(): Promise<void> {
  while (waitingGates.length === 0) await sleep(20);
  waitingGates.shift()?.();
}

/** An output longer than an event carries (200,000 characters): its event holds the start, the store the whole. */
const bulkOutput = `${'line of bulk\n'.repeat(20_000)}the end of the bulk`;
const bulk = defineTool({ name: 'bulk.text', description: 'A long text', input: z.object({}), run: () => bulkOutput });

/** A reply written to attack whoever reads the log: it must show as text, and nothing in it may run. */
const hostileReply = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold?</b>';

/** A conversation that waits on a signal twice: steered from the page, each wait ends by a person, not the signal. */
const palScript = [
  { final: 'Hello! What shall I keep for you?' },
  { tool: 'wait.signal', input: { name: 'shopping-done' } },
  { final: 'Stopped waiting. What next?' },
  { tool: 'wait.signal', input: { name: 'shopping-done' } },
  { final: 'unreachable: the second wait is interrupted' },
];

let stack: ConsoleStack;
let page: Page;

const row = (n: number, type: string) => page.locator(`li.event[data-n="${n}"][data-type="${type}"]`);
const eventRow = (type: string) => page.locator(`li.event[data-type="${type}"]`);
const shoot = (name: string) => page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });

describe.skipIf(!browserProbe.available)(`the web console in Chromium${browserProbe.available ? '' : ` (skipped: ${browserProbe.reason})`}`, () => {
  beforeAll(async () => {
    await mkdir(screenshots, { recursive: true });
    stack = await startConsoleStack([...workspaceTools, gate, bulk]);
    const { client } = stack;
    await client.applyPolicy({ name: 'ask-to-write', rules: [{ effect: 'ask', tool: 'workspace.write', id: 'people-write' }, { effect: 'allow', tool: 'workspace.*', id: 'the-rest' }] });
    await client.applyAgent({ name: 'careful', model: 'scripted', policy: 'ask-to-write', tools: ['workspace.write', 'workspace.read'], budget: { maxSteps: 6, maxCostUsd: 1 }, script: [{ tool: 'workspace.write', input: { path: 'notes/a.md', content: 'hello' } }, { tool: 'workspace.read', input: { path: 'notes/a.md' } }, { final: 'wrote and read notes/a.md' }] });
    await client.applyAgent({ name: 'waiter', model: 'scripted', tools: ['gate.wait'], script: [{ text: 'I will wait for the gate.' }, { tool: 'gate.wait', input: {} }, { final: 'through the gate' }] });
    await client.applyAgent({ name: 'lead', model: 'scripted', subagents: ['waiter'], tools: ['gate.wait'], budget: { maxSteps: 10 }, script: [{ tool: 'agents.delegate', input: { agent: 'waiter', task: 'wait at the gate', maxSteps: 4 } }, { final: 'the helper got through' }] });
    await client.applyAgent({ name: 'pal', model: 'scripted', tools: ['wait.signal'], conversation: {}, script: palScript });
    await client.applyAgent({ name: 'hostile', model: 'scripted', tools: ['bulk.text'], script: [{ tool: 'bulk.text', input: {} }, { final: hostileReply }] });
    await client.submit('hostile', { input: 'say something nasty', sessionId: 'hostile-1' });
    await completedSession(client, 'hostile-1', 15_000);
    page = await stack.browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('dialog', (dialog) => void dialog.dismiss());
    // Shorter than the test's own timeout, so a step that never happens is named in the failure.
    page.setDefaultTimeout(15_000);
  });
  afterAll(async () => {
    await stack?.dispose();
    if (browserProbe.available) process.stderr.write(`console screenshots: ${screenshots}\n`);
  });

  it('asks for a token, and after login lists the sessions submitted', async () => {
    await page.goto(`${stack.url}/`);
    await page.locator('#token').waitFor();
    await shoot('login');
    await page.fill('#token', 'sbxt_not-a-token');
    await page.click('button[type=submit]');
    await page.locator('.login .error').waitFor();

    await page.fill('#token', stack.token);
    await page.click('button[type=submit]');
    await page.locator('tr[data-session="hostile-1"]').waitFor();
    expect(await page.locator('tr[data-session="hostile-1"] .status').textContent()).toBe('succeeded');
    const cookies = await page.context().cookies();
    expect(cookies.find((cookie) => cookie.name === 'sbx_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(await page.evaluate('document.cookie')).not.toContain('sbx_session');
  });

  it('shows a model reply full of markup as text, runs none of it, and loads a long tool output whole when asked', async () => {
    await page.goto(`${stack.url}/sessions/hostile-1`);
    await eventRow('session.completed').waitFor();
    await page.locator('.output').waitFor();
    expect(await page.locator('.output').textContent()).toBe(hostileReply);
    await eventRow('model.responded').last().locator('button.type').click();
    await page.locator('.payload').first().waitFor();
    expect(await page.locator('.payload').first().textContent()).toContain('<img src=x onerror');
    expect(await page.locator('main img, main script, main b').count()).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();

    await eventRow('tool.completed').locator('button.type').click();
    await page.click('text=Load the whole output');
    await page.locator('.whole-output').waitFor();
    expect(await page.locator('.whole-output').textContent()).toBe(bulkOutput);
  });

  it("updates a running session's timeline and its subagent's lane live, and filters the list", async () => {
    await stack.client.submit('lead', { input: 'get a helper through the gate', sessionId: 'lead-1' });
    await page.goto(`${stack.url}/sessions/lead-1`);
    const lane = page.locator('.lane');
    await lane.locator('li.event[data-type="tool.requested"]').waitFor();
    expect(await page.locator('h1 .status').textContent()).toBe('running');
    expect(await lane.locator('.status').textContent()).toBe('running');
    expect(await eventRow('session.completed').count()).toBe(0);
    await openGate();
    await page.locator('.timeline:not(.compact) li.event[data-type="session.completed"]').waitFor();
    await lane.locator('li.event[data-type="session.completed"]').waitFor();
    expect(await page.locator('h1 .status').textContent()).toBe('succeeded');
    expect(await page.locator('.stream').textContent()).toBe('ended');
    await page.locator('text=2 sessions in this run').waitFor();
    await shoot('session-lanes');

    await page.goto(`${stack.url}/`);
    await page.selectOption('select[name=status]', 'succeeded');
    await page.fill('input[name=agent]', 'lead');
    await page.click('form.filters button[type=submit]');
    await page.locator('tr[data-session="hostile-1"]').waitFor({ state: 'detached' });
    expect(await Promise.all((await page.locator('tbody tr').all()).map((listed) => listed.getAttribute('data-session')))).toEqual(['lead-1']);
    await page.selectOption('select[name=status]', '');
    await page.fill('input[name=agent]', '');
    for (const [field, value] of [['minCost', '1'], ['since', '2099-01-01T00:00']] as const) {
      await page.fill(`input[name=${field}]`, value);
      await page.click('form.filters button[type=submit]');
      await page.locator('text=No sessions match.').waitFor();
      await page.fill(`input[name=${field}]`, '');
    }
    await page.click('form.filters button[type=submit]');
    await page.locator('tr[data-session="hostile-1"]').waitFor();
    await shoot('sessions');
  });

  it('grants a waiting approval from its button, and the session goes on to succeed', async () => {
    await stack.client.submit('careful', { input: 'write a note', sessionId: 'careful-1' });
    await page.goto(`${stack.url}/sessions/careful-1`);
    await page.locator('button.approve').waitFor();
    expect(await page.locator('.approval pre').textContent()).toContain('notes/a.md');
    await shoot('session-approval');
    await page.click('button.approve');
    await eventRow('approval.resolved').waitFor();
    await eventRow('session.completed').waitFor();
    expect(await page.locator('h1 .status').textContent()).toBe('succeeded');
    expect(await page.locator('.approvals').count()).toBe(0);
    const resolved = (await stack.client.events('careful-1')).find((event) => event.type === 'approval.resolved');
    expect(resolved?.data).toMatchObject({ approved: true, by: expect.stringContaining('console-test') });
    await eventRow('tool.completed').first().locator('button.type').click();
    await shoot('session');
  });

  it('forks from a timeline event into a new session, and diffs the two runs side by side', async () => {
    const events = await stack.client.events('careful-1');
    const at = events.find((event) => event.type === 'tool.completed')?.n ?? 0;
    await row(at, 'tool.completed').hover();
    await row(at, 'tool.completed').locator('button.fork').click();
    // The console navigates in the page (history.pushState): no load event to wait for, and its CSP lets no string be evaluated.
    await expect.poll(() => new URL(page.url()).pathname).not.toBe('/sessions/careful-1');
    const forkId = decodeURIComponent(new URL(page.url()).pathname.slice('/sessions/'.length));
    await page.locator('text=forked from').waitFor();
    const fork = await eventsUntil(stack.client, forkId, (logged) => logged.some((event) => event.type === 'session.completed'), 15_000);
    expect(fork[0]).toMatchObject({ type: 'session.created', data: { forkedFrom: { sessionId: 'careful-1', n: at } } });
    await eventRow('session.completed').waitFor();

    await page.click('text=diff with it');
    await page.locator('table.diff').waitFor();
    // A fork with no edit takes the same steps again: the scripted model answers as it did.
    expect(await page.locator('main > p').first().textContent()).toBe('The two logs hold the same steps.');
    expect(await page.locator('table.diff tbody tr').count()).toBe(Math.max(events.length, fork.length));
    await shoot('diff');
  });

  it('opens a session of 10,001 events at its latest 500, and shows earlier ones 500 at a time when asked', async () => {
    const events = syntheticSessionEvents('long-1', 2_500);
    await appendInBatches(await EventStore.open(stack.client.nc, stack.client.names), 'long-1', events);
    await page.goto(`${stack.url}/sessions/long-1`);
    await row(10_001, 'tool.completed').waitFor();
    expect(await page.locator('li.event').count()).toBe(500);
    expect(await page.locator('li.event').first().getAttribute('data-n')).toBe('9502');
    await page.click('button.earlier');
    await row(9_002, 'model.requested').waitFor();
    expect(await page.locator('li.event').count()).toBe(1_000);
    expect(await page.locator('button.earlier').textContent()).toBe('Show 500 earlier events · 9,001 not shown');
    // The top of the page only: the whole of 1,000 lines is too tall to look at.
    await page.locator('button.earlier').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(screenshots, 'long-session.png') });
  });

  it('diffs two runs of 10,001 events from just before where they part, a page at a time either way, with the totals of the whole runs', async () => {
    const store = await EventStore.open(stack.client.nc, stack.client.names);
    await appendInBatches(store, 'long-a', syntheticSessionEvents('long-a', 2_500));
    // The same run but for one reply's token count, at event 8,003.
    const parted = syntheticSessionEvents('long-b', 2_500).map((event) =>
      event.n === 8_003 && event.type === 'model.responded' ? { ...event, data: { ...event.data, usage: { ...event.data.usage, outputTokens: 21 } } } : event,
    );
    await appendInBatches(store, 'long-b', parted);
    await page.goto(`${stack.url}/diff?a=long-a&b=long-b`);
    // Reading both runs whole to find where they part took 11–16 s on a loaded 2-core CI machine.
    await page.locator('table.diff').waitFor({ timeout: 40_000 });
    const rows = page.locator('table.diff tbody tr');
    expect(await page.locator('main > p').first().textContent()).toBe('They part at event #8003.');
    expect(await rows.first().locator('td.n').textContent()).toBe('#7983');
    expect(await rows.count()).toBe(500);
    expect(await page.locator('table.diff th').allTextContents()).toEqual(['', 'long-a running · $0.0000 · 2500 steps', 'long-b running · $0.0000 · 2500 steps']);

    await page.click('button.later');
    await expect.poll(() => rows.count()).toBe(1_000);
    expect(await page.locator('button.later').textContent()).toBe('Show 500 later events · 1,019 not shown');
    await page.click('button.earlier');
    await expect.poll(() => rows.count()).toBe(1_500);
    expect(await rows.first().locator('td.n').textContent()).toBe('#7483');
    expect(await page.locator('main > p.muted').textContent()).toContain('Events #1 to #7482 are the same in both.');
    await page.screenshot({ path: join(screenshots, 'long-diff.png') });
  }, 60_000);

  it('starts a session from the list with an agent it offers, and says why the actor refused an unknown one', async () => {
    await page.goto(`${stack.url}/`);
    await page.click('.new-session summary');
    // Every stored agent is offered, one with no session yet too.
    await page.locator('#known-agents option[value="pal"]').waitFor({ state: 'attached' });
    expect(await page.locator('#known-agents option[value="careful"]').count()).toBe(1);
    await page.fill('.new-session input[name=task-agent]', 'no-such-agent');
    await page.fill('.new-session textarea', 'anything');
    await page.click('.new-session button.start');
    await expect.poll(() => page.locator('.new-session .error').textContent()).toContain('no-such-agent');
    await page.fill('.new-session input[name=task-agent]', 'hostile');
    await page.fill('.new-session textarea', 'say it again');
    await shoot('new-session');
    await page.click('.new-session button.start');
    await expect.poll(() => new URL(page.url()).pathname).toMatch(/^\/sessions\/./);
    const sessionId = decodeURIComponent(new URL(page.url()).pathname.slice('/sessions/'.length));
    await eventRow('session.completed').waitFor();
    const [created] = await stack.client.events(sessionId);
    expect(created).toMatchObject({ type: 'session.created', data: { input: 'say it again', agent: { name: 'hostile' } } });
  });

  it('steers a conversation: sends a message, pauses and resumes it, cuts in with a message, and interrupts a step', async () => {
    const status = () => page.locator('h1 .status').textContent();
    await stack.client.submit('pal', { input: 'hi', sessionId: 'pal-1' });
    await page.goto(`${stack.url}/sessions/pal-1`);
    await expect.poll(status).toBe('idle');
    // Nothing runs: no interrupt to offer, nor a step to stop before a message.
    expect(await page.locator('.steer button.interrupt').count()).toBe(0);
    expect(await page.locator('.steer input[name=interrupt]').count()).toBe(0);

    await page.fill('.steer textarea', 'wait until the shopping is done');
    await page.click('.steer button.send');
    await eventRow('tool.requested').waitFor();
    await expect.poll(status).toBe('running');
    expect(await page.locator('.steer textarea').inputValue()).toBe('');

    await page.click('.steer button.pause');
    await expect.poll(status).toBe('paused');
    await page.click('.steer button.resume');
    await eventRow('session.resumed').waitFor();
    await expect.poll(status).toBe('running');

    await page.fill('.steer textarea', 'never mind the shopping; what next?');
    await page.check('.steer input[name=interrupt]');
    await shoot('session-steer');
    await page.click('.steer button.send');
    await expect.poll(() => page.locator('.output').textContent()).toBe('Stopped waiting. What next?');
    await expect.poll(status).toBe('idle');

    await page.fill('.steer textarea', 'wait again');
    await page.click('.steer button.send');
    await expect.poll(() => eventRow('tool.requested').count()).toBe(2);
    await page.click('.steer button.interrupt');
    await expect.poll(() => eventRow('session.interrupted').count()).toBe(2);
    await expect.poll(status).toBe('idle');

    const events = await stack.client.events('pal-1');
    const by = expect.stringContaining('console-test');
    expect(events.filter((event) => event.type === 'message.received').slice(-3).map((event) => event.data)).toEqual([
      expect.objectContaining({ text: 'wait until the shopping is done', by }),
      expect.objectContaining({ text: 'never mind the shopping; what next?', by }),
      expect.objectContaining({ text: 'wait again', by }),
    ]);
    expect(events.filter((event) => event.type === 'session.paused' || event.type === 'session.resumed' || event.type === 'session.interrupted').map((event) => [event.type, event.data.by])).toEqual([
      ['session.paused', by],
      ['session.resumed', by],
      ['session.interrupted', by],
      ['session.interrupted', by],
    ]);
    // Both waits ended by a person: the model never got to its last line.
    expect(events.some((event) => event.type === 'turn.completed' && event.data.output.startsWith('unreachable'))).toBe(false);
  });

  it('creates a token, showing its secret once, refuses a name taken, and revokes it: its secret is refused from then on', async () => {
    await page.goto(`${stack.url}/`);
    await page.click('nav.top >> text=tokens');
    await page.locator('table.tokens td >> text=console-test').waitFor();
    await page.fill('input[name=token-name]', 'ci-reader');
    await page.check('input[name=scope-submit]');
    await page.click('.new-token button[type=submit]');
    const secret = (await page.locator('.new-token .secret code').textContent()) ?? '';
    expect(secret).toMatch(/^sbxt_/);
    const row = page.locator('table.tokens tr', { hasText: 'ci-reader' });
    expect(await row.locator('td').nth(1).textContent()).toBe('read, submit');
    const asReader = () => fetch(`${stack.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${secret}` } });
    expect((await asReader()).status).toBe(200);
    await shoot('tokens');
    // The list never shows a secret again: a reload shows names and scopes alone.
    await page.reload();
    await row.waitFor();
    expect(await page.locator('main').textContent()).not.toContain(secret);

    await page.fill('input[name=token-name]', 'ci-reader');
    await page.click('.new-token button[type=submit]');
    await page.locator('.new-token .error').waitFor();

    page.removeAllListeners('dialog');
    page.once('dialog', (dialog) => void dialog.accept());
    await row.locator('button', { hasText: 'Revoke' }).click();
    await row.waitFor({ state: 'detached' });
    page.on('dialog', (dialog) => void dialog.dismiss());
    expect((await asReader()).status).toBe(401);
  });
});
