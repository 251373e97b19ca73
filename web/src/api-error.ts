/** The error envelope of API.md as the page holds it; free of the DOM, so unit tests load it. */

export interface ErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** A refused request, as the envelope of API.md describes it (or a network failure, status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
    /** Seconds from the Retry-After header, when the answer had one. */
    readonly retryAfter: number | null = null,
  ) {
    super(body.message);
  }
  get code() {
    return this.body.code;
  }
  get details(): Record<string, unknown> {
    return this.body.details ?? {};
  }
}
