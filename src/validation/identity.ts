import { isIP } from 'node:net';
import { isDisposableDomain, isFreeProvider } from './lists.ts';
import { parseAddress } from './syntax.ts';
import type { EngineConfig } from './engine.ts';

/**
 * The name the probe gives itself (HELO) and the sender it announces (MAIL FROM). Receiving
 * servers check both: a HELO that is not a resolvable FQDN, or a MAIL FROM at gmail.com sent from
 * our IP (an SPF fail for gmail.com), gets the prober blocked everywhere, and every verdict
 * becomes unknown/blocked. So production refuses to start with such an identity.
 */

function problemWithDomain(domain: string): string | null {
  const parsed = parseAddress(`probe@${domain}`);
  if (!parsed.valid || parsed.domainLiteral || parsed.domain === null || isIP(domain)) {
    return 'is not a fully qualified domain name';
  }
  const d = parsed.domain;
  if (/(^|\.)(localhost|local|localdomain|internal|test|example|invalid|lan|home)$/.test(d)) {
    return 'is not a public domain name';
  }
  const labels = d.split('.');
  for (let i = 0; i < labels.length - 1; i++) {
    const candidate = labels.slice(i).join('.');
    if (isFreeProvider(candidate)) return `belongs to the mailbox provider ${candidate}`;
    if (isDisposableDomain(candidate)) return `belongs to the disposable provider ${candidate}`;
  }
  return null;
}

/** Throws an Error naming SMTP_HELO_NAME / SMTP_MAIL_FROM when production would probe as nobody. */
export function assertProbeIdentity(config: EngineConfig): void {
  if (!config.production) return;
  const problems: string[] = [];
  const identities = [
    { helo: config.smtp.heloName, from: config.smtp.mailFrom, where: '' },
    // Each route's own identity (SMTP_ROUTES helo= / from=) faces receiving servers too.
    ...(config.smtp.routes ?? []).map((r) => ({
      helo: r.heloName ?? config.smtp.heloName,
      from: r.mailFrom ?? config.smtp.mailFrom,
      where: ` (SMTP_ROUTES, via ${r.via})`,
    })),
  ];
  for (const id of identities) {
    const helo = id.helo.trim();
    const heloProblem = problemWithDomain(helo);
    if (heloProblem) problems.push(`SMTP_HELO_NAME "${helo}"${id.where} ${heloProblem}`);
    const from = parseAddress(id.from);
    if (!from.valid || from.domain === null) {
      problems.push(`SMTP_MAIL_FROM "${id.from}"${id.where} is not an email address`);
    } else {
      const fromProblem = problemWithDomain(from.domain);
      if (fromProblem)
        problems.push(`SMTP_MAIL_FROM "${id.from}"${id.where}: its domain ${fromProblem}`);
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `The SMTP probe identity is not usable in production (set a domain you control, with SPF ` +
        `and a PTR record for the probing IP):\n  ${problems.join('\n  ')}`,
    );
  }
}
