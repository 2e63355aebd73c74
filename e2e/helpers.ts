// Shared steps of the end-to-end tests: opening examples, recording, reading
// the page's panels, and asking the engine (through the page's test hook)
// for its state at the current position.
import { expect, type Locator, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineState } from '../workers/engine-api';

export const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), 'screenshots');

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

export const slider = (page: Page) => page.getByRole('slider', { name: 'Timeline' });
/** Error messages in the page (Monaco keeps empty alert regions for screen readers: those are not errors). */
export const errors = (page: Page) => page.getByRole('alert').filter({ hasText: /\S/ });
export const consoleRegion = (page: Page) => page.getByRole('region', { name: 'Console' });
export const button = (page: Page, name: string) => page.getByRole('button', { name, exact: true });

/**
 * Opens a bundled example from the start page: the debugger at the first line of main (run live to
 * there; a program without main stays at icount 0), ready to record on.
 */
export async function openExample(page: Page, name: string): Promise<void> {
  await page.goto('/');
  await page.getByRole('button', { name: `Open ${name}`, exact: true }).click();
  await expect(button(page, 'Record')).toBeEnabled();
  const max = await slider(page).getAttribute('aria-valuemax');
  await expect(slider(page)).toHaveAttribute('aria-valuenow', max!);
}

/** Presses Record and waits for the program to finish. */
export async function recordToEnd(page: Page, timeout = 30_000): Promise<number> {
  await button(page, 'Record').click();
  await expect(page.getByRole('status')).toContainText('the program exited with status', { timeout });
  await settled(page);
  const max = Number(await slider(page).getAttribute('aria-valuemax'));
  expect(max).toBeGreaterThan(0);
  await expect(slider(page)).toHaveAttribute('aria-valuenow', String(max));
  return max;
}

export async function settled(page: Page): Promise<void> {
  await page.evaluate(() => window.__hindsight!.settled());
}

export async function engineState(page: Page): Promise<EngineState> {
  return page.evaluate(() => window.__hindsight!.engineState());
}

/** The Registers table as the page shows it: name cell ("x10 a0", "pc") → value cell's first word. */
export async function pageRegisters(page: Page): Promise<Map<string, string>> {
  const rows = await page.getByRole('table', { name: 'Registers', exact: true }).getByRole('row').evaluateAll((trs) =>
    trs.map((tr) => [tr.querySelector('th')?.textContent?.trim() ?? '', tr.querySelector('td code')?.textContent?.trim() ?? '']));
  return new Map(rows as [string, string][]);
}

/** Checks that the page shows the engine's registers and position. */
export async function expectPageMatchesEngine(page: Page): Promise<EngineState> {
  const state = await engineState(page);
  const regs = await pageRegisters(page);
  expect(regs.get('pc')).toBe(state.pc);
  for (let i = 0; i < 32; i++) {
    const row = [...regs.keys()].find((k) => k.startsWith(`x${i} `));
    expect(row, `row of x${i}`).toBeDefined();
    expect(regs.get(row!), `x${i} at icount ${state.icount}`).toBe(state.registers[i]);
  }
  await expect(slider(page)).toHaveAttribute('aria-valuenow', String(state.icount));
  await expect(page.getByRole('status')).toContainText(`icount ${state.icount.toLocaleString('en-US')} of`);
  return state;
}

/** Clicks the timeline at a fraction of its width (no zoom: the whole recording). */
export async function clickTimeline(page: Page, fraction: number): Promise<void> {
  const box = (await slider(page).boundingBox())!;
  await page.mouse.click(box.x + box.width * fraction, box.y + box.height / 2);
  await settled(page);
}

/** The line-number cell showing `address` in the disassembly editor, after scrolling to it with the Show box. */
export async function disassemblyLine(page: Page, where: string): Promise<{ editor: Locator; labelLine: Locator }> {
  const panel = page.getByRole('region', { name: 'Disassembly' });
  await panel.getByRole('textbox', { name: 'Show address or symbol' }).fill(where);
  await panel.getByRole('button', { name: 'Show', exact: true }).click();
  const editor = panel.locator('.monaco-editor');
  const labelLine = editor.locator('.view-line', { hasText: `<${where}>:` });
  await expect(labelLine).toBeVisible();
  return { editor, labelLine };
}

/** Where a line of a Monaco editor is on the page once the editor has stopped scrolling and re-rendering
 * (a line element can be replaced between finding it and measuring it). */
async function settledBox(line: Locator): Promise<{ x: number; y: number; width: number; height: number }> {
  let previous: { x: number; y: number; width: number; height: number } | null = null;
  for (let attempt = 0; attempt < 50; attempt++) {
    const box = await line.boundingBox().catch(() => null);
    if (box && previous && box.y === previous.y && box.height === previous.height) return box;
    previous = box;
    await line.page().waitForTimeout(100);
  }
  throw new Error('the editor line never settled in place');
}

/** Clicks an editor's glyph margin (its breakpoint gutter) beside `line`, or `linesBelow` lines under it. */
export async function clickGlyphMargin(editor: Locator, line: Locator, linesBelow = 0): Promise<void> {
  const box = await settledBox(line);
  const glyphs = await settledBox(editor.locator('.glyph-margin').first());
  await editor.page().mouse.click(glyphs.x + glyphs.width / 2, box.y + box.height * (linesBelow + 0.5));
}

/** Clicks the disassembly's breakpoint gutter beside the first instruction after a label. */
export async function clickGutterBelowLabel(page: Page, where: string): Promise<Locator> {
  const { editor, labelLine } = await disassemblyLine(page, where);
  await clickGlyphMargin(editor, labelLine, 1);
  return editor;
}
