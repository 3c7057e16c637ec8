import { DynamoDBClient } from "@aws-sdk/client-dynamodb"
import dynalite from "dynalite"
import { Effect } from "effect"
import type { AddressInfo } from "node:net"

/** A dynalite server on an ephemeral loopback port, closed with the scope; yields its endpoint. */
export const dynaliteServer = Effect.acquireRelease(
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

/** Client settings for a local endpoint: a region and dummy credentials. */
export const clientConfig = (endpoint: string) => ({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "local", secretAccessKey: "local-secret" }
})

/** An SDK client on the endpoint, destroyed with the scope. */
export const dynamoClient = (endpoint: string) =>
  Effect.acquireRelease(
    Effect.sync(() => new DynamoDBClient(clientConfig(endpoint))),
    (client) => Effect.sync(() => client.destroy())
  )
