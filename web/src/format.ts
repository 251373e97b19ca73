/** Small formatting helpers shared by the views. */

export const n = (v: number) => v.toLocaleString('en');

export function dateTime(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

const REASONS: Record<string, string> = {
  accepted_email: 'the mailbox accepts mail',
  invalid_syntax: 'not a valid address',
  invalid_domain: 'the domain does not exist or takes no mail',
  no_mx: 'the domain has no mail server',
  rejected_email: 'the mail server rejected the address',
  catch_all: 'the domain accepts every address (catch-all)',
  disposable: 'a disposable address',
  role_account: 'a role address (such as info@ or sales@)',
  mailbox_full: 'the mailbox is full',
  low_quality: 'a low-quality address',
  timeout: 'the mail server did not answer in time',
  no_connect: 'the mail server could not be reached',
  smtp_unavailable: 'the mail server was unavailable',
  greylisted: 'the mail server asked to try later (greylisting)',
  blocked: 'the mail server refused our check',
  unexpected_error: 'an unexpected error',
  dns_error: 'DNS lookups failed (our resolver), nothing was learnt',
};

/** A reason code in words ("the mailbox accepts mail"). */
export const reasonText = (reason: string) => REASONS[reason] ?? reason.replaceAll('_', ' ');

export const STATUS_TEXT: Record<string, string> = {
  deliverable: 'Deliverable',
  undeliverable: 'Undeliverable',
  risky: 'Risky',
  unknown: 'Unknown',
  queued: 'Queued',
  processing: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
};
