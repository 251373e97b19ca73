import ipaddr from 'ipaddr.js';
import { DomainError } from '../errors.ts';
import type { Deps } from '../../deps.ts';
import { findKeyByHash } from '../../data/accounts.repository.ts';
import { hashApiKey, KEY_PATTERN, type KeyMode, type Scope } from './keys.ts';
import { planOf, type Plan } from '../billing/plans.ts';

export interface AuthContext {
  accountId: string;
  accountName: string;
  plan: Plan;
  keyId: string;
  mode: KeyMode;
  scopes: Scope[];
  expiresAt: Date | null;
  /** The account's own daily allowance of test-key emails; null: TEST_DAILY_LIMIT. */
  testDailyLimit: number | null;
  /** The account's own results retention in days; null: RESULTS_RETENTION_DAYS. */
  resultsRetentionDays: number | null;
}

export const MISSING_KEY_MESSAGE =
  "No API key. Send it as 'Authorization: Token <key>', 'Authorization: Bearer <key>', " +
  "an 'X-API-Key: <key>' header, or an '?api_key=<key>' query parameter.";

/** Resolves a presented key to its account, or throws the 401/403 of API.md. */
export async function authenticate(
  deps: Pick<Deps, 'db'>,
  presented: string | null,
  clientIp: string,
  now = new Date(),
): Promise<AuthContext> {
  if (!presented) throw new DomainError('MISSING_API_KEY', MISSING_KEY_MESSAGE);
  if (!KEY_PATTERN.test(presented))
    throw new DomainError('INVALID_API_KEY', 'The API key is not valid.');
  const key = await findKeyByHash(deps.db.prisma, hashApiKey(presented));
  if (!key) throw new DomainError('INVALID_API_KEY', 'The API key is not valid.');
  if (key.disabledAt) throw new DomainError('API_KEY_DISABLED', 'The API key has been disabled.');
  if (key.expiresAt && key.expiresAt <= now) {
    throw new DomainError('API_KEY_EXPIRED', 'The API key has expired.', {
      expiredAt: key.expiresAt.toISOString(),
    });
  }
  if (key.ipAllowlist.length > 0 && !ipAllowed(clientIp, key.ipAllowlist)) {
    throw new DomainError(
      'IP_NOT_ALLOWED',
      'Requests from this IP address are not allowed for this key.',
      { requestIp: plainIp(clientIp) },
    );
  }
  return {
    accountId: key.accountId,
    accountName: key.account.name,
    plan: planOf(key.account.plan, key.account.monthlyQuota),
    keyId: key.id,
    mode: key.mode as KeyMode,
    scopes: key.scopes as Scope[],
    expiresAt: key.expiresAt,
    testDailyLimit: key.account.testDailyLimit,
    resultsRetentionDays: key.account.resultsRetentionDays,
  };
}

export function requireScope(auth: AuthContext, scope: Scope): void {
  if (!auth.scopes.includes(scope)) {
    throw new DomainError('INSUFFICIENT_SCOPE', `This key lacks the '${scope}' scope.`, {
      requiredScope: scope,
      availableScopes: auth.scopes,
    });
  }
}

/** A client address as people write it: an IPv4-mapped IPv6 one (a dual-stack socket's `::ffff:a.b.c.d`) as IPv4. */
function parsePlain(ip: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const addr = ipaddr.parse(ip);
  return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()
    ? (addr as ipaddr.IPv6).toIPv4Address()
    : addr;
}

function plainIp(ip: string): string {
  return ipaddr.isValid(ip) ? parsePlain(ip).toString() : ip;
}

/** IPv4 and IPv6 addresses and CIDRs; an IPv4-mapped IPv6 client matches IPv4 entries. */
export function ipAllowed(clientIp: string, allowlist: string[]): boolean {
  if (!ipaddr.isValid(clientIp)) return false;
  const addr = parsePlain(clientIp);
  return allowlist.some((entry) => {
    try {
      const [range, bits] = entry.includes('/')
        ? ipaddr.parseCIDR(entry)
        : [ipaddr.parse(entry), ipaddr.parse(entry).kind() === 'ipv4' ? 32 : 128];
      let candidate = addr;
      if (range.kind() !== candidate.kind()) {
        if (range.kind() === 'ipv6' && candidate.kind() === 'ipv4') {
          candidate = (candidate as ipaddr.IPv4).toIPv4MappedAddress();
        } else return false;
      }
      return candidate.match(range, bits);
    } catch {
      return false;
    }
  });
}
