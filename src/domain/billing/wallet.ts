import { creditBalance, moveCredits } from '../../data/accounts.repository.ts';
import type { Deps } from '../../deps.ts';
import { DomainError } from '../errors.ts';

/**
 * Credit movements outside jobs (jobs reserve in create-job and settle in settle-job). Every
 * movement goes through moveCredits, which writes its ledger line in the same statement, so the
 * ledger always sums to the balance.
 *
 * Ledger kinds: `topup` / `adjustment` (operators), `reserve` + `refund` (jobs: reserved at
 * creation, the unearned part refunded when the job ends), `charge` + `refund` (synchronous
 * validation: charged before verifying, `unknown` verdicts refunded in the same request).
 */

type WalletDeps = Pick<Deps, 'db'>;

export async function balanceOf(deps: WalletDeps, accountId: string): Promise<number> {
  return creditBalance(deps.db, accountId);
}

/** Takes `amount` credits now, or throws 402 INSUFFICIENT_CREDITS with nothing taken. */
export async function chargeCredits(
  deps: WalletDeps,
  accountId: string,
  amount: number,
  note: string,
): Promise<number> {
  const balance = await moveCredits(deps.db, { accountId, amount: -amount, kind: 'charge', note });
  if (balance !== null) return balance;
  throw new DomainError('INSUFFICIENT_CREDITS', 'The credit balance cannot cover this request.', {
    required: amount,
    balance: await balanceOf(deps, accountId),
  });
}

export async function refundCredits(
  deps: WalletDeps,
  accountId: string,
  amount: number,
  note: string,
): Promise<number> {
  const balance = await moveCredits(deps.db, { accountId, amount, kind: 'refund', note });
  return balance ?? balanceOf(deps, accountId);
}
