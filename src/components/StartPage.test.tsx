// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { StartPage } from './StartPage';
import type { StorageOverview } from '../../workers/engine-api';

afterEach(cleanup);

const storage: StorageOverview = {
  recordings: [{
    id: 'r1', name: 'bug hunt', programName: 'corruption.elf', createdAt: '2025-03-04T05:06:07.000Z', updatedAt: '2025-03-04T05:06:09.000Z',
    length: 65218, ended: { reason: 'exit', exitCode: 1 }, bytes: 120_000,
  }],
  estimate: { usage: 2_000_000, quota: 1_000_000_000 },
};

function setup(overrides: Partial<Parameters<typeof StartPage>[0]> = {}) {
  const props = {
    examples: [{ name: 'hello', elf: 'hello.elf', description: 'Hello world in C.', sources: ['hello.c'] }],
    examplesError: null,
    storage,
    onOpenExample: vi.fn(),
    onOpenRecording: vi.fn(),
    onRename: vi.fn(async () => {}),
    onDelete: vi.fn(async () => {}),
    onExport: vi.fn(),
    onOpenFile: vi.fn(),
    ...overrides,
  };
  render(<StartPage {...props} />);
  return props;
}

describe('StartPage', () => {
  it('lists the examples and the stored recordings with their name, program, length, size and date', async () => {
    const p = setup();
    await userEvent.click(screen.getByRole('button', { name: 'Open hello' }));
    expect(p.onOpenExample).toHaveBeenCalledWith('hello');
    const table = screen.getByRole('table', { name: 'Recordings in this browser' });
    const row = within(table).getByRole('row', { name: /bug hunt/ });
    expect(row.textContent).toContain('corruption.elf');
    expect(row.textContent).toContain('65,218');
    expect(row.textContent).toContain('exited with status 1');
    expect(row.textContent).toContain('117.2 KiB');
    expect(row.textContent).toContain('2025');
    expect(screen.getByText(/This site uses 1\.9 MiB/)).toBeTruthy();
    await userEvent.click(within(row).getByRole('button', { name: 'Open bug hunt' }));
    expect(p.onOpenRecording).toHaveBeenCalledWith('r1');
    await userEvent.click(within(row).getByRole('button', { name: 'Export bug hunt' }));
    expect(p.onExport).toHaveBeenCalledWith('r1');
  });

  it('renames, and deletes only after a confirmation', async () => {
    const p = setup();
    await userEvent.click(screen.getByRole('button', { name: 'Rename bug hunt' }));
    const box = screen.getByRole('textbox', { name: 'New name for bug hunt' });
    await userEvent.clear(box);
    await userEvent.type(box, 'found it{Enter}');
    expect(p.onRename).toHaveBeenCalledWith('r1', 'found it');
    await userEvent.click(screen.getByRole('button', { name: 'Delete bug hunt' }));
    expect(p.onDelete).not.toHaveBeenCalled();
    expect(screen.getByText('Delete for good?')).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Delete bug hunt' }));
    expect(p.onDelete).toHaveBeenCalledWith('r1');
  });

  it('opens a picked file, and says what went wrong with storage or examples', async () => {
    const p = setup({ storage: { recordings: [], problem: 'recordings cannot be saved in this browser: no IndexedDB' }, examples: null, examplesError: 'Could not fetch the list of examples: 404' });
    expect(screen.getAllByRole('alert').map((a) => a.textContent)).toEqual([
      'Error: Could not fetch the list of examples: 404',
      'Storage: recordings cannot be saved in this browser: no IndexedDB',
    ]);
    const file = new File([new Uint8Array([0x7f, 0x45, 0x4c, 0x46])], 'prog.elf');
    await userEvent.upload(screen.getByLabelText('Open a program or recording…'), file);
    expect(p.onOpenFile).toHaveBeenCalledWith([file]);
  });
});

describe('StartPage: the snapshot budget', () => {
  it('shows the budget and sets it, or back to the default when emptied', async () => {
    const onSetSnapshotBudget = vi.fn();
    setup({ storage: { ...storage, snapshotBudget: { bytes: 100 * 1048576, settingMiB: null, defaultBytes: 100 * 1048576 } }, onSetSnapshotBudget });
    expect(screen.getByText(/the default: a tenth of the storage the browser allows this site/)).toBeTruthy();
    const input = screen.getByLabelText('Snapshot budget (MiB)');
    await userEvent.type(input, '256');
    await userEvent.click(screen.getByRole('button', { name: 'Set' }));
    expect(onSetSnapshotBudget).toHaveBeenLastCalledWith(256);
    await userEvent.clear(input);
    await userEvent.click(screen.getByRole('button', { name: 'Set' }));
    expect(onSetSnapshotBudget).toHaveBeenLastCalledWith(null);
  });
});
