/**
 * Who runs a domain's mail, known from its MX host names: the mailbox provider behind it
 * (Google, Microsoft, Yahoo...) and the security gateway in front of it (Mimecast, Proofpoint...).
 * The table is data: add a row to know a new one. docs/providers.md gives the public source of
 * every rule; keep the two together.
 *
 * `mx` lists host name suffixes: `.yahoodns.net` matches any name under yahoodns.net, and a
 * name without a leading dot matches that host and every name under it. The first row that
 * matches wins, so a narrower family (Gmail's consumer MX) comes before its wider one (Google).
 */

/** What an accepted RCPT TO means at this provider. */
export type RcptTrust =
  /** Accepted means what it says; the catch-all probe finds the domains that accept anything. */
  | 'normal'
  /**
   * Every address of every domain on these hosts is a real account or is refused at RCPT
   * (no catch-all routing exists there): the catch-all probe is skipped and `catch_all` is false.
   */
  | 'reliable'
  /** RCPT accepts any address and bounces later: an accepted address is `risky / catch_all`. */
  | 'accepts_all';

export interface MailService {
  /** Reported in `checks.provider` / `checks.gateway`. Several rows may share one id. */
  id: string;
  name: string;
  kind: 'mailbox' | 'gateway';
  mx: readonly string[];
  rcpt: RcptTrust;
  /**
   * Unknown recipients are deferred (4xx) rather than refused: a made-up address deferred with
   * words that call it invalid or unknown (Mimecast's default "451 Invalid Recipient") shows the
   * domain validates its recipients, i.e. it is not a catch-all.
   */
  unknownDeferred?: boolean;
  /**
   * 452 answers (Microsoft's "4.5.3 Recipients belong to multiple regions") end the session's
   * recipient budget like "too many recipients": the next addresses go on in a new session.
   */
  newSessionOn452?: boolean;
}

const mailbox = (
  id: string,
  name: string,
  mx: string[],
  rcpt: RcptTrust = 'normal',
  extra: Partial<MailService> = {},
): MailService => ({ id, name, kind: 'mailbox', mx, rcpt, ...extra });

const gateway = (
  id: string,
  name: string,
  mx: string[],
  extra: Partial<MailService> = {},
): MailService => ({ id, name, kind: 'gateway', mx, rcpt: 'normal', ...extra });

export const MAIL_SERVICES: readonly MailService[] = [
  // --- mailbox providers -----------------------------------------------------------------
  // gmail.com / googlemail.com only: every address is a Google account, no catch-all routing.
  mailbox('google', 'Gmail', ['gmail-smtp-in.l.google.com'], 'reliable'),
  // Google Workspace: customers may route unknown addresses to a catch-all mailbox.
  mailbox('google', 'Google Workspace', ['.google.com', '.googlemail.com']),
  // Outlook.com / Hotmail / Live consumer domains.
  mailbox('microsoft', 'Outlook.com', ['.olc.protection.outlook.com'], 'reliable', {
    newSessionOn452: true,
  }),
  // Exchange Online / Microsoft 365 tenants (directory-based edge blocking may be turned off).
  mailbox('microsoft', 'Microsoft 365', ['.protection.outlook.com', '.mx.microsoft'], 'normal', {
    newSessionOn452: true,
  }),
  mailbox('yahoo', 'Yahoo / AOL', ['.yahoodns.net', '.aol.com', '.yahoo.com'], 'accepts_all'),
  mailbox('apple', 'iCloud', ['.mail.icloud.com', '.me.com', '.mac.com']),
  mailbox('zoho', 'Zoho Mail', [
    '.zoho.com',
    '.zoho.eu',
    '.zoho.in',
    '.zoho.com.au',
    '.zoho.jp',
    '.zohomail.com',
  ]),
  mailbox('proton', 'Proton Mail', ['.protonmail.ch', '.proton.me']),
  mailbox('yandex', 'Yandex Mail', ['.yandex.net', '.yandex.ru']),
  mailbox('mailru', 'Mail.ru', ['.mail.ru']),
  mailbox('gmx', 'GMX / WEB.DE', ['.gmx.net', '.gmx.com', '.gmx.de', '.web.de']),
  mailbox('ionos', 'IONOS (1&1)', ['.kundenserver.de', '.ionos.com', '.ionos.de', '.1and1.com']),
  mailbox('fastmail', 'Fastmail', ['.messagingengine.com', '.fastmail.com']),
  mailbox('tuta', 'Tuta (Tutanota)', ['.tutanota.de', '.tuta.com']),
  mailbox('qq', 'Tencent QQ Mail', ['.qq.com']),
  mailbox('netease', 'NetEase (163 / 126)', ['.netease.com', '.163.com', '.126.com']),
  mailbox('naver', 'Naver', ['.naver.com']),
  mailbox('comcast', 'Comcast Xfinity', ['.comcast.net']),
  mailbox('att', 'AT&T', ['.prodigy.net', '.att.net']),
  mailbox('orange', 'Orange / Wanadoo', ['.orange.fr', '.wanadoo.fr']),
  mailbox('laposte', 'La Poste', ['.laposte.net']),
  mailbox('free', 'Free', ['.free.fr']),
  mailbox('t-online', 'T-Online', ['.t-online.de']),
  mailbox('seznam', 'Seznam', ['.seznam.cz']),
  mailbox('ovh', 'OVHcloud', ['.mail.ovh.net', '.ovh.net']),
  mailbox('godaddy', 'GoDaddy', ['.secureserver.net']),
  mailbox('rackspace', 'Rackspace Email', ['.emailsrvr.com']),
  mailbox('namecheap', 'Namecheap Private Email', ['.privateemail.com']),
  mailbox('amazon-workmail', 'Amazon WorkMail / SES', ['.amazonaws.com']),

  // --- security gateways -----------------------------------------------------------------
  gateway('mimecast', 'Mimecast', ['.mimecast.com', '.mimecast.co.za', '.mimecast-offshore.com'], {
    unknownDeferred: true,
  }),
  gateway('proofpoint', 'Proofpoint', ['.pphosted.com', '.ppe-hosted.com', '.proofpoint.com']),
  gateway('barracuda', 'Barracuda', [
    '.barracudanetworks.com',
    '.ess.barracuda.com',
    '.cudamail.com',
  ]),
  gateway('cisco', 'Cisco Secure Email (IronPort)', ['.iphmx.com', '.ironport.com']),
  gateway('trendmicro', 'Trend Micro', [
    '.trendmicro.com',
    '.trendmicro.eu',
    '.tmes.trendmicro.com',
  ]),
  gateway('sophos', 'Sophos', ['.sophos.com', '.hydra.sophos.com']),
  gateway('forcepoint', 'Forcepoint', ['.mailcontrol.com']),
  gateway('broadcom', 'Symantec / Broadcom Email Security.cloud', ['.messagelabs.com']),
  gateway('fortinet', 'Fortinet FortiMail Cloud', ['.fortimailcloud.com']),
  gateway('spamexperts', 'SpamExperts (N-able Mail Assure)', [
    '.antispamcloud.com',
    '.spamexperts.com',
  ]),
  gateway('hornetsecurity', 'Hornetsecurity', ['.hornetsecurity.com']),
  gateway('trellix', 'Trellix (FireEye) Email Security', ['.fireeyecloud.com']),
  gateway('zerospam', 'ZEROSPAM', ['.zerospam.ca']),
  gateway('mailchannels', 'MailChannels', ['.mailchannels.net']),
  gateway('spamtitan', 'SpamTitan', ['.spamtitan.com']),
  gateway('abnormal', 'Abnormal Security', ['.abnormalsecurity.com']),
  gateway('avanan', 'Check Point Harmony Email (Avanan)', ['.avanan.net']),
];

function matches(host: string, suffix: string): boolean {
  if (suffix.startsWith('.')) return host.endsWith(suffix);
  return host === suffix || host.endsWith(`.${suffix}`);
}

/** The table row that a host name belongs to, if any. */
export function serviceOfHost(host: string): MailService | null {
  const h = host.toLowerCase().replace(/\.$/, '');
  return MAIL_SERVICES.find((s) => s.mx.some((suffix) => matches(h, suffix))) ?? null;
}

export interface DomainServices {
  /** The mailbox provider serving the domain (the primary MX's, else any MX's). */
  provider: MailService | null;
  /** The security gateway the domain's mail goes through (its MX host is the gateway's). */
  gateway: MailService | null;
}

/**
 * Detects the provider and the gateway from a domain's MX hosts. Only the most preferred hosts
 * decide (RFC 5321 5.1: they receive the mail; a backup MX elsewhere says nothing about who
 * holds the mailboxes). Hosts are in preference order, as `DnsResolver` returns them.
 */
export function detectServices(
  hosts: readonly { exchange: string; preference: number }[],
): DomainServices {
  // Every address of a domain asks with the same answer (the resolver's cached host list):
  // the table is walked once per answer, not once per address (issue 13: 4 % of a quick job's CPU).
  let services = servicesOfHosts.get(hosts);
  if (!services) {
    services = detectServicesOnce(hosts);
    servicesOfHosts.set(hosts, services);
  }
  return services;
}

const servicesOfHosts = new WeakMap<object, DomainServices>();

function detectServicesOnce(
  hosts: readonly { exchange: string; preference: number }[],
): DomainServices {
  const best = hosts[0]?.preference;
  let provider: MailService | null = null;
  let found: MailService | null = null;
  for (const host of hosts) {
    if (host.preference !== best) break;
    const s = serviceOfHost(host.exchange);
    if (s?.kind === 'gateway') found ??= s;
    else if (s) provider ??= s;
  }
  return { provider, gateway: found };
}

/** The rules that govern probes of a domain: the gateway's when there is one (it answers RCPT). */
export function answeringService(services: DomainServices): MailService | null {
  return services.gateway ?? services.provider;
}

/**
 * The key under which probes to a domain's hosts are paced (fleet-wide pauses after a
 * throttling answer): the answering service's id, else the MX host itself.
 */
export function pacingKey(services: DomainServices, mxHost: string): string {
  const s = answeringService(services);
  return s ? `service:${s.id}` : `host:${mxHost.toLowerCase()}`;
}
