import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { loadConfig } from './config/env.ts';
import { createDatabase } from './data/db.ts';
import { migrate } from './data/migrate.ts';
import type { Deps } from './deps.ts';
import { setAccountRetention } from './domain/accounts/account-retention.ts';
import { listAccountKeys, listAccountsPage } from './domain/accounts/list-accounts.ts';
import {
  addCredits,
  createAccount,
  createApiKey,
  disableApiKey,
  updateAccountPlanOrQuota,
} from './domain/accounts/manage-accounts.ts';
import { DomainError } from './domain/errors.ts';
import { rotateWebhookSecret } from './domain/webhooks/rotate-secret.ts';
import {
  accountBody,
  accountPlanBody,
  creditsBody,
  keyBody,
  listAccountsQuery,
} from './http/schemas/admin.schemas.ts';

/**
 * The operator CLI: the actions of the /admin routes, against the database directly. Answers are
 * JSON on stdout (for scripts); errors are one readable line per problem on stderr. Exit codes:
 * 0 done, 1 refused (a bad value, an unknown account), 2 a usage error (what to type instead).
 */
const PLANS = 'free|hobby|growth|business';
const commands = {
  'create-account': {
    args: [],
    usage: `create-account --name NAME [--plan ${PLANS}] [--credits N]`,
    about:
      'Creates an account with a live and a test key; prints the keys (shown once) and their ids.',
  },
  'list-accounts': {
    args: [],
    usage: 'list-accounts [--limit N] [--starting-after ACCOUNT_ID]',
    about:
      'Lists accounts, newest first (20 by default, 100 at most), with plan, balance and quota.',
  },
  'create-key': {
    args: ['ACCOUNT_ID'],
    usage:
      'create-key ACCOUNT_ID [--mode live|test] [--scopes validate:read,validate:write]\n' +
      '             [--ip-allowlist 203.0.113.0/24,2001:db8::/32] [--expires-at ISO8601]',
    about: 'Creates an API key; prints it (shown once) and its id.',
  },
  'list-keys': {
    args: ['ACCOUNT_ID'],
    usage: 'list-keys ACCOUNT_ID',
    about: "Lists an account's keys: ids, modes, prefixes, scopes, whether disabled or expired.",
  },
  'disable-key': {
    args: ['KEY_ID'],
    usage: 'disable-key KEY_ID',
    about: 'Disables a key at once (list-keys shows the ids).',
  },
  'add-credits': {
    args: ['ACCOUNT_ID', 'AMOUNT'],
    usage: 'add-credits ACCOUNT_ID AMOUNT',
    about: 'Adds credits (a negative AMOUNT takes some back); prints the balance.',
  },
  'set-plan': {
    args: ['ACCOUNT_ID'],
    usage: `set-plan ACCOUNT_ID [--plan ${PLANS}] [--monthly-quota N|plan]`,
    about:
      "Changes the plan and/or gives the account its own monthly quota (plan: the plan's again).",
  },
  'set-retention': {
    args: ['ACCOUNT_ID', 'DAYS'],
    usage: 'set-retention ACCOUNT_ID DAYS|default',
    about:
      "Keeps the account's jobs DAYS days after they end (default: RESULTS_RETENTION_DAYS again).\n" +
      'Applies at once to its existing jobs: those past the new expiry become 404 and are purged.',
  },
  'rotate-webhook-secret': {
    args: ['ACCOUNT_ID'],
    usage: 'rotate-webhook-secret ACCOUNT_ID',
    about: 'Makes a new webhook secret; the previous one keeps signing for 24 hours.',
  },
  migrate: {
    args: [],
    usage: 'migrate',
    about: 'Applies the migrations (every command does so first).',
  },
} as const;
type Command = keyof typeof commands;

const USAGE = `mailsift operator CLI (the same actions as the /admin routes)

${Object.values(commands)
  .map((c) => `  npm run cli -- ${c.usage}`)
  .join('\n')}

  npm run cli -- COMMAND --help   what a command does
`;

/** Thrown for a command line that cannot run as typed: exit 2, with the command's usage. */
class UsageError extends Error {}

const usageOf = (c: Command) =>
  `usage: npm run cli -- ${commands[c].usage}\n\n${commands[c].about}\n`;

const list = (v: string | undefined) =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;

/** A number typed on the command line, or a refusal naming the option. */
function num(v: string | undefined, option: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) {
    throw new DomainError('VALIDATION_ERROR', `${option}: '${v}' is not a number.`);
  }
  return n;
}

/** The option an API field is typed as here: `ip_allowlist` -> `--ip-allowlist`. */
const OPTION_OF: Record<string, string> = { amount: 'AMOUNT', results_retention_days: 'DAYS' };
const optionOf = (field: string) => OPTION_OF[field] ?? `--${field.replaceAll('_', '-')}`;

/** Parses with an admin schema; its complaints become lines naming the options. */
function check<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => {
    const field = i.path.length > 0 ? optionOf(String(i.path[0])) : null;
    return field ? `${field}: ${i.message}` : i.message;
  });
  throw new DomainError('VALIDATION_ERROR', lines.join('\n'));
}

function describe(err: unknown): string {
  if (!(err instanceof DomainError)) return `error: ${String(err)}`;
  const fields = (err.details as { fields?: Record<string, unknown> } | undefined)?.fields;
  const extra = fields
    ? Object.entries(fields).map(([f, m]) => `  ${optionOf(f)}: ${[m].flat().join(' ')}`)
    : [];
  return [`error: ${err.message} (${err.code})`, ...extra].join('\n');
}

/**
 * parseArgs reads `-3` as an option: a negative number is kept as a positional (a NUL cannot
 * occur in an argument, so the mark is unambiguous) and the command's own check refuses it.
 */
const NEGATIVE = /^-\d/;
const MARK = '\u0000';
const markNegatives = (argv: string[]) => argv.map((a) => (NEGATIVE.test(a) ? MARK + a : a));
const unmark = (a: string) => (a.startsWith(MARK) ? a.slice(1) : a);

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: markNegatives(argv),
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        plan: { type: 'string' },
        credits: { type: 'string' },
        mode: { type: 'string' },
        scopes: { type: 'string' },
        'ip-allowlist': { type: 'string' },
        'expires-at': { type: 'string' },
        'monthly-quota': { type: 'string' },
        limit: { type: 'string' },
        'starting-after': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const values = Object.fromEntries(
    Object.entries(parsed.values).map(([k, v]) => [k, typeof v === 'string' ? unmark(v) : v]),
  ) as typeof parsed.values;
  const [name, ...args] = parsed.positionals.map(unmark);
  if (!name) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  if (!(name in commands)) {
    process.stderr.write(`error: unknown command '${name}'\n\n${USAGE}`);
    return 2;
  }
  const command = name as Command;
  if (values.help) {
    process.stdout.write(usageOf(command));
    return 0;
  }
  const wanted: readonly string[] = commands[command].args;
  if (args.length < wanted.length) {
    const missing = wanted.slice(args.length).join(' and ');
    process.stderr.write(`error: ${command} needs ${missing}\n${usageOf(command)}`);
    return 2;
  }
  if (args.length > wanted.length) {
    process.stderr.write(`error: unexpected '${args[wanted.length]}'\n${usageOf(command)}`);
    return 2;
  }

  const config = loadConfig();
  await migrate(config.db.url);
  if (command === 'migrate') return 0;
  const db = createDatabase(config.db.url, 2);
  try {
    const out = await run({ db, config }, command, args, values);
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n${usageOf(command)}`);
      return 2;
    }
    process.stderr.write(`${describe(err)}\n`);
    return 1;
  } finally {
    await db.close();
  }
}

type Values = Record<string, string | boolean | undefined>;
async function run(
  deps: Pick<Deps, 'db' | 'config'>,
  command: Command,
  args: string[],
  values: Values,
) {
  const s = (k: string) => values[k] as string | undefined;
  const id = args[0] ?? '';
  switch (command) {
    case 'create-account': {
      if (s('name') === undefined) throw new UsageError('create-account needs --name');
      const b = check(accountBody, {
        name: s('name'),
        plan: s('plan'),
        credits: num(s('credits'), '--credits'),
      });
      return createAccount(deps, { name: b.name, plan: b.plan as never, credits: b.credits });
    }
    case 'list-accounts': {
      const q = check(listAccountsQuery, {
        limit: s('limit'),
        starting_after: s('starting-after'),
      });
      return listAccountsPage(deps, {
        limit: q.limit,
        ...(q.starting_after ? { startingAfter: q.starting_after } : {}),
      });
    }
    case 'create-key': {
      const b = check(keyBody, {
        mode: s('mode'),
        scopes: list(s('scopes')),
        ip_allowlist: list(s('ip-allowlist')),
        expires_at: s('expires-at'),
      });
      return createApiKey(deps, id, {
        mode: b.mode,
        scopes: b.scopes as never,
        ipAllowlist: b.ip_allowlist ?? [],
        expiresAt: b.expires_at ? new Date(b.expires_at) : null,
      });
    }
    case 'list-keys':
      return listAccountKeys(deps, id);
    case 'disable-key':
      return disableApiKey(deps, id);
    case 'add-credits': {
      const b = check(creditsBody, { amount: num(args[1], 'AMOUNT') });
      return addCredits(deps, id, b.amount);
    }
    case 'rotate-webhook-secret':
      return rotateWebhookSecret(deps, id);
    case 'set-plan': {
      const quota = s('monthly-quota');
      if (s('plan') === undefined && quota === undefined) {
        throw new UsageError('set-plan needs --plan, --monthly-quota or both');
      }
      const b = check(accountPlanBody, {
        plan: s('plan'),
        monthly_quota: quota === 'plan' ? null : num(quota, '--monthly-quota'),
      });
      return updateAccountPlanOrQuota(deps, id, {
        ...(b.plan !== undefined ? { plan: b.plan as never } : {}),
        ...(b.monthly_quota !== undefined ? { monthlyQuota: b.monthly_quota } : {}),
      });
    }
    case 'set-retention': {
      const days = args[1]!;
      const b = check(accountPlanBody, {
        results_retention_days: days === 'default' ? null : num(days, 'DAYS'),
      });
      return setAccountRetention(deps, id, b.results_retention_days ?? null);
    }
    case 'migrate':
      return null;
  }
}

process.exitCode = await main(process.argv.slice(2));
