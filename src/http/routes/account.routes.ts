import { Router } from 'express';
import type { Deps } from '../../deps.ts';
import { describeAccount } from '../../domain/accounts/describe-account.ts';
import { authOf } from '../context.ts';
import { scope } from '../middleware/auth.ts';
import { toAccount } from '../schemas/validate.mappers.ts';

export function accountRouter(deps: Deps): Router {
  const router = Router();
  router.get('/', scope('validate:read'), async (req, res) => {
    res.json(toAccount(await describeAccount(deps, authOf(req))));
  });
  return router;
}
