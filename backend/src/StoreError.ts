/**
 * The one failure of every store (keys, limits, usage): the store could not be read or written. Its message names
 * the store and the operation, never a key's secret.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * A store was unreachable or answered with an error.
 *
 * @since 0.1.0
 * @category errors
 */
export class StoreError extends Schema.TaggedError<StoreError>()("StoreError", {
  store: Schema.String,
  operation: Schema.String,
  message: Schema.String,
  /** A conditional write whose condition failed (the stores turn this into their own outcome). */
  condition: Schema.optionalWith(Schema.Boolean, { default: () => false })
}) {}
