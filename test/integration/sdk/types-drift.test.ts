import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type * as Sdk from '../../../sdk/src/index.ts';
import { renderSdkTypes, SDK_TYPES_FILE } from '../../../scripts/sdk-types.ts';
import type { jobResourceSchema } from '../../../src/domain/jobs/job-resource.ts';
import type { errorEnvelopeSchema } from '../../../src/http/schemas/errors.responses.ts';
import type {
  jobListSchema,
  resultPageSchema,
  resultSchema,
  webhookAttemptSchema,
} from '../../../src/http/schemas/jobs.responses.ts';
import type {
  accountSchema,
  batchResponseSchema,
  enrichmentSchema,
  validateResponseSchema,
} from '../../../src/http/schemas/validate.responses.ts';
import { useHarness } from '../../support/harness.ts';

// The SDK's response types are generated from the OpenAPI document (sdk/src/generated/openapi.ts,
// `npm run sdk:generate`), which is generated from the routes' zod schemas. Two checks that they
// cannot drift apart:
// - at run time, the committed file must be exactly what the document served by GET /openapi.json
//   generates;
// - at compile time (`npm run typecheck` covers this file), each SDK type must equal the type the
//   route's zod schema produces: a field added, removed or retyped on either side fails the build.

type Out<T extends z.ZodType> = z.output<T>;

describe('the SDK types and the service cannot drift', () => {
  const h = useHarness();

  it('the committed sdk/src/generated/openapi.ts is what the served document generates', async () => {
    const res = await fetch(`${h.url}/openapi.json`);
    expect(res.status).toBe(200);
    const document = (await res.json()) as { components: { schemas: Record<string, any> } };
    const committed = readFileSync(SDK_TYPES_FILE, 'utf8');
    const generated = await renderSdkTypes(document);
    // On failure: run `npm run sdk:generate` and commit the file.
    expect(
      committed === generated,
      'sdk/src/generated/openapi.ts is stale: npm run sdk:generate',
    ).toBe(true);

    // The check sees a change: one more field on the job resource changes the generated types.
    const job = document.components.schemas.Job;
    job.properties.priority = { type: 'integer' };
    job.required.push('priority');
    const drifted = await renderSdkTypes(document);
    expect(drifted).not.toBe(committed);
    expect(drifted).toMatch(/priority: number;/);
  });

  it('each SDK response type equals the output type of the route zod schema', () => {
    expectTypeOf<Sdk.Job>().toEqualTypeOf<Out<typeof jobResourceSchema>>();
    expectTypeOf<Sdk.JobList>().toEqualTypeOf<Out<typeof jobListSchema>>();
    expectTypeOf<Sdk.Result>().toEqualTypeOf<Out<typeof resultSchema>>();
    expectTypeOf<Sdk.ResultPage>().toEqualTypeOf<Out<typeof resultPageSchema>>();
    expectTypeOf<Sdk.WebhookAttempt>().toEqualTypeOf<Out<typeof webhookAttemptSchema>>();
    expectTypeOf<Sdk.ValidateResponse>().toEqualTypeOf<Out<typeof validateResponseSchema>>();
    expectTypeOf<Sdk.BatchResponse>().toEqualTypeOf<Out<typeof batchResponseSchema>>();
    expectTypeOf<Sdk.Account>().toEqualTypeOf<Out<typeof accountSchema>>();
    expectTypeOf<Sdk.Enrichment>().toEqualTypeOf<Out<typeof enrichmentSchema>>();
    // `details` is an open object: the generator writes `{ …known } & { [key: string]: unknown }`,
    // zod one object with an index signature. Equal as sets of values: each extends the other.
    expectTypeOf<Sdk.ErrorEnvelope>().toExtend<Out<typeof errorEnvelopeSchema>>();
    expectTypeOf<Out<typeof errorEnvelopeSchema>>().toExtend<Sdk.ErrorEnvelope>();
  });
});
