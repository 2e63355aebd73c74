// Where the user's own code last ran in a finished recording. A C program
// ends inside its C library (picolibc's exit and the semihosting call under
// it); a newcomer who goes to the end wants the last line of their program
// that ran, not that. Found from the call stack at the end:
//
// - a frame of user code on it (main called exit): the last time that frame's
//   call instruction ran, which is where it left user code for good;
// - none (main returned to the C runtime, which called exit): the last
//   instruction of user code before the runtime's call, a few instructions
//   back (main's return).
//
// "User code" is what the caller says it is (a source file at hand).
import { callSiteBefore } from '../engine/instructions';
import { lastExecution } from './scan';
import type { Timeline } from './timeline';

/** A frame as this search needs it, innermost first. */
export interface EndFrame {
  /** Frame 0: the pc; outer frames: the return address. */
  pc: number;
  function?: string;
  /** The frame is user code (for outer frames: at its call). */
  user: boolean;
  /** Inlined into the next frame out (they share pc). */
  inlined?: boolean;
}

export interface UserEnd {
  icount: bigint;
  /** 'end': the recording ends in user code; 'call': at a call out of it that never returned; 'return': at its last instruction. */
  via: 'end' | 'call' | 'return';
  /** 'call': the function it called (exit, abort, ...). */
  callee?: string;
}

/** How far back from the runtime's call to look for the user's last instruction. */
const RETURN_WINDOW = 2048n;

/**
 * The last instant of user code in a recording that has ended, or undefined
 * if none is found. Moves the timeline (the caller puts it back).
 */
export async function findUserEnd(tl: Timeline, stack: () => EndFrame[], isUserPc: (pc: bigint) => boolean,
  deadline = Number.POSITIVE_INFINITY): Promise<UserEnd | undefined> {
  const end = tl.length;
  tl.seek(end);
  const frames = stack();
  if (frames.length === 0) return undefined;
  if (frames[0].user) return { icount: end, via: 'end' };
  const k = frames.findIndex((f) => f.user);
  // The frame whose call is followed back: the innermost user frame, else the outermost (the runtime's).
  const j = k >= 0 ? k : frames.length - 1;
  // Frames inlined into one physical frame share its pc: the innermost physical frame's is the pc itself, not a call.
  let physical = j;
  while (physical > 0 && frames[physical - 1].inlined) physical--;
  if (physical === 0) return k >= 0 ? { icount: end, via: 'end' } : undefined;
  const call = callSiteBefore(tl.machine, BigInt(frames[j].pc));
  if (call === undefined) return undefined;
  const at = await lastExecution(tl, call, end, deadline);
  if (at === undefined) return undefined;
  if (k >= 0) {
    const callee = frames[physical - 1]?.function;
    return { icount: at, via: 'call', ...(callee ? { callee } : {}) };
  }
  // The runtime's call (exit after main returned): user code ran just before it.
  tl.seek(at > RETURN_WINDOW ? at - RETURN_WINDOW : 0n);
  let last: bigint | undefined;
  while (tl.icount < at) {
    if (isUserPc(tl.pc)) last = tl.icount;
    if (tl.stepi(1n).reason !== 'step') break;
  }
  return last === undefined ? undefined : { icount: last, via: 'return' };
}
