import { expect, test } from '@playwright/test';
import {
  button, clickTimeline, consoleRegion, engineState, errors, expectPageMatchesEngine, openExample, recordToEnd, screenshot, settled, slider,
} from './helpers';

test('record the corruption example to its end, then scrub, jump and step both ways', async ({ page, baseURL }) => {
  // Everything the app loads comes from its own origin (Monaco and its worker included): it works offline.
  const foreign: string[] = [];
  page.on('request', (r) => { if (!r.url().startsWith(baseURL!) && !/^(data|blob):/.test(r.url())) foreign.push(r.url()); });
  await openExample(page, 'corruption');
  const length = await recordToEnd(page);
  await expect(consoleRegion(page)).toContainText('SELF-CHECK FAILED: calibrated mean is 307, expected 165');
  expect((await engineState(page)).length).toBe(length);
  await expect(slider(page)).toHaveAttribute('aria-valuemin', '0');
  await expectPageMatchesEngine(page);

  // Scrub to several positions: the registers follow and match the engine's.
  const seen = new Set<number>();
  for (const fraction of [0.1, 0.37, 0.5, 0.83, 0.995]) {
    await clickTimeline(page, fraction);
    const state = await expectPageMatchesEngine(page);
    expect(Math.abs(state.icount - fraction * length)).toBeLessThan(length * 0.01);
    seen.add(state.icount);
  }
  expect(seen.size).toBe(5);

  // Scrubbing back un-prints: early on, the report is not there yet.
  await clickTimeline(page, 0.1);
  await expect(consoleRegion(page)).not.toContainText('SELF-CHECK FAILED');
  await expect(consoleRegion(page)).toContainText('later events not shown');

  // The keyboard on the slider: Home, End, arrows, Page Up/Down.
  await slider(page).focus();
  await page.keyboard.press('Home');
  await settled(page);
  await expect(slider(page)).toHaveAttribute('aria-valuenow', '0');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await settled(page);
  await expect(slider(page)).toHaveAttribute('aria-valuenow', '2');
  await expectPageMatchesEngine(page);
  await page.keyboard.press('End');
  await settled(page);
  await expect(slider(page)).toHaveAttribute('aria-valuenow', String(length));
  await page.keyboard.press('PageDown');
  await settled(page);
  expect((await engineState(page)).icount).toBe(length - Math.round(length / 10));
  await expect(consoleRegion(page)).toContainText('Temperature log');

  // Jump to an icount.
  await page.getByRole('textbox', { name: 'Go to icount' }).fill('14,311');
  await button(page, 'Go').click();
  await settled(page);
  expect((await expectPageMatchesEngine(page)).icount).toBe(14311);

  // Reverse step and step: one instruction each way, and the same state back.
  const before = await engineState(page);
  await button(page, 'Reverse step').click();
  await settled(page);
  const back = await expectPageMatchesEngine(page);
  expect(back.icount).toBe(14310);
  await button(page, 'Step').click();
  await settled(page);
  const again = await expectPageMatchesEngine(page);
  expect(again).toEqual(before);
  // Changed registers are highlighted.
  await button(page, 'Reverse step').click();
  await settled(page);
  await button(page, 'Step').click();
  await settled(page);
  const changed = page.getByRole('table', { name: 'Registers', exact: true }).locator('tr.changed');
  await expect(changed.first()).toBeVisible();

  // Keyboard shortcuts: S steps, Shift+S steps back (focus outside any field).
  await page.getByRole('heading', { name: 'Registers' }).click();
  await page.keyboard.press('s');
  await settled(page);
  expect((await engineState(page)).icount).toBe(14312);
  await page.keyboard.press('Shift+S');
  await settled(page);
  expect((await engineState(page)).icount).toBe(14311);
  await expect(button(page, 'Step')).toHaveAttribute('title', 'Step (S)');
  await expect(button(page, 'Reverse continue')).toHaveAttribute('title', 'Reverse continue (Shift+C)');

  await screenshot(page, 'record-and-scrub');
  await expect(errors(page)).toHaveCount(0);
  expect(foreign).toEqual([]);
  await expect(page.locator('.monaco-editor')).toHaveCount(2);
});
