import { expect, test } from '@playwright/test';
import { copyFileSync, writeFileSync } from 'node:fs';
import { buildXv6 } from '../tests/support/xv6';
import { button, consoleRegion, engineState, errors, screenshot, settled, slider } from './helpers';

// xv6 in the browser: its kernel and file-system image opened together, booted
// and recorded, typed at through the console, then travelled back through.
test('xv6: open the kernel with its disk, record a shell session, and scrub back before a command ran', async ({ page }) => {
  test.setTimeout(180_000);
  const xv6 = buildXv6();
  await page.goto('/');
  await page.getByLabel('Open a program or recording…').setInputFiles([xv6.kernelPath, xv6.fsImagePath]);
  await expect(button(page, 'Record')).toBeEnabled();
  await button(page, 'Record').click();
  const shell = consoleRegion(page);
  await expect(shell).toContainText('init: starting sh\n$ ', { timeout: 90_000 });

  const input = page.getByRole('textbox', { name: 'Console input' });
  await input.fill('echo from the browser > b');
  await input.press('Enter');
  // Wait for the prompt before typing on: typed ahead, the shell would echo the
  // next line before its prompt, as a real terminal does.
  await expect(shell).toContainText('$ echo from the browser > b\n$ ', { timeout: 60_000 });
  await input.fill('cat b');
  await input.press('Enter');
  await expect(shell).toContainText('$ cat b\nfrom the browser\n$ ', { timeout: 60_000 });
  // Typed lines appear once: the shell echoes them, the page does not add its own copy.
  expect((await shell.textContent())?.split('cat b').length).toBe(2);
  await button(page, 'Stop').click();
  await expect(page.getByRole('status')).toContainText('recording stopped');
  await settled(page);
  const end = await engineState(page);
  expect(end.length).toBeGreaterThan(100_000_000);
  await screenshot(page, 'xv6-session');

  // Back to a third of the way (the boot): the commands have not been typed there.
  await page.getByRole('textbox', { name: 'Go to icount' }).fill(String(Math.floor(end.length / 3)));
  await page.getByRole('button', { name: 'Go', exact: true }).click();
  await settled(page);
  await expect(shell).not.toContainText('from the browser');
  await expect(slider(page)).toHaveAttribute('aria-valuenow', String(Math.floor(end.length / 3)));
  // And forward to the end again: the same state as when it was recorded.
  await page.getByRole('textbox', { name: 'Go to icount' }).fill(String(end.length));
  await page.getByRole('button', { name: 'Go', exact: true }).click();
  await settled(page);
  expect(await engineState(page)).toEqual(end);
  await expect(shell).toContainText('from the browser\n$ ');
  await expect(errors(page)).toHaveCount(0);
});

test('two files that are not a program and its disk are refused, saying why', async ({ page }, info) => {
  const xv6 = buildXv6();
  const other = info.outputPath('other.img');
  copyFileSync(xv6.fsImagePath, other);
  await page.goto('/');
  await page.getByLabel('Open a program or recording…').setInputFiles([xv6.fsImagePath, other]);
  await expect(errors(page)).toContainText('one must be a RISC-V ELF program and the other its disk image: neither of fs.img and other.img is an ELF');
  const odd = info.outputPath('odd.img');
  writeFileSync(odd, new Uint8Array(1000));
  await page.goto('/');
  await page.getByLabel('Open a program or recording…').setInputFiles([xv6.kernelPath, odd]);
  await expect(errors(page)).toContainText('Cannot use odd.img as a disk image: it must be a whole number of 512-byte sectors, and it is 1000 bytes.');
});
