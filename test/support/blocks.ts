import * as Message from "../../src/Message.js"

const bytes = (...values: Array<number>) => new Uint8Array(values)

/** A PNG signature and the start of its IHDR chunk. */
export const png = bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13)

/** A JPEG start-of-image marker and APP0. */
export const jpeg = bytes(0xff, 0xd8, 0xff, 0xe0, 0, 16)

/** A WebP RIFF header. */
export const webp = new TextEncoder().encode("RIFF\x10\x00\x00\x00WEBPVP8 ")

/** One message holding every kind of block (and every source / content variant). */
export const everyBlock: ReadonlyArray<Message.ContentBlock> = [
  Message.text("hello"),
  Message.image(png, "png"),
  Message.image({ uri: "s3://bucket/cat.webp", bucketOwner: "123456789012" }, "webp"),
  Message.document(bytes(1, 2, 3), { name: "report", format: "pdf", context: "Q3", citations: true }),
  Message.document("plain text", { name: "notes" }),
  Message.document({ _tag: "Content", content: [Message.text("chunk 1"), Message.text("chunk 2")] }, {
    name: "chunks",
    format: "txt"
  }),
  Message.document({ uri: "s3://bucket/sheet.xlsx" }, { name: "sheet", format: "xlsx" }),
  Message.video(bytes(0, 0, 0, 0x18), "mp4"),
  Message.video({ uri: "s3://bucket/clip.three_gp" }, "three_gp"),
  Message.toolUse("tu-1", "get_weather", { location: "Paris", days: [1, 2], nested: { ok: true, none: null } }),
  { _tag: "ToolUse", toolUseId: "tu-2", name: "nova_code_interpreter", input: {}, type: "server_tool_use" },
  Message.toolResult("tu-1", [
    Message.text("sunny"),
    Message.json({ temperature: 21.5 }),
    Message.image(jpeg, "jpeg"),
    Message.document("csv,data", { name: "data", format: "csv" }),
    Message.video({ uri: "s3://b/v.mov" }, "mov"),
    { _tag: "SearchResult", source: "https://example.com", title: "Example", content: [Message.text("x")] },
    { _tag: "Unknown", type: "futureContent", value: { a: 1 } }
  ], { status: "error" }),
  { _tag: "ToolResult", toolUseId: "tu-2", content: [], type: "nova_code_interpreter_result", status: "success" },
  { _tag: "Reasoning", text: "Let me think.", signature: "c2lnbmF0dXJl" },
  { _tag: "Reasoning", text: "Unsigned thought." },
  { _tag: "RedactedReasoning", data: bytes(9, 8, 7) },
  Message.cachePoint(),
  Message.cachePoint("1h"),
  { _tag: "GuardContent", content: { _tag: "Text", text: "guard me", qualifiers: ["guard_content", "query"] } },
  { _tag: "GuardContent", content: { _tag: "Text", text: "source", qualifiers: ["grounding_source"] } },
  { _tag: "GuardContent", content: { _tag: "Image", format: "png", bytes: png } },
  {
    _tag: "CitationsContent",
    content: [Message.text("employees get 20 days")],
    citations: [
      {
        title: "policy",
        sourceContent: [Message.text("Employees get 20 days annual leave.")],
        location: { _tag: "DocumentChar", documentIndex: 0, start: 0, end: 58 }
      },
      { location: { _tag: "DocumentPage", documentIndex: 1, start: 2, end: 3 } },
      { source: "chunks", location: { _tag: "DocumentChunk", documentIndex: 2, start: 0, end: 1 } },
      { location: { _tag: "SearchResultLocation", searchResultIndex: 0, start: 0, end: 2 } },
      { location: { _tag: "Web", url: "https://example.com/a", domain: "example.com" } },
      { location: { _tag: "UnknownLocation", type: "mapLocation", value: { lat: 1 } } }
    ]
  },
  {
    _tag: "SearchResult",
    source: "kb://1",
    title: "Result",
    content: [Message.text("a"), Message.text("b")],
    citations: true
  },
  { _tag: "Unknown", type: "audio", value: { format: "mp3", source: { s3Location: { uri: "s3://b/a.mp3" } } } }
]
