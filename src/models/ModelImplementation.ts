/**
 * The former path of `families/NativeBody.ts`, kept while modules outside the families still import it.
 *
 * @deprecated Import `../families/NativeBody.js`.
 * @internal
 */
export * from "../families/NativeBody.js"
