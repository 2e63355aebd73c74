// Saves a live recording to IndexedDB as it grows: the start of the file when
// recording begins, then a piece (an EVTS chunk) about every second while the
// program runs and at every stop, and the END chunk when the program's run is
// over. A failed write (the disk is full) stops the saving for good, so that
// the stored recording stays a valid prefix of the run; the recording itself
// stays in memory and can still be explored and exported.
import { RecordingWriter, type RecordingEvent, type ParsedRecording } from '../formats/recording';
import type { RecordingStore, RecordingInfo } from '../storage';
import { StorageFullError } from '../storage';
import { encodeDigest } from '../replay/digest';
import type { Timeline } from '../replay/timeline';

// Half a second: a tab closed mid-run loses at most that much of the recording.
const FLUSH_INTERVAL_MS = 500;
const FLUSH_EVENTS = 4096;

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * A digest event for the state at the frontier. A recording stopped between
 * two periodic digests would otherwise end, when replayed, at its last event;
 * this marks how far it really went (replay checks digests only at its own
 * checkpoints, so an extra one is harmless).
 */
function frontierMarker(timeline: Timeline): RecordingEvent {
  const hex = timeline.finalDigest();
  const word = (i: number) => BigInt(`0x${hex.slice(i * 16, i * 16 + 16)}`);
  return { kind: 'digest', icount: timeline.icount, digest: encodeDigest({ pc: word(0), registers: word(1), machine: word(2), memory: word(3) }) };
}

export interface SaverNames {
  name: string;
  programName: string;
}

export class RecordingSaver {
  /** The stored recording's id, once created. */
  id: string | null = null;
  /** Why saving stopped, if it did. */
  problem: string | null = null;
  private chain: Promise<void> = Promise.resolve();
  private pending: RecordingEvent[] = [];
  private lastFlush = 0;
  /** The icount the stored log reaches (its last event). */
  private storedTo = 0n;
  private endQueued = false;

  constructor(
    private readonly store: RecordingStore,
    private readonly timeline: Timeline,
    names: SaverNames,
    sources: Record<string, string>,
    private readonly onFailure: (message: string) => void,
  ) {
    const meta = timeline.meta;
    const first = RecordingWriter.start(meta, timeline.program, timeline.disk);
    this.queue(async () => {
      this.id = await this.store.create(
        { name: names.name, programName: names.programName, programSha256: meta.programSha256, createdAt: meta.createdAt },
        first,
      );
      if (Object.keys(sources).length > 0) await this.store.putSources(this.id, sources);
    });
    this.lastFlush = performance.now();
  }

  /** Takes the timeline's new events; writes a piece when enough time has passed or enough events are waiting. */
  collect(): void {
    this.pending.push(...this.timeline.takeNewEvents());
    if (performance.now() - this.lastFlush >= FLUSH_INTERVAL_MS || this.pending.length >= FLUSH_EVENTS) this.flush();
  }

  /** At a stop: writes everything so far, marked with the position reached, or the END chunk if the run is over. */
  settle(): void {
    this.pending.push(...this.timeline.takeNewEvents());
    this.flush();
  }

  /** Resolves when every write queued so far is done (or saving has failed). */
  idle(): Promise<void> {
    return this.chain;
  }

  /** Replaces the stored sources. */
  putSources(files: Record<string, string>): void {
    this.queue(async () => {
      if (this.id) await this.store.putSources(this.id, files);
    });
  }

  private flush(): void {
    this.lastFlush = performance.now();
    if (this.problem) { this.pending = []; return; }
    const tl = this.timeline;
    const ended = tl.ended;
    const events = this.pending;
    this.pending = [];
    // At the frontier of a run that goes on: mark how far it went.
    if (!ended && tl.icount === tl.length && tl.length > this.storedTo) {
      const last = events.at(-1)?.icount ?? this.storedTo;
      if (tl.icount > last) events.push(frontierMarker(tl));
    }
    const reach = events.length > 0 ? events[events.length - 1].icount : this.storedTo;
    if (reach > this.storedTo) this.storedTo = reach;
    const length = this.storedTo;
    const endPiece = ended && !this.endQueued ? RecordingWriter.end(ended) : undefined;
    if (endPiece) this.endQueued = true;
    if (events.length === 0 && !endPiece) return;
    const eventsPiece = events.length > 0 ? RecordingWriter.events(events) : undefined;
    this.queue(async () => {
      const id = this.id;
      if (!id) return;
      if (eventsPiece) await this.store.appendLog(id, eventsPiece, { length });
      if (endPiece && ended) {
        const info = { reason: ended.reason, ...(ended.exitCode !== undefined ? { exitCode: ended.exitCode } : {}) };
        await this.store.appendLog(id, endPiece, { length: ended.icount, ended: info });
      }
    });
  }

  private queue(write: () => Promise<void>): void {
    this.chain = this.chain.then(async () => {
      if (this.problem) return;
      try {
        await write();
      } catch (e) {
        this.problem = e instanceof StorageFullError
          ? e.message
          : `the recording is no longer being saved in this browser: ${messageOf(e)}`;
        this.onFailure(this.problem);
        // Best effort: the stored recording says why it is shorter when it is opened again.
        try {
          if (this.id) await this.store.setInterruption(this.id, this.problem);
        } catch {
          // Opened again, it reads as interrupted without a reason.
        }
      }
    });
  }
}

/**
 * Why a stored recording ends without its END chunk, for the note shown
 * when it is opened again: the reason its saver noted (storage full, ...),
 * else a tab closed or a browser stopped while it was recording. Undefined
 * for a recording that ended.
 */
export function interruptionOf(info: Pick<RecordingInfo, 'ended' | 'interruption'>, parsed: Pick<ParsedRecording, 'end' | 'events'>): string | undefined {
  if (parsed.end || info.ended) return undefined;
  const reach = parsed.events.at(-1)?.icount ?? 0n;
  const why = info.interruption ?? 'the tab was closed or the browser stopped while it was recording';
  return `${why} (it holds everything saved up to icount ${reach})`;
}
