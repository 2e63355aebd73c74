// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { StatusLine } from './StatusLine';
import { status, view } from '../test/fixtures';

afterEach(cleanup);

describe('StatusLine at the end of the user code', () => {
  it('says where the End key went, and how to go on to the last instruction', () => {
    const ended = status({ length: 1000, ended: { reason: 'exit', exitCode: 1 } });
    const userEnd = { icount: 990, via: 'return' as const };
    const { rerender } = render(<StatusLine view={view(990)} status={ended} busy={null} lastStop={null} traps={[]} position={990} seeking={false} userEnd={userEnd} />);
    expect(screen.getByRole('status').textContent).toMatch(/· the last of your code that ran \(End again: the last instruction\)$/);
    rerender(<StatusLine view={view(1000)} status={ended} busy={null} lastStop={null} traps={[]} position={1000} seeking={false} userEnd={userEnd} />);
    expect(screen.getByRole('status').textContent).toMatch(/end of the recording: exited with status 1$/);
    rerender(<StatusLine view={view(500)} status={ended} busy={null} lastStop={null} traps={[]} position={500} seeking={false} userEnd={userEnd} />);
    expect(screen.getByRole('status').textContent).not.toContain('your code');
  });
});
