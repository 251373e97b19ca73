import type { Deps } from '../../src/deps.ts';
import { deliverWebhookEvent } from '../../src/domain/webhooks/deliver-event.ts';
import type { Processors } from '../start-workers.ts';

export const deliverWebhookProcessor =
  (deps: Deps): Processors['deliver-webhook'] =>
  ({ eventId, attempt }) =>
    deliverWebhookEvent(deps, { eventId, attempt });
