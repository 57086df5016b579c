/**
 * One watch request: `?watch=true` on a collection, the answer read as it streams (see
 * ./watch-stream.ts). Every event goes to `onEvent` as the server sent it (ERROR events carry a
 * Status, e.g. 410 Gone: the reflector re-lists); `onDone` is called exactly once, without an
 * error when the server closed the stream (its timeoutSeconds), with one otherwise: an answer
 * other than 200 (an ApiError), a broken connection, a line that is not an event, no answer
 * within the deadline, or an AbortError after `abort()`.
 */
import type http from "node:http";
import { DeadlineError } from "../deadline.js";
import { ApiError, statusOf } from "./errors.js";
import { type Query, withQuery } from "./paths.js";
import { decodeEvent, LineSplitter } from "./watch-stream.js";

export interface WatchCallbacks {
  onEvent(type: string, obj: unknown): void;
  onDone(err?: unknown): void;
}

export interface WatchHandle {
  abort(): void;
}

export interface WatchTarget {
  /** Starts the request (headers sent, not yet ended). */
  send(method: string, path: string): http.ClientRequest;
  readonly path: string;
  readonly query: Query;
}

const abortError = (what: string): Error =>
  Object.assign(new Error(`${what}: aborted`), { name: "AbortError" });

export function startWatch(
  target: WatchTarget,
  opts: { readonly deadlineMs: number },
  callbacks: WatchCallbacks,
): WatchHandle {
  const what = `watch ${target.path}`;
  let finished = false;
  let req: http.ClientRequest | undefined;
  const done = (err?: unknown): void => {
    clearTimeout(timer);
    if (finished) return;
    finished = true;
    callbacks.onDone(err);
  };
  /** Ends the watch with `err`; the request is destroyed without one (nothing to re-emit). */
  const stop = (err: Error): void => {
    done(err);
    req?.destroy();
  };
  const timer = setTimeout(
    () => stop(new DeadlineError(`${what}: no answer within ${opts.deadlineMs} ms`)),
    opts.deadlineMs,
  );
  try {
    req = target.send("GET", withQuery(target.path, { ...target.query, watch: true }));
  } catch (e) {
    queueMicrotask(() => done(e));
    return { abort: () => done(abortError(what)) };
  }
  req.on("error", (e) => done(e));
  req.on("response", (res) => {
    clearTimeout(timer);
    if (res.statusCode !== 200) {
      readFailure(res, what, done);
      return;
    }
    const lines = new LineSplitter();
    const deliver = (batch: string[]): boolean => {
      for (const line of batch) {
        if (finished) return false;
        try {
          const event = decodeEvent(line);
          callbacks.onEvent(event.type, event.object);
        } catch (e) {
          stop(e instanceof Error ? e : new Error(String(e)));
          return false;
        }
      }
      return true;
    };
    res.on("data", (chunk: Buffer) => deliver(lines.push(chunk)));
    res.on("error", (e) => done(e));
    res.on("end", () => {
      if (deliver(lines.end())) done();
    });
    // A connection cut mid-body closes without "end".
    res.on("close", () => done(res.complete ? undefined : new Error(`${what}: connection lost`)));
  });
  req.end();
  return { abort: () => stop(abortError(what)) };
}

function readFailure(res: http.IncomingMessage, what: string, done: (e: Error) => void): void {
  const chunks: Buffer[] = [];
  res.on("data", (c: Buffer) => chunks.push(c));
  res.on("error", (e) => done(e));
  res.on("end", () => {
    const text = Buffer.concat(chunks).toString("utf8");
    done(new ApiError(res.statusCode ?? 0, statusOf(text), what));
  });
}
