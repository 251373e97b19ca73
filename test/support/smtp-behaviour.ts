/**
 * What a scripted SMTP server does, shared by both implementations in smtp-server.ts (the
 * hand-written one and the `smtp-server` package one). See smtp-server.ts for usage.
 */

/** A reply: `message` is the text after the code (may start with an enhanced code); lines for a multi-line reply. */
export interface SmtpReply {
  code: number;
  message: string | string[];
}

export interface RcptContext {
  /** 1-based session (connection) number on this server. */
  session: number;
  /** 1-based count of RCPT TO for this address on this server, across sessions. */
  attempt: number;
  /** 1-based RCPT TO number within this session. */
  rcptInSession: number;
  mailFrom: string;
}

export type RcptHandler = (address: string, ctx: RcptContext) => SmtpReply;

export interface SmtpBehaviour {
  /**
   * 'scripted' (default): the hand-written server, which can do everything below.
   * 'smtp-server': the nodemailer `smtp-server` package, an independent implementation to
   * cross-check the client; it supports acceptAll, knownUsers, rcpt (single-line), greylist,
   * startTls, maxRecipientsPerSession, rejectOnConnect and latencyMs.
   */
  implementation?: 'scripted' | 'smtp-server';
  /** Every RCPT is accepted (a catch-all domain). The default when knownUsers and rcpt are unset. */
  acceptAll?: boolean;
  /** Local parts (or full addresses) that exist; other recipients get 550 5.1.1 user unknown. */
  knownUsers?: string[];
  /** Custom RCPT reply; wins over knownUsers / acceptAll (greylist still applies first). */
  rcpt?: RcptHandler;
  /** The first RCPT of every address gets 450 4.2.0 greylisted; later ones the normal reply. */
  greylist?: boolean;
  /** Dribble every reply (banner included) at this many bytes a second; `true` is 1 byte/s. */
  tarpit?: boolean | { bytesPerSecond: number };
  /** Close the connection without a reply once MAIL FROM arrives. */
  dropAfterMailFrom?: boolean;
  /** Greet with this reply and close (`true`: 421 4.7.0 Try again later, closing connection). */
  rejectOnConnect?: boolean | SmtpReply;
  /** Offer STARTTLS (self-signed certificate). */
  startTls?: boolean;
  /** After this many RCPT TO in one session, answer 452 4.5.3 too many recipients. */
  maxRecipientsPerSession?: number;
  /** Multi-line banner and multi-line replies to MAIL / RCPT (split the way servers do). */
  multiLine?: boolean;
  /** Answer EHLO with 502 so the client must fall back to HELO, or with the given reply. */
  refuseEhlo?: boolean | SmtpReply;
  /** Wait before every reply: fixed ms, or uniform in [min, max]. */
  latencyMs?: number | { min: number; max: number };
  /**
   * `latencyMs` is the network's round trip (scripted server only): each reply leaves
   * `latencyMs` after its command arrived, so commands pipelined in one write (RFC 2920) are
   * answered together. Default: `latencyMs` before every reply, one after the other (a server
   * that takes that long to think).
   */
  latencyIsRoundTrip?: boolean;
  /** Leave PIPELINING out of the EHLO reply (scripted server only; it is offered by default). */
  noPipelining?: boolean;
  /** Wait this long before the banner instead of `latencyMs` (scripted server only). */
  greetingMs?: number;
  /**
   * Answer QUIT only when this resolves (scripted server only): a test holds the 221 back to
   * see that the client's verdict does not wait for it.
   */
  quitAnsweredAfter?: () => Promise<void>;
}

const defaultConnectReject: SmtpReply = {
  code: 421,
  message: '4.7.0 Try again later, closing connection.',
};

export function connectReject(b: SmtpBehaviour): SmtpReply | null {
  if (!b.rejectOnConnect) return null;
  return b.rejectOnConnect === true ? defaultConnectReject : b.rejectOnConnect;
}

export function latencyOf(b: SmtpBehaviour): number {
  const l = b.latencyMs;
  if (l === undefined) return 0;
  if (typeof l === 'number') return l;
  return l.min + Math.random() * (l.max - l.min);
}

/** The RCPT decision of every behaviour, in the order a real server applies them. */
export function decideRcpt(b: SmtpBehaviour, address: string, ctx: RcptContext): SmtpReply {
  if (b.maxRecipientsPerSession !== undefined && ctx.rcptInSession > b.maxRecipientsPerSession) {
    return { code: 452, message: '4.5.3 Error: too many recipients' };
  }
  if (b.greylist && ctx.attempt === 1) {
    const domain = address.slice(address.lastIndexOf('@') + 1);
    return {
      code: 450,
      message: `4.2.0 <${address}>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/${domain}.html`,
    };
  }
  if (b.rcpt) return b.rcpt(address, ctx);
  if (b.knownUsers) {
    const lower = address.toLowerCase();
    const local = lower.slice(0, lower.lastIndexOf('@'));
    const known = b.knownUsers.some((u) => {
      const k = u.toLowerCase();
      return k.includes('@') ? k === lower : k === local;
    });
    if (!known) {
      return {
        code: 550,
        message: `5.1.1 <${address}>: Recipient address rejected: User unknown in virtual mailbox table`,
      };
    }
  }
  return { code: 250, message: '2.1.5 Recipient ok' };
}
