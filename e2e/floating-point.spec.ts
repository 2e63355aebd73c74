import { expect, test, type Page } from '@playwright/test';
import { button, engineState, errors, openExample, recordToEnd, screenshot, settled } from './helpers';

const fpTable = (page: Page) => page.getByRole('table', { name: 'Floating-point registers' });

/** The FP table as the page shows it: register ("f1 ft1", "fcsr") → the bits (or fcsr value) it shows. */
async function pageFp(page: Page): Promise<Map<string, string>> {
  const rows = await fpTable(page).getByRole('row').evaluateAll((trs) =>
    trs.map((tr) => [tr.querySelector('th')?.textContent?.trim() ?? '', tr.querySelector('td code')?.textContent?.trim() ?? tr.querySelector('td')?.textContent?.trim() ?? '']));
  return new Map(rows as [string, string][]);
}

test('floating point: the f registers and fcsr follow the timeline, as the engine has them', async ({ page }) => {
  await openExample(page, 'orbits');
  const length = await recordToEnd(page);
  await expect(page.getByRole('region', { name: 'Console' })).toContainText('energy');

  // At the end of the run the FPU is on: every f register as the engine has it, and fcsr.
  const end = await engineState(page);
  expect(end.fpu.fcsr).not.toBeNull();
  const shown = await pageFp(page);
  for (let i = 0; i < 32; i++) {
    const row = [...shown.keys()].find((k) => k.startsWith(`f${i} `));
    expect(row, `row of f${i}`).toBeDefined();
    expect(shown.get(row!)).toBe(end.fpu.registers[i]);
  }
  // The value as a number: some register holds a double the program computed (not all zero).
  expect(end.fpu.registers.some((bits) => BigInt(bits) !== 0n)).toBe(true);
  await expect(fpTable(page).getByRole('row').filter({ hasText: 'fcsr' })).toContainText(/rne|rtz|rdn|rup|rmm/);
  await screenshot(page, 'floating-point-registers');

  // Back at the reset ROM the FPU is off (mstatus.FS = Off), and the page says so rather than showing stale values.
  await page.getByRole('textbox', { name: 'Go to icount' }).fill('0');
  await button(page, 'Go').click();
  await settled(page);
  const start = await engineState(page);
  expect(start.fpu.fcsr).toBeNull();
  await expect(fpTable(page).getByRole('row').filter({ hasText: 'fcsr' })).not.toContainText(/rne|rtz|rdn|rup|rmm/);

  // Stepping through the middle of the run: the page keeps matching the engine.
  await page.getByRole('textbox', { name: 'Go to icount' }).fill(String(Math.floor(length / 2)));
  await button(page, 'Go').click();
  await settled(page);
  for (let k = 0; k < 5; k++) {
    await button(page, 'Step').click();
    await settled(page);
    const state = await engineState(page);
    const now = await pageFp(page);
    for (let i = 0; i < 32; i++) {
      const row = [...now.keys()].find((key) => key.startsWith(`f${i} `));
      expect(now.get(row!), `f${i} at icount ${state.icount}`).toBe(state.fpu.registers[i]);
    }
  }
  await expect(errors(page)).toHaveCount(0);
});
