// Keyboard shortcuts of the debugger (shown in the buttons' tooltips).
import type { Motion } from '../../workers/engine-api';

export type Action = Motion | 'pause' | 'record' | 'stop' | 'jump';

export interface Shortcut {
  key: string;
  shift: boolean;
  /** As shown to the user, e.g. "Shift+C". */
  label: string;
  /** For aria-keyshortcuts. */
  aria: string;
}

const k = (key: string, shift = false): Shortcut => ({
  key: key.toLowerCase(),
  shift,
  label: `${shift ? 'Shift+' : ''}${key.length === 1 ? key.toUpperCase() : key}`,
  aria: `${shift ? 'Shift+' : ''}${key.length === 1 ? key.toUpperCase() : key}`,
});

export const SHORTCUTS: Record<Action, Shortcut> = {
  continue: k('c'),
  'reverse-continue': k('c', true),
  step: k('s'),
  'reverse-step': k('s', true),
  'step-over': k('n'),
  'reverse-step-over': k('n', true),
  'step-line': k('l'),
  'reverse-step-line': k('l', true),
  'step-over-line': k('o'),
  'reverse-step-over-line': k('o', true),
  'step-out': k('u'),
  'reverse-step-out': k('u', true),
  pause: k('p'),
  record: k('r'),
  stop: k('x'),
  jump: k('g'),
};

/** The action a key press asks for, unless it was typed into a field. */
export function actionFor(e: KeyboardEvent): Action | undefined {
  if (e.ctrlKey || e.metaKey || e.altKey || e.repeat && !['s', 'n', 'l', 'o'].includes(e.key.toLowerCase())) return undefined;
  const target = e.target as HTMLElement | null;
  if (target && target.closest) {
    const field = target.closest('input, textarea, select, [contenteditable="true"]');
    // Monaco's (read-only) editors keep focus in a textarea: shortcuts still apply there.
    if (field && !target.closest('.monaco-editor')) return undefined;
    if (target.closest('[role="slider"]') && e.key.startsWith('Arrow')) return undefined;
  }
  const key = e.key.toLowerCase();
  for (const [action, s] of Object.entries(SHORTCUTS) as [Action, Shortcut][]) {
    if (s.key === key && s.shift === e.shiftKey) return action;
  }
  return undefined;
}

export function tooltip(label: string, action: Action): string {
  return `${label} (${SHORTCUTS[action].label})`;
}
