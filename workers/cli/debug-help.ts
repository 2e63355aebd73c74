// `hindsight debug`'s help text, and where it finds the program's sources.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const HELP = `commands:
  stepi [N] (si)              step N instructions forward
  reverse-stepi [N] (rsi)     step N instructions backward
  step (s) / next (n)         step one source line, into / over calls
  finish                      run until the current function returns
  reverse-step (rs) / reverse-next (rn) / reverse-finish   the same, backwards
  bt                          the call stack, with each frame's arguments
  frame [N] (f)               select frame N of the call stack (0 = innermost; reset by every motion)
  up [N] / down [N]           select the frame N levels outwards / inwards
  print EXPR (p)              evaluate a C expression in the selected frame: variables, ., ->, [], *, &, casts, sizeof
  ptype EXPR|TYPE             the type of an expression, or a type, spelled out
  display EXPR                show EXPR after every stop ("undisplay [N]" stops it)
  history EXPR | ADDR LEN     every write to the expression's storage (or the range) across the recording:
                              icount, hart, pc, function and line, old and new value (replayed in parallel)
  info locals|args            the selected frame's local variables / arguments
  list [FILE:]LINE            show source lines (around the current line by default)
  nexti (ni)                  step one instruction, over calls
  reverse-nexti (rni)         step one instruction back, over calls
  continue (c)                run forward to a breakpoint, watchpoint, replay-break, exit or the end
  reverse-continue (rc)       run backward to the last breakpoint or watchpoint hit
  break LOCATION [if EXPR] (b)      set a breakpoint, as GDB resolves LOCATION: FUNCTION (after its prologue where
                              GDB skips it; also NAME for NAME.constprop.N/.isra.N/.part.N, and every inlined copy),
                              [FILE:]LINE (a partial path will do; a line without code moves to the next one),
                              *ADDRESS, 0xADDRESS or SYMBOL+OFFSET (exactly there); stops only where EXPR is true
  tbreak LOCATION [if EXPR]   the same, deleted when it first stops
  condition N [EXPR]          stop at breakpoint N only where EXPR is true (no EXPR: always)
  ignore N COUNT              let breakpoint N pass COUNT times before it stops
  enable [N...] / disable [N...]   turn breakpoints and watchpoints on or off (all without N)
  watch [-r|-a] EXPR | ADDR [LEN]   watch writes to the expression's storage and size (-r reads, -a both)
  delete [N]                  delete breakpoint/watchpoint N, or all
  seek ICOUNT                 go to an instruction count
  replay-break ICOUNT         stop forward execution at ICOUNT ("replay-break none" removes it)
  info registers|float|replay|breakpoints|notes|locals|args
  info harts (info threads)   several harts: each one's pc, the one that runs here and the one selected
  hart N|running (thread N)   show hart N (registers, print, x, bt...); stepi/reverse-stepi then step that hart's
                              own instructions; "hart running" follows whichever runs
  note TEXT                   pin a note to this instant, saved in the recording file (its anno chunk)
  info notes                  the recording's notes (made here or in the app), with their instants
  x/NFU ADDR|EXPR             examine memory: count N, format F (x d u o t a c f), unit U (b h w g), in any order
  quit (q)`;

/** Source files: those the recording carries, else the .c/.S files beside the recording file. */
export function sourcesFor(carried: Record<string, string> | undefined, recordingPath: string): Record<string, string> {
  if (carried && Object.keys(carried).length) return carried;
  const out: Record<string, string> = {};
  const dir = dirname(recordingPath);
  try {
    for (const name of readdirSync(dir)) {
      if (/\.(c|h|S|s)$/.test(name)) out[name] = readFileSync(join(dir, name), 'utf8');
    }
  } catch {
    // no sources at hand: list says so
  }
  return out;
}
