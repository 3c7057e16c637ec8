/**
 * Bedrock Runtime wire facts the emulator's server needs: operations, routes, error names, statuses and the
 * `x-amzn-ErrorType` namespaces, written from the service's model and recorded traffic.
 */

/** The namespace Bedrock's own exceptions carry in `x-amzn-ErrorType`. */
export const bedrockNamespace = "http://internal.amazon.com/coral/com.amazon.bedrock/"

/** The namespace the AWS front end (authentication, routing) uses in `x-amzn-ErrorType`. */
export const coralNamespace = "http://internal.amazon.com/coral/com.amazon.coral.service/"

export type Operation =
  | "Converse"
  | "ConverseStream"
  | "InvokeModel"
  | "InvokeModelWithResponseStream"
  | "CountTokens"
  | "ApplyGuardrail"

export const operations: ReadonlyArray<Operation> = [
  "Converse",
  "ConverseStream",
  "InvokeModel",
  "InvokeModelWithResponseStream",
  "CountTokens",
  "ApplyGuardrail"
]

const modelActions: Record<string, Operation> = {
  "converse": "Converse",
  "converse-stream": "ConverseStream",
  "invoke": "InvokeModel",
  "invoke-with-response-stream": "InvokeModelWithResponseStream",
  "count-tokens": "CountTokens"
}

export interface Route {
  readonly operation: Operation
  /** The decoded model id, or `guardrailId` for ApplyGuardrail. */
  readonly resourceId: string
  readonly guardrailVersion?: string | undefined
}

const safeDecode = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}

/** Maps `POST /model/{modelId}/{action}` and `POST /guardrail/{id}/version/{v}/apply` to an operation. */
export const parseRoute = (method: string, path: string): Route | undefined => {
  if (method !== "POST") return undefined
  const segments = path.split("/")
  if (segments[0] !== "") return undefined
  if (segments.length === 4 && segments[1] === "model") {
    const operation = modelActions[segments[3]!]
    const modelId = safeDecode(segments[2]!)
    return operation !== undefined && modelId !== undefined && modelId !== ""
      ? { operation, resourceId: modelId }
      : undefined
  }
  if (segments.length === 6 && segments[1] === "guardrail" && segments[3] === "version" && segments[5] === "apply") {
    const guardrailId = safeDecode(segments[2]!)
    const version = safeDecode(segments[4]!)
    return guardrailId !== undefined && guardrailId !== "" && version !== undefined && version !== ""
      ? { operation: "ApplyGuardrail", resourceId: guardrailId, guardrailVersion: version }
      : undefined
  }
  return undefined
}

/** An error response as the service sends it. */
export interface WireError {
  readonly type: string
  readonly status: number
  readonly message: string
  readonly namespace?: string | undefined
  /** Extra members of the JSON body (e.g. `originalStatusCode`). */
  readonly fields?: Record<string, unknown> | undefined
  /** A body to send instead of `{"message": ...}` (the front end spells some bodies differently). */
  readonly body?: string | undefined
}

export const errorStatus: Record<string, number> = {
  AccessDeniedException: 403,
  ConflictException: 400,
  InternalServerException: 500,
  ModelErrorException: 424,
  ModelNotReadyException: 429,
  ModelStreamErrorException: 424,
  ModelTimeoutException: 408,
  ResourceNotFoundException: 404,
  ServiceQuotaExceededException: 400,
  ServiceUnavailableException: 503,
  ThrottlingException: 429,
  ValidationException: 400
}

export const defaultMessages: Record<string, string> = {
  AccessDeniedException: "You don't have access to the model with the specified model ID.",
  InternalServerException: "The system encountered an unexpected error during processing. Try your request again.",
  ModelErrorException: "The model encountered an error while processing the request.",
  ModelNotReadyException: "Model is not ready to serve inference requests. Try your request again.",
  ModelStreamErrorException: "The model stream failed while processing the request. Try your request again.",
  ModelTimeoutException: "Model has timed out in processing the request. Try your request again.",
  ResourceNotFoundException: "The requested resource could not be found.",
  ServiceQuotaExceededException: "Your request exceeds the service quota for your account.",
  ServiceUnavailableException: "Bedrock is unable to process your request.",
  ThrottlingException: "Too many requests, please wait before trying again.",
  ValidationException: "Malformed input request, please reformat your input and try again."
}

/** A Bedrock exception with its table status and default message. */
export const bedrockError = (type: string, message?: string, fields?: Record<string, unknown>): WireError => ({
  type,
  status: errorStatus[type] ?? 400,
  message: message ?? defaultMessages[type] ?? type,
  ...(fields !== undefined ? { fields } : {})
})

export const validation = (message: string): WireError => bedrockError("ValidationException", message)

/** The lower-camel-case event-stream member name of an exception (`ThrottlingException` → `throttlingException`). */
export const streamExceptionName = (type: string): string => type.charAt(0).toLowerCase() + type.slice(1)

/** The exceptions each event stream declares, by their `:exception-type`. */
export const streamExceptions: Record<"ConverseStream" | "InvokeModelWithResponseStream", ReadonlyArray<string>> = {
  ConverseStream: [
    "internalServerException",
    "modelStreamErrorException",
    "validationException",
    "throttlingException",
    "serviceUnavailableException"
  ],
  InvokeModelWithResponseStream: [
    "internalServerException",
    "modelStreamErrorException",
    "validationException",
    "throttlingException",
    "modelTimeoutException",
    "serviceUnavailableException"
  ]
}

/** The JSON body of an error response. */
export const errorBody = (error: WireError): string =>
  error.body ?? JSON.stringify({ message: error.message, ...error.fields })

/** The `x-amzn-ErrorType` value of an error. */
export const errorTypeHeader = (error: WireError): string => `${error.type}:${error.namespace ?? bedrockNamespace}`
