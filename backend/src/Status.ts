/**
 * `bedrock-llm-backend status`: a deployed gateway at a glance, from its admin API and, when its log group is given,
 * from CloudWatch Logs: liveness and readiness, this month's spend of every key against its budget, and the most
 * recent failed requests (5xx, and refusals the gateway logged with their reason) found by a CloudWatch Logs Insights
 * query over the service's own JSON log lines. Never a secret: keys appear by id and name.
 *
 * @since 0.1.0
 */
import {
  CloudWatchLogsClient,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  StartQueryCommand
} from "@aws-sdk/client-cloudwatch-logs"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

/**
 * One key's month.
 *
 * @since 0.1.0
 * @category models
 */
export interface KeySpend {
  readonly id: string
  readonly name: string
  readonly status: string
  readonly spentUsd: number
  readonly committedUsd: number
  readonly budgetUsd?: number | undefined
  /** Spent as a share of the budget (keys with a budget). */
  readonly budgetUsedPercent?: number | undefined
}

/**
 * A failed request from the service's log lines.
 *
 * @since 0.1.0
 * @category models
 */
export interface RecentError {
  readonly timestamp: string
  readonly status?: number | undefined
  readonly path?: string | undefined
  readonly keyId?: string | undefined
  readonly error?: string | undefined
  readonly requestId?: string | undefined
}

/**
 * What `status` prints.
 *
 * @since 0.1.0
 * @category models
 */
export interface Report {
  readonly url: string
  readonly live: string
  readonly ready: string
  readonly month: string | undefined
  readonly keys: ReadonlyArray<KeySpend>
  readonly recentErrors?: ReadonlyArray<RecentError> | undefined
}

/**
 * The Logs Insights query that finds the recent failed requests in the service's log group.
 *
 * @since 0.1.0
 * @category constants
 */
export const errorsQuery = [
  "fields @timestamp, annotations.status as status, annotations.path as path, annotations.keyId as keyId,",
  "annotations.error as error, annotations.requestId as requestId",
  "| filter message = \"request\" and (annotations.status >= 500 or ispresent(annotations.error))",
  "| sort @timestamp desc",
  "| limit 20"
].join(" ")

/**
 * The logs could not be queried (no credentials, no such log group, the query failed or took too long).
 *
 * @since 0.1.0
 * @category errors
 */
export class LogsQueryError extends Data.TaggedError("LogsQueryError")<{ readonly message: string }> {}

const describe = (cause: unknown) => (cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause))

/**
 * The recent failed requests of a log group over the last `since`, newest first (at most 20). Polls the query for
 * at most 30 seconds.
 *
 * @since 0.1.0
 * @category constructors
 */
export const recentErrors = (
  logGroup: string,
  since: Duration.Duration
): Effect.Effect<ReadonlyArray<RecentError>, LogsQueryError> =>
  Effect.acquireUseRelease(
    Effect.sync(() => new CloudWatchLogsClient({ maxAttempts: 3 })),
    (client) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const send = <A>(what: string, f: (signal: AbortSignal) => Promise<A>) =>
          Effect.tryPromise({
            try: f,
            catch: (cause) => new LogsQueryError({ message: `${what} on ${logGroup} failed: ${describe(cause)}` })
          })
        const started = yield* send("StartQuery", (abortSignal) =>
          client.send(
            new StartQueryCommand({
              logGroupName: logGroup,
              startTime: Math.floor((now - Duration.toMillis(since)) / 1000),
              endTime: Math.ceil(now / 1000),
              queryString: errorsQuery,
              limit: 20
            }),
            { abortSignal }
          ))
        const queryId = started.queryId ?? ""
        let results: GetQueryResultsCommandOutput | undefined
        for (let attempt = 0; attempt < 30; attempt++) {
          results = yield* send(
            "GetQueryResults",
            (abortSignal) => client.send(new GetQueryResultsCommand({ queryId }), { abortSignal })
          )
          if (results.status !== "Running" && results.status !== "Scheduled") break
          yield* Effect.sleep(Duration.seconds(1))
        }
        if (results?.status !== "Complete") {
          return yield* new LogsQueryError({
            message: `The Logs Insights query on ${logGroup} ended ${results?.status ?? "without a status"}.`
          })
        }
        return (results.results ?? []).map((row) => {
          const field = (name: string) => row.find((entry) => entry.field === name)?.value
          const status = field("status")
          return {
            timestamp: field("@timestamp") ?? "",
            ...(status === undefined ? {} : { status: Number(status) }),
            path: field("path"),
            keyId: field("keyId"),
            error: field("error"),
            requestId: field("requestId")
          }
        })
      }),
    (client) => Effect.sync(() => client.destroy())
  )

/**
 * What `report` uses of the service's `HttpApiClient` (the CLI's).
 *
 * @since 0.1.0
 * @category models
 */
export interface StatusClient<E> {
  readonly health: {
    readonly live: () => Effect.Effect<unknown, unknown>
    readonly ready: () => Effect.Effect<unknown, unknown>
  }
  readonly admin: {
    readonly listKeys: () => Effect.Effect<{
      readonly keys: ReadonlyArray<
        {
          readonly id: string
          readonly name: string
          readonly status: string
          readonly monthlyBudgetUsd?: number | undefined
        }
      >
    }, E>
    readonly getKey: (request: { readonly path: { readonly id: string } }) => Effect.Effect<{
      readonly month: { readonly period: string; readonly spentUsd: number; readonly committedUsd: number }
    }, E>
  }
}

/**
 * The report of a gateway through its admin client; the recent errors when a log group is named (a failed query is
 * reported in their place, never hiding the rest).
 *
 * @since 0.1.0
 * @category constructors
 */
export const report = <E>(
  client: StatusClient<E>,
  options: { readonly url: string; readonly logGroup?: string | undefined; readonly since?: Duration.Duration }
) =>
  Effect.gen(function*() {
    const probe = (effect: Effect.Effect<unknown, unknown>) =>
      Effect.match(effect, {
        onSuccess: () => "ok",
        onFailure: (error) =>
          typeof error === "object" && error !== null && "failing" in error
            ? `unavailable: ${(error as { failing: ReadonlyArray<string> }).failing.join(", ")}`
            : `unreachable: ${describe(error)}`
      })
    const [live, ready] = yield* Effect.all([probe(client.health.live()), probe(client.health.ready())], {
      concurrency: 2
    })
    const { keys } = yield* client.admin.listKeys()
    let month: string | undefined
    const spend = yield* Effect.forEach(keys, (key) =>
      Effect.map(client.admin.getKey({ path: { id: key.id } }), (found): KeySpend => {
        month ??= found.month.period
        const budgetUsd = key.monthlyBudgetUsd
        return {
          id: key.id,
          name: key.name,
          status: key.status,
          spentUsd: found.month.spentUsd,
          committedUsd: found.month.committedUsd,
          ...(budgetUsd === undefined ? {} : {
            budgetUsd,
            budgetUsedPercent: budgetUsd === 0 ? 100 : Math.round((10_000 * found.month.spentUsd) / budgetUsd) / 100
          })
        }
      }), { concurrency: 8 })
    const recent = options.logGroup === undefined ? undefined : yield* recentErrors(
      options.logGroup,
      options.since ?? Duration.hours(1)
    ).pipe(Effect.catchAll((error) =>
      Effect.succeed([{ timestamp: "", error: error.message }] as const)
    ))
    return {
      url: options.url,
      live,
      ready,
      month,
      keys: [...spend].sort((a, b) =>
        b.spentUsd - a.spentUsd
      ),
      ...(recent === undefined ? {} : { recentErrors: recent })
    } satisfies Report
  })
