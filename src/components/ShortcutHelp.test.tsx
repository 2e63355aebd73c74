// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { ShortcutHelp } from './ShortcutHelp';
import { ACTION_NAMES, SHORTCUTS, actionFor } from '../debugger/shortcuts';

afterEach(cleanup);

function press(key: string, target: HTMLElement, shiftKey = false): KeyboardEvent {
  const e = new KeyboardEvent('keydown', { key, shiftKey, bubbles: true });
  Object.defineProperty(e, 'target', { value: target });
  return e;
}

describe('shortcuts', () => {
  it('"?" opens the list whatever the shift state; Home and End go to the ends except where the slider or a field has them', () => {
    const div = document.createElement('div');
    const input = document.createElement('input');
    const slider = document.createElement('div');
    slider.setAttribute('role', 'slider');
    document.body.append(div, input, slider);
    expect(actionFor(press('?', div, true))).toBe('help');
    expect(actionFor(press('?', div))).toBe('help');
    expect(actionFor(press('Home', div))).toBe('start');
    expect(actionFor(press('End', div))).toBe('end');
    expect(actionFor(press('End', slider))).toBeUndefined();
    expect(actionFor(press('c', input))).toBeUndefined();
    expect(actionFor(press('C', div, true))).toBe('reverse-continue');
  });

  it('the overlay lists every shortcut with what it does, and closes with Escape or its button', () => {
    const onClose = vi.fn();
    render(<ShortcutHelp onClose={onClose} />);
    const dialog = screen.getByRole('dialog', { name: 'Keyboard shortcuts' });
    const rows = within(dialog).getAllByRole('row');
    expect(rows).toHaveLength(Object.keys(SHORTCUTS).length);
    expect(dialog.textContent).toContain(ACTION_NAMES['reverse-step-line']);
    expect(dialog.textContent).toContain('Shift+L');
    fireEvent.keyDown(window, { key: 'Escape' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Close' }));
    expect(onClose).toHaveBeenCalledTimes(2);
  });
});
