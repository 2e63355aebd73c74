import { expect, test } from '@playwright/test';
import { readFileSync, writeFileSync } from 'node:fs';
import { clickGlyphMargin, consoleRegion, engineState, errors, expectPageMatchesEngine, openExample, recordToEnd, screenshot, settled, slider } from './helpers';

test('export a recording, import the file again, and see the same timeline', async ({ page }, info) => {
  await openExample(page, 'corruption');
  const length = await recordToEnd(page);
  const positions = [0, 14311, Math.floor(length / 2), length];
  const original = [];
  for (const t of positions) {
    await page.getByRole('textbox', { name: 'Go to icount' }).fill(String(t));
    await page.getByRole('button', { name: 'Go', exact: true }).click();
    await settled(page);
    original.push(await engineState(page));
  }

  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export .hsr' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('corruption.hsr');
  const file = info.outputPath('corruption.hsr');
  await download.saveAs(file);
  const bytes = readFileSync(file);
  expect(bytes.subarray(0, 8).toString('latin1')).toBe('HSREC\r\n\x1a');

  // Open it from the start page: the same recording (the file names it by its content id), so the stored one opens, replayed.
  await page.goto('/');
  await page.getByLabel('Open a program or recording…').setInputFiles(file);
  await expect(slider(page)).toHaveAttribute('aria-valuemax', String(length));
  await expect(page.getByText('replay', { exact: true })).toBeVisible();
  await expect(page.locator('.recording-name')).toHaveText('corruption');
  // Opening replayed it through to the end, every digest and output matching: it says so.
  await expect(page.getByText('verified', { exact: true })).toBeVisible();
  for (let i = 0; i < positions.length; i++) {
    await page.getByRole('textbox', { name: 'Go to icount' }).fill(String(positions[i]));
    await page.getByRole('button', { name: 'Go', exact: true }).click();
    await settled(page);
    expect(await expectPageMatchesEngine(page)).toEqual(original[i]);
  }
  await expect(consoleRegion(page)).toContainText('SELF-CHECK FAILED');
  // The sources travelled with it (the SRCS chunk): the source view works.
  await page.getByRole('textbox', { name: 'Go to icount' }).fill('14310');
  await page.getByRole('button', { name: 'Go', exact: true }).click();
  await settled(page);
  await expect(page.getByRole('region', { name: 'Source' }).locator('.view-line', { hasText: 'smoothed[i] = sum / WINDOW;' })).toBeVisible();
  await screenshot(page, 'imported-recording');
  await expect(errors(page)).toHaveCount(0);

  // The same file with one byte damaged: refused with the reader's message, in the page.
  const corrupt = Buffer.from(bytes);
  corrupt[Math.floor(corrupt.length * 0.6)] ^= 0x40;
  const corruptFile = info.outputPath('damaged.hsr');
  writeFileSync(corruptFile, corrupt);
  await page.getByRole('button', { name: '← Recordings' }).click();
  await page.getByLabel('Open a program or recording…').setInputFiles(corruptFile);
  const alert = errors(page);
  await expect(alert).toContainText(/Cannot open damaged\.hsr: corrupt recording at offset 0x[0-9a-f]+: chunk \w+ ?checksum mismatch/);
  await expect(page.getByRole('heading', { name: 'Examples' })).toBeVisible();
  await screenshot(page, 'corrupt-file-error');
  await alert.getByRole('button', { name: 'Dismiss' }).click();
  await expect(errors(page)).toHaveCount(0);

  // A file that is neither a program nor a recording, and a cut-off recording.
  await page.getByLabel('Open a program or recording…').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a program\n') });
  await expect(errors(page)).toContainText('Cannot open notes.txt: it is neither a RISC-V ELF executable nor a Hindsight recording (.hsr).');
  await errors(page).getByRole('button', { name: 'Dismiss' }).click();
  await page.getByLabel('Open a program or recording…').setInputFiles({ name: 'short.hsr', mimeType: 'application/octet-stream', buffer: bytes.subarray(0, 40) });
  await expect(errors(page)).toContainText('Cannot open short.hsr: recording is too short to contain its program');
});

test('a bad ELF and a failed download are reported in the page', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('Open a program or recording…').setInputFiles({ name: 'broken.elf', mimeType: 'application/octet-stream', buffer: Buffer.from('\x7fELF\x02\x01\x01garbage') });
  await expect(errors(page)).toContainText('Cannot load broken.elf:');
  await errors(page).getByRole('button', { name: 'Dismiss' }).click();

  await page.route('**/examples/hello.elf', (route) => route.fulfill({ status: 404, body: 'gone' }));
  await page.getByRole('button', { name: 'Open hello', exact: true }).click();
  await expect(errors(page)).toContainText('Could not fetch hello.elf: 404');
  await expect(page.getByRole('heading', { name: 'Examples' })).toBeVisible();
});

test('an ELF dropped on the page is loaded, ready to record', async ({ page }) => {
  await page.goto('/');
  const elf = readFileSync(new URL('../public/examples/uart.elf', import.meta.url));
  const transfer = await page.evaluateHandle((data) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(data)], 'uart.elf', { type: 'application/octet-stream' }));
    return dt;
  }, [...elf]);
  await page.dispatchEvent('body', 'dragover', { dataTransfer: transfer });
  await page.dispatchEvent('body', 'drop', { dataTransfer: transfer });
  await expect(page.locator('.recording-name')).toHaveText('uart.elf');
  await recordToEnd(page);
  await expect(consoleRegion(page)).toContainText('UART');
  await expect(errors(page)).toHaveCount(0);
});

test('reverse step at the start and step at the end report the ends of history', async ({ page }) => {
  await openExample(page, 'uart');
  const length = await recordToEnd(page);
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  await settled(page);
  await expect(page.getByRole('status')).toContainText('exited');
  expect((await engineState(page)).icount).toBe(length);
  await slider(page).focus();
  await page.keyboard.press('Home');
  await settled(page);
  await page.getByRole('button', { name: 'Reverse step', exact: true }).click();
  await settled(page);
  await expect(page.getByRole('status')).toContainText('at the start of the recording');
  await expectPageMatchesEngine(page);
});

test('source files dropped on the debugger appear in the source view; the snapshots download as qcow2', async ({ page }, info) => {
  await page.goto('/');
  await page.getByLabel('Open a program or recording…').setInputFiles(new URL('../public/examples/corruption.elf', import.meta.url).pathname);
  await expect(page.locator('.recording-name')).toHaveText('corruption.elf');
  await recordToEnd(page);
  await page.getByRole('textbox', { name: 'Go to icount' }).fill('14310');
  await page.getByRole('button', { name: 'Go', exact: true }).click();
  await settled(page);
  const source = page.getByRole('region', { name: 'Source' });
  await expect(source).toContainText('Line 103 of ./corruption.c in smooth_readings. This source file is not at hand');

  const text = readFileSync(new URL('../public/examples/corruption.c', import.meta.url), 'utf8');
  const transfer = await page.evaluateHandle((t) => {
    const dt = new DataTransfer();
    dt.items.add(new File([t], 'corruption.c', { type: 'text/x-c' }));
    return dt;
  }, text);
  await page.dispatchEvent('body', 'dragover', { dataTransfer: transfer });
  await page.dispatchEvent('body', 'drop', { dataTransfer: transfer });
  await expect(source.locator('.view-line', { hasText: 'smoothed[i] = sum / WINDOW;' })).toBeVisible();
  await expect(source.locator('.line-current')).toHaveCount(1);

  // A breakpoint from the source gutter: on line 126 (copy[j] = v in median_of).
  const line = source.locator('.line-numbers', { hasText: /^126$/ });
  await page.getByRole('textbox', { name: 'Go to icount' }).fill('33865');
  await page.getByRole('button', { name: 'Go', exact: true }).click();
  await settled(page);
  await expect(line).toBeVisible();
  await clickGlyphMargin(source, line);
  await expect(page.getByRole('list', { name: 'Breakpoints and watchpoints' })).toContainText('corruption.c:126');
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
  await settled(page);
  await expect(page.getByRole('status')).toContainText('stopped at breakpoint');
  await expect(source).toContainText('corruption.c:126');

  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Snapshots .qcow2' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('corruption.qcow2');
  const image = info.outputPath('corruption.qcow2');
  await download.saveAs(image);
  expect(readFileSync(image).subarray(0, 4)).toEqual(Buffer.from([0x51, 0x46, 0x49, 0xfb]));
  await expect(errors(page)).toHaveCount(0);
});
