import type { components } from './generated/openapi.js';

// Every response type is the OpenAPI document's own (src/generated/openapi.ts, generated from the
// service's zod schemas by `npm run sdk:generate`); none is written out by hand here.
type Schemas = components['schemas'];

export type Job = Schemas['Job'];
export type JobStatus = Job['status'];
export type JobList = Schemas['JobList'];
export type Result = Schemas['Result'];
export type ResultPage = Schemas['ResultPage'];
export type VerdictStatus = Schemas['VerdictStatus'];
export type WebhookAttempt = Schemas['WebhookAttempt'];
export type ValidateResponse = Schemas['ValidateResponse'];
export type BatchResponse = Schemas['BatchResponse'];
export type Account = Schemas['Account'];
export type Enrichment = Schemas['Enrichment'];
export type ErrorEnvelope = Schemas['Error'];

/** The body of a webhook delivery (docs/webhooks.md): the job resource as it ended. */
export interface WebhookEvent {
  id: string;
  type: 'job.completed' | 'job.failed';
  created_at: string;
  data: Job;
}

export type { components, paths } from './generated/openapi.js';
