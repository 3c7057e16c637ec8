/**
 * The browser UI's routes: `GET /playground` and `GET /admin` (one HTML shell; the script picks the page by path),
 * `GET /ui/app.js` and `GET /ui/app.css` (the bundle `UiBuild.ts` generated, gzipped when the browser accepts it,
 * revalidated by ETag), and `GET /playground/prices?model=...` (what a model's tokens cost, per million, so that the
 * playground prices an answer as the gateway does). The pages hold no secret: they call the gateway's own APIs with
 * the key the user types in.
 *
 * @since 0.1.0
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { ModelCatalog } from "bedrock-llm"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { gzipSync } from "node:zlib"
import { ServiceConfig } from "../ServiceConfig.js"

interface Asset {
  readonly contentType: string
  readonly body: Uint8Array
  readonly gzipped: Uint8Array
}

interface Assets {
  readonly version: string
  readonly script: Asset
  readonly style: Asset
}

const asset = (contentType: string, text: string): Asset => {
  const body = new TextEncoder().encode(text)
  return { contentType, body, gzipped: gzipSync(body, { level: 9 }) }
}

let loaded: Assets | undefined

/** The generated module, imported on first use: it is built by `npm run build:ui` and is not checked in. */
const loadAssets = Effect.suspend(() =>
  loaded !== undefined ? Effect.succeed(loaded) : Effect.tryPromise({
    try: () => import("./assets.generated.js"),
    catch: () => "the UI assets are not built: run `npm run build:ui -w bedrock-llm-backend`"
  }).pipe(Effect.map((module) => {
    loaded = {
      version: module.version,
      script: asset("text/javascript; charset=utf-8", module.script),
      style: asset("text/css; charset=utf-8", module.style)
    }
    return loaded
  }))
)

const securityHeaders = {
  "content-security-policy": "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; " +
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer"
}

const notBuilt = (message: string) =>
  HttpServerResponse.text(message, { status: 503, headers: { "cache-control": "no-store" } })

const page = (title: string) =>
  loadAssets.pipe(
    Effect.map(({ version }) =>
      HttpServerResponse.html(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">" +
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">" +
          "<meta name=\"color-scheme\" content=\"light dark\">" +
          `<title>${title}</title><link rel="stylesheet" href="/ui/app.css?v=${version}"></head>` +
          `<body><div id="app"></div><script type="module" src="/ui/app.js?v=${version}"></script></body></html>`
      ).pipe(HttpServerResponse.setHeaders({ ...securityHeaders, "cache-control": "no-cache" }))
    ),
    Effect.catchAll(notBuilt)
  )

const serveAsset = (pick: (assets: Assets) => Asset) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const assets = yield* loadAssets
    const chosen = pick(assets)
    const etag = `"${assets.version}"`
    const headers = { "cache-control": "no-cache", etag, vary: "accept-encoding", ...securityHeaders }
    if (request.headers["if-none-match"] === etag) return HttpServerResponse.empty({ status: 304, headers })
    const gzip = (request.headers["accept-encoding"] ?? "").includes("gzip")
    return HttpServerResponse.uint8Array(gzip ? chosen.gzipped : chosen.body, {
      contentType: chosen.contentType,
      headers: gzip ? { ...headers, "content-encoding": "gzip" } : headers
    })
  }).pipe(Effect.catchAll(notBuilt))

const million = {
  inputTokens: 1_000_000,
  outputTokens: 1_000_000,
  totalTokens: 2_000_000,
  cacheReadInputTokens: 1_000_000,
  cacheWriteInputTokens: 1_000_000
}

/**
 * The routes, on the `HttpApiBuilder` router (mounted by `Server.served`, so the Lambda serves them too).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function*() {
    const catalog = yield* ModelCatalog.ModelCatalog
    const config = yield* ServiceConfig
    const prices = Effect.gen(function*() {
      const url = yield* HttpServerRequest.HttpServerRequest.pipe(
        Effect.map((request) => new URL(request.url, "http://ui"))
      )
      const model = url.searchParams.get("model") ?? ""
      const target = Option.fromNullable(config.modelAliases[model]?.[0]?.modelId).pipe(Option.getOrElse(() => model))
      return yield* catalog.cost(target, million).pipe(
        Effect.flatMap((cost) =>
          HttpServerResponse.json({
            model,
            target,
            perMillionUsd: {
              input: cost.input,
              output: cost.output,
              cacheRead: cost.cacheRead,
              cacheWrite: cost.cacheWrite
            }
          })
        ),
        Effect.catchAll(() =>
          HttpServerResponse.json({ error: { type: "not_found", message: `no price for model "${model}"` } }, {
            status: 404
          })
        )
      )
    })
    yield* router.get("/playground", page("bedrock-llm playground"))
    yield* router.get("/admin", page("bedrock-llm admin"))
    yield* router.get("/ui/app.js", serveAsset((assets) => assets.script))
    yield* router.get("/ui/app.css", serveAsset((assets) => assets.style))
    yield* router.get("/playground/prices", prices)
  })
)
