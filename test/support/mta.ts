/**
 * Real MTAs from Debian as MX hosts on loopback, for tests: Postfix (optionally behind
 * postscreen, with postgrey as its policy service), Exim and OpenSMTPD. Each instance is private:
 * its own config, queue / spool and log in a temp dir, listening on `host:port` only (all MX
 * hosts of a test share the engine's SMTP_PORT), never port 25, never the system services.
 * Installed by .ci/services/mta.sh (exim4 and opensmtpd unpacked in $MTA_ROOT beside postfix).
 *
 *   const port = await findFreePort(['127.0.0.231']);
 *   const pf = await startPostfix({ host: '127.0.0.231', port, domain: 'pf.test', users: ['alice'] });
 *   ... pf.log(), await pf.waitForLog(/disconnect from/), postfixSessions(pf.log())
 *   await pf.close(); // or stopAllMtas() in afterAll: every daemon started here, even on failure
 *
 * The daemons switch to their own users, so tests that use them run as root (the CI container).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from './harness.ts';

const run = promisify(execFile);

export const MTA_ROOT = process.env.MTA_ROOT ?? '/opt/mailsift-mta';
const BIN = {
  postfix: '/usr/sbin/postfix',
  master: '/usr/lib/postfix/sbin/master',
  postgrey: '/usr/sbin/postgrey',
  exim: `${MTA_ROOT}/exim4-daemon-light/usr/sbin/exim4`,
  smtpd: `${MTA_ROOT}/opensmtpd/usr/sbin/smtpd`,
  unshare: '/usr/bin/unshare',
};

/** Why the MTAs cannot run here, or null. */
export function mtasMissing(): string | null {
  if (process.getuid?.() !== 0) return 'the MTAs start as root (they switch to their own users)';
  for (const [name, file] of Object.entries(BIN)) {
    if (!fs.existsSync(file)) return `${name} is not installed (${file}): run .ci/services/mta.sh`;
  }
  return null;
}

export interface MtaHandle {
  name: string;
  host: string;
  port: number;
  dir: string;
  /** The MTA's own log so far. */
  log(): string;
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

// --- daemons ---------------------------------------------------------------------------------

interface Daemon {
  child: ChildProcess;
  exited: Promise<void>;
}

const live = new Set<Daemon>();
// A test that crashes must not leave MTAs behind: their process groups die with the runner.
process.once('exit', () => {
  for (const d of live) killGroup(d, 'SIGKILL');
});

function killGroup(d: Daemon, signal: NodeJS.Signals): void {
  try {
    if (d.child.pid) process.kill(-d.child.pid, signal);
  } catch {
    // already gone
  }
}

/** Starts a daemon in its own process group (it and its children are stopped together). */
function startDaemon(cmd: string, args: string[], logFile: string): Daemon {
  const out = fs.openSync(logFile, 'a');
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const d: Daemon = { child, exited };
  live.add(d);
  void exited.then(() => live.delete(d));
  return d;
}

async function stopDaemon(d: Daemon): Promise<void> {
  if (!live.has(d)) {
    killGroup(d, 'SIGKILL'); // children that outlived their leader
    return;
  }
  killGroup(d, 'SIGTERM');
  const bound = (ms: number) => new Promise<'late'>((r) => setTimeout(() => r('late'), ms).unref());
  if ((await Promise.race([d.exited.then(() => 'ok' as const), bound(15_000)])) === 'late') {
    killGroup(d, 'SIGKILL');
    await Promise.race([d.exited, bound(5_000)]);
  }
  // Children (smtpd, qmgr...) may outlive a master killed hard: the group goes too.
  killGroup(d, 'SIGKILL');
}

/** Stops every MTA this process started (afterAll), whatever state the tests left them in. */
export async function stopAllMtas(): Promise<void> {
  await Promise.all([...live].map(stopDaemon));
}

/** `host:port` in LISTEN state (from /proc/net/tcp: no probe connection that the MTA would log). */
function listening(host: string, port: number): boolean {
  const ip = host
    .split('.')
    .map((n) => Number(n).toString(16).padStart(2, '0'))
    .reverse()
    .join('');
  const local = `${ip}:${port.toString(16).padStart(4, '0')}`.toUpperCase();
  return fs
    .readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .some((line) => {
      const f = line.trim().split(/\s+/);
      return f[1] === local && f[3] === '0A';
    });
}

async function untilListening(
  d: Daemon,
  name: string,
  host: string,
  port: number,
  logFile: string,
): Promise<void> {
  let gone = false;
  void d.exited.then(() => (gone = true));
  try {
    await waitFor(
      async () => {
        if (gone) throw new Error(`${name} exited at start`);
        return listening(host, port);
      },
      { timeoutMs: 60_000, intervalMs: 100, what: `${name} listening on ${host}:${port}` },
    );
  } catch (err) {
    await stopDaemon(d);
    const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-2000) : '';
    throw new Error(`${(err as Error).message}\n${log}`, { cause: err });
  }
}

function handle(
  name: string,
  host: string,
  port: number,
  dir: string,
  logFile: string,
  daemons: Daemon[],
): MtaHandle {
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  return {
    name,
    host,
    port,
    dir,
    log,
    async waitForLog(pattern, timeoutMs = 30_000) {
      await waitFor(async () => pattern.test(log()), {
        timeoutMs,
        intervalMs: 100,
        what: `${name} log ${pattern}`,
      });
    },
    async close() {
      for (const d of daemons) await stopDaemon(d);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function tempDir(name: string): Promise<string> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), `mailsift-${name}-`));
  await fs.promises.chmod(dir, 0o755); // the daemons' own users walk through it
  return dir;
}

async function chownTo(user: string, ...dirs: string[]): Promise<void> {
  for (const d of dirs) await run('chown', ['-R', `${user}:`, d]);
}

// --- postgrey ------------------------------------------------------------------------------

export interface PostgreyHandle extends MtaHandle {
  /** `inet:127.0.0.1:PORT`, for Postfix's check_policy_service. */
  policyService: string;
}

/** postgrey on 127.0.0.1 (a free port): greylists each new (client, sender, recipient) once. */
export async function startPostgrey(opts: { port: number; delaySeconds: number }) {
  const dir = await tempDir('postgrey');
  const db = path.join(dir, 'db');
  await fs.promises.mkdir(db);
  await chownTo('postgrey', db);
  const logFile = path.join(dir, 'postgrey.log');
  const d = startDaemon(
    BIN.postgrey,
    [
      `--inet=127.0.0.1:${opts.port}`,
      `--dbdir=${db}`,
      `--delay=${opts.delaySeconds}`,
      '--auto-whitelist-clients=0',
      `--pidfile=${path.join(dir, 'postgrey.pid')}`,
    ],
    logFile,
  );
  await untilListening(d, 'postgrey', '127.0.0.1', opts.port, logFile);
  return {
    ...handle('postgrey', '127.0.0.1', opts.port, dir, logFile, [d]),
    policyService: `inet:127.0.0.1:${opts.port}`,
  } satisfies PostgreyHandle;
}

// --- Postfix -------------------------------------------------------------------------------

export interface PostfixOptions {
  host: string;
  port: number;
  /** The virtual mailbox domain; `users` are its mailboxes (others: 550 5.1.1 User unknown). */
  domain: string;
  users: string[];
  /** check_policy_service after reject_unauth_destination (greylisting). */
  postgrey?: PostgreyHandle;
  /** postscreen in front of smtpd (pregreet test enforced). */
  postscreen?: boolean;
  /** smtpd_delay_reject = no + reject_non_fqdn_helo_hostname: EHLO itself gets `504 5.5.2`. */
  rejectNonFqdnHelo?: boolean;
}

/**
 * A private Postfix: main.cf with Postfix's DEFAULT error limits (smtpd_soft_error_limit 10,
 * smtpd_hard_error_limit 20, smtpd_error_sleep_time 1s: nothing about them is set here), a
 * virtual mailbox domain, and a master.cf without chroot listening on host:port only.
 */
export async function startPostfix(o: PostfixOptions): Promise<MtaHandle> {
  const dir = await tempDir('postfix');
  const etc = path.join(dir, 'etc');
  const data = path.join(dir, 'data');
  for (const d of [etc, data, path.join(dir, 'queue'), path.join(dir, 'vmail')]) {
    await fs.promises.mkdir(d);
  }
  await chownTo('postfix', data);
  const logFile = path.join(dir, 'maillog');
  const restrictions = ['reject_unauth_destination'];
  if (o.postgrey) restrictions.push(`check_policy_service ${o.postgrey.policyService}`);
  const main = [
    'compatibility_level = 3.6',
    `queue_directory = ${dir}/queue`,
    `data_directory = ${data}`,
    'mail_owner = postfix',
    'setgid_group = postdrop',
    `myhostname = mx.${o.domain}`,
    `mydomain = ${o.domain}`,
    'mydestination =',
    // The probe connects from 127.0.0.1: not a trusted client.
    'mynetworks = 192.0.2.1/32',
    'inet_interfaces = loopback-only',
    'inet_protocols = ipv4',
    `maillog_file = ${logFile}`,
    `maillog_file_prefixes = ${dir}`,
    'alias_maps =',
    'alias_database =',
    `virtual_mailbox_domains = ${o.domain}`,
    `virtual_mailbox_maps = texthash:${etc}/vmailbox`,
    `virtual_mailbox_base = ${dir}/vmail`,
    'virtual_uid_maps = static:65534',
    'virtual_gid_maps = static:65534',
    `smtpd_recipient_restrictions = ${restrictions.join(', ')}`,
    ...(o.rejectNonFqdnHelo
      ? [
          'smtpd_delay_reject = no',
          'smtpd_helo_required = yes',
          'smtpd_helo_restrictions = reject_non_fqdn_helo_hostname',
        ]
      : []),
    ...(o.postscreen ? ['postscreen_greet_action = enforce', 'postscreen_greet_wait = 2s'] : []),
  ];
  await fs.promises.writeFile(path.join(etc, 'main.cf'), main.join('\n') + '\n');
  await fs.promises.writeFile(
    path.join(etc, 'vmailbox'),
    o.users.map((u) => `${u}@${o.domain} ${o.domain}/${u}/`).join('\n') + '\n',
  );
  const listen = `${o.host}:${o.port}`;
  const services = [
    ...(o.postscreen
      ? [
          `${listen} inet n - n - 1 postscreen`,
          'smtpd pass - - n - - smtpd',
          'dnsblog unix - - n - 0 dnsblog',
          'tlsproxy unix - - n - 0 tlsproxy',
        ]
      : [`${listen} inet n - n - - smtpd`]),
    'cleanup unix n - n - 0 cleanup',
    'qmgr unix n - n 300 1 qmgr',
    'rewrite unix - - n - - trivial-rewrite',
    'bounce unix - - n - 0 bounce',
    'defer unix - - n - 0 bounce',
    'trace unix - - n - 0 bounce',
    'verify unix - - n - 1 verify',
    'proxymap unix - - n - - proxymap',
    'anvil unix - - n - 1 anvil',
    'scache unix - - n - 1 scache',
    'postlog unix-dgram n - n - 1 postlogd',
    'error unix - - n - - error',
    'retry unix - - n - - error',
    'discard unix - - n - - discard',
    'virtual unix - n n - - virtual',
  ];
  await fs.promises.writeFile(path.join(etc, 'master.cf'), services.join('\n') + '\n');
  // `postfix check` creates the queue directories with their owners and modes.
  await run(BIN.postfix, ['-c', etc, 'check']).catch((err: Error & { stderr?: string }) => {
    throw new Error(`postfix check failed: ${err.stderr ?? err.message}`);
  });
  const d = startDaemon(BIN.master, ['-c', etc, '-d'], path.join(dir, 'master.out'));
  await untilListening(d, 'postfix', o.host, o.port, logFile);
  const h = handle('postfix', o.host, o.port, dir, logFile, [d]);
  await h.waitForLog(/daemon started/);
  return h;
}

/** Postfix smtpd's `disconnect from` lines: one per session, with its command counts. */
export function postfixSessions(log: string) {
  return [...log.matchAll(/postfix\/smtpd\[\d+\]: disconnect from \S+ (.*)$/gm)].map((m) => {
    const counts = m[1] as string;
    const rcpt = /\brcpt=(\d+)(?:\/(\d+))?/.exec(counts);
    return {
      line: counts,
      quit: /\bquit=1\b/.test(counts),
      data: /\b(data|bdat)=/.test(counts),
      /** RCPT commands accepted / sent. */
      rcptAccepted: Number(rcpt?.[1] ?? 0),
      rcptSent: Number(rcpt?.[2] ?? rcpt?.[1] ?? 0),
    };
  });
}

// --- Exim ----------------------------------------------------------------------------------

export interface EximOptions {
  host: string;
  port: number;
  domain: string;
  users: string[];
  /**
   * A dictionary-attack guard of the kind Exim admins add: `drop` (reply and close) once more
   * than this many recipients failed in the session.
   */
  dropAfterFailedRcpts?: number;
}

/** A private Exim daemon: Debian-like RCPT ACL (relay check, verify = recipient). */
export async function startExim(o: EximOptions): Promise<MtaHandle> {
  const dir = await tempDir('exim');
  const spool = path.join(dir, 'spool');
  const logs = path.join(dir, 'log');
  await fs.promises.mkdir(spool);
  await fs.promises.mkdir(logs);
  await chownTo('Debian-exim', spool, logs);
  await fs.promises.writeFile(path.join(dir, 'users'), o.users.join('\n') + '\n');
  const drop =
    o.dropAfterFailedRcpts === undefined
      ? []
      : [
          '  drop    message = Too many unknown recipients',
          `          condition = \${if >{$rcpt_fail_count}{${o.dropAfterFailedRcpts}}}`,
        ];
  const conf = [
    'keep_environment =',
    `primary_hostname = mx.${o.domain}`,
    `domainlist local_domains = ${o.domain}`,
    `local_interfaces = <; ${o.host}.${o.port}`,
    `spool_directory = ${spool}`,
    `log_file_path = ${logs}/%slog`,
    `pid_file_path = ${dir}/exim.pid`,
    'host_lookup =',
    'rfc1413_hosts =',
    'tls_advertise_hosts =',
    'queue_only = true',
    'acl_smtp_rcpt = acl_check_rcpt',
    'log_selector = +smtp_connection +smtp_no_mail +incoming_interface',
    '',
    'begin acl',
    'acl_check_rcpt:',
    ...drop,
    '  require message = relay not permitted',
    '          domains = +local_domains',
    '  require verify = recipient',
    '  accept',
    '',
    'begin routers',
    'known:',
    '  driver = accept',
    '  domains = +local_domains',
    `  local_parts = lsearch;${dir}/users`,
    '  transport = devnull',
    '',
    'begin transports',
    'devnull:',
    '  driver = appendfile',
    '  file = /dev/null',
  ];
  const confFile = path.join(dir, 'exim.conf');
  await fs.promises.writeFile(confFile, conf.join('\n') + '\n', { mode: 0o644 });
  const logFile = path.join(logs, 'mainlog');
  const d = startDaemon(BIN.exim, ['-C', confFile, '-bdf'], path.join(dir, 'exim.out'));
  await untilListening(d, 'exim', o.host, o.port, path.join(dir, 'exim.out'));
  return handle('exim', o.host, o.port, dir, logFile, [d]);
}

// --- OpenSMTPD -----------------------------------------------------------------------------

/**
 * A private OpenSMTPD with the standard virtual-domain setup (a `virtual` table of users). Its
 * spool (/var/spool/smtpd) and control socket (/run/smtpd.sock) are compiled in, so it runs in a
 * mount namespace of its own (`unshare -m`) where both are bind-mounted from the temp dir.
 */
export async function startOpenSmtpd(o: {
  host: string;
  port: number;
  domain: string;
  users: string[];
}): Promise<MtaHandle> {
  const dir = await tempDir('opensmtpd');
  const spool = path.join(dir, 'spool');
  const runDir = path.join(dir, 'run');
  await fs.promises.mkdir(spool, { mode: 0o711 });
  await fs.promises.chmod(spool, 0o711); // smtpd insists on rwx--x--x
  await fs.promises.mkdir(runDir);
  await fs.promises.mkdir(path.join(dir, 'mail'));
  await fs.promises.writeFile(
    path.join(dir, 'users'),
    o.users.map((u) => `${u}@${o.domain} nobody`).join('\n') + '\n',
    { mode: 0o644 },
  );
  const confFile = path.join(dir, 'smtpd.conf');
  await fs.promises.writeFile(
    confFile,
    [
      `table vusers file:${dir}/users`,
      `listen on ${o.host} port ${o.port} hostname mx.${o.domain}`,
      `action "vmail" maildir "${dir}/mail/%{dest.user}" virtual <vusers>`,
      `match from any for domain "${o.domain}" action "vmail"`,
    ].join('\n') + '\n',
    { mode: 0o644 },
  );
  const logFile = path.join(dir, 'smtpd.log');
  const script = [
    `mount --bind ${runDir} /run`,
    `mount --bind ${spool} /var/spool/smtpd`,
    `exec ${BIN.smtpd} -d -f ${confFile}`,
  ].join(' && ');
  const d = startDaemon(
    BIN.unshare,
    ['-m', '--propagation', 'private', 'sh', '-c', script],
    logFile,
  );
  await untilListening(d, 'opensmtpd', o.host, o.port, logFile);
  return handle('opensmtpd', o.host, o.port, dir, logFile, [d]);
}
