/**
 * What a debugger prompt shows of a frame, as GDB shows it: `info locals`,
 * `info args` and `print EXPR` ("$1 = {mode = 2, next = 0x0}").
 */
import { evaluateExpression, ExpressionError } from './expr';
import { formatValue } from './value';
import type { FrameState, ReadMemory, Variable, Variables } from './variables';
import { VariableError } from './variables';
import { ValueSizeError } from './types';

export { ExpressionError } from './expr';

export class Inspector {
  constructor(readonly vars: Variables, private readonly mem: ReadMemory) {}

  private line(v: Variable, frame: FrameState): string {
    let text: string;
    try {
      text = formatValue(this.vars.value(v.die, frame, this.mem), this.vars.formatEnv(this.mem));
    } catch (e) {
      if (!(e instanceof VariableError || e instanceof ExpressionError || e instanceof ValueSizeError)) throw e;
      text = `<error: ${e.message}>`;
    }
    return `${v.name} = ${text}`;
  }

  /** `info locals`: one "name = value" line each, innermost block first; "No locals." when none. */
  locals(frame: FrameState | undefined): string[] {
    if (!frame) return ['No frame selected.'];
    const vars = this.vars.locals(frame);
    if (vars.length === 0) return ['No locals.'];
    return vars.map((v) => this.line(v, frame));
  }

  /** `info args`. */
  args(frame: FrameState | undefined): string[] {
    if (!frame) return ['No frame selected.'];
    const vars = this.vars.args(frame);
    if (vars.length === 0) return ['No arguments.'];
    return vars.map((v) => this.line(v, frame));
  }

  /** The text of `print EXPR` after "$N = "; throws ExpressionError with GDB's message. */
  print(expr: string, frame: FrameState | undefined): string {
    try {
      const v = evaluateExpression(expr, { vars: this.vars, frame, mem: this.mem });
      return formatValue(v, this.vars.formatEnv(this.mem), { topLevel: true });
    } catch (e) {
      if (e instanceof VariableError || e instanceof ValueSizeError) throw new ExpressionError(e.message);
      throw e;
    }
  }
}
