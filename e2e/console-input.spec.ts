import { expect, test } from '@playwright/test';
import { button, clickTimeline, consoleRegion, errors, openExample, screenshot, settled } from './helpers';

test('recording a program that reads input: typed lines are recorded and marked in the console', async ({ page }) => {
  await openExample(page, 'echo');
  await button(page, 'Record').click();
  await expect(page.getByRole('status')).toContainText('Waiting for console input');
  const input = page.getByRole('textbox', { name: 'Console input' });
  await input.fill('time travel');
  await input.press('Enter');
  await expect(consoleRegion(page)).toContainText('1: TIME TRAVEL');
  await expect(input).toHaveValue('');
  await input.fill('second line');
  await button(page, 'Send line').click();
  await expect(consoleRegion(page)).toContainText('2: SECOND LINE');
  await button(page, 'End input').click();
  await expect(page.getByRole('status')).toContainText('the program exited with status 0');
  await settled(page);
  await expect(consoleRegion(page)).toContainText('2 lines, 4 words, 22 characters');
  // The input the program received is marked as input.
  const received = consoleRegion(page).locator('.stream-stdin');
  await expect(received).toHaveCount(2);
  await expect(received.first()).toContainText('time travel');
  await expect(consoleRegion(page)).toContainText('[end of input]');
  await screenshot(page, 'console-input');

  // Scrubbing back to before the second line un-types it.
  await clickTimeline(page, 0.2);
  await expect(consoleRegion(page)).not.toContainText('SECOND LINE');
  await expect(errors(page)).toHaveCount(0);
});
