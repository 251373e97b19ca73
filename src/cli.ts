import { parseArgs } from 'node:util';
import { loadConfig } from './config/env.ts';
import { createDatabase } from './data/db.ts';
import { migrate } from './data/migrate.ts';
import {
  addCredits,
  createAccount,
  createApiKey,
  disableApiKey,
  updateAccountPlanOrQuota,
} from './domain/accounts/manage-accounts.ts';
import { DomainError } from './domain/errors.ts';
import { rotateWebhookSecret } from './domain/webhooks/rotate-secret.ts';
import { accountBody, accountPlanBody, keyBody } from './http/schemas/admin.schemas.ts';

const USAGE = `mailsift operator CLI (the same actions as the /admin routes)

  npm run cli -- create-account --name NAME [--plan free|hobby|growth|business] [--credits N]
  npm run cli -- create-key ACCOUNT_ID [--mode live|test] [--scopes validate:read,validate:write]
                             [--ip-allowlist 203.0.113.0/24,2001:db8::/32] [--expires-at ISO8601]
  npm run cli -- disable-key KEY_ID
  npm run cli -- add-credits ACCOUNT_ID AMOUNT
  npm run cli -- rotate-webhook-secret ACCOUNT_ID
  npm run cli -- set-plan ACCOUNT_ID [--plan free|hobby|growth|business] [--monthly-quota N|plan]
                             (--monthly-quota plan: back to the plan's quota)
  npm run cli -- migrate
`;

const list = (v: string | undefined) =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
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
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...args] = positionals;
  if (!command || values.help) {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  const config = loadConfig();
  await migrate(config.db.url);
  if (command === 'migrate') return 0;
  const db = createDatabase(config.db.url, 2);
  try {
    let out: unknown;
    switch (command) {
      case 'create-account': {
        const b = accountBody.parse({
          name: values.name,
          plan: values.plan,
          credits: values.credits ? Number(values.credits) : undefined,
        });
        out = await createAccount(db.prisma, {
          name: b.name,
          plan: b.plan as never,
          credits: b.credits,
        });
        break;
      }
      case 'create-key': {
        const b = keyBody.parse({
          mode: values.mode,
          scopes: list(values.scopes),
          ip_allowlist: list(values['ip-allowlist']),
          expires_at: values['expires-at'],
        });
        out = await createApiKey(db.prisma, args[0] ?? '', {
          mode: b.mode,
          scopes: b.scopes as never,
          ipAllowlist: b.ip_allowlist ?? [],
          expiresAt: b.expires_at ? new Date(b.expires_at) : null,
        });
        break;
      }
      case 'disable-key':
        out = await disableApiKey(db.prisma, args[0] ?? '');
        break;
      case 'add-credits':
        out = await addCredits(db.prisma, args[0] ?? '', Number(args[1]));
        break;
      case 'rotate-webhook-secret':
        out = await rotateWebhookSecret(db.prisma, args[0] ?? '');
        break;
      case 'set-plan': {
        const quota = values['monthly-quota'];
        const b = accountPlanBody.parse({
          plan: values.plan,
          monthly_quota: quota === undefined ? undefined : quota === 'plan' ? null : Number(quota),
        });
        out = await updateAccountPlanOrQuota(db.prisma, args[0] ?? '', {
          ...(b.plan !== undefined ? { plan: b.plan as never } : {}),
          ...(b.monthly_quota !== undefined ? { monthlyQuota: b.monthly_quota } : {}),
        });
        break;
      }
      default:
        process.stderr.write(`unknown command '${command}'\n\n${USAGE}`);
        return 2;
    }
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  } catch (err) {
    const message =
      err instanceof DomainError
        ? `${err.code}: ${err.message} ${JSON.stringify(err.details ?? {})}`
        : String(err);
    process.stderr.write(`${message}\n`);
    return 1;
  } finally {
    await db.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
