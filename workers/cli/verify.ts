// `hindsight verify <file.hsr>`: everything a recording from someone else can
// be checked for, without running anything of it but the replay itself:
// the container and its chunks (the reader's checks, END's counts), the
// machine it describes, the embedded snapshot image (its structure, and each
// snapshot against the log's digest at its icount), and a full replay from
// icount 0 (every digest, the output, the end). One line per problem, then a
// verdict; the status says which kind of problem came first in severity.
import { readFileSync } from 'node:fs';
import { parseRecording, RecordingError, type ParsedRecording } from '../formats/recording';
import { Timeline, ReplayDivergence, STOPPED } from '../replay/timeline';
import { SnapshotImageError } from '../replay/snapshot-image';
import { MachineError } from '../engine/machine';
import { ElfError } from '../formats/elf';
import { parseArgs, UsageError } from './args';
import { loadCoreWasm, CLI_SNAPSHOT_BUDGET } from './node-host';
import { recordingMachineProblem } from './recording-check';
import { EXIT, terminalSafe } from './output';

type Severity = 'malformed' | 'diverged' | 'cut off';

const STATUS: Record<Severity, number> = { malformed: EXIT.load, diverged: EXIT.divergence, 'cut off': EXIT.incomplete };

export async function cmdVerify(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {});
  if (args.positional.length !== 1) throw new UsageError('verify needs one recording: hindsight verify <file.hsr>');
  const path = args.positional[0];
  const problems: { severity: Severity; text: string }[] = [];
  const problem = (severity: Severity, text: string) => {
    problems.push({ severity, text });
    process.stdout.write(terminalSafe(`${path}: ${severity}: ${text}`) + '\n');
  };
  const verdict = (summary: string): number => {
    const worst = (['malformed', 'diverged', 'cut off'] as const).find((s) => problems.some((p) => p.severity === s));
    process.stdout.write(terminalSafe(`${path}: verdict: ${worst ?? 'ok'}${summary ? ` (${summary})` : ''}`) + '\n');
    return worst ? STATUS[worst] : 0;
  };

  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    problem('malformed', `cannot read it: ${(e as Error).message}`);
    return verdict('');
  }

  // The container and its chunks.
  let r: ParsedRecording;
  try {
    r = parseRecording(bytes);
  } catch (e) {
    if (!(e instanceof RecordingError)) throw e;
    problem('malformed', e.message);
    return verdict('');
  }
  if (r.truncation !== undefined) problem('cut off', r.truncation);
  else if (!r.end) problem('cut off', `no END chunk: the recording stops at offset 0x${r.validLength.toString(16)}, between chunks`);

  // The machine it describes.
  const machineProblem = recordingMachineProblem(r);
  if (machineProblem) {
    problem('malformed', machineProblem);
    return verdict('');
  }

  const open = async (): Promise<Timeline | undefined> => {
    try {
      return await Timeline.replay(loadCoreWasm(), r, { useSnapshotImage: false, budgetBytes: CLI_SNAPSHOT_BUDGET });
    } catch (e) {
      if (e instanceof ReplayDivergence) problem('diverged', e.message);
      else if (e instanceof MachineError || e instanceof ElfError) problem('malformed', e.message);
      else throw e;
      return undefined;
    }
  };

  // The embedded snapshot image: structure, and each snapshot against the digest logged at its icount.
  let snapshots = 0;
  const t = await open();
  if (!t) return verdict('');
  if (r.snapshot) {
    try {
      snapshots = t.loadSnapshotImage(r.snapshot, { all: true });
    } catch (e) {
      if (!(e instanceof SnapshotImageError)) throw e;
      problem('malformed', `embedded ${e.message}`);
    }
    // The same machine replays from icount 0 without them: one guest's worth of memory, not two.
    t.forgetSnapshotImage();
  }

  // A full replay from icount 0, checking every digest, the output and the end.

  try {
    const result = await t.continue();
    if (r.end && !(result.reason === 'exit' || (r.end.reason === STOPPED && result.reason === 'end') || result.reason === r.end.reason)) {
      problem('diverged', `replay stopped at icount ${result.icount} (${result.message ?? result.reason}), but the recording ends at icount ${r.end.icount} (${r.end.reason})`);
    }
  } catch (e) {
    if (!(e instanceof ReplayDivergence)) throw e;
    problem('diverged', e.message);
  }
  const counts = `${r.events.length} events, replayed to icount ${t.icount}${r.snapshot ? `, ${snapshots} embedded snapshots checked` : ''}`;
  return verdict(counts);
}
