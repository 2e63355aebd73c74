import { useId } from 'react';
import type { MachineState } from '../../workers/engine-api';
import { describeStop, formatCount, PRIVILEGE_LONG_NAMES } from '../format';

export function MachineStatePanel({ state }: { state: MachineState }) {
  const headingId = useId();
  const privilege = PRIVILEGE_LONG_NAMES[state.privilege];
  return (
    <section className="panel machine-state" aria-labelledby={headingId}>
      <h2 id={headingId}>Machine state</h2>
      <dl className="summary">
        <div>
          <dt>Program</dt>
          <dd>{state.program ?? '—'}</dd>
        </div>
        <div>
          <dt>Stop</dt>
          <dd>{state.lastStop ? describeStop(state.lastStop) : state.status === 'waiting-input' ? 'waiting for console input' : '—'}</dd>
        </div>
        <div>
          <dt>Privilege mode</dt>
          <dd>
            <code>{state.privilege}</code>
            {privilege && ` (${privilege})`}
          </dd>
        </div>
        <div>
          <dt>Instructions retired</dt>
          <dd><code>{formatCount(state.icount)}</code></dd>
        </div>
      </dl>
      <div className="tables">
        <table className="values">
          <caption>Registers</caption>
          <thead>
            <tr>
              <th scope="col">Register</th>
              <th scope="col">ABI name</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">pc</th>
              <td />
              <td><code>{state.pc}</code></td>
            </tr>
            {state.registers.map((r) => (
              <tr key={r.name}>
                <th scope="row">{r.name}</th>
                <td>{r.abi}</td>
                <td><code className={/^0x0+$/.test(r.value) ? 'zero' : undefined}>{r.value}</code></td>
              </tr>
            ))}
          </tbody>
        </table>
        <table className="values">
          <caption>Control and status registers</caption>
          <thead>
            <tr>
              <th scope="col">CSR</th>
              <th scope="col">Number</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {state.csrs.map((c) => (
              <tr key={c.number}>
                <th scope="row">{c.name}</th>
                <td><code>0x{c.number.toString(16).padStart(3, '0')}</code></td>
                <td>
                  {c.value === null
                    ? <span className="muted">unreadable</span>
                    : <code className={/^0x0+$/.test(c.value) ? 'zero' : undefined}>{c.value}</code>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
