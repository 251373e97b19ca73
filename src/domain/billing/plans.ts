/** The plans of API.md, defined in this one place. */
export type PlanName = 'free' | 'hobby' | 'growth' | 'business';

export interface Plan {
  name: PlanName;
  requestsPerMinute: number;
  /** null: no daily cap. */
  requestsPerDay: number | null;
  monthlyQuota: number;
  /** Usage may run to this share of the quota before requests stop (1 = stop at 100 %). */
  graceRatio: number;
  smtpProbe: boolean;
  /** True when an operator set the account's own monthly quota (a custom plan). */
  customQuota?: boolean;
}

export const plans: Record<PlanName, Plan> = {
  free: {
    name: 'free',
    requestsPerMinute: 60,
    requestsPerDay: 1_000,
    monthlyQuota: 100,
    graceRatio: 1,
    smtpProbe: false,
  },
  hobby: {
    name: 'hobby',
    requestsPerMinute: 100,
    requestsPerDay: 10_000,
    monthlyQuota: 1_000,
    graceRatio: 1,
    smtpProbe: false,
  },
  growth: {
    name: 'growth',
    requestsPerMinute: 300,
    requestsPerDay: 50_000,
    monthlyQuota: 10_000,
    graceRatio: 1.2,
    smtpProbe: false,
  },
  business: {
    name: 'business',
    requestsPerMinute: 1_000,
    requestsPerDay: null,
    monthlyQuota: 100_000,
    graceRatio: 1.2,
    smtpProbe: true,
  },
};

export const planNames = Object.keys(plans) as PlanName[];

/**
 * The plan an account runs on: its named plan, with the account's own monthly quota in place of
 * the plan's when an operator set one (null or undefined: the plan's).
 */
export function planOf(name: string, monthlyQuota?: number | null): Plan {
  const plan = plans[name as PlanName] ?? plans.free;
  if (monthlyQuota === null || monthlyQuota === undefined) return plan;
  return { ...plan, monthlyQuota, customQuota: true };
}

/** The cheapest plan that has the SMTP probe, for FEATURE_NOT_AVAILABLE's `requiredTier`. */
export const smtpTier: PlanName = planNames.find((p) => plans[p].smtpProbe) ?? 'business';
