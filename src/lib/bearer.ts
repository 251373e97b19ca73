import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * A check of `Authorization: Bearer <token>` against a configured token, in constant time (both
 * sides hashed first, so their lengths never show). Used by the admin routes and /metrics.
 */
export function bearerCheck(token: string): (authorization: string | undefined) => boolean {
  const expected = digest(token);
  return (authorization) => {
    const presented = authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
    return presented !== undefined && timingSafeEqual(digest(presented), expected);
  };
}
