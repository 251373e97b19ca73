import { useState } from 'preact/hooks';
import { ApiError, call, type Result } from './api.ts';
import type { Session } from './app.tsx';
import { explain } from './errors.ts';
import { n, reasonText, STATUS_TEXT } from './format.ts';

const yesNo = (v: boolean | null | undefined) =>
  v === null || v === undefined ? 'not checked' : v ? 'yes' : 'no';

function smtpInWords(r: Result): string {
  const s = r.checks?.smtp;
  if (!s || s.code === null) return 'not asked';
  return `${s.code}${s.enhanced_code ? ` ${s.enhanced_code}` : ''}${s.message ? ` “${s.message}”` : ''}`;
}

function Verdict({ result, credits }: { result: Result; credits: number }) {
  const c = result.checks;
  return (
    <section aria-labelledby="verdict-h" class="card" data-testid="verdict">
      <h2 id="verdict-h">
        {result.normalized ?? result.email}:{' '}
        <span class={`badge ${result.status}`}>{STATUS_TEXT[result.status]}</span>
      </h2>
      <p>Because {reasonText(result.reason)}.</p>
      {result.did_you_mean ? <p>Did you mean {result.did_you_mean}?</p> : null}
      <dl class="facts">
        <div>
          <dt>Syntax valid</dt>
          <dd>{yesNo(c?.syntax)}</dd>
        </div>
        <div>
          <dt>Domain</dt>
          <dd>{c?.domain ?? '—'}</dd>
        </div>
        <div>
          <dt>Mail server (MX host)</dt>
          <dd>{c?.mx_host ?? (c?.mx_found === false ? 'none found' : '—')}</dd>
        </div>
        <div>
          <dt>SMTP reply</dt>
          <dd>{smtpInWords(result)}</dd>
        </div>
        <div>
          <dt>Disposable</dt>
          <dd>{yesNo(c?.disposable)}</dd>
        </div>
        <div>
          <dt>Role address</dt>
          <dd>{yesNo(c?.role)}</dd>
        </div>
        <div>
          <dt>Free provider</dt>
          <dd>{yesNo(c?.free)}</dd>
        </div>
        <div>
          <dt>Catch-all domain</dt>
          <dd>{yesNo(c?.catch_all)}</dd>
        </div>
      </dl>
      <p class="hint">{n(credits)} credits left.</p>
    </section>
  );
}

export function CheckView({ session }: { session: Session }) {
  const [email, setEmail] = useState('');
  const [quick, setQuick] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [answer, setAnswer] = useState<{ result: Result; remaining_credits: number } | null>(null);

  async function submit(e: Event) {
    e.preventDefault();
    if (!email.trim()) {
      setError('Enter an email address to check.');
      return;
    }
    setBusy(true);
    setError('');
    setAnswer(null);
    try {
      setAnswer(
        await call(session.key, 'POST', '/v1/validate', { email: email.trim(), quick_mode: quick }),
      );
      session.refresh();
    } catch (err) {
      setError(err instanceof ApiError ? explain(err, 'check').sentence : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <h1 tabIndex={-1}>Check one address</h1>
      <form onSubmit={(e) => void submit(e)} class="card" noValidate>
        <label for="check-email">Email address</label>
        <input
          id="check-email"
          type="email"
          autoComplete="off"
          value={email}
          onInput={(e) => setEmail(e.currentTarget.value)}
          aria-invalid={error ? 'true' : undefined}
          aria-describedby="check-email-error"
        />
        <p id="check-email-error" class="error" role="alert">
          {error}
        </p>
        <div class="check">
          <input
            id="check-quick"
            type="checkbox"
            checked={quick}
            onChange={(e) => setQuick(e.currentTarget.checked)}
          />
          <label for="check-quick">Quick mode (no SMTP probe)</label>
        </div>
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Check'}
        </button>
      </form>
      <div aria-live="polite">
        {answer ? <Verdict result={answer.result} credits={answer.remaining_credits} /> : null}
      </div>
    </>
  );
}
