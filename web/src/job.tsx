import { useEffect, useRef, useState } from 'preact/hooks';
import {
  ApiError,
  call,
  download,
  STATUSES,
  type Job,
  type Result,
  type Status,
  type Summary,
  type WebhookAttempt,
} from './api.ts';
import type { Session } from './app.tsx';
import { BarChart } from './chart.tsx';
import { explain } from './errors.ts';
import { dateTime, duration, n, reasonText, STATUS_TEXT } from './format.ts';
import { Pager, useCursors } from './pager.tsx';

const RESULTS_PAGE = 50;
const running = (j: Job) => j.status === 'queued' || j.status === 'processing';

/** Rate (rows per second) from the samples of the last ~15 s, and the time left at that rate. */
function useRate(job: Job | null) {
  const samples = useRef<{ t: number; processed: number }[]>([]);
  if (job && running(job)) {
    const now = Date.now();
    const s = samples.current;
    if (s.length === 0 || s[s.length - 1]!.processed !== job.processed)
      s.push({ t: now, processed: job.processed });
    while (s.length > 2 && now - s[0]!.t > 15_000) s.shift();
  }
  if (!job || !running(job)) return null;
  const s = samples.current;
  let rate = 0;
  if (s.length >= 2) {
    const a = s[0]!;
    const b = s[s.length - 1]!;
    rate = (b.processed - a.processed) / Math.max(0.001, (b.t - a.t) / 1000);
  } else if (job.started_at && job.processed > 0) {
    rate = job.processed / Math.max(0.001, (Date.now() - Date.parse(job.started_at)) / 1000);
  }
  return { rate, eta: rate > 0 ? (job.total - job.processed) / rate : null };
}

function Progress({ job }: { job: Job }) {
  const speed = useRate(job);
  const [announced, setAnnounced] = useState('');
  // The live region speaks at each tenth and at the end, not at every poll.
  const step = job.status === 'completed' ? 100 : Math.floor(job.progress / 10) * 10;
  useEffect(() => {
    setAnnounced(
      job.status === 'completed'
        ? `Done: all ${n(job.total)} addresses checked.`
        : job.status === 'failed'
          ? 'The job failed.'
          : `${step} % checked.`,
    );
  }, [step, job.status]);
  return (
    <section aria-labelledby="progress-h">
      <h2 id="progress-h">Progress</h2>
      <progress
        max={100}
        value={job.progress}
        aria-labelledby="progress-h"
        aria-describedby="progress-text"
        data-testid="job-progress"
      />
      <p id="progress-text" data-testid="progress-text">
        {n(job.processed)} of {n(job.total)} addresses checked ({job.progress} %)
        {speed && speed.rate > 0 ? ` · ${n(Math.round(speed.rate))} per second` : ''}
        {speed && speed.eta !== null ? ` · about ${duration(speed.eta)} left` : ''}
      </p>
      <p class="sr-only" aria-live="polite" data-testid="progress-live">
        {announced}
      </p>
    </section>
  );
}

function Charts({ job, summary }: { job: Job; summary: Summary | null }) {
  const tones: Record<Status, string> = {
    deliverable: 'ok',
    undeliverable: 'bad',
    risky: 'warn',
    unknown: 'grey',
  };
  const statusBars = STATUSES.map((s) => ({
    key: s,
    label: STATUS_TEXT[s]!,
    value: job.counts[s],
    tone: tones[s],
  }));
  const reasonBars = (summary?.reasons ?? []).map((r) => ({
    key: `${r.status}:${r.reason}`,
    label: r.reason.replaceAll('_', ' '),
    value: r.count,
    tone: tones[r.status],
  }));
  return (
    <section aria-labelledby="summary-h">
      <h2 id="summary-h">Summary</h2>
      <div class="charts">
        <BarChart title="Addresses per status" bars={statusBars} testid="status-chart" />
        {reasonBars.length > 0 ? (
          <BarChart title="Addresses per reason" bars={reasonBars} testid="reason-chart" />
        ) : null}
      </div>
    </section>
  );
}

function Downloads({ session, job }: { session: Session; job: Job }) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  async function get(status: Status | null) {
    setError('');
    setBusy(status ?? 'all');
    try {
      const path = `/v1/jobs/${job.id}/results.csv${status ? `?status=${status}` : ''}`;
      const base = (job.name ?? job.id).replace(/[^\w.-]+/g, '-');
      await download(session.key, path, `${base}-${status ?? 'all'}.csv`);
    } catch (err) {
      setError(err instanceof ApiError ? explain(err).sentence : String(err));
    } finally {
      setBusy(null);
    }
  }
  return (
    <section aria-labelledby="downloads-h">
      <h2 id="downloads-h">Download</h2>
      <p class="hint">Your own file back, with the verdict columns added.</p>
      <div class="buttons">
        <button type="button" onClick={() => void get(null)} disabled={busy !== null}>
          Everything
        </button>
        <button
          type="button"
          class="primary"
          onClick={() => void get('deliverable')}
          disabled={busy !== null}
        >
          Deliverable only
        </button>
        {STATUSES.filter((s) => s !== 'deliverable').map((s) => (
          <button type="button" onClick={() => void get(s)} disabled={busy !== null}>
            {STATUS_TEXT[s]} only
          </button>
        ))}
      </div>
      <p class="error" role="alert">
        {error}
      </p>
    </section>
  );
}

function Results({ session, job }: { session: Session; job: Job }) {
  const [filter, setFilter] = useState<Status | ''>('');
  const pages = useCursors();
  const [page, setPage] = useState<{ data: Result[]; next_cursor: string | null } | null>(null);
  const [error, setError] = useState('');
  const cursor = pages.cursor;
  const done = !running(job);

  useEffect(() => {
    let stop = false;
    const q = new URLSearchParams({ limit: String(RESULTS_PAGE) });
    if (cursor) q.set('cursor', cursor);
    if (filter) q.set('status', filter);
    call<{ data: Result[]; next_cursor: string | null }>(
      session.key,
      'GET',
      `/v1/jobs/${job.id}/results?${q}`,
    ).then(
      (p) => {
        if (!stop) {
          setPage(p);
          setError('');
        }
      },
      (err: unknown) => {
        if (!stop) setError(err instanceof ApiError ? explain(err).sentence : String(err));
      },
    );
    return () => {
      stop = true;
    };
    // While the job runs, a page grows: read it again as processed moves.
  }, [session.key, job.id, cursor, filter, done ? -1 : job.processed]);

  return (
    <section aria-labelledby="results-h">
      <h2 id="results-h">Results</h2>
      <label for="status-filter">Show</label>
      <select
        id="status-filter"
        value={filter}
        onChange={(e) => {
          setFilter(e.currentTarget.value as Status | '');
          pages.reset();
        }}
      >
        <option value="">All statuses</option>
        {STATUSES.map((s) => (
          <option value={s}>{STATUS_TEXT[s]} only</option>
        ))}
      </select>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      {page ? (
        <div class="scroll" tabIndex={0} role="region" aria-label="Results">
          <table class="results" data-testid="results">
            <thead>
              <tr>
                <th scope="col" class="num">
                  Row
                </th>
                <th scope="col">Address</th>
                <th scope="col">Status</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {page.data.length === 0 ? (
                <tr>
                  <td colSpan={4}>
                    {running(job) ? 'No verdicts yet.' : 'No address has this status.'}
                  </td>
                </tr>
              ) : (
                page.data.map((r) => (
                  <tr>
                    <td class="num">{n(r.index + 1)}</td>
                    <td class="email">
                      {r.email}
                      {r.did_you_mean ? (
                        <span class="hint"> (did you mean {r.did_you_mean}?)</span>
                      ) : null}
                    </td>
                    <td data-testid="result-status">
                      <span class={`badge ${r.status}`}>{STATUS_TEXT[r.status]}</span>
                    </td>
                    <td class="why">
                      {reasonText(r.reason)}
                      {r.duplicate_of !== null ? `; duplicate of row ${n(r.duplicate_of + 1)}` : ''}
                    </td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
      ) : null}
      <Pager
        labels={['Previous page', 'Next page']}
        atStart={pages.atStart}
        next={page?.next_cursor}
        onBack={pages.back}
        onForward={pages.forward}
      />
    </section>
  );
}

function Webhooks({ session, job }: { session: Session; job: Job }) {
  const [attempts, setAttempts] = useState<WebhookAttempt[] | null>(null);
  useEffect(() => {
    call<{ data: WebhookAttempt[] }>(session.key, 'GET', `/v1/jobs/${job.id}/webhooks`).then(
      (r) => setAttempts(r.data),
      () => setAttempts([]),
    );
  }, [session.key, job.id, job.status]);
  return (
    <section aria-labelledby="webhooks-h">
      <h2 id="webhooks-h">Webhook deliveries</h2>
      <p class="hint">
        To <code class="wrap">{job.webhook_url}</code>
      </p>
      {!attempts || attempts.length === 0 ? (
        <p>
          {running(job) ? 'The webhook is sent when the job ends.' : 'No delivery attempt yet.'}
        </p>
      ) : (
        <div class="scroll" tabIndex={0} role="region" aria-label="Webhook delivery attempts">
          <table data-testid="webhooks">
            <thead>
              <tr>
                <th scope="col">Attempt</th>
                <th scope="col">When</th>
                <th scope="col">Outcome</th>
                <th scope="col">Next try</th>
              </tr>
            </thead>
            <tbody>
              {attempts.map((a) => (
                <tr>
                  <td>{a.attempt}</td>
                  <td class="nowrap">{dateTime(a.attempted_at)}</td>
                  <td>
                    {a.success ? 'Delivered' : 'Failed'}
                    {a.status_code !== null ? ` (HTTP ${a.status_code})` : ''}
                    {a.error ? `: ${a.error}` : ''}
                  </td>
                  <td class="nowrap">{a.next_retry_at ? dateTime(a.next_retry_at) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function DeleteJob({ session, job }: { session: Session; job: Job }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState('');
  async function confirm() {
    try {
      await call(session.key, 'DELETE', `/v1/jobs/${job.id}`);
      dialog.current?.close();
      session.setNotice(`Job ${job.name ?? job.id} deleted.`);
      session.refresh();
      session.go('#/jobs');
    } catch (err) {
      setError(err instanceof ApiError ? explain(err).sentence : String(err));
    }
  }
  return (
    <section aria-labelledby="delete-h">
      <h2 id="delete-h">Delete</h2>
      <button type="button" class="danger" onClick={() => dialog.current?.showModal()}>
        Delete this job
      </button>
      <dialog ref={dialog} aria-labelledby="confirm-h" aria-describedby="confirm-text">
        <h2 id="confirm-h">Delete {job.name ?? job.id}?</h2>
        <p id="confirm-text">
          {running(job)
            ? 'The job stops now; what was not checked yet is refunded. Its results are deleted.'
            : 'Its results are deleted and cannot be downloaded again.'}
        </p>
        <p class="error" role="alert">
          {error}
        </p>
        <div class="buttons">
          <button type="button" class="danger" onClick={() => void confirm()}>
            Delete
          </button>
          <button type="button" onClick={() => dialog.current?.close()} autoFocus>
            Keep it
          </button>
        </div>
      </dialog>
    </section>
  );
}

export function JobView({ session, jobId }: { session: Session; jobId: string }) {
  const [job, setJob] = useState<Job | null>(null);
  const [summary, setSummary] = useState<Summary | null>(null);
  const [error, setError] = useState('');

  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let polls = 0;
    async function load() {
      try {
        const j = await call<Job>(session.key, 'GET', `/v1/jobs/${jobId}`);
        if (stop) return;
        setJob(j);
        // Reasons need a count over the results: read them every few polls while running.
        if (!running(j) || polls % 5 === 0) {
          const s = await call<Summary>(session.key, 'GET', `/v1/jobs/${jobId}/summary`);
          if (!stop) setSummary(s);
        }
        polls++;
        if (running(j)) timer = setTimeout(() => void load(), 1000);
        else session.refresh();
      } catch (err) {
        if (!stop) setError(err instanceof ApiError ? explain(err).sentence : String(err));
      }
    }
    void load();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [session.key, jobId]);

  if (!job) {
    return (
      <>
        <h1 tabIndex={-1}>Job</h1>
        {error ? (
          <p class="error" role="alert">
            {error} <a href="#/jobs">Back to the jobs</a>
          </p>
        ) : (
          <p>Loading…</p>
        )}
      </>
    );
  }
  return (
    <>
      <p class="crumbs">
        <a href="#/jobs">Jobs</a> /
      </p>
      <h1 tabIndex={-1}>{job.name ?? job.id}</h1>
      <dl class="facts">
        <div>
          <dt>Status</dt>
          <dd data-testid="status">{STATUS_TEXT[job.status] ?? job.status}</dd>
        </div>
        <div>
          <dt>Rows</dt>
          <dd>
            {n(job.total)} ({n(job.total - job.unique)} duplicate
            {job.total - job.unique === 1 ? '' : 's'})
          </dd>
        </div>
        <div>
          <dt>Credits</dt>
          <dd>
            {job.mode === 'test'
              ? 'none (test mode)'
              : running(job)
                ? `${n(job.credits_reserved)} reserved`
                : `${n(job.credits_charged)} charged`}
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{dateTime(job.created_at)}</dd>
        </div>
      </dl>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      <Progress job={job} />
      <Charts job={job} summary={summary} />
      <Downloads session={session} job={job} />
      <Results session={session} job={job} />
      {job.webhook_url ? <Webhooks session={session} job={job} /> : null}
      <DeleteJob session={session} job={job} />
    </>
  );
}
