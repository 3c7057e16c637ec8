/**
 * Bedrock's batch inference quotas as the emulator enforces them. The defaults are the service's documented default
 * quotas (Amazon Bedrock endpoints and quotas, AWS General Reference); each is adjustable per account, so each can be
 * set per emulator (tests lower them to exercise the splitting without gigabytes of input).
 */
export interface BatchQuotas {
  /** Minimum number of records per batch inference job. */
  readonly minRecordsPerJob: number
  /** Records per input file per batch inference job. */
  readonly maxRecordsPerFile: number
  /** Records per batch inference job. */
  readonly maxRecordsPerJob: number
  /** Batch inference input file size, in bytes. */
  readonly maxFileBytes: number
  /** Batch inference job size (all of a job's input files), in bytes. */
  readonly maxJobBytes: number
}

export const defaultQuotas: BatchQuotas = {
  minRecordsPerJob: 100,
  maxRecordsPerFile: 50_000,
  maxRecordsPerJob: 50_000,
  maxFileBytes: 1024 ** 3,
  maxJobBytes: 5 * 1024 ** 3
}
