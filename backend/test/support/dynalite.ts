/**
 * dynalite on an ephemeral loopback port with the service's tables, closed with the scope.
 */
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb"
import dynalite from "dynalite"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { AddressInfo } from "node:net"
import { Dynamo } from "../../src/Dynamo.js"
import { definitions } from "../../src/Tables.js"

export const tables = { keysTable: "keys", limitsTable: "limits", usageTable: "usage" } as const

export const clientConfig = (endpoint: string) => ({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "local", secretAccessKey: "local-secret" }
})

/** A dynalite server with the three tables; yields its endpoint. */
export const dynaliteWithTables = Effect.gen(function*() {
  const endpoint = yield* Effect.acquireRelease(
    Effect.async<{ readonly endpoint: string; readonly server: ReturnType<typeof dynalite> }, Error>((resume) => {
      const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
      server.once("error", (error) => resume(Effect.fail(error)))
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed({ endpoint: `http://127.0.0.1:${port}`, server }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections?.()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ endpoint }) => endpoint))
  yield* Effect.promise(async () => {
    const client = new DynamoDBClient(clientConfig(endpoint))
    for (const table of definitions(tables)) await client.send(new CreateTableCommand(table))
    client.destroy()
  })
  return endpoint
})

/** The service's DynamoDB client on dynalite. */
export const dynamoOn = (endpoint: string): Layer.Layer<Dynamo> => Dynamo.layer(clientConfig(endpoint))
