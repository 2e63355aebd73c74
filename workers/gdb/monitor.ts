// `monitor` commands (qRcmd), after QEMU's record/replay commands, plus rr's
// `when`. They act on the Timeline directly; GDB does not know that the
// position moved after `replay-seek`, hence the hint to flush its caches.
import { ReplayDivergence, TimelineError, type Timeline } from '../replay/timeline';

export const MONITOR_HELP = `Hindsight monitor commands:
  info replay               mode (replaying or recording), file, current icount, length, replay-break
  when                      the current icount (instructions executed so far)
  replay-seek ICOUNT        go to ICOUNT; then "maint flush register-cache" and
                            "maint flush dcache" so that GDB re-reads the state
  replay-break ICOUNT       stop continue and reverse-continue when execution reaches ICOUNT
  replay-delete-break       remove the replay-break
  help                      this text
QEMU's spellings (replay_seek, replay_break, replay_delete_break) work too.
reverse-stepi, reverse-continue and everything GDB builds on them (reverse-step,
reverse-next, reverse-finish) travel back through the recorded execution.
Writes to memory and registers are refused: the execution must stay the one
recorded (GDB shows "Cannot access memory" or "Could not write register").`;

export interface MonitorResult {
  output: string;
  /** Whether a replay-break is now set (true), removed (false), or unchanged (undefined). */
  replayBreak?: boolean;
}

export function runMonitorCommand(t: Timeline, line: string, file: string): MonitorResult {
  const words = line.trim().split(/\s+/).filter(Boolean);
  const [cmd, ...args] = words;
  try {
    switch (cmd?.replace(/_/g, '-')) {
      case undefined:
      case 'help':
        return { output: MONITOR_HELP };
      case 'info':
        if (args[0] === 'replay') return { output: infoReplay(t, file) };
        return { output: 'monitor info: only "info replay" is available' };
      case 'when':
        return { output: `Current icount: ${t.icount}` };
      case 'replay-seek': {
        const n = icountArg(args[0], 'replay-seek');
        if (typeof n === 'string') return { output: n };
        const r = t.seek(n);
        const clamped = r.icount !== n ? ` (${n} is past ${t.mode === 'replay' ? 'the end of the recording' : 'what has run so far'})` : '';
        return { output: `At icount ${r.icount}, pc ${where(t)}${clamped}.\nGDB still holds the old state: run "maint flush register-cache" and "maint flush dcache".` };
      }
      case 'replay-break': {
        const n = icountArg(args[0], 'replay-break');
        if (typeof n === 'string') return { output: n };
        t.replayBreak(n);
        const beyond = n > t.length && (t.mode === 'replay' || t.ended) ? ` (beyond the end, ${t.length}: it will not be reached)` : '';
        return { output: `replay-break at icount ${n}${beyond}`, replayBreak: true };
      }
      case 'replay-delete-break':
        t.deleteReplayBreak();
        return { output: 'replay-break removed', replayBreak: false };
      default:
        return { output: `unknown monitor command "${cmd}" (try "monitor help")` };
    }
  } catch (e) {
    if (e instanceof TimelineError || e instanceof ReplayDivergence) return { output: `error: ${e.message}` };
    throw e;
  }
}

function infoReplay(t: Timeline, file: string): string {
  const i = t.info();
  const lines = [`${i.mode === 'replay' ? 'Replaying' : 'Recording'} execution '${file}': instruction count = ${i.icount}`];
  const end = i.ended
    ? `, ends with ${i.ended.reason}${i.ended.exitCode !== undefined ? ` (status ${i.ended.exitCode})` : ''}`
    : i.mode === 'record' ? ' so far (still running)' : ' (cut off: no end marker)';
  lines.push(`length ${i.length} instructions${end}`);
  lines.push(`pc ${where(t)}`);
  lines.push(i.replayBreak !== undefined ? `replay-break at icount ${i.replayBreak}` : 'no replay-break');
  lines.push(`${i.snapshots.count} snapshots (${(i.snapshots.bytes / 1048576).toFixed(1)} MiB)`);
  return lines.join('\n');
}

/** The pc of the hart that runs next (named when there are several: GDB's thread hart + 1). */
function where(t: Timeline): string {
  if (t.machine.hartCount === 1) return `0x${t.pc.toString(16)} <${t.machine.symbols.format(Number(t.pc))}>`;
  const hart = t.hartAt(t.icount);
  const pc = t.machine.pcOf(hart);
  return `0x${pc.toString(16)} <${t.machine.symbols.format(Number(pc))}> on hart ${hart} (thread ${hart + 1}), the next to run`;
}

function icountArg(word: string | undefined, cmd: string): bigint | string {
  if (word === undefined || !/^(0x[0-9a-fA-F_]+|[0-9_]+)$/.test(word)) return `${cmd} needs an instruction count (decimal or 0x hex)`;
  return BigInt(word.replace(/_/g, ''));
}
