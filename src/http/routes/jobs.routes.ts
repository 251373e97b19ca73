import { mkdirSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import express, { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import multer from 'multer';
import type { Deps } from '../../deps.ts';
import { DomainError, notFound } from '../../domain/errors.ts';
import { createJob } from '../../domain/jobs/create-job.ts';
import { assertEmailUsageOpen } from '../../domain/limits/email-usage.ts';
import { deleteJob } from '../../domain/jobs/delete-job.ts';
import { exportResultsCsv } from '../../domain/jobs/export-results.ts';
import { getJob, listJobs, listResults, summarizeJob } from '../../domain/jobs/read-jobs.ts';
import { listWebhookAttempts } from '../../domain/webhooks/list-attempts.ts';
import { authOf } from '../context.ts';
import { scope } from '../middleware/auth.ts';
import { isPathDecodeError } from '../middleware/error-causes.ts';
import { countedUpload, countingDiskStorage } from '../middleware/upload-storage.ts';
import { toJobResource, toJobSummary, toResult } from '../schemas/jobs.mappers.ts';
import type { JobList, ResultPage, WebhookAttemptList } from '../schemas/jobs.responses.ts';
import { toWebhookAttempt } from '../schemas/webhooks.mappers.ts';
import {
  downloadQuery,
  idempotencyKeyOf,
  jobInputFromJson,
  jobInputFromMultipart,
  listJobsQuery,
  resultsQuery,
} from '../schemas/jobs.schemas.ts';
import { uploadDirOf } from '../upload-dir.ts';

function jobBody(deps: Deps): RequestHandler {
  const dir = uploadDirOf(deps);
  mkdirSync(dir, { recursive: true });
  const upload = multer({
    storage: countingDiskStorage(dir, deps.config.limits.maxEmailsPerJob),
    limits: {
      fileSize: deps.config.limits.maxUploadBytes,
      files: 1,
      fields: 32,
      fieldSize: 1024 * 1024,
    },
  }).single('csv_file');
  const json = express.json({ limit: deps.config.limits.maxUploadBytes });
  return (req, res, next) => {
    res.on('close', () => {
      if (req.file) unlink(req.file.path).catch(() => undefined);
    });
    if (req.is('application/json')) return json(req, res, next);
    if (req.is('multipart/form-data')) return upload(req, res, next);
    next(
      new DomainError('UNSUPPORTED_MEDIA_TYPE', 'Send application/json or multipart/form-data.'),
    );
  };
}

/**
 * Refuses a job before its body is read when the account's allowance (monthly quota, or a test
 * key's daily emails) has no room for even one more email: an exhausted account cannot make us
 * receive and count a 100 MB upload. Idempotent replays skip it, so a retry of a job that was
 * created still gets its job back. The exact check (the whole request or nothing) comes later.
 */
function allowanceOpen(deps: Deps): RequestHandler {
  return async (req, _res, next) => {
    if (!idempotencyKeyOf(req.get('idempotency-key'))) {
      await assertEmailUsageOpen(deps, authOf(req));
    }
    next();
  };
}

export function jobsRouter(deps: Deps): Router {
  const router = Router();
  const maxEmails = deps.config.limits.maxEmailsPerJob;

  router.post(
    '/',
    scope('validate:write'),
    allowanceOpen(deps),
    jobBody(deps),
    async (req, res) => {
      req.log.debug({ bytes: req.file?.size }, 'request body received');
      const key = idempotencyKeyOf(req.get('idempotency-key'));
      const input = req.is('multipart/form-data')
        ? jobInputFromMultipart(
            req.body as Record<string, unknown>,
            req.file,
            key,
            maxEmails,
            countedUpload(req),
          )
        : jobInputFromJson(req.body, key, maxEmails);
      const { job } = await createJob(deps, authOf(req), input);
      res.status(201).location(`/v1/jobs/${job.id}`).json(toJobResource(job));
    },
  );

  router.get('/', scope('validate:read'), async (req, res) => {
    const page = await listJobs(deps, authOf(req), listJobsQuery(req.query));
    res.json({ data: page.data.map(toJobResource), has_more: page.hasMore } satisfies JobList);
  });

  router.get('/:id', scope('validate:read'), async (req, res) => {
    res.json(toJobResource(await getJob(deps, authOf(req), req.params.id as string)));
  });

  router.get('/:id/results', scope('validate:read'), async (req, res) => {
    const page = await listResults(
      deps,
      authOf(req),
      req.params.id as string,
      resultsQuery(req.query),
    );
    res.json({ data: page.data.map(toResult), next_cursor: page.nextCursor } satisfies ResultPage);
  });

  router.get('/:id/results.csv', scope('validate:read'), async (req, res) => {
    const q = downloadQuery(req.query);
    const { filename, lines } = await exportResultsCsv(deps, authOf(req), req.params.id as string, {
      statuses: q.status ?? null,
      columns: q.columns ?? [],
      bom: q.bom,
    });
    // The first page is read before any header goes out, so a failure there is still an envelope.
    const first = await lines.next();
    res.status(200);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
    async function* all() {
      if (!first.done) yield first.value;
      yield* lines;
    }
    await pipeline(Readable.from(all()), res).catch((err: unknown) => {
      // The client hung up mid-download: nothing to answer, nothing went wrong here.
      if ((err as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE') {
        req.log.info('download closed by the client');
        return;
      }
      throw err;
    });
  });

  router.get('/:id/summary', scope('validate:read'), async (req, res) => {
    const { job, reasons } = await summarizeJob(deps, authOf(req), req.params.id as string);
    res.json(toJobSummary(job, reasons));
  });

  router.get('/:id/webhooks', scope('validate:read'), async (req, res) => {
    const attempts = await listWebhookAttempts(deps, authOf(req), req.params.id as string);
    res.json({ data: attempts.map(toWebhookAttempt) } satisfies WebhookAttemptList);
  });

  router.delete('/:id', scope('validate:write'), async (req, res) => {
    await deleteJob(deps, authOf(req), req.params.id as string);
    res.status(204).end();
  });

  // `/v1/jobs/%ZZ`: a path that does not decode names no job, so it is the missing job's 404.
  router.use(((err, _req, _res, next) => {
    next(isPathDecodeError(err) ? notFound() : err);
  }) satisfies ErrorRequestHandler);

  return router;
}
