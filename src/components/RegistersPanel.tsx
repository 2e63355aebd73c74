import { memo, useId, useState } from 'react';
import type { FpuView, PositionView } from '../../workers/engine-api';
import { PRIVILEGE_LONG_NAMES, decodeFcsr, formatDouble, formatSingle, isNanBoxed, shortHex, signedDecimal } from '../format';

export const ABI_NAMES = [
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6',
] as const;

export const FP_ABI_NAMES = [
  'ft0', 'ft1', 'ft2', 'ft3', 'ft4', 'ft5', 'ft6', 'ft7', 'fs0', 'fs1', 'fa0', 'fa1', 'fa2', 'fa3', 'fa4', 'fa5',
  'fa6', 'fa7', 'fs2', 'fs3', 'fs4', 'fs5', 'fs6', 'fs7', 'fs8', 'fs9', 'fs10', 'fs11', 'ft8', 'ft9', 'ft10', 'ft11',
] as const;

interface Props {
  view: PositionView;
  /** The view before the last motion: registers that differ are highlighted. */
  previous: PositionView | null;
  /** With several harts: show another hart (null: the one that runs here). */
  onSelectHart?: (hart: number | null) => void;
  /** The hart chosen (null: following the one that runs). */
  selectedHart?: number | null;
}

/** With several harts, which one the panels show: one that runs here, or a chosen one. */
function HartSelector({ view, selected, onSelect }: { view: PositionView; selected: number | null; onSelect: (hart: number | null) => void }) {
  const id = useId();
  return (
    <span className="hart-select">
      <label htmlFor={id}>Hart</label>{' '}
      <select id={id} value={selected === null ? 'running' : String(selected)}
        onChange={(e) => onSelect(e.target.value === 'running' ? null : Number(e.target.value))}>
        <option value="running">running here ({view.runningHart})</option>
        {Array.from({ length: view.hartCount }, (_, h) => <option key={h} value={String(h)}>hart {h}{h === view.runningHart ? ' (runs here)' : ''}</option>)}
      </select>
    </span>
  );
}

type Radix = 'hex' | 'decimal';

function show(value: string, radix: Radix): string {
  return radix === 'hex' ? value : signedDecimal(value);
}

const isZero = (hex: string) => /^0x0+$/.test(hex);

/** fcsr: its value, frm by name and the five accrued exception flags, set ones lit. */
function FcsrValue({ fcsr }: { fcsr: string | null }) {
  if (fcsr === null) return <span className="muted" title="mstatus.FS is Off: FP instructions trap and fcsr cannot be read">off (mstatus.FS = Off)</span>;
  const d = decodeFcsr(fcsr);
  return (
    <>
      <code className={isZero(fcsr) ? 'zero' : undefined}>{shortHex(fcsr)}</code>
      <span className="fp-frm" title={`frm = ${d.frm}: ${d.rounding.description}`}>{d.rounding.name}</span>
      <span className="fp-flags" aria-label={`flags set: ${d.flags.filter((f) => f.set).map((f) => f.name).join(' ') || 'none'}`}>
        {d.flags.map((f) => (
          <span key={f.name} className={f.set ? 'fp-flag set' : 'fp-flag'} title={`${f.name}: ${f.description} (${f.set ? 'set' : 'clear'})`}>{f.name}</span>
        ))}
      </span>
    </>
  );
}

/** An f register: its value as a double (and as a single when it is NaN-boxed), then its bits. */
function FpValue({ bits }: { bits: string }) {
  const boxed = isNanBoxed(bits);
  return (
    <>
      <div className="fp-number">
        {boxed
          ? <><span title="single precision (NaN-boxed: the upper 32 bits are all ones)">{formatSingle(bits)}</span><span className="fp-kind">single</span><span className="fp-as-double" title="the same bits as a double">double {formatDouble(bits)}</span></>
          : <span title="double precision">{formatDouble(bits)}</span>}
      </div>
      <code className={isZero(bits) ? 'fp-hex zero' : 'fp-hex'}>{bits}</code>
    </>
  );
}

function FpRegisters({ fpu, previous }: { fpu: FpuView; previous: FpuView | null }) {
  const changed = (i: number) => previous !== null && previous.registers[i] !== fpu.registers[i];
  const fcsrChanged = previous !== null && previous.fcsr !== fpu.fcsr;
  return (
    <details className="csrs fpu" open>
      <summary>Floating-point registers</summary>
      <table className="values reg-table fp-table" aria-label="Floating-point registers">
        <tbody>
          <tr className={fcsrChanged ? 'changed' : undefined} title={fcsrChanged ? `changed from ${previous?.fcsr ?? 'unreadable'}` : undefined}>
            <th scope="row">fcsr</th>
            <td><FcsrValue fcsr={fpu.fcsr} /></td>
          </tr>
          {fpu.registers.map((bits, i) => (
            <tr key={i} className={changed(i) ? 'changed' : undefined} title={changed(i) ? `changed from ${previous?.registers[i]}` : undefined}>
              <th scope="row">
                <span className="reg-x">f{i}</span> <span className="reg-abi">{FP_ABI_NAMES[i]}</span>
              </th>
              <td><FpValue bits={bits} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

/** x0–x31 with ABI names, pc, privilege mode, f0–f31 and fcsr, and the main CSRs, as of the current position. */
export const RegistersPanel = memo(function RegistersPanel({ view, previous, onSelectHart, selectedHart = null }: Props) {
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
        <h2 id={headingId}>Registers{view.hartCount > 1 ? ` of hart ${view.hart}` : ''}</h2>
        {view.hartCount > 1 && onSelectHart && <HartSelector view={view} selected={selectedHart} onSelect={onSelectHart} />}
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
        <FpRegisters fpu={view.fpu} previous={previous?.fpu ?? null} />
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
