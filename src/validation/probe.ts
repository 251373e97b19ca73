import { setMaxListeners } from 'node:events';
import type { MxHost } from './dns.ts';
import { oneSession } from './probe-session.ts';
import { release, settle, type HostRun, type ProbeState } from './probe-state.ts';
import type {
  DomainProbe,
  ProbeDeps,
  ProbeRules,
  ProbeSettings,
  ProbeTarget,
} from './probe-types.ts';
import { mayConnect } from './safety.ts';

export * from './probe-types.ts';

/**
 * Probes the mailboxes of one domain: MX hosts in preference order (the next on a failed
 * connect, RFC 5321 5.1), several addresses per session (RCPT after RCPT in one transaction,
 * a new session when the server says too many recipients, 452 or 552), one random address per domain
 * to detect a catch-all, QUIT, and never DATA. Every address has its own hard deadline.
 */

export async function probeDomain(
  domain: string,
  hosts: MxHost[],
  targets: ProbeTarget[],
  settings: ProbeSettings,
  deps: ProbeDeps,
  outer?: AbortSignal,
  rules: ProbeRules = {},
): Promise<DomainProbe> {
  // A group's sessions follow one another, and each one's QUIT listens to `outer` for up to
  // QUIT_WAIT_MS after it (deadline-signal.ts): more than the 10 listeners Node warns about.
  if (outer) setMaxListeners(0, outer);
  const known = rules.catchAll ?? (await deps.catchAll.get(domain));
  const state: ProbeState = {
    domain,
    targets,
    settings,
    deps,
    rules,
    outer,
    outcomes: targets.map(() => undefined),
    pending: targets.map((_, i) => i),
    failure: { kind: 'no_host' },
    mxHost: hosts[0]?.exchange ?? null,
    catchAll: known ?? null,
    catchAllTested: known !== undefined,
    firstDeadline: undefined,
    answered: false,
    turnStart: performance.now(),
    turnMs: targets.map(() => 0),
    held: [],
  };

  try {
    for (const host of hosts) {
      if (state.pending.length === 0 || outer?.aborted) break;
      const ips = await addressesOf(state, host);
      for (const ip of ips) {
        const r = await sessionsOn(state, {
          ip,
          mx: host.exchange,
          progressed: false,
          paceKey: null,
        });
        if (r === 'next') continue;
        state.mxHost = host.exchange;
        break;
      }
    }
  } finally {
    // The first address's deadline spans the hosts tried: its timer ends with them, also on a throw.
    state.firstDeadline?.dispose();
  }
  // Stopped from outside (a deadline, a shutdown) before these were answered: that says nothing
  // about the domain, so never let it read as "no mail host" (undeliverable).
  if (outer?.aborted && state.failure.kind === 'no_host') state.failure = { kind: 'timeout' };
  settle(state, state.pending, state.failure, state.mxHost);
  release(state);
  const { failure } = state;
  return {
    outcomes: state.outcomes.map((o) => o ?? failure),
    mxHost: state.mxHost,
    catchAll: state.catchAll,
    turnMs: state.turnMs,
  };
}

/** The MX host's public addresses worth trying (two at most); none: the reason is in `failure`. */
async function addressesOf(state: ProbeState, host: MxHost): Promise<string[]> {
  const resolved = await state.deps.dns.resolveHost(host.exchange);
  if (resolved.kind !== 'ok') {
    if (resolved.kind === 'error' && state.failure.kind === 'no_host')
      state.failure = { kind: 'dns_error' };
    return [];
  }
  const ips = resolved.addresses.filter((ip) => mayConnect(ip, state.settings.allowPrivate));
  if (ips.length === 0) {
    if (state.failure.kind === 'no_host' || state.failure.kind === 'dns_error')
      state.failure = { kind: 'private' };
    state.deps.logger.debug(
      { domain: state.domain, mx: host.exchange },
      'MX host only has non-public addresses',
    );
  }
  return ips.slice(0, 2);
}

/** Runs sessions on one address until every pending target has an outcome; 'next' = try another MX. */
async function sessionsOn(state: ProbeState, host: HostRun): Promise<'done' | 'next'> {
  host.paceKey = state.rules.pacing?.keyOf(host.mx) ?? null;
  while (state.pending.length > 0) {
    const r = await oneSession(state, host);
    if (r !== 'again') return r;
  }
  return 'done';
}
