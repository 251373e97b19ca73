import { createHash } from 'node:crypto';
import type { Lease } from './connection-limit.ts';
import { isThrottling } from './pacing.ts';
import { Deadline } from './deadline-signal.ts';
import { release, settle, type HostRun, type ProbeState } from './probe-state.ts';
import {
  Budget,
  DEFAULT_MAX_REJECTIONS_PER_SESSION,
  deferredUnknown,
  ProbeTimeoutError,
  sessionFull,
  type ProbeTarget,
} from './probe-types.ts';
import type { ProbeRoute } from './routes.ts';
import { SmtpConnectError, type SmtpConnection } from './smtp-client.ts';
import type { SmtpReply } from './smtp-reply.ts';
import { openSession, QUIT_WAIT_MS } from './smtp-session.ts';

/** One SMTP session of probe.ts: slots, greeting, MAIL FROM, the RCPTs, the catch-all RCPT, QUIT. */

/** One session: 'again' when targets remain for another session on the same address. */
export async function oneSession(
  state: ProbeState,
  host: HostRun,
): Promise<'again' | 'done' | 'next'> {
  const { settings, rules, outer } = state;
  const wait = host.paceKey && rules.pacing ? await rules.pacing.pacer.pausedFor(host.paceKey) : 0;
  if (wait > 0) {
    settle(state, state.pending, { kind: 'paused', retryAfterMs: wait }, host.mx);
    return 'done';
  }
  const route = rules.route?.(host.mx) ?? null;
  const leases = await acquireLeases(state, host.ip, route);
  if (!leases) {
    settle(
      state,
      state.pending,
      outer?.aborted ? { kind: 'timeout' } : { kind: 'no_slot' },
      host.mx,
    );
    return 'done';
  }
  // Until one address is answered, its deadline also spans every MX host tried.
  state.firstDeadline ??= new Deadline(settings.timeoutMs, [], () => new ProbeTimeoutError());
  const budget = new Budget(
    settings.timeoutMs,
    state.answered ? [outer] : [outer, state.firstDeadline.signal],
  );
  /** The QUIT sent and not yet answered: the slots are held until it settles. */
  const open: { closing: Promise<void> | null } = { closing: null };
  try {
    return await converse(state, host, route, budget, open);
  } catch (err) {
    return sessionFailed(state, host, err, budget.signal.aborted);
  } finally {
    budget.dispose();
    const release = async () => {
      await leases.proxy?.release();
      await leases.host.release();
    };
    // The session counts against the host's cap until its connection is closed.
    if (open.closing)
      void open.closing.then(release).catch((err: unknown) => {
        state.deps.logger.warn({ err, mx: host.mx }, 'could not release an SMTP connection slot');
      });
    else await release();
  }
}

/**
 * The per-MX slot, fleet-wide whatever the way out, and a proxy's own slot beside it; null when
 * none came free in time. The wait is politeness, not the server's time: no budget runs yet.
 */
async function acquireLeases(
  state: ProbeState,
  ip: string,
  route: ProbeRoute | null,
): Promise<{ host: Lease; proxy: Lease | null } | null> {
  const { deps, settings, outer } = state;
  const slotWait = new Deadline(
    Math.max(settings.timeoutMs * 5, 60_000),
    [outer],
    () => new ProbeTimeoutError(),
  );
  const slotSignal = slotWait.signal;
  let host: Lease;
  try {
    host = await deps.limiter.acquire(ip, slotSignal);
  } catch {
    slotWait.dispose();
    return null;
  }
  try {
    if (!route?.proxy || !deps.proxyLimiter) return { host, proxy: null };
    const proxy = await deps.proxyLimiter(route.proxy.name).acquire(route.proxy.name, slotSignal);
    return { host, proxy };
  } catch {
    await host.release();
    return null;
  } finally {
    slotWait.dispose();
  }
}

/** Greeting to QUIT. */
async function converse(
  state: ProbeState,
  host: HostRun,
  route: ProbeRoute | null,
  budget: Budget,
  open: { closing: Promise<void> | null },
): Promise<'again' | 'done' | 'next'> {
  const { settings, deps, outer } = state;
  const opened = await openSession({
    ip: host.ip,
    mxHost: host.mx,
    port: settings.port,
    heloName: route?.heloName ?? settings.heloName,
    connectTimeoutMs: Math.max(1000, Math.floor(settings.timeoutMs / 3)),
    signal: budget.signal,
    ...(route?.localAddress ? { localAddress: route.localAddress } : {}),
    proxy: route?.proxy ?? null,
  });
  if (route?.proxy) deps.onProxyResult?.(route.proxy.name, null);
  if (opened.kind === 'refused') {
    open.closing = opened.closing;
    const pause = await throttled(state, host, opened.reply);
    if (pause !== null) {
      settle(
        state,
        state.pending,
        { kind: 'paused', retryAfterMs: pause, reply: opened.reply },
        host.mx,
      );
      return 'done';
    }
    state.failure = { kind: 'refused', stage: opened.stage, reply: opened.reply };
    if (!host.progressed) return 'next';
    settle(state, state.pending, state.failure, host.mx);
    return 'done';
  }
  host.progressed = true;
  const { conn, extensions } = opened;
  const utf8 = extensions.has('SMTPUTF8');
  const needUtf8 = utf8 && state.pending.some((i) => state.targets[i]?.smtpUtf8);
  const asking: Asking = {
    conn,
    utf8,
    budget,
    // RFC 2920: MAIL FROM and the RCPTs go in one write only when the server offered it.
    pipelined: settings.pipelining !== false && extensions.has('PIPELINING'),
    count: { inSession: 0, rejections: 0 },
  };
  const first = nextBatch(state, asking);
  conn.send([
    `MAIL FROM:<${route?.mailFrom ?? settings.mailFrom}>${needUtf8 ? ' SMTPUTF8' : ''}`,
    ...(asking.pipelined ? rcptLines(state, first) : []),
  ]);
  const mail = await conn.read(budget.signal);
  if (mail.code !== 250) {
    const pause = await throttled(state, host, mail);
    settle(
      state,
      state.pending,
      pause !== null
        ? { kind: 'paused', retryAfterMs: pause, reply: mail }
        : { kind: 'refused', stage: 'mail', reply: mail },
      host.mx,
    );
    open.closing = conn.quit(QUIT_WAIT_MS, outer);
    return 'done';
  }
  await askRecipients(state, host, asking, first);
  // The verdicts do not wait for the 221 (a sync probe answers one round trip sooner).
  open.closing = conn.quit(QUIT_WAIT_MS, outer);
  return 'again';
}

/** One session's transaction: its connection and what its RCPTs have cost so far. */
interface Asking {
  conn: SmtpConnection;
  /** The server offered SMTPUTF8. */
  utf8: boolean;
  budget: Budget;
  /** RCPTs go in batches, one write each, their replies read in order afterwards. */
  pipelined: boolean;
  count: { inSession: number; rejections: number };
}

/**
 * What one write asks: a target's RCPT, the made-up catch-all RCPT, or a target the server
 * cannot be asked about (a UTF-8 address without SMTPUTF8: no command, settled in its turn).
 */
type Ask =
  { kind: 'rcpt'; target: number } | { kind: 'catch_all' } | { kind: 'utf8'; target: number };

/**
 * The next batch of asks, in target order. Without pipelining one RCPT. Pipelined, as many as
 * could all be refused without passing the session's rejection limit (so a batch never asks
 * more than the serial dialogue would have), at most PIPELINE_BATCH; the catch-all RCPT, when
 * the domain's answer is not known, goes right after the first target's, in the same write.
 */
function nextBatch(state: ProbeState, asking: Asking): Ask[] {
  const { count, pipelined, utf8 } = asking;
  const maxRejections =
    state.settings.maxRejectionsPerSession ?? DEFAULT_MAX_REJECTIONS_PER_SESSION;
  const room = pipelined ? Math.min(PIPELINE_BATCH, maxRejections - count.rejections) : 1;
  const asks: Ask[] = [];
  let rcpts = 0;
  for (const i of state.pending) {
    if (rcpts >= room) break;
    if (state.targets[i]?.smtpUtf8 && !utf8) {
      asks.push({ kind: 'utf8', target: i });
      continue;
    }
    asks.push({ kind: 'rcpt', target: i });
    rcpts++;
    if (pipelined && !state.catchAllTested && rcpts < room && rcpts === 1) {
      asks.push({ kind: 'catch_all' });
      rcpts++;
    }
  }
  return asks;
}

/** RCPTs sent in one pipelined write at most (RFC 5321 4.5.3.1.8: servers take 100 a message). */
const PIPELINE_BATCH = 20;

function rcptLines(state: ProbeState, asks: Ask[]): string[] {
  return asks.flatMap((ask) => {
    if (ask.kind === 'utf8') return [];
    const address =
      ask.kind === 'rcpt'
        ? (state.targets[ask.target] as ProbeTarget).address
        : `${catchAllProbeLocal(state.domain)}@${state.domain}`;
    return [`RCPT TO:<${address}>`];
  });
}

/**
 * RCPT after RCPT in one transaction, until the session's budget or the targets run out: the
 * batch already sent with MAIL FROM first, then batch after batch, each one write, its replies
 * matched to its asks in order.
 */
async function askRecipients(
  state: ProbeState,
  host: HostRun,
  asking: Asking,
  first: Ask[],
): Promise<void> {
  const maxRejections =
    state.settings.maxRejectionsPerSession ?? DEFAULT_MAX_REJECTIONS_PER_SESSION;
  let batch = first;
  if (!asking.pipelined) asking.conn.send(rcptLines(state, batch));
  while (batch.length > 0) {
    if ((await answerBatch(state, host, asking, batch)) === 'stop') return;
    // Polite: stay far below the server's error limits; the rest go on in a new session.
    if (asking.count.rejections >= maxRejections) return;
    batch = nextBatch(state, asking);
    asking.conn.send(rcptLines(state, batch));
  }
}

/** Reads a batch's replies in order; 'stop' when the session must end here. */
async function answerBatch(
  state: ProbeState,
  host: HostRun,
  asking: Asking,
  batch: Ask[],
): Promise<'go' | 'stop'> {
  const { rules, outer } = state;
  const { conn, budget, count } = asking;
  for (const ask of batch) {
    if (ask.kind === 'utf8') {
      settle(state, [ask.target], { kind: 'utf8_unsupported' }, host.mx);
      continue;
    }
    const reply = await conn.read(budget.signal);
    if (ask.kind === 'catch_all') {
      noteCatchAll(state, reply, count);
      continue;
    }
    const i = ask.target;
    if (sessionFull(rules, reply) && count.inSession > 0) return 'stop'; // a new session goes on
    count.inSession++;
    const pause = await throttled(state, host, reply);
    if (reply.code === 421 && pause === null) {
      settle(state, state.pending, { kind: 'reply', reply }, host.mx); // the server is closing
      return 'stop';
    }
    settle(state, [i], { kind: 'reply', reply }, host.mx);
    if (reply.code >= 400) count.rejections++;
    if (pause !== null) {
      // The provider asked us to slow down: the others wait for the pause (the job's retry).
      settle(state, state.pending, { kind: 'paused', retryAfterMs: pause }, host.mx);
      return 'stop';
    }
    // The catch-all probe also follows a temporary answer: a greylisting server then
    // knows the probe address too, and the job's later try gets a definite answer for both.
    // Pipelined, it was sent beside the first RCPT; otherwise it is asked now.
    if (
      reply.code >= 200 &&
      reply.code < 500 &&
      !state.catchAllTested &&
      !batch.some((a) => a.kind === 'catch_all')
    ) {
      noteCatchAll(state, await conn.command(catchAllRcpt(state), budget.signal), count);
    }
    budget.renew([outer]);
  }
  return 'go';
}

function catchAllRcpt(state: ProbeState): string {
  return rcptLines(state, [{ kind: 'catch_all' }])[0] as string;
}

/**
 * The made-up recipient's answer tells whether the domain accepts every address. It is
 * remembered in-process at once and in Redis in the background: the verdicts waiting for it do
 * not wait for Redis too (CatchAllMemory.set never throws).
 */
function noteCatchAll(
  state: ProbeState,
  random: SmtpReply,
  count: { inSession: number; rejections: number },
): void {
  const { domain, rules, deps } = state;
  state.catchAllTested = true;
  count.inSession++;
  if (random.code >= 400) count.rejections++;
  if (random.code >= 200 && random.code < 300) state.catchAll = true;
  else if ((random.code >= 500 || deferredUnknown(rules, random)) && !sessionFull(rules, random))
    state.catchAll = false;
  if (state.catchAll !== null) void deps.catchAll.set(domain, state.catchAll);
  release(state);
}

/** A session that threw: 'next' when nothing was learnt from this host yet, else 'again'. */
function sessionFailed(
  state: ProbeState,
  host: HostRun,
  err: unknown,
  timedOut: boolean,
): 'again' | 'next' {
  const { deps } = state;
  deps.logger.debug(
    { domain: state.domain, mx: host.mx, err: (err as Error).message },
    'SMTP session ended early',
  );
  if (err instanceof SmtpConnectError && err.proxy) deps.onProxyResult?.(err.proxy, err.message);
  if (!timedOut && !host.progressed) {
    // Nothing learnt from this host yet (refused, unreachable, closed at once): next MX.
    state.failure = err instanceof SmtpConnectError ? { kind: 'no_connect' } : { kind: 'dropped' };
    return 'next';
  }
  // A tarpit or a dropped session: the targets still waiting share the fate of the current one.
  settle(
    state,
    state.pending,
    timedOut
      ? { kind: 'timeout' }
      : err instanceof SmtpConnectError
        ? { kind: 'no_connect' }
        : { kind: 'dropped' },
    host.mx,
  );
  return 'again';
}

/** A throttling answer pauses the provider fleet-wide: the pause in ms, else null. */
async function throttled(
  state: ProbeState,
  host: HostRun,
  reply: SmtpReply,
): Promise<number | null> {
  const pacing = state.rules.pacing;
  return host.paceKey && pacing && isThrottling(reply) ? pacing.pacer.pause(host.paceKey) : null;
}

/**
 * The address that tests a domain for catch-all (`x` and 12 hex digits, RFC 5321 4.1.2 atext
 * only): random-looking, but the same for a domain on every try, in every worker, so that a
 * greylisting server (which defers each new sender and recipient pair once) lets it through on
 * the job's later try.
 */
function catchAllProbeLocal(domain: string): string {
  return `x${createHash('sha256').update(`mailsift catch-all ${domain}`).digest('hex').slice(0, 12)}`;
}
