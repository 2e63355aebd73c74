// Figures on the benchmark recording (bench: about 625 million instructions):
// the longest main-thread task while recording and while searching backwards,
// the scrubber's update rate while dragging, and how fast Pause answers.
import { expect, test, type Page } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCREENSHOTS, button, engineState, errors, expectPageMatchesEngine, openExample, screenshot, settled, slider } from './helpers';

declare global {
  interface Window {
    __longTasks: { start: number; duration: number }[];
  }
}

// Tracing (DOM snapshots at every action) would slow the page and the pointer down: measure without it.
test.use({ trace: 'off' });

const longestSince = (page: Page, since: number) =>
  page.evaluate((t) => Math.max(0, ...window.__longTasks.filter((e) => e.start + e.duration >= t).map((e) => e.duration)), since);
const now = (page: Page) => page.evaluate(() => performance.now());

test('bench: recording, scrubbing, reverse-continue and pause keep the page responsive', async ({ page }) => {
  test.setTimeout(120_000);
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  const figures: Record<string, number | string> = {};

  await openExample(page, 'bench');
  // Let the editor finish loading: measure the engine's work, not the page's start-up.
  await expect(page.getByRole('region', { name: 'Disassembly' }).locator('.monaco-editor')).toBeVisible();
  await page.waitForTimeout(500);

  // Recording the whole run.
  let t0 = await now(page);
  const started = Date.now();
  await button(page, 'Record').click();
  await expect(page.getByRole('status')).toContainText('the program exited with status 0', { timeout: 60_000 });
  figures.recordSeconds = (Date.now() - started) / 1000;
  figures.longestTaskWhileRecordingMs = await longestSince(page, t0);
  await settled(page);
  const length = Number(await slider(page).getAttribute('aria-valuemax'));
  expect(length).toBeGreaterThan(600_000_000);
  figures.instructions = length;
  await expect(page.getByRole('region', { name: 'Console' })).toContainText('bench: done');

  // Dragging the scrubber for three seconds at the display's rate: a pointermove every animation frame.
  // Up to three drags (other work on the machine can slow one down); every one is reported.
  const drags: { updatesPerSecond: number; moves: number; answers: number; p50: number; p95: number; longestTaskMs: number }[] = [];
  while (drags.length < 3 && !drags.some((d) => d.updatesPerSecond >= 20)) {
    const before = (await page.evaluate(() => window.__hindsight!.stats()))!;
    t0 = await now(page);
    const drag = await page.evaluate(async () => {
      const track = document.querySelector<HTMLElement>('[role="slider"][aria-label="Timeline"]')!;
      const box = track.getBoundingClientRect();
      const at = (f: number) => ({ clientX: box.left + box.width * f, clientY: box.top + box.height / 2, pointerId: 1, isPrimary: true, bubbles: true, button: 0, buttons: 1 });
      track.dispatchEvent(new PointerEvent('pointerdown', at(0.05)));
      const start = performance.now();
      let moves = 0;
      await new Promise<void>((resolve) => {
        const frame = () => {
          const elapsed = performance.now() - start;
          if (elapsed > 3000) { resolve(); return; }
          // Sweep back and forth over 90% of the recording, about once a second.
          track.dispatchEvent(new PointerEvent('pointermove', at(0.05 + 0.9 * (0.5 - 0.5 * Math.cos((elapsed / 1000) * Math.PI)))));
          moves++;
          requestAnimationFrame(frame);
        };
        requestAnimationFrame(frame);
      });
      track.dispatchEvent(new PointerEvent('pointerup', at(0.5)));
      return { moves, seconds: (performance.now() - start) / 1000 };
    });
    const after = (await page.evaluate(() => window.__hindsight!.stats()))!;
    await settled(page);
    const answers = after.seeksAnswered - before.seeksAnswered;
    const trips = after.seekRoundTripsMs.slice(-answers).sort((a, b) => a - b);
    drags.push({
      updatesPerSecond: Math.round((answers / drag.seconds) * 10) / 10,
      moves: drag.moves,
      answers,
      p50: Math.round(trips[Math.floor(trips.length / 2)]),
      p95: Math.round(trips[Math.floor(trips.length * 0.95)]),
      longestTaskMs: await longestSince(page, t0),
    });
    await expectPageMatchesEngine(page);
  }
  figures.scrubDrags = JSON.stringify(drags);
  figures.scrubUpdatesPerSecond = Math.max(...drags.map((d) => d.updatesPerSecond));
  figures.longestTaskWhileScrubbingMs = Math.max(...drags.map((d) => d.longestTaskMs));

  // The same with the real mouse (Playwright's pointer, slower than a hand): the page follows it.
  const box = (await slider(page).boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.2, box.y + box.height / 2);
  await page.mouse.down();
  for (let i = 1; i <= 20; i++) await page.mouse.move(box.x + box.width * (0.2 + i * 0.03), box.y + box.height / 2);
  await page.mouse.up();
  await settled(page);
  expect(Math.abs((await expectPageMatchesEngine(page)).icount - 0.8 * length)).toBeLessThan(length * 0.01);

  // Reverse-continue from the end to the last call of quicksort (early in the run).
  await slider(page).focus();
  await page.keyboard.press('End');
  await settled(page);
  await page.getByLabel('Break at').fill('quicksort.constprop.0');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(page.getByRole('list', { name: 'Breakpoints and watchpoints' })).toContainText('quicksort.constprop.0');
  t0 = await now(page);
  const rcStart = Date.now();
  await button(page, 'Reverse continue').click();
  await expect(page.getByRole('status')).toContainText('stopped at breakpoint 1');
  figures.reverseContinueMs = Date.now() - rcStart;
  figures.longestTaskWhileReverseContinuingMs = await longestSince(page, t0);
  const hit = await expectPageMatchesEngine(page);
  expect(hit.icount).toBeLessThan(length / 2);
  await screenshot(page, 'bench-reverse-continue');

  // Pause answers quickly: Continue from the start with the breakpoint off, then Pause.
  await page.getByRole('checkbox', { name: 'Enable breakpoint 1' }).uncheck();
  const pauses: number[] = [];
  for (let round = 0; round < 3; round++) {
    // From the start each time: the whole run (about a second) is ahead when Pause is pressed.
    await slider(page).focus();
    await page.keyboard.press('Home');
    await settled(page);
    await button(page, 'Continue').click();
    await expect(button(page, 'Pause')).toBeEnabled();
    await page.waitForTimeout(300);
    const answer = await page.evaluate(async () => {
      const status = document.querySelector('[role="status"].status')!;
      const pause = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Pause')!;
      const start = performance.now();
      // Paused, or a run that ended first (the check below then says so rather than waiting for ever).
      const done = new Promise<string>((resolve) => {
        const check = () => {
          const now = status.textContent ?? '';
          if (/paused|end of the recording|exited/.test(now)) { observer.disconnect(); resolve(now); }
        };
        const observer = new MutationObserver(check);
        observer.observe(status, { subtree: true, childList: true, characterData: true });
      });
      pause.click();
      const text = await done;
      return { ms: performance.now() - start, text };
    });
    expect(answer.text).toContain('paused');
    pauses.push(answer.ms);
    await settled(page);
  }
  figures.pauseAnswerMs = Math.max(...pauses);
  const paused = await engineState(page);
  expect(paused.icount).toBeGreaterThan(0);
  expect(paused.icount).toBeLessThan(length);

  // Opening the stored 625-million-instruction recording again (a reload): one pass through it, in slices, with progress.
  await expect(page).toHaveURL(new RegExp(`&t=${paused.icount}$`));
  const url = page.url();
  const openStart = Date.now();
  await page.goto('about:blank');
  await page.goto(url);
  await expect(page.getByRole('status')).toContainText('Preparing the timeline');
  await page.waitForTimeout(800);
  t0 = await now(page);
  await screenshot(page, 'bench-opening');
  await expect(slider(page)).toHaveAttribute('aria-valuemax', String(length), { timeout: 30_000 });
  await settled(page);
  figures.reopenSeconds = (Date.now() - openStart) / 1000;
  figures.longestTaskWhileReopeningMs = await longestSince(page, t0);
  expect((await expectPageMatchesEngine(page)).icount).toBe(paused.icount);

  console.log(`performance figures: ${JSON.stringify(figures, null, 2)}`);
  writeFileSync(join(SCREENSHOTS, 'performance-figures.json'), `${JSON.stringify(figures, null, 2)}\n`);
  expect(figures.scrubUpdatesPerSecond).toBeGreaterThanOrEqual(20);
  expect(figures.pauseAnswerMs).toBeLessThan(100);
  await expect(errors(page)).toHaveCount(0);
});
