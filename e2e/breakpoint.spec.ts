import { expect, test } from '@playwright/test';
import { button, clickGutterBelowLabel, engineState, errors, expectPageMatchesEngine, openExample, recordToEnd, screenshot, settled } from './helpers';

test('a breakpoint set in the disassembly gutter, and reverse-continue back to it', async ({ page }) => {
  await openExample(page, 'corruption');
  const length = await recordToEnd(page);

  // Scroll the disassembly to median_of and click the glyph margin of its first instruction.
  const editor = await clickGutterBelowLabel(page, 'median_of');

  const traps = page.getByRole('list', { name: 'Breakpoints and watchpoints' });
  await expect(traps.getByRole('listitem')).toHaveCount(1);
  await expect(traps).toContainText('median_of');
  await expect(editor.locator('.glyph-breakpoint')).toHaveCount(1);
  const address = parseInt((await traps.locator('.trap-address').textContent())!, 16);

  // From the end, reverse-continue: the last call of median_of (it is called twice).
  await button(page, 'Reverse continue').click();
  await settled(page);
  await expect(page.getByRole('status')).toContainText('stopped at breakpoint 1 (median_of)');
  const last = await expectPageMatchesEngine(page);
  expect(BigInt(last.pc)).toBe(BigInt(address));
  expect(last.icount).toBeLessThan(length);
  await expect(editor.locator('.line-current')).toHaveCount(1);
  await screenshot(page, 'breakpoint-reverse-continue');

  // Again: the first call; and again: no earlier hit, so the start of the recording.
  await button(page, 'Reverse continue').click();
  await settled(page);
  const first = await expectPageMatchesEngine(page);
  expect(BigInt(first.pc)).toBe(BigInt(address));
  expect(first.icount).toBeLessThan(last.icount);
  await button(page, 'Reverse continue').click();
  await settled(page);
  await expect(page.getByRole('status')).toContainText('at the start of the recording');
  expect((await engineState(page)).icount).toBe(0);

  // Forward: continue stops at the same two places; a disabled breakpoint does not stop it.
  await button(page, 'Continue').click();
  await settled(page);
  expect((await engineState(page)).icount).toBe(first.icount);
  await button(page, 'Continue').click();
  await settled(page);
  expect((await engineState(page)).icount).toBe(last.icount);
  await page.getByRole('checkbox', { name: 'Enable breakpoint 1' }).uncheck();
  await expect(editor.locator('.glyph-breakpoint-disabled')).toHaveCount(1);
  await button(page, 'Reverse continue').click();
  await settled(page);
  expect((await engineState(page)).icount).toBe(0);

  // Clicking the gutter again removes it.
  await clickGutterBelowLabel(page, 'median_of');
  await expect(page.getByText('No breakpoints or watchpoints')).toBeVisible();
  await expect(errors(page)).toHaveCount(0);
});
