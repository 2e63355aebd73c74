import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { button, clickGlyphMargin, engineState, errors, expectPageMatchesEngine, openExample, recordToEnd, screenshot, settled } from './helpers';

const SOURCE = readFileSync(new URL('../public/examples/corruption.c', import.meta.url), 'utf8');
const lineOf = (text: string) => SOURCE.split('\n').findIndex((l) => l.includes(text)) + 1;
/** apply_calibration's read of the corrupted value. */
const READ_LINE = lineOf('return reading + calibration_offset;');
/** The store in smooth_readings that writes one element past smoothed[]. */
const STORE_LINE = lineOf('smoothed[i] = sum / WINDOW;');
const CALL_LINE = lineOf('int num_smoothed = smooth_readings();');

const sourceRegion = (page: Page) => page.getByRole('region', { name: 'Source' });
const callStack = (page: Page) => page.getByRole('table', { name: 'Call stack' });

/** Scrolls the source editor until line `n`'s number is in view; returns its line-number cell. */
async function sourceLine(page: Page, n: number) {
  const source = sourceRegion(page);
  const cell = source.locator('.line-numbers', { hasText: new RegExp(`^${n}$`) });
  const editor = source.locator('.monaco-editor');
  const inside = async () => {
    if (!(await cell.isVisible())) return false;
    const e = (await editor.boundingBox())!;
    const c = (await cell.boundingBox())!;
    return c.y > e.y + 40 && c.y + c.height < e.y + e.height - 40;
  };
  for (let i = 0; i < 40 && !(await inside()); i++) {
    const numbers = (await source.locator('.line-numbers').allTextContents()).map(Number).filter((x) => x > 0);
    const box = (await editor.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const middle = (Math.min(...numbers) + Math.max(...numbers)) / 2;
    await page.mouse.wheel(0, middle > n ? -60 : 60);
    await page.waitForTimeout(50);
  }
  await expect(cell).toBeVisible();
  return cell;
}

/** Expects the source line showing `text` to carry the decoration `className` (Monaco draws those in a layer under the text). */
async function expectMarked(page: Page, className: string, text: string) {
  const source = sourceRegion(page);
  const line = source.locator('.view-line', { hasText: text }).first();
  await expect(line).toBeVisible();
  await expect(async () => {
    const y = (await line.boundingBox())!.y;
    const marks = await source.locator(`.${className}`).evaluateAll((els) => els.map((e) => e.getBoundingClientRect().top));
    expect(marks.some((top) => Math.abs(top - y) < 2), `${className} on "${text}"`).toBe(true);
  }).toPass();
}

test('source level: a breakpoint on the line that reads the corrupted value, a watchpoint back to the line that wrote it, the call stack', async ({ page }) => {
  await openExample(page, 'corruption');
  const length = await recordToEnd(page);

  // Somewhere in the program (median_of): the source view shows corruption.c.
  await page.getByRole('textbox', { name: 'Go to icount' }).fill('33865');
  await button(page, 'Go').click();
  await settled(page);
  const source = sourceRegion(page);
  await expect(source.locator('.line-current')).toHaveCount(1);
  await expect(callStack(page).getByRole('row').nth(1)).toContainText('median_of');

  // A breakpoint from the source gutter on the line that reads calibration_offset, and run to it.
  const cell = await sourceLine(page, READ_LINE);
  await clickGlyphMargin(source, cell);
  await expect(page.getByRole('list', { name: 'Breakpoints and watchpoints' })).toContainText(`corruption.c:${READ_LINE}`);
  await button(page, 'Continue').click();
  await settled(page);
  await expect(page.getByRole('status')).toContainText('stopped at breakpoint');
  await expect(source).toContainText(`corruption.c:${READ_LINE} · apply_calibration`);
  await expectMarked(page, 'line-current', 'return reading + calibration_offset;');
  // apply_calibration is inlined into main: both frames are listed.
  const frames = callStack(page).getByRole('row');
  await expect(frames.nth(1)).toContainText(`apply_calibration`);
  await expect(frames.nth(1)).toContainText(`corruption.c:${READ_LINE}`);
  await expect(frames.nth(2)).toContainText('main');
  const atRead = await expectPageMatchesEngine(page);
  await screenshot(page, 'source-level-breakpoint-read');

  // A write watchpoint on calibration_offset, and back: the store in smooth_readings.
  const memory = page.getByRole('region', { name: 'Memory' });
  await memory.getByRole('textbox', { name: 'Memory address' }).fill('calibration_offset');
  await memory.getByRole('button', { name: 'Show', exact: true }).click();
  await settled(page);
  await memory.getByRole('button', { name: 'Who wrote this?' }).click();
  await settled(page);
  const statusLine = page.getByRole('status');
  await expect(statusLine).toContainText(new RegExp(`written by smooth_readings\\+0x[0-9a-f]+ \\(0x[0-9a-f]+\\) at corruption\\.c:${STORE_LINE}`));
  const wrote = await expectPageMatchesEngine(page);
  expect(wrote.icount).toBeLessThan(atRead.icount);
  // The line that wrote it is marked; the call stack: smooth_readings above main.
  await expectMarked(page, 'line-accessed', 'smoothed[i] = sum / WINDOW;');
  await expect(frames.nth(1)).toContainText('smooth_readings');
  await expect(frames.nth(2)).toContainText('main');
  await expect(frames.nth(2)).toContainText(`corruption.c:${CALL_LINE}`);
  // The lines run between the store and the read are marked as run.
  expect(await source.locator('.line-executed').count()).toBeGreaterThan(0);
  await screenshot(page, 'source-level-who-wrote');

  // Choosing main's frame shows the call in progress.
  await callStack(page).getByRole('button', { name: 'main' }).click();
  await expect(source).toContainText(`corruption.c:${CALL_LINE} · main (chosen frame)`);
  await expectMarked(page, 'line-frame', 'smooth_readings();');
  await callStack(page).getByRole('button', { name: 'smooth_readings' }).click();
  await expectMarked(page, 'line-accessed', 'smoothed[i] = sum / WINDOW;');

  // "Go to the last time this line ran" on the store's line: the start of its last run, before the store.
  await source.locator('.view-line', { hasText: 'smoothed[i] = sum / WINDOW;' }).click();
  const lastTime = source.getByRole('button', { name: 'Go to the last time this line ran' });
  await expect(lastTime).toHaveAttribute('title', `Go to the last time line ${STORE_LINE} ran (click a line to choose it)`);
  await lastTime.click();
  await settled(page);
  const last = await expectPageMatchesEngine(page);
  expect(last.icount).toBeLessThan(wrote.icount);
  await expect(source).toContainText(`corruption.c:${STORE_LINE} · smooth_readings`);
  await expectMarked(page, 'line-current', 'smoothed[i] = sum / WINDOW;');

  // Step line and reverse step line: a round trip (with the watchpoint off: the store would stop the step).
  await page.getByRole('checkbox', { name: /^Enable watchpoint/ }).uncheck();
  await button(page, 'Step line').click();
  await settled(page);
  const stepped = await engineState(page);
  expect(stepped.icount).toBeGreaterThan(last.icount);
  await expect(source).not.toContainText(`corruption.c:${STORE_LINE} · smooth_readings`);
  await expectMarked(page, 'line-executed', 'smoothed[i] = sum / WINDOW;');
  await button(page, 'Reverse step line').click();
  await settled(page);
  await expect(source).toContainText(`corruption.c:${STORE_LINE} · smooth_readings`);
  expect((await expectPageMatchesEngine(page)).icount).toBe(last.icount);

  // The shortcuts do the same (L, Shift+L); Step out (U) returns to main.
  await page.keyboard.press('l');
  await settled(page);
  expect((await engineState(page)).icount).toBe(stepped.icount);
  await page.keyboard.press('Shift+L');
  await settled(page);
  expect((await engineState(page)).icount).toBe(last.icount);
  await button(page, 'Step out').click();
  await settled(page);
  await expect(source).toContainText('· main');
  await expect(frames.nth(1)).toContainText('main');
  expect((await engineState(page)).icount).toBeLessThan(length);
  await screenshot(page, 'source-level-step-out');
  await expect(errors(page)).toHaveCount(0);
});
