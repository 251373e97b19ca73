import type { Deadline } from './deadline-signal.ts';
import type {
  ProbeDeps,
  ProbeOutcome,
  ProbeRules,
  ProbeSettings,
  ProbeTarget,
} from './probe-types.ts';

/** The state probe.ts shares between a domain's sessions, and how an outcome is recorded. */

/** Everything one probeDomain call has learnt so far; its sessions share it, one at a time. */
export interface ProbeState {
  readonly domain: string;
  readonly targets: ProbeTarget[];
  readonly settings: ProbeSettings;
  readonly deps: ProbeDeps;
  readonly rules: ProbeRules;
  readonly outer: AbortSignal | undefined;
  outcomes: (ProbeOutcome | undefined)[];
  /** Targets without an outcome yet, in order. */
  pending: number[];
  /** What the pending targets get if no host answers for them. */
  failure: ProbeOutcome;
  mxHost: string | null;
  catchAll: boolean | null;
  /** The catch-all answer is known or was asked: no made-up RCPT any more. */
  catchAllTested: boolean;
  /** The first address's deadline, across every MX host tried until one is answered. */
  firstDeadline: Deadline | undefined;
  answered: boolean;
  /** When the current target's turn began (performance.now()). */
  turnStart: number;
  turnMs: number[];
  /** Settled targets not told to onSettled yet (waiting for the catch-all answer), and their host. */
  held: { target: number; mxHost: string | null }[];
}

/** One MX address being talked to: sessions follow each other on it until none is pending. */
export interface HostRun {
  ip: string;
  mx: string;
  /** A session got past the greeting on this address: its failures are the targets'. */
  progressed: boolean;
  paceKey: string | null;
}

/** These targets have their outcome; the turn of each ends now. */
export function settle(
  state: ProbeState,
  indexes: number[],
  outcome: ProbeOutcome,
  mxHost: string | null,
): void {
  if (indexes.length === 0) return;
  state.answered = true;
  const now = performance.now();
  const turn = Math.round(now - state.turnStart);
  state.turnStart = now;
  for (const i of indexes) {
    state.outcomes[i] = outcome;
    state.turnMs[i] = turn;
    state.held.push({ target: i, mxHost });
  }
  const done = new Set(indexes);
  state.pending = state.pending.filter((i) => !done.has(i));
  if (state.catchAllTested) release(state);
}

/** Tells the caller of the settled targets (their catch-all answer is known or was asked). */
export function release(state: ProbeState): void {
  const { onSettled } = state.deps;
  const held = state.held;
  state.held = [];
  if (!onSettled) return;
  for (const { target, mxHost } of held) {
    onSettled(target, {
      outcome: state.outcomes[target] as ProbeOutcome,
      mxHost,
      catchAll: state.catchAll,
      turnMs: state.turnMs[target] ?? 0,
    });
  }
}
