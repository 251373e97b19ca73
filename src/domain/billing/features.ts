import { DomainError } from '../errors.ts';
import { smtpTier, type Plan } from './plans.ts';

/**
 * `smtp: true` on a plan without the probe is refused (403), never silently downgraded; left
 * out, it means the plan's default. Returns whether to probe.
 */
export function smtpFor(plan: Plan, asked: boolean | undefined): boolean {
  if (asked === true && !plan.smtpProbe) {
    throw new DomainError(
      'FEATURE_NOT_AVAILABLE',
      `The SMTP probe is not part of the ${plan.name} plan.`,
      {
        feature: 'smtp',
        currentTier: plan.name,
        requiredTier: smtpTier,
      },
    );
  }
  return asked ?? plan.smtpProbe;
}
