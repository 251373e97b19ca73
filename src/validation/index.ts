/**
 * The verification engine's public surface. Workers, the synchronous API and the benchmarks
 * import from here (or from the module files directly, as the existing code does).
 */
export {
  createVerifier,
  assertProbeIdentity,
  type EngineConfig,
  type EngineDeps,
} from './engine.ts';
export { parseAddress } from './syntax.ts';
export {
  classifySmtpReply,
  matchingRule,
  SMTP_REPLY_RULES,
  type SmtpClassification,
} from './classify.ts';
export { simulateTestVerdict, TEST_MODE_LOCAL_PARTS } from './test-mode.ts';
export { suggestDomain, didYouMean, POPULAR_DOMAINS } from './typo.ts';
export { isDisposableDomain, isFreeProvider, isRoleAccount, preloadLists } from './lists.ts';
export { composeVerdict, factsOf, type AddressFacts } from './verdict.ts';
export { parseReply, type SmtpReply } from './smtp-reply.ts';
export { isPublicUnicast } from './safety.ts';
export { DnsResolver, type DomainMail, type MxHost } from './dns.ts';
export type * from './types.ts';
