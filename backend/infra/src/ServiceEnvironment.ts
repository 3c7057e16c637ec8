/**
 * The service's configuration as the front doors give it (`backend/src/ServiceConfig.ts` reads these variables):
 * DynamoDB stores on the deployment's tables, the model aliases, the deadlines, CORS, and the embedded metric format
 * namespace the dashboard and alarms read. The admin key is never among them: the Lambda reads it from Secrets
 * Manager by ARN, ECS injects it from Secrets Manager at task start.
 *
 * @since 0.1.0
 */
import type { Config } from "./Config.js"
import type { Store } from "./Permissions.js"

/**
 * The CloudWatch namespace of the service's metrics.
 *
 * @since 0.1.0
 * @category utils
 */
export const metricsNamespace = (config: Config): string => `BedrockLlm/${config.name}-${config.stage}`

/**
 * The environment variables of the service.
 *
 * @since 0.1.0
 * @category constructors
 */
export const serviceEnvironment = (
  config: Config,
  tableNames: Readonly<Record<Store, string>>
): Record<string, string> => ({
  BACKEND_STORE: "dynamodb",
  BACKEND_DYNAMODB_KEYS_TABLE: tableNames.keys,
  BACKEND_DYNAMODB_LIMITS_TABLE: tableNames.limits,
  BACKEND_DYNAMODB_USAGE_TABLE: tableNames.usage,
  BACKEND_EMF_NAMESPACE: metricsNamespace(config),
  BACKEND_REQUEST_TIMEOUT_MS: String(config.requestTimeoutSeconds * 1000),
  BACKEND_DRAIN_TIMEOUT_MS: String(config.drainSeconds * 1000),
  BACKEND_LOG_LEVEL: "Info",
  ...(Object.keys(config.aliases).length === 0 ? {} : { BACKEND_MODEL_ALIASES: JSON.stringify(config.aliases) }),
  ...(config.corsOrigins.length === 0 ? {} : { BACKEND_CORS_ORIGINS: config.corsOrigins.join(",") })
})
