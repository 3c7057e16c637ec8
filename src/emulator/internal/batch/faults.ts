/** Faults the emulator's batch jobs can be given on demand. */

/**
 * A job fault: `Fail` ends the job in `Failed` at validation; `Expire` and `PartiallyComplete` stop processing after
 * `afterRecords` records and end the job `Expired` or `PartiallyCompleted`, with the output of the records processed.
 * `RejectCreate` answers a `CreateModelInvocationJob` with a `ValidationException` (no job is made): the next one, or
 * the one after `afterCreates` accepted ones.
 */
export type JobFault =
  | { readonly _tag: "Fail"; readonly message?: string | undefined }
  | { readonly _tag: "RejectCreate"; readonly message?: string | undefined; readonly afterCreates?: number | undefined }
  | { readonly _tag: "Expire"; readonly afterRecords: number }
  | { readonly _tag: "PartiallyComplete"; readonly afterRecords: number }
