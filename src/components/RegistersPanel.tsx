import { memo, useId, useState } from 'react';
import type { PositionView } from '../../workers/engine-api';
import { PRIVILEGE_LONG_NAMES, signedDecimal } from '../format';

export const ABI_NAMES = [
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6',
] as const;

interface Props {
  view: PositionView;
  /** The view before the last motion: registers that differ are highlighted. */
  previous: PositionView | null;
}

type Radix = 'hex' | 'decimal';

function show(value: string, radix: Radix): string {
  return radix === 'hex' ? value : signedDecimal(value);
}

/** x0–x31 with ABI names, pc, privilege mode and the main CSRs, as of the current position. */
export const RegistersPanel = memo(function RegistersPanel({ view, previous }: Props) {
  const headingId = useId();
  const [radix, setRadix] = useState<Radix>('hex');
  const changed = (i: number) => previous !== null && previous.registers[i] !== view.registers[i];
  const csrChanged = (n: number) => {
    if (!previous) return false;
    const before = previous.csrs.find((c) => c.number === n);
    const now = view.csrs.find((c) => c.number === n);
    return before !== undefined && now !== undefined && before.value !== now.value;
  };
  const pcChanged = previous !== null && previous.pc !== view.pc;
  return (
    <section className="panel registers" aria-labelledby={headingId}>
      <div className="panel-head">
        <h2 id={headingId}>Registers</h2>
        <span className="privilege" title={`privilege mode: ${PRIVILEGE_LONG_NAMES[view.privilege] ?? view.privilege}`}>
          {view.privilege} mode
        </span>
        <button
          type="button"
          className="small"
          aria-pressed={radix === 'decimal'}
          title="Show values in signed decimal instead of hexadecimal"
          onClick={() => setRadix(radix === 'hex' ? 'decimal' : 'hex')}
        >
          Decimal
        </button>
      </div>
      <div className="panel-body scroll">
        <table className="values reg-table" aria-label="Registers">
          <tbody>
            <tr className={pcChanged ? 'changed' : undefined}>
              <th scope="row">pc</th>
              <td title={view.pcLabel}>
                <code>{view.pc}</code>
                {!view.pcLabel.startsWith('0x') && <span className="reg-note">{view.pcLabel}</span>}
              </td>
            </tr>
            {view.registers.map((value, i) => (
              <tr key={i} className={changed(i) ? 'changed' : undefined} title={changed(i) ? `changed from ${previous?.registers[i]}` : undefined}>
                <th scope="row">
                  <span className="reg-x">x{i}</span> <span className="reg-abi">{ABI_NAMES[i]}</span>
                </th>
                <td>
                  <code className={/^0x0+$/.test(value) ? 'zero' : undefined}>{show(value, radix)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <details className="csrs" open>
          <summary>Control and status registers</summary>
          <table className="values reg-table" aria-label="Control and status registers">
            <tbody>
              {view.csrs.map((c) => (
                <tr key={c.number} className={csrChanged(c.number) ? 'changed' : undefined}>
                  <th scope="row">{c.name}</th>
                  <td>
                    {c.value === null
                      ? <span className="muted">unreadable</span>
                      : <code className={/^0x0+$/.test(c.value) ? 'zero' : undefined}>{show(c.value, radix)}</code>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </div>
    </section>
  );
});
