/**
 * `defined`: a record without its undefined fields, typed so that optional fields stay optional (what
 * `exactOptionalPropertyTypes` asks for when building objects from maybe-undefined values).
 *
 * @internal
 */

/** An object with only the keys whose value is defined. */
export const defined = <T extends Record<string, unknown>>(
  fields: T
):
  & { [K in keyof T as undefined extends T[K] ? never : K]: T[K] }
  & {
    [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>
  } =>
{
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(fields)) {
    if (fields[key] !== undefined) out[key] = fields[key]
  }
  return out as never
}
