/**
 * The engine functions the emulator's request handlers call: the agreed interface of `src/emulator/engine/index.ts`,
 * in a module of its own so that the server and the batch job runner can both name it without importing each other.
 */
import type * as Engine from "../engine/index.js"

/** The engine functions the server and the batch runner call. */
export type EngineApi = Pick<typeof Engine, "converse" | "converseEvents" | "invoke" | "countTokens" | "applyGuardrail">
