/**
 * The service's `HttpApi`: one group per API. An API adds its group here (`.add(...)`) and its handlers' layer to
 * `Server.ts`'s `handlers`.
 *
 * @since 0.1.0
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as OpenApi from "@effect/platform/OpenApi"
import { AdminGroup } from "./apis/admin/AdminApi.js"
import { AgentsGroup } from "./apis/agents/AgentsApi.js"
import { AnthropicGroup } from "./apis/anthropic/AnthropicApi.js"
import { BatchGroup } from "./apis/batch/BatchApi.js"
import { BedrockGroup } from "./apis/bedrock/BedrockApi.js"
import { HealthGroup } from "./apis/health/HealthApi.js"
import { OpenAiGroup } from "./apis/openai/OpenAiApi.js"

/**
 * The API.
 *
 * @since 0.1.0
 * @category api
 */
export class Api extends HttpApi.make("bedrock-llm-backend")
  .add(HealthGroup)
  .add(AdminGroup)
  .add(OpenAiGroup)
  .add(BatchGroup)
  .add(AnthropicGroup)
  .add(BedrockGroup)
  .add(AgentsGroup)
  .annotate(OpenApi.Title, "bedrock-llm gateway")
  .annotate(OpenApi.Description, "An Amazon Bedrock gateway with keys, budgets, rate limits and usage.")
{}
