import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, call, type Account } from './api.ts';
import { explain } from './errors.ts';
import { n } from './format.ts';
import { CheckView } from './check.tsx';
import { JobView } from './job.tsx';
import { JobsView } from './jobs.tsx';
import { UploadView } from './upload.tsx';

// The key lives in this tab's sessionStorage only: closing the tab signs out.
const KEY_SLOT = 'mailsift.apiKey';

export interface Session {
  key: string;
  account: Account;
  refresh: () => void;
  go: (hash: string) => void;
  /** A message for the next view (after a delete: "Job … deleted."). */
  notice: string;
  setNotice: (text: string) => void;
}

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

function SignIn({ onSignedIn }: { onSignedIn: (key: string, account: Account) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);

  async function submit(e: Event) {
    e.preventDefault();
    const k = key.trim();
    if (!k) {
      setError('Enter your API key to sign in.');
      input.current?.focus();
      return;
    }
    setBusy(true);
    try {
      onSignedIn(k, await call<Account>(k, 'GET', '/v1/account'));
    } catch (err) {
      setError(err instanceof ApiError ? explain(err, 'sign-in').sentence : String(err));
      input.current?.focus();
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" class="narrow">
      <h1>Clean an email list</h1>
      <p>
        Sign in with your mailsift API key. It is kept in this browser tab only and sent to mailsift
        alone.
      </p>
      <form onSubmit={(e) => void submit(e)} class="card" noValidate>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          ref={input}
          type="password"
          autoComplete="off"
          spellcheck={false}
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          aria-invalid={error ? 'true' : undefined}
          aria-describedby="api-key-hint api-key-error"
        />
        <p id="api-key-hint" class="hint">
          It starts with <code>ms_live_</code> or <code>ms_test_</code>; <code>npm start</code>{' '}
          prints a test key.
        </p>
        <p id="api-key-error" class="error" role="alert">
          {error}
        </p>
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

function AccountBar({ account, onSignOut }: { account: Account; onSignOut: () => void }) {
  const test = account.key.mode === 'test';
  const u = account.usage;
  return (
    <section class="account" aria-label="Account">
      <p>
        <strong data-testid="account-name">{account.name}</strong>
        <span class="pill">{account.plan} plan</span>
        <span class={`pill ${test ? 'test' : 'live'}`} data-testid="key-mode">
          {test ? 'test mode' : 'live mode'}
        </span>
      </p>
      <p class="figures">
        <span data-testid="credits">
          {n(account.remaining_credits)} credit{account.remaining_credits === 1 ? '' : 's'} left
        </span>
        {test ? (
          <span data-testid="usage">
            {n(u.test_today ?? 0)} of {n(u.test_daily_limit ?? 0)} test emails used today
          </span>
        ) : (
          <span data-testid="usage">
            {n(u.month)} of {n(u.monthly_quota)} emails used this month
          </span>
        )}
      </p>
      <button type="button" class="link" onClick={onSignOut}>
        Sign out
      </button>
    </section>
  );
}

export function App() {
  const [key, setKey] = useState<string | null>(() => sessionStorage.getItem(KEY_SLOT));
  const [account, setAccount] = useState<Account | null>(null);
  const [notice, setNotice] = useState('');
  const hash = useHash();

  const signOut = useCallback(() => {
    sessionStorage.removeItem(KEY_SLOT);
    setKey(null);
    setAccount(null);
  }, []);

  const refresh = useCallback(() => {
    if (!key) return;
    call<Account>(key, 'GET', '/v1/account').then(setAccount, (err: unknown) => {
      if (err instanceof ApiError && err.status === 401) signOut();
    });
  }, [key, signOut]);

  useEffect(refresh, [refresh]);

  // Move focus to the new view's heading, so keyboard and screen-reader users land on it.
  useEffect(() => {
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [hash, account === null]);

  if (!key || !account) {
    if (key && !account) return <p class="loading">Loading your account…</p>;
    return (
      <SignIn
        onSignedIn={(k, a) => {
          sessionStorage.setItem(KEY_SLOT, k);
          setKey(k);
          setAccount(a);
        }}
      />
    );
  }

  const go = (h: string) => {
    location.hash = h;
  };
  const session: Session = { key, account, refresh, go, notice, setNotice };
  const route = hash.replace(/^#\/?/, '');
  const jobId = /^jobs\/(job_\w+)$/.exec(route)?.[1];
  const section = jobId ? 'jobs' : route === 'jobs' || route === 'check' ? route : 'upload';
  const link = (to: string, label: string) => (
    <a href={`#/${to}`} aria-current={section === to ? 'page' : undefined}>
      {label}
    </a>
  );

  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header>
        <p class="brand">mailsift</p>
        <nav aria-label="Sections">
          {link('upload', 'Upload')}
          {link('jobs', 'Jobs')}
          {link('check', 'Check one address')}
        </nav>
        <AccountBar account={account} onSignOut={signOut} />
      </header>
      <main id="main" tabIndex={-1}>
        {jobId ? (
          <JobView key={jobId} session={session} jobId={jobId} />
        ) : section === 'jobs' ? (
          <JobsView session={session} />
        ) : section === 'check' ? (
          <CheckView session={session} />
        ) : (
          <UploadView session={session} />
        )}
      </main>
    </>
  );
}
