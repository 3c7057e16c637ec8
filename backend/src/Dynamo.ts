/**
 * The DynamoDB client shared by the DynamoDB layers of the stores: one SDK client per service, destroyed with its
 * scope, and the operations the stores use, each turning SDK failures into a `StoreError` that names the store and the
 * operation (and says whether a condition failed).
 *
 * @since 0.1.0
 */
import {
  DeleteItemCommand,
  type DeleteItemCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  GetItemCommand,
  type GetItemCommandInput,
  PutItemCommand,
  type PutItemCommandInput,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput
} from "@aws-sdk/client-dynamodb"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { StoreError } from "./StoreError.js"

/**
 * The DynamoDB client.
 *
 * @since 0.1.0
 * @category services
 */
export class Dynamo extends Context.Tag("bedrock-llm-backend/Dynamo")<Dynamo, DynamoDBClient>() {
  /**
   * A scoped client (the SDK's default credentials and region unless `config` says otherwise).
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layer = (config: DynamoDBClientConfig = {}): Layer.Layer<Dynamo> =>
    Layer.scoped(
      Dynamo,
      Effect.acquireRelease(
        Effect.sync(() =>
          new DynamoDBClient({
            maxAttempts: 3,
            requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 },
            ...config
          })
        ),
        (client) => Effect.sync(() => client.destroy())
      )
    )
}

const errorName = (cause: unknown): string =>
  typeof cause === "object" && cause !== null && "name" in cause ? String(cause.name) : "Error"

const errorMessage = (cause: unknown): string =>
  typeof cause === "object" && cause !== null && "message" in cause ? String(cause.message) : String(cause)

/**
 * Whether a DynamoDB failure is a failed condition (of a write or of one item of a transaction).
 *
 * @since 0.1.0
 * @category utils
 */
export const isConditionFailure = (cause: unknown): boolean => {
  const name = errorName(cause)
  if (name === "ConditionalCheckFailedException") return true
  if (name !== "TransactionCanceledException") return false
  const reasons = (cause as { readonly CancellationReasons?: ReadonlyArray<{ readonly Code?: string }> })
    .CancellationReasons ?? []
  return reasons.some((reason) => reason.Code === "ConditionalCheckFailed")
}

const storeError = (store: string, operation: string) => (cause: unknown) =>
  new StoreError({
    store,
    operation,
    message: `${errorName(cause)}: ${errorMessage(cause)}`,
    condition: isConditionFailure(cause)
  })

const run = <A>(
  store: string,
  operation: string,
  call: (client: DynamoDBClient, signal: AbortSignal) => Promise<A>
): Effect.Effect<A, StoreError, Dynamo> =>
  Effect.flatMap(
    Dynamo,
    (client) => Effect.tryPromise({ try: (signal) => call(client, signal), catch: storeError(store, operation) })
  )

/**
 * Runs a write whose condition may fail: `true` when it was applied, `false` when its condition failed.
 *
 * @since 0.1.0
 * @category utils
 */
export const conditional = <A, R>(
  write: Effect.Effect<A, StoreError, R>
): Effect.Effect<boolean, StoreError, R> =>
  Effect.matchEffect(write, {
    onSuccess: () => Effect.succeed(true),
    onFailure: (error) => error.condition ? Effect.succeed(false) : Effect.fail(error)
  })

/**
 * The operations the stores use, each naming its store and operation in any failure.
 *
 * @since 0.1.0
 * @category utils
 */
export const getItem = (store: string, operation: string, input: GetItemCommandInput) =>
  run(store, operation, (client, abortSignal) => client.send(new GetItemCommand(input), { abortSignal }))

/**
 * @since 0.1.0
 * @category utils
 */
export const putItem = (store: string, operation: string, input: PutItemCommandInput) =>
  run(store, operation, (client, abortSignal) => client.send(new PutItemCommand(input), { abortSignal }))

/**
 * @since 0.1.0
 * @category utils
 */
export const updateItem = (store: string, operation: string, input: UpdateItemCommandInput) =>
  run(store, operation, (client, abortSignal) => client.send(new UpdateItemCommand(input), { abortSignal }))

/**
 * @since 0.1.0
 * @category utils
 */
export const deleteItem = (store: string, operation: string, input: DeleteItemCommandInput) =>
  run(store, operation, (client, abortSignal) => client.send(new DeleteItemCommand(input), { abortSignal }))

/**
 * @since 0.1.0
 * @category utils
 */
export const query = (store: string, operation: string, input: QueryCommandInput) =>
  run(store, operation, (client, abortSignal) => client.send(new QueryCommand(input), { abortSignal }))

/**
 * @since 0.1.0
 * @category utils
 */
export const scan = (store: string, operation: string, input: ScanCommandInput) =>
  run(store, operation, (client, abortSignal) => client.send(new ScanCommand(input), { abortSignal }))

/**
 * @since 0.1.0
 * @category utils
 */
export const describeTable = (store: string, operation: string, TableName: string) =>
  run(store, operation, (client, abortSignal) => client.send(new DescribeTableCommand({ TableName }), { abortSignal }))
