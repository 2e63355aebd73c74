// Keyboard shortcuts of the debugger (shown in the buttons' tooltips).
import type { Motion } from '../../workers/engine-api';

export type Action = Motion | 'pause' | 'record' | 'stop' | 'jump' | 'start' | 'end' | 'help';

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
  start: k('Home'),
  end: k('End'),
  help: { key: '?', shift: false, label: '?', aria: '?' },
};

/** What each shortcut does, for the `?` overlay. */
export const ACTION_NAMES: Record<Action, string> = {
  continue: 'Continue to the next breakpoint or watchpoint hit',
  'reverse-continue': 'Reverse continue to the previous hit',
  step: 'Step one instruction',
  'reverse-step': 'Step one instruction back',
  'step-over': 'Step over one instruction (over calls)',
  'reverse-step-over': 'Step back over one instruction',
  'step-line': 'Step one source line (into calls)',
  'reverse-step-line': 'Step back one source line',
  'step-over-line': 'Step over one source line',
  'reverse-step-over-line': 'Step back over one source line',
  'step-out': 'Step out of the function',
  'reverse-step-out': 'Step back out of the function, to its call',
  pause: 'Pause what runs',
  record: 'Record (run the live program on)',
  stop: 'Stop recording',
  jump: 'Jump to an instruction count',
  start: 'Go to the start of the recording',
  end: 'Go to the last line of your own code that ran; again: the last instruction',
  help: 'Show or hide this list',
};

/** The action a key press asks for, unless it was typed into a field. */
export function actionFor(e: KeyboardEvent): Action | undefined {
  if (e.ctrlKey || e.metaKey || e.altKey || e.repeat && !['s', 'n', 'l', 'o'].includes(e.key.toLowerCase())) return undefined;
  const target = e.target as HTMLElement | null;
  if (target && target.closest) {
    const field = target.closest('input, textarea, select, [contenteditable="true"]');
    // Monaco's (read-only) editors keep focus in a textarea: shortcuts still apply there.
    if (field && !target.closest('.monaco-editor')) return undefined;
    // The slider moves itself with arrows, Home and End.
    if (target.closest('[role="slider"]') && (e.key.startsWith('Arrow') || e.key === 'Home' || e.key === 'End')) return undefined;
  }
  // "?" is a shifted key on most layouts: whichever shift state typed it.
  if (e.key === '?') return 'help';
  const key = e.key.toLowerCase();
  for (const [action, s] of Object.entries(SHORTCUTS) as [Action, Shortcut][]) {
    if (s.key === key && s.shift === e.shiftKey) return action;
  }
  return undefined;
}

export function tooltip(label: string, action: Action): string {
  return `${label} (${SHORTCUTS[action].label})`;
}
