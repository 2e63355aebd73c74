import { expect, test, type Page } from '@playwright/test';

async function runExample(page: Page, name: string): Promise<void> {
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1, name: 'Hindsight' })).toBeVisible();
  await page.getByRole('button', { name: `Run ${name}`, exact: true }).click();
}

const consoleLog = (page: Page) => page.getByRole('log', { name: 'Console' });
const status = (page: Page) => page.getByRole('status');

test('hello prints to the console, exits with status 0 and shows the final registers', async ({ page }) => {
  await runExample(page, 'hello');
  await expect(consoleLog(page)).toContainText('Hello, world!');
  await expect(status(page)).toContainText('hello: exited with status 0');
  await expect(status(page)).toContainText(/[\d,]+ instructions/);

  const registers = page.getByRole('table', { name: 'Registers', exact: true });
  await expect(registers.getByRole('columnheader', { name: 'Value' })).toBeVisible();
  const pcRow = registers.getByRole('row', { name: /^pc / });
  const a0Row = registers.getByRole('row', { name: /^x10 a0 / });
  await expect(pcRow).toContainText(/0x[0-9a-f]{16}/);
  await expect(a0Row).toContainText(/0x[0-9a-f]{16}/);
  await expect(page.getByRole('table', { name: 'Control and status registers' }).getByRole('row', { name: /^mcause / })).toBeVisible();

  // The page shows what the engine holds.
  const state = await page.evaluate(() => window.__hindsight!.state());
  expect(state).toMatchObject({ program: 'hello', status: 'exited', privilege: 'M', lastStop: { reason: 'exit', exitCode: 0 } });
  await expect(pcRow.getByRole('cell').last()).toHaveText(state.pc);
  await expect(page.getByRole('alert')).toHaveCount(0);
});

test('corruption reports its failed self-check with exit status 1', async ({ page }) => {
  await runExample(page, 'corruption');
  await expect(status(page)).toContainText('corruption: exited with status 1');
  await expect(consoleLog(page)).toContainText('SELF-CHECK FAILED');
});

test('echo reads lines typed into the console input until end of input', async ({ page }) => {
  await runExample(page, 'echo');
  await expect(status(page)).toContainText('waiting for console input');
  const input = page.getByRole('textbox', { name: 'Console input' });
  await input.fill('hello from playwright');
  await input.press('Enter');
  await expect(consoleLog(page)).toContainText('1: HELLO FROM PLAYWRIGHT');
  await expect(input).toHaveValue('');
  await page.getByRole('button', { name: 'End input' }).click();
  await expect(status(page)).toContainText('echo: exited with status 0');
  await expect(consoleLog(page)).toContainText('1 lines, 3 words, 21 characters');
});

test('a long run can be paused and continued', async ({ page }) => {
  await runExample(page, 'bench');
  await expect(status(page)).toContainText('bench: running');
  const pause = page.getByRole('button', { name: 'Pause' });
  await expect(pause).toBeEnabled();
  await pause.click();
  await expect(status(page)).toContainText('bench: paused at pc 0x');
  await expect(page.getByRole('table', { name: 'Registers', exact: true })).toBeVisible();
  const paused = await page.evaluate(() => window.__hindsight!.state());
  expect(paused.status).toBe('stopped');
  expect(BigInt(paused.icount)).toBeGreaterThan(0n);

  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(status(page)).toContainText('bench: running');
  await pause.click();
  await expect(status(page)).toContainText('bench: paused');
  const later = await page.evaluate(() => window.__hindsight!.state());
  expect(BigInt(later.icount)).toBeGreaterThan(BigInt(paused.icount));
});

test('a failed download and a file that is not an ELF executable are reported in the page', async ({ page }) => {
  await page.route('**/examples/hello.elf', (route) => route.fulfill({ status: 404, body: 'gone' }));
  await runExample(page, 'hello');
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('Could not fetch hello.elf: 404');
  await alert.getByRole('button', { name: 'Dismiss' }).click();
  await expect(alert).toHaveCount(0);

  await page.getByLabel('Run your own program').setInputFiles({
    name: 'notes.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from('this is not an executable\n'),
  });
  await expect(alert).toContainText('Cannot load notes.txt: not an ELF file');
  await expect(status(page)).toContainText('No program running');
});
