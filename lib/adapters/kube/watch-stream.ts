/**
 * A watch's body: one JSON event per line (`{"type":"ADDED","object":{...}}`), sent as the
 * server pleases, so a line can arrive split over chunks (and a UTF-8 character over two). Lines
 * are cut as they complete: the stream is never held whole.
 */
import { StringDecoder } from "node:string_decoder";
import { ApiResponseError } from "./errors.js";

export interface WatchEvent {
  /** ADDED, MODIFIED, DELETED, BOOKMARK or ERROR (whose object is a Status). */
  readonly type: string;
  readonly object: unknown;
}

export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private partial = "";

  /** The lines `chunk` completes. */
  push(chunk: Buffer): string[] {
    const text = this.partial + this.decoder.write(chunk);
    const lines = text.split("\n");
    this.partial = lines.pop() ?? "";
    return lines.filter((l) => l.trim() !== "");
  }

  /** The last line, when the stream ended without a newline after it. */
  end(): string[] {
    const rest = this.partial + this.decoder.end();
    this.partial = "";
    return rest.trim() === "" ? [] : [rest];
  }
}

/** One event line, or an ApiResponseError naming what is wrong with it. */
export function decodeEvent(line: string): WatchEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new ApiResponseError(`watch: not a JSON event: ${line.slice(0, 200)}`);
  }
  const event = parsed as { type?: unknown; object?: unknown };
  if (typeof event.type !== "string" || typeof event.object !== "object" || !event.object) {
    throw new ApiResponseError(`watch: event without type or object: ${line.slice(0, 200)}`);
  }
  return { type: event.type, object: event.object };
}
