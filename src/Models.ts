/**
 * The former name of `NativeBodies`: the native InvokeModel bodies of each model family.
 *
 * @deprecated Import `NativeBodies` (`bedrock-llm/NativeBodies`); this module goes in the next release.
 * @since 0.1.0
 */
import { all } from "./NativeBodies.js"

export * from "./NativeBodies.js"

/**
 * The former name of `NativeBodies.all`.
 *
 * @deprecated Use `NativeBodies.all`.
 * @since 0.1.0
 * @category models
 */
export const implementations = all
