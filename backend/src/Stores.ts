/**
 * The stores of the service, chosen by `ServiceConfig.store`: in memory (one instance, the local default) or in
 * DynamoDB (shared by every instance), and what is built on them (rate limiter, budget, admission).
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as Layer from "effect/Layer"
import { Dynamo } from "./Dynamo.js"
import * as KeyStore from "./keys/KeyStore.js"
import * as Admission from "./limits/Admission.js"
import * as Budget from "./limits/Budget.js"
import * as Counters from "./limits/Counters.js"
import * as RateLimiter from "./limits/RateLimiter.js"
import type { StoreSettings } from "./ServiceConfig.js"
import * as UsageStore from "./usage/UsageStore.js"

/**
 * Every store the service uses.
 *
 * @since 0.1.0
 * @category models
 */
export type Stores = KeyStore.KeyStore | Counters.Counters | UsageStore.UsageStore

/**
 * The stores of the settings. The DynamoDB client takes the SDK's default region and credentials (and
 * `BACKEND_DYNAMODB_ENDPOINT` when set).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (settings: StoreSettings, dynamo?: Layer.Layer<Dynamo>): Layer.Layer<Stores> =>
  settings._tag === "memory"
    ? Layer.mergeAll(KeyStore.layerMemory, Counters.layerMemory, UsageStore.layerMemory)
    : Layer.mergeAll(
      KeyStore.layerDynamo(settings.keysTable),
      Counters.layerDynamo(settings.limitsTable),
      UsageStore.layerDynamo(settings.usageTable)
    ).pipe(
      Layer.provide(dynamo ?? Dynamo.layer(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }))
    )

/**
 * Rate limiter, budget and admission over the stores.
 *
 * @since 0.1.0
 * @category layers
 */
export const limits: Layer.Layer<
  Admission.Admission | RateLimiter.RateLimiter | Budget.Budget,
  never,
  Counters.Counters | UsageStore.UsageStore
> = Admission.layer.pipe(Layer.provideMerge(Layer.merge(RateLimiter.layer, Budget.layer)))

/**
 * `limits` with budget reservations held for `holdFor` (see `Sweeper.holdFor`).
 *
 * @since 0.1.0
 * @category layers
 */
export const limitsWith = (holdFor: Duration.Duration): Layer.Layer<
  Admission.Admission | RateLimiter.RateLimiter | Budget.Budget,
  never,
  Counters.Counters | UsageStore.UsageStore
> => Admission.layer.pipe(Layer.provideMerge(Layer.merge(RateLimiter.layer, Budget.layerWith(holdFor))))
