/** Faults the emulator's batch jobs can be given on demand. */

/**
 * A job fault: `Fail` ends the job in `Failed` at validation; `Expire` and `PartiallyComplete` stop processing after
 * `afterRecords` records and end the job `Expired` or `PartiallyCompleted`, with the output of the records processed.
 */
export type JobFault =
  | { readonly _tag: "Fail"; readonly message?: string | undefined }
  | { readonly _tag: "Expire"; readonly afterRecords: number }
  | { readonly _tag: "PartiallyComplete"; readonly afterRecords: number }
