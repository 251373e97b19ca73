import { Router } from 'express';
import type { Deps } from '../../deps.ts';
import { enrichEmail } from '../../domain/validate/enrich-email.ts';
import { authOf } from '../context.ts';
import { scope } from '../middleware/auth.ts';
import { enrichmentEmail } from '../schemas/validate.schemas.ts';
import { toEnrichment } from '../schemas/validate.mappers.ts';

/** Free of charge: it only reads what the account already paid to learn. */
export function enrichmentRouter(deps: Deps): Router {
  const router = Router();
  router.get('/', scope('validate:read'), async (req, res) => {
    const email = enrichmentEmail(req.query);
    res.json(toEnrichment(await enrichEmail(deps, authOf(req), email)));
  });
  return router;
}
