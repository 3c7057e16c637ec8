/**
 * A `MemoryStore` over an Amazon DynamoDB table through `@aws-sdk/client-dynamodb` (an optional peer dependency:
 * install it to use this module), one item per conversation `{ pk, version, messages, updatedAt, expiresAt? }`
 * written with a conditional `PutItem`, so concurrent writers from any number of processes are safe.
 *
 * @since 0.1.0
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  type ScanCommandOutput,
  UpdateTimeToLiveCommand
} from "@aws-sdk/client-dynamodb"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import { decodeMessages, encodeMessages } from "./internal/messagesJson.js"
import {
  corrupt,
  make as makeStore,
  MemoryStore,
  type MemoryStoreError,
  type Operation,
  type Stored,
  storeError,
  versionConflict
} from "./MemoryStore.js"
import type * as Message from "./Message.js"

/**
 * Options of `layer`: the table; a client (kept open) or the config of one (created and destroyed with the
 * layer; default: the SDK's default region and credential chain); a time to live refreshed on every save and written
 * to the `ttlAttribute` (default `"expiresAt"`, epoch seconds) for DynamoDB's TTL to delete idle conversations.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly tableName: string
  readonly client?: DynamoDBClient | undefined
  readonly clientConfig?: DynamoDBClientConfig | undefined
  readonly ttl?: Duration.DurationInput | undefined
  readonly ttlAttribute?: string | undefined
}

const retryableNames = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
  "InternalServerError",
  "ServiceUnavailable",
  "TransactionConflictException",
  "TimeoutError"
])

const fromSdk = (operation: Operation, id: string | undefined) => (error: unknown): MemoryStoreError => {
  const name = error instanceof Error ? error.name : "UnknownError"
  const detail = error instanceof Error ? error.message : String(error)
  const status = (error as { readonly $metadata?: { readonly httpStatusCode?: number } } | null)?.$metadata
    ?.httpStatusCode
  return storeError(operation, id, name, detail, retryableNames.has(name) || (status !== undefined && status >= 500))
}

const acquireClient = (
  options: Pick<Options, "client" | "clientConfig">
): Effect.Effect<DynamoDBClient, never, Scope.Scope> =>
  options.client !== undefined
    ? Effect.succeed(options.client)
    : Effect.acquireRelease(
      Effect.sync(() => new DynamoDBClient(options.clientConfig ?? {})),
      (client) => Effect.sync(() => client.destroy())
    )

const numberOf = (value: AttributeValue | undefined): number | undefined =>
  value?.N === undefined ? undefined : Number(value.N)

const MAX_SCAN_PAGES = 100_000

/**
 * A store over a DynamoDB table (partition key `pk`, a string): conditional writes (`attribute_not_exists(pk)` for
 * version 0, else `version = :expected`, so a writer expecting a version never recreates a deleted item) make
 * concurrent writers from any number of processes safe. An
 * item whose `expiresAt` has passed reads as an empty conversation that keeps its version (DynamoDB deletes expired
 * items lazily). Items are limited to 400 KB by DynamoDB: prune long conversations.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options
): Effect.Effect<MemoryStore.Service, never, Scope.Scope> =>
  Effect.map(acquireClient(options), (client) => {
    const TableName = options.tableName
    const ttlAttribute = options.ttlAttribute ?? "expiresAt"
    const ttlMillis = options.ttl === undefined ? undefined : Duration.toMillis(Duration.decode(options.ttl))

    const send = <A>(f: (signal: AbortSignal) => Promise<A>) => Effect.tryPromise({ try: f, catch: (error) => error })

    const toSeconds = (millis: number) => Math.floor(millis / 1000)

    const load = (id: string) =>
      Effect.gen(function*() {
        const output = yield* Effect.mapError(
          send((abortSignal) =>
            client.send(
              new GetItemCommand({ TableName, Key: { pk: { S: id } }, ConsistentRead: true }),
              { abortSignal }
            )
          ),
          fromSdk("load", id)
        )
        const item = output.Item
        if (item === undefined) return Option.none<Stored>()
        const version = numberOf(item.version)
        if (version === undefined || item.messages?.S === undefined) {
          return yield* storeError("load", id, "Corrupt", "the item has no version or messages attribute")
        }
        const expiresAt = numberOf(item[ttlAttribute])
        const now = yield* Clock.currentTimeMillis
        if (expiresAt !== undefined && expiresAt <= toSeconds(now)) {
          return Option.some<Stored>({ messages: [], version })
        }
        const messages = yield* Effect.mapError(decodeMessages(item.messages.S), corrupt("load", id))
        return Option.some<Stored>({ messages, version })
      })

    const save = (id: string, messages: ReadonlyArray<Message.Message>, expectedVersion: number) =>
      Effect.gen(function*() {
        const json = yield* Effect.mapError(encodeMessages(messages), corrupt("save", id))
        const now = yield* Clock.currentTimeMillis
        const version = expectedVersion + 1
        const item: Record<string, AttributeValue> = {
          pk: { S: id },
          version: { N: String(version) },
          messages: { S: json },
          updatedAt: { N: String(toSeconds(now)) },
          ...(ttlMillis !== undefined ? { [ttlAttribute]: { N: String(toSeconds(now + ttlMillis)) } } : {})
        }
        yield* send((abortSignal) =>
          client.send(
            new PutItemCommand({
              TableName,
              Item: item,
              ...(expectedVersion === 0
                ? { ConditionExpression: "attribute_not_exists(#pk)", ExpressionAttributeNames: { "#pk": "pk" } }
                : {
                  ConditionExpression: "#version = :expected",
                  ExpressionAttributeNames: { "#version": "version" },
                  ExpressionAttributeValues: { ":expected": { N: String(expectedVersion) } }
                }),
              ReturnValuesOnConditionCheckFailure: "ALL_OLD"
            }),
            { abortSignal }
          )
        ).pipe(
          Effect.mapError((error) =>
            error instanceof ConditionalCheckFailedException ||
              (error instanceof Error && error.name === "ConditionalCheckFailedException")
              ? versionConflict(id, expectedVersion, numberOf((error as ConditionalCheckFailedException).Item?.version))
              : fromSdk("save", id)(error)
          )
        )
        return version
      })

    const remove = (id: string) =>
      Effect.asVoid(Effect.mapError(
        send((abortSignal) =>
          client.send(new DeleteItemCommand({ TableName, Key: { pk: { S: id } } }), { abortSignal })
        ),
        fromSdk("delete", id)
      ))

    const list = Effect.gen(function*() {
      const now = toSeconds(yield* Clock.currentTimeMillis)
      const ids: Array<string> = []
      let startKey: Record<string, AttributeValue> | undefined = undefined
      for (let page = 0; page < MAX_SCAN_PAGES; page++) {
        const exclusiveStartKey: Record<string, AttributeValue> | undefined = startKey
        const output: ScanCommandOutput = yield* Effect.mapError(
          send((abortSignal) =>
            client.send(
              new ScanCommand({
                TableName,
                ProjectionExpression: "#pk, #ttl",
                ExpressionAttributeNames: { "#pk": "pk", "#ttl": ttlAttribute },
                ConsistentRead: true,
                ...(exclusiveStartKey !== undefined ? { ExclusiveStartKey: exclusiveStartKey } : {})
              }),
              { abortSignal }
            )
          ),
          fromSdk("list", undefined)
        )
        for (const item of output.Items ?? []) {
          const expiresAt = numberOf(item[ttlAttribute])
          if (item.pk?.S !== undefined && (expiresAt === undefined || expiresAt > now)) ids.push(item.pk.S)
        }
        startKey = output.LastEvaluatedKey
        if (startKey === undefined) break
      }
      return ids
    })

    return makeStore({ load, save, delete: remove, list })
  })

/**
 * A store over a DynamoDB table (see `make`); the client, when created here, is destroyed with the layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<MemoryStore> => Layer.scoped(MemoryStore, make(options))

/**
 * Options of `createTable`: the table and client as for `layer`; `enableTtl` also turns on DynamoDB's TTL on
 * the `ttlAttribute` (not supported by every local emulator).
 *
 * @since 0.1.0
 * @category models
 */
export interface CreateTableOptions {
  readonly tableName: string
  readonly client?: DynamoDBClient | undefined
  readonly clientConfig?: DynamoDBClientConfig | undefined
  readonly enableTtl?: boolean | undefined
  readonly ttlAttribute?: string | undefined
}

/**
 * Creates the table for `layer` (on-demand billing, partition key `pk`) if it does not exist and waits until
 * it is active (for tests and development; production tables belong in infrastructure as code).
 *
 * @since 0.1.0
 * @category constructors
 */
export const createTable = (options: CreateTableOptions): Effect.Effect<void, MemoryStoreError> =>
  Effect.scoped(Effect.gen(function*() {
    const client = yield* acquireClient(options)
    const TableName = options.tableName
    const send = <A>(f: (signal: AbortSignal) => Promise<A>) =>
      Effect.mapError(Effect.tryPromise({ try: f, catch: (error) => error }), fromSdk("createTable", undefined))
    yield* send((abortSignal) =>
      client.send(
        new CreateTableCommand({
          TableName,
          AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
          KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
          BillingMode: "PAY_PER_REQUEST"
        }),
        { abortSignal }
      )
    ).pipe(Effect.catchIf((error) => error.reason === "ResourceInUseException", () => Effect.void))
    yield* send((abortSignal) => client.send(new DescribeTableCommand({ TableName }), { abortSignal })).pipe(
      Effect.repeat({
        schedule: Schedule.spaced("500 millis"),
        until: (output) => output.Table?.TableStatus === "ACTIVE",
        times: 240
      })
    )
    if (options.enableTtl === true) {
      yield* send((abortSignal) =>
        client.send(
          new UpdateTimeToLiveCommand({
            TableName,
            TimeToLiveSpecification: { AttributeName: options.ttlAttribute ?? "expiresAt", Enabled: true }
          }),
          { abortSignal }
        )
      )
    }
  }))
