/**
 * A signal that fires `ms` from now, or when any of `outers` fires, whichever comes first; with
 * one timer and one listener per outer signal, which dispose() removes at once. A probe used to
 * make several AbortSignal.timeout() (whose timer, and whatever the signal holds, lives until it
 * fires: up to minutes after the probe) and AbortSignal.any() (~2 KB and ~20 µs each on Node 20).
 */
export class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly outers: AbortSignal[];
  readonly signal: AbortSignal = this.controller.signal;

  constructor(ms: number, outers: (AbortSignal | undefined)[], reason: () => unknown) {
    this.outers = outers.filter((s): s is AbortSignal => s !== undefined);
    this.timer = setTimeout(() => this.abort(reason()), ms);
    for (const outer of this.outers) {
      if (outer.aborted) {
        this.abort(outer.reason);
        return;
      }
      outer.addEventListener('abort', this.onOuter);
    }
  }

  private readonly onOuter = (event: Event): void => {
    this.abort((event.target as AbortSignal).reason);
  };

  private abort(reason: unknown): void {
    this.dispose();
    this.controller.abort(reason);
  }

  /** Drops the timer and the listeners; the signal will not fire any more. */
  dispose(): void {
    clearTimeout(this.timer);
    for (const outer of this.outers) outer.removeEventListener('abort', this.onOuter);
  }
}
