/**
 * Bedrock's documented request limits and the errors the service answers when a request breaks them: the context
 * window, images (bytes that decode as the declared format, size, dimensions, count), documents (size, count,
 * names) and video (which models take it, count, inline size). Claude's own checks answer in the model's words,
 * relayed as "The model returned the following errors: ..."; the others in the service's. Where each figure and
 * message comes from is in docs/EMULATOR.md ("Limits").
 *
 * @since 0.1.0
 */
import type { ModelInfo } from "./catalog.js"
import { type ImageFormat, probeImage } from "./media.js"
import { reject, rejectModel } from "./reject.js"

/** Images per request (Converse `Message`; Claude on Bedrock counts images and documents together). @internal */
export const MAX_IMAGES = 20
/** Bytes of one image on Converse: 3.75 MB. @internal */
export const MAX_IMAGE_BYTES = 3_932_160
/** Claude's limit on one image, measured on its base64 form: 5 MB. @internal */
export const MAX_CLAUDE_IMAGE_BASE64 = 5_242_880
/** Pixels of an image's width and of its height. @internal */
export const MAX_IMAGE_PIXELS = 8000
/** Documents per request on Converse. @internal */
export const MAX_DOCUMENTS = 5
/** Bytes of one document on Converse: 4.5 MB. @internal */
export const MAX_DOCUMENT_BYTES = 4_718_592
/** Characters of a document's name. @internal */
export const MAX_DOCUMENT_NAME = 200
/** Videos per request (Nova). @internal */
export const MAX_VIDEOS = 1
/** Bytes of the images and videos sent inline to Nova: 25 MB. @internal */
export const MAX_NOVA_INLINE_MEDIA_BYTES = 26_214_400

/** The message of a prompt beyond the model's context window. @internal */
export const INPUT_TOO_LONG = "Input is too long for requested model."

/** Which API a request came in by: Converse's blocks or a native InvokeModel body. @internal */
export type Api = "converse" | "native"

/** How many tokens a prompt may hold, and the rejection once it holds more. @internal */
export interface InputLimit {
  readonly tokens: number
  readonly exceeded: () => never
}

/** The model's context window, rejected as the service does (Claude's check is relayed as the model's). @internal */
export const inputLimit = (model: ModelInfo): InputLimit => ({
  tokens: model.contextWindow,
  exceeded: () => model.family === "anthropic" ? rejectModel(INPUT_TOO_LONG) : reject(INPUT_TOO_LONG)
})

/** No limit while building the prompt: CountTokens counts it all, then `checkCountedTokens` decides. @internal */
export const uncountedLimit: InputLimit = { tokens: Number.POSITIVE_INFINITY, exceeded: () => reject(INPUT_TOO_LONG) }

/** CountTokens refuses a prompt beyond the context window, with the count. @internal */
export const checkCountedTokens = (model: ModelInfo, tokens: number): void => {
  if (tokens > model.contextWindow) reject(`prompt is too long: ${tokens} tokens > ${model.contextWindow} maximum`)
}

const mediaType = (format: ImageFormat): string => `image/${format}`

/**
 * Checks and counts the images, documents and videos of one request, block by block, then the counts with `done`.
 * Paths are the content block's (`messages.0.content.1`).
 *
 * @internal
 */
export class MediaLimits {
  private images = 0
  private documents = 0
  private videos = 0
  private inlineBytes = 0
  private readonly names = new Set<string>()

  constructor(readonly model: ModelInfo, readonly api: Api) {}

  private get claude(): boolean {
    return this.model.family === "anthropic"
  }

  /** One image with its declared format and bytes: size, then the header, then the dimensions. */
  image(path: string, declared: ImageFormat, bytes: Uint8Array): void {
    this.images++
    const source = this.api === "converse" ? `${path}.image.source` : `${path}.image.source.base64`
    if (this.claude) {
      const encoded = 4 * Math.ceil(bytes.length / 3)
      if (encoded > MAX_CLAUDE_IMAGE_BASE64) {
        rejectModel(`${source}: image exceeds 5 MB maximum: ${encoded} bytes > ${MAX_CLAUDE_IMAGE_BASE64} bytes`)
      }
    } else if (this.api === "converse" && bytes.length > MAX_IMAGE_BYTES) {
      reject("The maximum image size is 3.75 MB. Reduce the size of your image and retry your request.")
    }
    this.inline(bytes.length)
    const probe = probeImage(bytes)
    if (!this.claude && (probe._tag !== "Image" || probe.format !== declared)) {
      return rejectModel("The provided image does not match the specified image format.")
    }
    if (probe._tag !== "Image") return rejectModel("Could not process image")
    if (probe.format !== declared) {
      return rejectModel(
        `${source}: The image was specified using the ${
          mediaType(declared)
        } media type, but the image appears to be a ${mediaType(probe.format)} image`
      )
    }
    if (probe.width <= MAX_IMAGE_PIXELS && probe.height <= MAX_IMAGE_PIXELS) return
    if (this.claude) {
      rejectModel(
        `${
          this.api === "converse" ? source : `${source}.data`
        }: At least one of the image dimensions exceed max allowed size: ${MAX_IMAGE_PIXELS} pixels`
      )
    }
    reject(
      `The image at ${path} is ${probe.width}x${probe.height} pixels. The height and width of an image must be no more than ${MAX_IMAGE_PIXELS} px. Resize the image and retry your request.`
    )
  }

  /** An image the request names but does not carry (a URL source): counted only. */
  imageReference(): void {
    this.images++
  }

  /** One document: on Converse its size and a name no other document has; natively it is only counted. */
  document(name: string, size: number): void {
    this.documents++
    if (this.api !== "converse") return
    if (size > MAX_DOCUMENT_BYTES) {
      reject("The maximum document size is 4.5 MB. Reduce the size of your document and retry your request.")
    }
    if (this.names.has(name)) reject("Messages can't contain duplicate document names.")
    this.names.add(name)
  }

  /** One video: only models that understand video take one, and only one. */
  video(bytes: Uint8Array): void {
    if (!this.model.capabilities.video) {
      reject(
        `The model ${this.model.id} doesn't support video input. Try again with a model that supports video, such as Amazon Nova Lite.`
      )
    }
    if (++this.videos > MAX_VIDEOS) reject(`You can't include more than ${MAX_VIDEOS} video in a request.`)
    this.inline(bytes.length)
  }

  /** The counts, once every block is in. */
  done(): void {
    if (this.api === "converse" && this.documents > MAX_DOCUMENTS) {
      reject(`You can't include more than ${MAX_DOCUMENTS} documents in a request.`)
    }
    if (this.claude) {
      if (this.images + this.documents > MAX_IMAGES) {
        rejectModel(`too many images and documents: ${this.images} + ${this.documents} > ${MAX_IMAGES}`)
      }
    } else if (this.images > MAX_IMAGES) {
      reject(`You can't include more than ${MAX_IMAGES} images in a request.`)
    }
  }

  private inline(bytes: number): void {
    if (this.model.family !== "nova") return
    this.inlineBytes += bytes
    if (this.inlineBytes > MAX_NOVA_INLINE_MEDIA_BYTES) {
      reject(
        `The images and videos in the request total ${this.inlineBytes} bytes. Inline media can total at most 25 MB. Reduce the size of your media or send it from an Amazon S3 location, and retry your request.`
      )
    }
  }
}
