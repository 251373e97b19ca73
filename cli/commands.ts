import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Mailsift, type Job } from '../sdk/src/index.ts';
import { downloadFlags, downloadTo, parseDownload, type DownloadChoice } from './download.ts';
import { EXIT, Output, UsageError } from './output.ts';
import { describeJob, uploadProgress, waitWithProgress } from './progress.ts';

/** What every command gets: the client, where to write, Ctrl-C's signal, and the resume hint. */
export interface Ctx {
  client: Mailsift;
  out: Output;
  signal: AbortSignal;
  pollMs: number;
  /** The command that picks up where an interrupted one stopped (printed on Ctrl-C). */
  resume: string | null;
}

const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

function resumeWait(jobId: string, output: string | undefined, choice: DownloadChoice): string {
  return [
    'mailsift jobs wait',
    jobId,
    ...(output ? ['-o', quote(output)] : []),
    ...downloadFlags(choice),
  ].join(' ');
}

/** The options of a command that downloads results.csv. */
export interface DownloadOptions {
  status?: string;
  columns?: string;
  bom?: boolean;
}

/** Waits, then downloads when `output` is given; exit code 2 when the job did not complete. */
async function finish(ctx: Ctx, jobId: string, output: string | undefined, choice: DownloadChoice) {
  ctx.resume = resumeWait(jobId, output, choice);
  const job = await waitWithProgress(ctx.client, ctx.out, jobId, ctx.signal, ctx.pollMs);
  if (job.status !== 'completed') {
    ctx.out.line(`mailsift: job ${job.id} ended ${job.status}; nothing to download`);
    if (ctx.out.json) ctx.out.data({ job });
    return EXIT.api;
  }
  let rows: number | null = null;
  if (output) {
    ctx.resume = [
      'mailsift jobs download',
      job.id,
      '-o',
      quote(output),
      ...downloadFlags(choice),
    ].join(' ');
    rows = await downloadTo(ctx.client, job, output, choice, ctx.signal);
    ctx.out.line(`Wrote ${rows} rows to ${output}`);
  }
  ctx.resume = null;
  if (ctx.out.json) ctx.out.data({ job, output: output ?? null, rows });
  return EXIT.ok;
}

export interface CleanOptions extends DownloadOptions {
  output?: string;
  quick?: boolean;
  emailColumn?: string;
  name?: string;
  smtp?: boolean;
}

export async function clean(ctx: Ctx, file: string, opts: CleanOptions): Promise<number> {
  const choice = parseDownload(opts);
  const info = await stat(file).catch(() => {
    throw new UsageError(`cannot read ${file}`);
  });
  if (!info.isFile()) throw new UsageError(`${file} is not a file`);
  const parsed = path.parse(file);
  const output =
    opts.output ?? path.join(parsed.dir, `${parsed.name}.cleaned${parsed.ext || '.csv'}`);
  const upload = uploadProgress(ctx.out, file, info.size);
  let job: Job;
  try {
    job = await ctx.client.jobs.create(
      {
        file,
        name: opts.name ?? parsed.base,
        emailColumn: opts.emailColumn,
        quickMode: opts.quick,
        smtp: opts.smtp,
        onUploadProgress: upload.onUploadProgress,
      },
      { signal: ctx.signal },
    );
  } finally {
    upload.stop();
  }
  ctx.out.line(`Created job ${job.id}: ${job.total} rows, ${job.unique} unique`);
  return finish(ctx, job.id, output, choice);
}

export async function jobsWait(ctx: Ctx, id: string, opts: DownloadOptions & { output?: string }) {
  return finish(ctx, id, opts.output, parseDownload(opts));
}

export async function jobsDownload(
  ctx: Ctx,
  id: string,
  opts: DownloadOptions & { output: string },
) {
  const choice = parseDownload(opts);
  const job = await ctx.client.jobs.get(id, { signal: ctx.signal });
  ctx.resume = [
    'mailsift jobs download',
    id,
    '-o',
    quote(opts.output),
    ...downloadFlags(choice),
  ].join(' ');
  const rows = await downloadTo(ctx.client, job, opts.output, choice, ctx.signal);
  ctx.resume = null;
  ctx.out.line(`Wrote ${rows} rows to ${opts.output}`);
  if (ctx.out.json) ctx.out.data({ job, output: opts.output, rows });
  return EXIT.ok;
}

export async function jobsList(ctx: Ctx, opts: { limit?: string; startingAfter?: string }) {
  const page = await ctx.client.jobs.list(
    { limit: opts.limit ? Number(opts.limit) : undefined, startingAfter: opts.startingAfter },
    { signal: ctx.signal },
  );
  if (ctx.out.json) ctx.out.data(page);
  else {
    for (const j of page.data) {
      ctx.out.line(
        [
          j.id,
          j.status.padEnd(10),
          `${j.processed}/${j.total}`.padEnd(13),
          j.created_at,
          j.name ?? '',
        ].join('  '),
      );
    }
    if (page.data.length === 0) ctx.out.line('No jobs.');
    if (page.has_more)
      ctx.out.line(`More: mailsift jobs list --starting-after ${page.data.at(-1)!.id}`);
  }
  return EXIT.ok;
}

export async function jobsShow(ctx: Ctx, id: string) {
  const job = await ctx.client.jobs.get(id, { signal: ctx.signal });
  if (ctx.out.json) ctx.out.data(job);
  else {
    ctx.out.line(describeJob(job));
    for (const key of [
      'name',
      'source',
      'mode',
      'unique',
      'credits_reserved',
      'credits_charged',
      'created_at',
      'started_at',
      'completed_at',
    ] as const) {
      ctx.out.line(`  ${key}: ${String(job[key] ?? '')}`);
    }
  }
  return EXIT.ok;
}

export async function jobsResults(ctx: Ctx, id: string, opts: { status?: string }) {
  const { statuses } = parseDownload({ status: opts.status });
  const results = ctx.client.jobs.results(
    id,
    { status: statuses.length ? statuses : undefined },
    { signal: ctx.signal },
  );
  let first = true;
  if (ctx.out.json) process.stdout.write('[');
  for await (const r of results) {
    if (ctx.out.json) process.stdout.write(`${first ? '\n' : ',\n'}  ${JSON.stringify(r)}`);
    else
      ctx.out.line(
        [String(r.index).padStart(6), r.status.padEnd(13), r.reason.padEnd(16), r.email].join('  '),
      );
    first = false;
  }
  if (ctx.out.json) process.stdout.write(first ? ']\n' : '\n]\n');
  return EXIT.ok;
}

export async function jobsDelete(ctx: Ctx, id: string) {
  await ctx.client.jobs.delete(id, { signal: ctx.signal });
  if (ctx.out.json) ctx.out.data({ id, deleted: true });
  else ctx.out.line(`Deleted job ${id}`);
  return EXIT.ok;
}

export async function verify(ctx: Ctx, email: string, opts: { quick?: boolean; smtp?: boolean }) {
  const res = await ctx.client.validate(email, {
    quickMode: opts.quick,
    smtp: opts.smtp,
    signal: ctx.signal,
  });
  if (ctx.out.json) ctx.out.data(res);
  else {
    const r = res.result;
    const hint = r.did_you_mean ? ` (did you mean ${r.did_you_mean}?)` : '';
    ctx.out.line(`${r.email}: ${r.status} (${r.reason})${hint}`);
    ctx.out.line(`Remaining credits: ${res.remaining_credits}`);
  }
  return EXIT.ok;
}

export async function account(ctx: Ctx) {
  const a = await ctx.client.account({ signal: ctx.signal });
  if (ctx.out.json) ctx.out.data(a);
  else {
    ctx.out.line(`${a.name} (${a.id}), plan ${a.plan}`);
    ctx.out.line(`Remaining credits: ${a.remaining_credits}`);
    ctx.out.line(
      `Usage: ${a.usage.today} today, ${a.usage.month} this month of ${a.usage.monthly_quota}`,
    );
    ctx.out.line(
      `Key: ${a.key.mode}, scopes ${a.key.scopes.join(' ')}${a.key.expires_at ? `, expires ${a.key.expires_at}` : ''}`,
    );
  }
  return EXIT.ok;
}
