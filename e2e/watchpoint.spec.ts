import { expect, test } from '@playwright/test';
import { button, errors, expectPageMatchesEngine, openExample, recordToEnd, screenshot, settled } from './helpers';

test('a watchpoint on calibration_offset finds the store in smooth_readings that corrupts it', async ({ page }) => {
  await openExample(page, 'corruption');
  await recordToEnd(page);

  // The memory view shows calibration_offset; at the end it holds 0x7f, not -15.
  const memory = page.getByRole('region', { name: 'Memory' });
  await memory.getByRole('textbox', { name: 'Memory address' }).fill('calibration_offset');
  await memory.getByRole('button', { name: 'Show', exact: true }).click();
  await settled(page);
  await expect(memory.getByRole('table', { name: 'Memory at calibration_offset' })).toBeVisible();
  await expect(memory).toContainText('4 bytes at 80200928 (calibration_offset)');

  // "Who wrote this?": a write watchpoint on the selection, and back to the last write.
  await memory.getByRole('button', { name: 'Who wrote this?' }).click();
  await settled(page);
  const statusLine = page.getByRole('status');
  await expect(statusLine).toContainText(/watchpoint 1 \(calibration_offset\): 4 bytes at 0x80200928 written by smooth_readings\+0x[0-9a-f]+/);
  await expect(statusLine).toContainText('0xfffffff1 → 0x7f');
  const state = await expectPageMatchesEngine(page);
  await expect(page.getByRole('table', { name: 'Registers', exact: true }).getByRole('row').first()).toContainText('smooth_readings');
  // The bytes the store wrote are highlighted; the watchpoint is listed.
  await expect(memory.locator('td.accessed.write')).toHaveCount(4);
  await expect(page.getByRole('list', { name: 'Breakpoints and watchpoints' })).toContainText('calibration_offsetwrite watch, 4 B at 80200928');
  await screenshot(page, 'watchpoint-corrupting-store');

  // The store itself is the instruction just before: sw in smooth_readings, on the faulty source line.
  await button(page, 'Reverse step').click();
  await settled(page);
  await expect(statusLine).toContainText(/<smooth_readings\+0x[0-9a-f]+> · sw\s/);
  const source = page.getByRole('region', { name: 'Source' });
  await expect(source).toContainText('corruption.c:103');
  await expect(source.locator('.view-line', { hasText: 'smoothed[i] = sum / WINDOW;' })).toBeVisible();
  await button(page, 'Step').click();
  await settled(page);
  expect((await expectPageMatchesEngine(page)).icount).toBe(state.icount);
  // That step ran the store: the bytes it changed (0xfffffff1 → 0x7f) are highlighted.
  await expect(memory.locator('td.changed')).toHaveCount(4);
  await expect(errors(page)).toHaveCount(0);
});
