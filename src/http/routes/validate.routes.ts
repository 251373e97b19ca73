import express, { Router, type RequestHandler } from 'express';
import type { Deps } from '../../deps.ts';
import { DomainError } from '../../domain/errors.ts';
import { validateEmails } from '../../domain/validate/validate-emails.ts';
import { authOf } from '../context.ts';
import { scope } from '../middleware/auth.ts';
import { batchInput, validateInput } from '../schemas/validate.schemas.ts';
import { toSyncResult } from '../schemas/validate.mappers.ts';
import type { BatchResponse, ValidateResponse } from '../schemas/validate.responses.ts';

/** JSON only; 100 addresses of 320 characters fit well within the limit. */
function jsonBody(): RequestHandler {
  const json = express.json({ limit: '256kb' });
  return (req, res, next) => {
    if (req.is('application/json')) return json(req, res, next);
    next(new DomainError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json.'));
  };
}

export function validateRouter(deps: Deps): Router {
  const router = Router();

  router.post('/', scope('validate:write'), jsonBody(), async (req, res) => {
    const out = await validateEmails(deps, authOf(req), validateInput(req.body), req.id);
    res.json({
      result: toSyncResult(out.results[0]!),
      remaining_credits: out.remainingCredits,
    } satisfies ValidateResponse);
  });

  router.post('/batch', scope('validate:write'), jsonBody(), async (req, res) => {
    const out = await validateEmails(deps, authOf(req), batchInput(req.body), req.id);
    res.json({
      results: out.results.map(toSyncResult),
      remaining_credits: out.remainingCredits,
    } satisfies BatchResponse);
  });

  return router;
}
