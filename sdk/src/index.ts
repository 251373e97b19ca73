export { Mailsift, SDK_VERSION, type MailsiftOptions, type ValidateOptions } from './client.js';
export {
  CHECK_COLUMNS,
  Jobs,
  isTerminal,
  type CheckColumn,
  type CreateJobParams,
  type DownloadParams,
  type WaitOptions,
} from './jobs.js';
export type { RequestOptions, RetryInfo } from './http.js';
export type { FileInput, UploadProgress } from './upload.js';
export { verifyWebhook } from './webhooks.js';
export * from './errors.js';
export type * from './types.js';
