import { expect, test, type Page } from '@playwright/test';
import { openExample, screenshot } from './helpers';

/** Buttons, links and headings whose text does not fit their box (clipped or cut with an ellipsis). */
function clipped(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('button, label.file-button, .recording-title > span, h1, h2, .badge, .panel-subtitle')) {
      const style = getComputedStyle(el);
      if (style.display === 'none' || style.visibility === 'hidden' || el.offsetParent === null) continue;
      if (el.closest('.visually-hidden')) continue;
      const text = (el.textContent ?? '').trim();
      if (text === '') continue;
      if (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 2) out.push(`${el.tagName.toLowerCase()} "${text.slice(0, 40)}" (${el.scrollWidth}×${el.scrollHeight} in ${el.clientWidth}×${el.clientHeight})`);
    }
    return out;
  });
}

for (const width of [1000, 1400, 1920]) {
  test(`the debugger at ${width} px: no control's text is clipped`, async ({ page }) => {
    await page.setViewportSize({ width, height: width === 1920 ? 1080 : 860 });
    await openExample(page, 'corruption');
    await expect(page.getByRole('region', { name: 'Source' }).locator('.monaco-editor')).toBeVisible();
    await screenshot(page, `layout-${width}`);
    expect(await clipped(page)).toEqual([]);
  });
}
