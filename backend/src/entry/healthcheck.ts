/**
 * The container's health check (Docker's `HEALTHCHECK` and the ECS task definition's): exits 0 when the service on
 * this host answers `/health/ready` with 200 within 3 seconds, 1 otherwise. The port is `BACKEND_PORT` (default
 * 8080), as the service reads it.
 *
 * @since 0.1.0
 */
const port = process.env["BACKEND_PORT"] ?? "8080"

try {
  const response = await fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(3_000) })
  process.exitCode = response.status === 200 ? 0 : 1
} catch {
  process.exitCode = 1
}
