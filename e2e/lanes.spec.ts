import { expect, test, type Page } from '@playwright/test';
import { consoleRegion, errors, openExample, recordToEnd, screenshot, settled, slider } from './helpers';

// The lanes under the scrubber (function calls, traps and interrupts, console, notes and the failed exit), the
// End key landing in the user's own code first, and the C library's code shown as disassembly.

const lane = (page: Page, name: string | RegExp) => page.getByRole('group', { name });
const valueNow = async (page: Page) => Number(await slider(page).getAttribute('aria-valuenow'));

/** Lane marks that stick out of the page or of their lane, or whose text does not fit their box. */
function laneProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const width = document.documentElement.clientWidth;
    for (const lane of document.querySelectorAll<HTMLElement>('.run-lane')) {
      const box = lane.getBoundingClientRect();
      if (box.right > width + 0.5 || box.left < 0) out.push(`lane ${lane.getAttribute('aria-label')} spans ${box.left}..${box.right} of ${width}`);
      const name = lane.querySelector<HTMLElement>('.run-lane-name');
      if (name && name.scrollWidth > name.clientWidth + 1) out.push(`lane name "${name.textContent}" is cut`);
      const cells = lane.querySelector<HTMLElement>('.run-lane-cells')!.getBoundingClientRect();
      for (const item of lane.querySelectorAll<HTMLElement>('.lane-item')) {
        const b = item.getBoundingClientRect();
        if (b.left < cells.left - 0.5 || b.right > cells.right + 0.5) out.push(`"${item.getAttribute('aria-label')}" sticks out of its lane`);
        // As layout.spec.ts checks every button.
        if (item.scrollWidth > item.clientWidth + 1 || item.scrollHeight > item.clientHeight + 2) out.push(`the text of "${item.getAttribute('aria-label')}" is cut`);
      }
    }
    return out;
  });
}

test('corruption: the call lane shows the run, a click goes there; End lands in main, again at the last instruction in picolibc', async ({ page }) => {
  await page.setViewportSize({ width: 1400, height: 860 });
  await openExample(page, 'corruption');
  const length = await recordToEnd(page);

  const calls = lane(page, 'Function calls');
  await expect(calls.getByRole('button', { name: /^main: icount/ })).toBeVisible();
  for (const name of ['collect_samples', 'smooth_readings', 'compute_stats']) {
    await expect(calls.getByRole('button', { name: new RegExp(`^${name}: icount`) })).toHaveCount(1);
  }
  const smooth = calls.getByRole('button', { name: /^smooth_readings: icount/ });
  const [from, to] = ((await smooth.getAttribute('aria-label'))!.match(/icount ([\d,]+) to ([\d,]+)/)!.slice(1)).map((n) => Number(n.replaceAll(',', '')));
  await smooth.click();
  await settled(page);
  const at = await valueNow(page);
  expect(at).toBeGreaterThanOrEqual(from);
  expect(at).toBeLessThan(to);
  await expect(page.getByRole('table', { name: 'Call stack' })).toContainText('smooth_readings');

  // The console lane: where each line was written; a click shows the console up to there.
  const io = lane(page, 'Console output and input');
  await expect(io.getByRole('button', { name: /^output: Temperature log/ })).toHaveCount(1);
  await io.getByRole('button', { name: /^output: Temperature log/ }).click();
  await settled(page);
  await expect(consoleRegion(page)).toContainText('Temperature log');
  await expect(consoleRegion(page)).not.toContainText('SELF-CHECK FAILED');

  // A failed run is marked where the user's code last ran.
  const exit = lane(page, 'Notes and marks').getByRole('button', { name: /^failed: status 1: the program exits with status 1/ });
  await expect(exit).toHaveText('failed: status 1');

  // End: the last line of main that ran (not picolibc's exit), from wherever the focus is.
  await page.getByRole('heading', { name: 'Registers' }).click();
  await page.keyboard.press('End');
  await settled(page);
  const userEnd = await valueNow(page);
  expect(userEnd).toBeLessThan(length);
  expect(userEnd).toBeGreaterThan(length - 1000);
  const source = page.getByRole('region', { name: 'Source' });
  await expect(source).toContainText(/corruption\.c:\d+ · main/);
  await expect(source.locator('.line-current')).toHaveCount(1);
  await expect(page.getByRole('status')).toContainText('the last of your code that ran (End again: the last instruction)');
  expect((await exit.getAttribute('aria-label'))!).toContain(`(icount ${userEnd.toLocaleString('en-US')})`);
  await screenshot(page, 'lanes-1400');

  // End again: the last instruction, in picolibc's semihosting call: its disassembly, with a line saying why.
  await page.keyboard.press('End');
  await settled(page);
  expect(await valueNow(page)).toBe(length);
  await expect(source.getByRole('note')).toHaveText('libc: sys_semihost in semihost-riscv.s, no source here; showing disassembly');
  await expect(source.locator('.monaco-editor .view-line', { hasText: 'ebreak' })).toBeVisible();
  await expect(source.locator('.monaco-editor .line-current')).toHaveCount(1);
  await screenshot(page, 'lanes-library-source');
  // And End once more: back in the user's code.
  await page.keyboard.press('End');
  await settled(page);
  expect(await valueNow(page)).toBe(userEnd);
  expect(await laneProblems(page)).toEqual([]);
  await expect(errors(page)).toHaveCount(0);
});

test('timer at 1000 px: ten timer interrupts in the trap lane, a click goes into the handler; no lane is cut', async ({ page }) => {
  await page.setViewportSize({ width: 1000, height: 860 });
  await openExample(page, 'timer');
  // Opened at main: the lanes show the start-up code so far.
  await expect(lane(page, 'Function calls').getByRole('button').first()).toBeVisible();
  expect(await laneProblems(page)).toEqual([]);
  await recordToEnd(page);
  const traps = lane(page, 'Traps and interrupts');
  const marks = traps.getByRole('button', { name: /machine timer interrupt/ });
  await expect(marks.first()).toBeVisible();
  // Marks a few pixels apart are drawn as one: count the interrupts their names tell.
  const labels = await marks.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
  const count = labels.reduce((n, l) => n + (/^(\d+) traps .*machine timer interrupt ×(\d+)/.exec(l) ? Number(/×(\d+)/.exec(l)![1]) : 1), 0);
  expect(count).toBe(10);
  await marks.first().click();
  await settled(page);
  await expect(page.getByRole('status')).toContainText('timer_trap_entry');
  await expect(lane(page, 'Function calls').getByRole('button', { name: /^do_work: icount/ }).first()).toBeVisible();
  // A run that exits with status 0 has no failure mark.
  await expect(page.getByRole('button', { name: /^failed: status/ })).toHaveCount(0);
  await screenshot(page, 'lanes-1000');
  expect(await laneProblems(page)).toEqual([]);
  await expect(errors(page)).toHaveCount(0);
});

test('traps: exceptions by cause in the trap lane, a click goes to the handler; zoomed in, the marks come apart under the thumb', async ({ page }) => {
  await openExample(page, 'traps');
  await recordToEnd(page);
  const traps = lane(page, 'Traps and interrupts');
  await expect(traps.getByRole('button').first()).toBeVisible();
  // Marks a few pixels apart are one box whose name lists them: every cause is named somewhere.
  const names = (await traps.getByRole('button').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''))).join('\n');
  for (const cause of ['ecall from M-mode', 'ecall from U-mode', 'illegal instruction', 'load access fault', 'instruction access fault', 'ebreak (breakpoint exception)']) {
    expect(names).toContain(cause);
  }
  const illegal = traps.getByRole('button', { name: /illegal instruction/ }).first();
  const icount = Number(/at icount ([\d,]+)/.exec((await illegal.getAttribute('aria-label'))!)![1].replaceAll(',', ''));
  await illegal.click();
  await settled(page);
  expect(await valueNow(page)).toBe(icount);
  await expect(page.getByRole('status')).toContainText('m_trap');
  // Zoomed in around there, that trap is a mark of its own, under the thumb.
  await page.getByRole('button', { name: 'Zoom in' }).click();
  await page.getByRole('button', { name: 'Zoom in' }).click();
  const mark = traps.getByRole('button', { name: new RegExp(`^illegal instruction at icount ${icount.toLocaleString('en-US')},`) });
  await expect(mark).toBeVisible();
  const thumb = (await page.locator('.timeline-thumb').boundingBox())!;
  const box = (await mark.boundingBox())!;
  expect(Math.abs(box.x + box.width / 2 - (thumb.x + thumb.width / 2))).toBeLessThan(5);
  expect(await laneProblems(page)).toEqual([]);
  await expect(errors(page)).toHaveCount(0);
});
