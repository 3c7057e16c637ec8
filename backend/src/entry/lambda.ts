/**
 * The Lambda handler module: the service for a Function URL in `RESPONSE_STREAM` mode or an API Gateway REST API with
 * response streaming (see `LambdaService`). The service starts while the module loads, during the function's
 * initialization, so the first invocation does not pay for it. Handler: `index.handler` of the bundle
 * (`npm run build -w bedrock-llm-backend` writes `dist/lambda/index.mjs`).
 *
 * @since 0.1.0
 */
import { makeHandler } from "./LambdaService.js"

/**
 * The streaming handler.
 *
 * @since 0.1.0
 * @category handlers
 */
export const handler = await makeHandler()
