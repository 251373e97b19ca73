import type { Deps } from '../../src/deps.ts';
import { deliverWebhookEvent } from '../../src/domain/webhooks/deliver-event.ts';
import { catalog } from '../../src/queue/catalog.ts';

export const deliverWebhookProcessor = (deps: Deps) => async (data: unknown) => {
  const { eventId, attempt } = catalog['deliver-webhook'].payload.parse(data);
  return deliverWebhookEvent(deps, { eventId, attempt });
};
