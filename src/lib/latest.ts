// "Only the latest request matters": a runner for requests that supersede one
// another (the scrubber's seeks). At most one request is in flight; while it
// runs, newer requests replace each other and only the last one is sent when
// it returns. So a fast drag costs one seek per round trip, never a queue.

export class LatestRunner<Q, A> {
  private wanted: { request: Q } | undefined;
  private running = false;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly send: (request: Q) => Promise<A>,
    private readonly onAnswer: (answer: A, request: Q, superseded: boolean) => void,
    private readonly onError: (error: unknown, request: Q) => void,
  ) {}

  /** Asks for `request`; replaces any request not sent yet. */
  request(request: Q): void {
    this.wanted = { request };
    if (!this.running) void this.pump();
  }

  /** Drops the request not sent yet, if any. */
  cancelPending(): void {
    this.wanted = undefined;
  }

  get busy(): boolean {
    return this.running || this.wanted !== undefined;
  }

  /** Resolves once nothing is in flight or waiting. */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private async pump(): Promise<void> {
    this.running = true;
    while (this.wanted) {
      const { request } = this.wanted;
      this.wanted = undefined;
      try {
        const answer = await this.send(request);
        this.onAnswer(answer, request, this.wanted !== undefined);
      } catch (e) {
        this.onError(e, request);
      }
    }
    this.running = false;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
