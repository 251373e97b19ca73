import { useEffect, useState } from 'preact/hooks';
import { ApiError, call, type Job } from './api.ts';
import type { Session } from './app.tsx';
import { explain } from './errors.ts';
import { dateTime, n, STATUS_TEXT } from './format.ts';
import { Pager, useCursors } from './pager.tsx';

const PAGE = 10;
const active = (j: Job) => j.status === 'queued' || j.status === 'processing';

export function JobsView({ session }: { session: Session }) {
  const pages = useCursors();
  const [page, setPage] = useState<{ data: Job[]; has_more: boolean } | null>(null);
  const [error, setError] = useState('');
  const cursor = pages.cursor;
  // The notice ("Job … deleted.") is for this visit of the list only.
  useEffect(() => () => session.setNotice(''), []);

  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    async function load() {
      try {
        const q = `?limit=${PAGE}${cursor ? `&starting_after=${cursor}` : ''}`;
        const p = await call<{ data: Job[]; has_more: boolean }>(
          session.key,
          'GET',
          `/v1/jobs${q}`,
        );
        if (stop) return;
        setPage(p);
        setError('');
        // Live progress: poll while a listed job is still running.
        if (p.data.some(active)) timer = setTimeout(() => void load(), 1500);
      } catch (err) {
        if (!stop) setError(err instanceof ApiError ? explain(err).sentence : String(err));
      }
    }
    void load();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [session.key, cursor]);

  return (
    <>
      <h1 tabIndex={-1}>Jobs</h1>
      <p class="notice" role="status">
        {session.notice}
      </p>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      {page && page.data.length === 0 ? (
        <p>
          No jobs yet. <a href="#/upload">Upload a list</a> to start one.
        </p>
      ) : null}
      {page && page.data.length > 0 ? (
        <div class="scroll" tabIndex={0} role="region" aria-label="Jobs, newest first">
          <table class="jobs" data-testid="jobs">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Created</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
                <th scope="col" class="num">
                  Rows
                </th>
              </tr>
            </thead>
            <tbody>
              {page.data.map((j) => (
                <tr data-job={j.id}>
                  <td>
                    <a href={`#/jobs/${j.id}`}>{j.name ?? j.id}</a>
                    {j.mode === 'test' ? <span class="pill test">test</span> : null}
                  </td>
                  <td class="nowrap">{dateTime(j.created_at)}</td>
                  <td data-testid="job-status">{STATUS_TEXT[j.status] ?? j.status}</td>
                  <td>
                    <progress
                      max={100}
                      value={j.progress}
                      aria-label={`Progress of ${j.name ?? j.id}`}
                    />{' '}
                    {j.progress} %
                  </td>
                  <td class="num">{n(j.total)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <Pager
        labels={['Newer jobs', 'Older jobs']}
        atStart={pages.atStart}
        next={page?.has_more ? page.data[page.data.length - 1]?.id : null}
        onBack={pages.back}
        onForward={pages.forward}
      />
    </>
  );
}
