import { expect, test } from '@playwright/test';
import { buildSmpProgram, raceSource } from '../tests/support/smp-programs';
import { button, consoleRegion, errors, screenshot, settled } from './helpers';

// Several harts in the browser: the start page's Harts setting, a recording of
// a data race, the registers of either hart, and a timeline lane per hart.
test('harts: record a two-hart race, show either hart, see when each ran', async ({ page }) => {
  const program = buildSmpProgram('race', raceSource(2, 20_000));
  await page.goto('/');
  await page.getByLabel('Harts').selectOption('2');
  await page.getByLabel('Open a program or recording…').setInputFiles(program);
  await expect(button(page, 'Record')).toBeEnabled();
  await button(page, 'Record').click();
  await expect(consoleRegion(page)).toContainText(/counter \d+ locked 40000 cas 40000/, { timeout: 60_000 });
  await settled(page);

  const registers = page.getByRole('region', { name: /^Registers/ });
  await expect(registers.getByRole('heading', { name: /Registers of hart \d/ })).toBeVisible();
  const hart = page.getByLabel('Hart', { exact: true });
  await hart.selectOption('1');
  await settled(page);
  await expect(registers.getByRole('heading', { name: 'Registers of hart 1' })).toBeVisible();
  // Hart 1 parked in WFI after its loop: its pc is in park().
  await expect(registers.getByRole('table', { name: 'Registers', exact: true })).toContainText('park');
  await hart.selectOption('0');
  await settled(page);
  await expect(registers.getByRole('heading', { name: 'Registers of hart 0' })).toBeVisible();

  const lanes = page.getByRole('img', { name: 'when each of the 2 harts ran' });
  await expect(lanes).toBeVisible();
  await expect(lanes.locator('.timeline-lane')).toHaveCount(2);
  await screenshot(page, 'harts-race');
  await expect(errors(page)).toHaveCount(0);
});
