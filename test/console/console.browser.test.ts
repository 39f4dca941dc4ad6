// The operations console in a real browser (Debian's Chromium driven by playwright-core) at
// 1366x768 against a running gateway and the reference EHR: sign in with the admin token; run
// a sync; see a dead letter made by a failing EHR, replay it after the EHR heals and see it
// delivered; search referrals and open a timeline; validate an invalid resource and see the
// issue marked at its place; run a mapping; read the outcome charts of seeded referrals with
// known counts. A screenshot of each page goes to test/artifacts/.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CarePlan, Goal, Procedure, ServiceRequest, Task } from '@medplum/fhirtypes';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOAL_DEFINED_BY } from '../../src/workflow/report/report-facts.ts';
import { RESULTING_ACTIVITY, TASK_CODE_FULFILL } from '../../src/workflow/sdohcc.ts';
import { ADMIN_TOKEN, deadLetterFromFailingEhr, foodBankReferralId, partnerUpdate, startConsoleFixture, type ConsoleFixture } from './fixture.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(import.meta.dirname, '../artifacts');
const WAIT = 90_000;
/** Per test: a loaded 2-core machine runs the browser, the gateway and the EHR at once. */
const TEST_MS = 300_000;
const CHART_ORG = 'Organization/cbo-chart';

let f: ConsoleFixture;
let context: BrowserContext;
let page: Page;
let profileDir: string;

async function shot(name: string, fullPage = false): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `console-${name}.png`), fullPage });
}

/** Evaluates an expression in the page (written as text: the test is type-checked without the DOM library). */
function inPage<T>(expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

async function openPage(label: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Console pages' }).getByRole('link', { name: label, exact: true }).click();
  await expect.poll(() => page.locator('main h1').first().textContent(), { timeout: WAIT }).toBe(label);
}

/** Referrals of one organisation with known outcomes, written into the platform's record. */
async function seedChartReferrals(): Promise<void> {
  const s = f.gw.store;
  const patient = { reference: 'Patient/chart-patient' };
  const sr = (id: string): ServiceRequest & { id: string } => ({ resourceType: 'ServiceRequest', id, status: 'active', intent: 'order', subject: patient });
  const task = (id: string, status: Task['status'], extra: Partial<Task> = {}): Task & { id: string } => ({
    resourceType: 'Task', id, status, intent: 'order', code: TASK_CODE_FULFILL, focus: { reference: `ServiceRequest/sr-${id}` }, for: patient, owner: { reference: CHART_ORG }, authoredOn: new Date().toISOString(), ...extra,
  });
  await s.createMany('default', ['c1', 'c2', 'c3', 'c4'].map((id) => sr(`sr-${id}`)));
  const procedure: Procedure & { id: string } = { resourceType: 'Procedure', id: 'chart-p1', status: 'completed', subject: patient, performedDateTime: new Date().toISOString() };
  await s.createResource('default', procedure);
  for (const [id, statuses] of [['c1', ['requested', 'accepted', 'completed']], ['c2', ['requested', 'rejected']], ['c3', ['requested']], ['c4', ['requested', 'accepted', 'in-progress']]] as const) {
    for (const status of statuses) {
      const extra: Partial<Task> = status === 'completed' ? { output: [{ type: RESULTING_ACTIVITY, valueReference: { reference: 'Procedure/chart-p1' } }] } : status === 'rejected' ? { statusReason: { text: 'No capacity' } } : {};
      await s.updateResource('default', task(id, status, extra));
    }
  }
  const goal = (id: string, definer: string, achievement: string): Goal & { id: string } => ({
    resourceType: 'Goal', id, lifecycleStatus: 'active', description: { text: 'goal' }, subject: patient,
    achievementStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/goal-achievement', code: achievement }] },
    extension: [{ url: GOAL_DEFINED_BY, valueCode: definer }],
  });
  await s.createResource('default', goal('chart-g1', 'client', 'achieved'));
  await s.createResource('default', goal('chart-g2', 'case-manager', 'in-progress'));
  const carePlan: CarePlan & { id: string } = {
    resourceType: 'CarePlan', id: 'chart-cp1', status: 'active', intent: 'plan', subject: patient, created: new Date().toISOString(), author: { reference: CHART_ORG },
    goal: [{ reference: 'Goal/chart-g1' }, { reference: 'Goal/chart-g2' }], activity: [{ reference: { reference: 'Task/c1' } }],
  };
  await s.createResource('default', carePlan);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (.ci/run does)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  f = await startConsoleFixture('sqlite');
  profileDir = mkdtempSync(path.join(tmpdir(), 'console-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1366, height: 768 },
    timeout: WAIT,
  });
  context.setDefaultTimeout(WAIT);
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (msg) => {
    if (msg.type() === 'error') console.log(`browser console: ${msg.text()}`);
  });
}, 180_000);

afterAll(async () => {
  await context?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await f?.close();
});

describe('operations console in Chromium', () => {
  it('signs in with the admin token (a wrong one is refused) and runs a sync from Connections', async () => {
    await page.goto(new URL('console/', f.gw.base).href);
    const token = page.getByLabel('Admin token');
    await token.fill('this-is-not-the-admin-token-000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').first().textContent(), { timeout: WAIT }).toContain('did not accept');
    await token.fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('main h1').first().textContent(), { timeout: WAIT }).toBe('Connections');
    // The heading has the focus after navigation (keyboard users land on the page).
    await expect.poll(() => inPage<string>('document.activeElement?.tagName'), { timeout: WAIT }).toBe('H1');

    await page.getByRole('button', { name: 'Run sync now' }).click();
    await expect.poll(() => page.locator('#sync-result').textContent(), { timeout: WAIT }).toMatch(/Sync cycle finished .* clinic-ehr: \d+ pages, [1-9]\d* applied/);
    // The tables reload after the result is shown: wait for the cursors to appear.
    await expect.poll(() => page.locator('#ehr-table tbody tr').first().textContent(), { timeout: WAIT }).toContain('Organization/demo-food-bank');
    await expect.poll(() => page.locator('#ehr-table tbody tr').first().textContent(), { timeout: WAIT }).not.toContain('never polled');
    expect(await page.locator('#partner-table tbody tr').count()).toBe(2);
    await shot('connections');
  }, TEST_MS);

  it('shows a dead letter made by a failing EHR, replays it after the EHR heals, and it is delivered', async () => {
    const referralId = await foodBankReferralId(f);
    const { letter, heal } = await deadLetterFromFailingEhr(f, referralId);
    await openPage('Dead letters');
    const row = page.locator('#dead-letter-table tbody tr', { hasText: letter.id.slice(0, 8) });
    await row.waitFor();
    expect(await row.textContent()).toContain('source-task-changed');
    expect(await row.textContent()).toMatch(/Task\/[\w.-]+ tenant default/);
    expect(await row.textContent()).not.toContain('Rivera');
    await shot('dead-letters');

    heal();
    await row.getByRole('button', { name: /^Replay dead letter/ }).click();
    const replayed = page.locator(`#replayed tr[data-dead-letter="${letter.id}"]`);
    await replayed.waitFor();
    expect(await replayed.locator('td').last().textContent()).toMatch(/^AuditEvent\//);
    await page.locator(`#replayed tr[data-dead-letter="${letter.id}"] [data-state="done"]`).waitFor({ timeout: WAIT * 2 });
    expect(await replayed.textContent()).toContain('delivered');
    await expect.poll(() => page.locator('#no-dead-letters').count(), { timeout: WAIT }).toBe(1);
    await shot('dead-letters-replayed');
    const ehrTasks = (await (await fetch(new URL('Task?status=accepted', f.ehr.baseUrl))).json()) as { entry?: unknown[] };
    expect(ehrTasks.entry?.length ?? 0).toBeGreaterThan(0);
  }, TEST_MS);

  it('searches referrals and shows a timeline of both sides, deliveries and outcomes', async () => {
    const referralId = await foodBankReferralId(f);
    await partnerUpdate(f, referralId, 'complete', { servicesDelivered: [{ serviceId: 'SVC-1', code: 'food-pantry-application', date: new Date().toISOString().slice(0, 10) }] });
    await openPage('Referrals');
    await page.getByLabel('Status').selectOption('completed');
    await page.getByLabel('Organisation (owner)').fill('Organization/demo-food-bank');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.locator('#referral-count').textContent(), { timeout: WAIT }).toMatch(/^1 referrals/);
    await page.locator('#referral-table a[data-referral]').first().click();
    const timeline = page.locator('#timeline-table');
    await timeline.waitFor();
    for (const side of ['source', 'downstream', 'delivery', 'outcome']) {
      expect(await timeline.locator(`tbody tr[data-side="${side}"]`).count(), side).toBeGreaterThan(0);
    }
    expect(await timeline.locator('tbody tr[data-side="source"]').last().textContent()).toContain('completed');
    expect(await timeline.locator('tbody tr[data-side="delivery"]', { hasText: 'delivered' }).count()).toBeGreaterThan(0);
    await shot('referrals', true);
  }, TEST_MS);

  it('validates an invalid resource and marks the issue at its place in the JSON', async () => {
    await openPage('Validate');
    const invalid = { resourceType: 'Task', status: 'bogus', intent: 'order', for: { reference: 'Patient/example' } };
    await page.getByLabel('Resource (FHIR JSON)').fill(JSON.stringify(invalid, null, 2));
    await page.getByRole('button', { name: 'Validate' }).click();
    await expect.poll(() => page.locator('#validate-summary').textContent(), { timeout: WAIT }).toMatch(/^\d+ errors?/);
    const marked = page.locator('pre.json [data-path="Task.status"].marked');
    await marked.waitFor();
    expect(await marked.textContent()).toBe('"bogus"');
    expect(await page.locator('#issue-list li', { hasText: 'Task.status' }).count()).toBeGreaterThan(0);
    // The marker sits right before the member it marks, numbered like the list.
    const markerNumber = await page.locator('pre.json mark.issue-marker + [data-member="Task.status"]').evaluate((el) => el.previousElementSibling?.textContent);
    const listed = await page.locator('#issue-list li').evaluateAll((items) => items.findIndex((li) => li.textContent?.includes('Task.status')) + 1);
    expect(markerNumber).toBe(String(listed));
    await shot('validate');
  }, TEST_MS);

  it('runs a mapping in the playground and shows the other side', async () => {
    await openPage('Mapping playground');
    await page.getByLabel('Mapping', { exact: true }).selectOption('referral');
    await page.getByLabel('Direction').selectOption('to-fhir');
    await page.getByRole('button', { name: 'Load example' }).click();
    await expect.poll(() => page.getByLabel('Input').inputValue(), { timeout: WAIT }).toContain('referralId');
    await page.getByRole('button', { name: 'Run mapping' }).click();
    await expect.poll(() => page.locator('#mapping-status').textContent(), { timeout: WAIT }).toBe('Mapped without errors.');
    expect(await page.locator('#mapping-result').textContent()).toContain('"resourceType": "Bundle"');
    await shot('mapping');
    await page.getByLabel('Input').fill('{"referralId": 42}');
    await page.getByRole('button', { name: 'Run mapping' }).click();
    await expect.poll(() => page.locator('#mapping-status').textContent(), { timeout: WAIT }).toBe('The mapping reported errors.');
    expect(await page.locator('#mapping-issues li').count()).toBeGreaterThan(0);
  }, TEST_MS);

  it('draws the outcome charts with the numbers of the seeded referrals', async () => {
    await seedChartReferrals();
    await openPage('Outcomes');
    await page.getByLabel('Organisation', { exact: true }).selectOption(CHART_ORG);
    await page.getByRole('button', { name: 'Show report' }).click();
    await expect.poll(() => page.locator('#report-scope').textContent(), { timeout: WAIT }).toContain(CHART_ORG);
    const bar = (chart: string, key: string) => page.locator(`[data-chart="${chart}"] [data-bar="${key}"]`);
    const expected: Record<string, string> = { sent: '4', accepted: '2', inProgress: '1', completed: '1', closedLoop: '1', awaiting: '1', rejected: '1', cancelled: '0', failed: '0' };
    for (const [key, value] of Object.entries(expected)) {
      expect(await bar('chart-funnel', key).getAttribute('data-value'), key).toBe(value);
      expect(await bar('chart-funnel', key).locator('text.value').textContent(), key).toBe(value);
    }
    // Bars are drawn to scale: accepted (2) is half as wide as sent (4).
    const width = async (key: string) => Number(await bar('chart-funnel', key).locator('rect').getAttribute('width'));
    expect((await width('accepted')) / (await width('sent'))).toBeCloseTo(0.5, 2);
    expect(await bar('chart-times', 'acceptance-median').locator('text').first().textContent()).toContain('n=2');
    expect(await bar('chart-goals', 'carePlans').getAttribute('data-value')).toBe('1');
    expect(await bar('chart-goals', 'carePlansWithClientDefinedGoals').getAttribute('data-value')).toBe('1');
    expect(await bar('chart-goals', 'goals').getAttribute('data-value')).toBe('2');
    expect(await bar('chart-goals', 'goalsAchieved').getAttribute('data-value')).toBe('1');
    expect(await page.locator('[data-kpi="closedLoopRate"] .kpi-value').textContent()).toBe('25 %');
    await shot('outcomes', true);
  }, TEST_MS);

  it('is usable with the keyboard: skip link, labelled controls, visible focus', async () => {
    await page.goto(new URL('console/#/connections', f.gw.base).href);
    await expect.poll(() => page.locator('main h1').first().textContent(), { timeout: WAIT }).toBe('Connections');
    // The skip link is the first stop in the tab order and shows itself when focused.
    const first = await inPage<string>("document.querySelector('a[href], button:not([hidden]), input, select, textarea')?.textContent");
    expect(first).toBe('Skip to content');
    await page.locator('a.skip-link').focus();
    expect((await page.locator('a.skip-link').boundingBox())?.x ?? -1).toBeGreaterThanOrEqual(0);
    expect(await inPage<string>('getComputedStyle(document.activeElement).outlineStyle')).toBe('solid');
    // Keyboard navigation: Enter on a nav link opens the page with its heading focused; Tab goes on to the first control.
    await page.getByRole('navigation', { name: 'Console pages' }).getByRole('link', { name: 'Outcomes' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => inPage<string>("document.activeElement?.tagName + ':' + document.activeElement?.textContent"), { timeout: WAIT }).toBe('H1:Outcomes');
    await page.keyboard.press('Tab');
    expect(await inPage<string>('document.activeElement?.name')).toBe('from');
    expect(await inPage<string>('getComputedStyle(document.activeElement).outlineStyle')).toBe('solid');
    const unlabelled = await inPage<number>(`[...document.querySelectorAll('main input, main select, main textarea, main button')].filter((el) =>
      !(el.getAttribute('aria-label') || (el.id && document.querySelector('label[for="' + el.id + '"]')) || (el.tagName === 'BUTTON' && el.textContent.trim()))).length`);
    expect(unlabelled).toBe(0);
    expect(await page.locator('header.banner, nav, main').count()).toBe(3);
  }, TEST_MS);
});
