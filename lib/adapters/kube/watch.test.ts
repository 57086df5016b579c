import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { test } from "node:test";
import {
  sendJson,
  startFakeApiserver,
  type Handler,
} from "../../../test/support/fake-apiserver.js";
import { ApiClient } from "./client.js";
import { ApiError, ApiResponseError } from "./errors.js";
import { LineSplitter } from "./watch-stream.js";

interface Seen {
  readonly events: [string, unknown][];
  readonly urls: string[];
  done: Promise<unknown>;
}

/** Watches `/w` on a fake apiserver answering with `respond`; resolves when onDone is called. */
async function watchOnce(
  respond: (res: ServerResponse) => void,
  query: Record<string, string | number | boolean> = {},
): Promise<Seen & { error: unknown; calls: number }> {
  const urls: string[] = [];
  const handler: Handler = (req, res) => {
    urls.push(req.url ?? "");
    respond(res);
  };
  const server = await startFakeApiserver(handler);
  const client = new ApiClient(
    { server: server.url, source: "test" },
    {
      userAgent: "t",
      maxSockets: 1,
    },
  );
  const events: [string, unknown][] = [];
  let calls = 0;
  try {
    const error = await new Promise<unknown>((resolve) => {
      client.watch("/w", query, {
        onEvent: (type, obj) => events.push([type, obj]),
        onDone: (err) => {
          calls++;
          resolve(err);
        },
      });
    });
    await new Promise((r) => setTimeout(r, 20)); // a second onDone would show here
    return { events, urls, done: Promise.resolve(), error, calls };
  } finally {
    client.close();
    await server.close();
  }
}

const line = (type: string, object: unknown): string => `${JSON.stringify({ type, object })}\n`;

test("events split anywhere across chunks arrive whole, in order; a last line without newline too", async () => {
  const svc = { metadata: { name: "é-svc", resourceVersion: "11" } };
  const text =
    line("ADDED", svc) +
    line("BOOKMARK", { metadata: { resourceVersion: "12" } }) +
    line("DELETED", svc).trimEnd(); // no newline at the end
  const bytes = Buffer.from(text);
  // Chunk boundaries inside the JSON, inside the 2-byte "é", and right after a newline.
  const cuts = [5, bytes.indexOf(Buffer.from("é")) + 1, text.indexOf("\n") + 1, bytes.length - 3];
  const seen = await watchOnce((res) => {
    res.writeHead(200, { "content-type": "application/json" });
    let from = 0;
    const parts = [...cuts, bytes.length].map((to) => bytes.subarray(from, (from = to)));
    const next = (): void => {
      const part = parts.shift();
      if (part === undefined) res.end();
      else res.write(part, () => setTimeout(next, 5));
    };
    next();
  });
  assert.equal(seen.error, undefined, "a stream the server closed ends without an error");
  assert.equal(seen.calls, 1, "onDone once");
  assert.deepEqual(seen.events, [
    ["ADDED", svc],
    ["BOOKMARK", { metadata: { resourceVersion: "12" } }],
    ["DELETED", svc],
  ]);
});

test("the watch query asks for a watch from the given version, with bookmarks", async () => {
  const seen = await watchOnce((res) => res.writeHead(200).end(), {
    resourceVersion: "42",
    allowWatchBookmarks: true,
    timeoutSeconds: 60,
    labelSelector: "a=b",
  });
  assert.deepEqual(seen.urls, [
    "/w?resourceVersion=42&allowWatchBookmarks=true&timeoutSeconds=60&labelSelector=a%3Db&watch=true",
  ]);
});

test("an ERROR event (410 Gone) reaches the handler with its Status", async () => {
  const gone = { kind: "Status", status: "Failure", reason: "Expired", code: 410 };
  const seen = await watchOnce((res) => res.writeHead(200).end(line("ERROR", gone)));
  assert.deepEqual(seen.events, [["ERROR", gone]]);
  assert.equal(seen.error, undefined);
});

test("a refused watch ends with an ApiError carrying the status", async () => {
  const forbidden = { kind: "Status", reason: "Forbidden", message: "no", code: 403 };
  const seen = await watchOnce((res) => sendJson(res, 403, forbidden));
  assert.ok(seen.error instanceof ApiError);
  assert.equal(seen.error.code, 403);
  assert.equal(seen.error.reason, "Forbidden");
  assert.deepEqual(seen.events, []);
});

test("a line that is not an event ends the watch with an error naming it", async () => {
  const seen = await watchOnce((res) => res.writeHead(200).end(`${line("ADDED", {})}garbage\n`));
  assert.ok(seen.error instanceof ApiResponseError);
  assert.match(seen.error.message, /not a JSON event: garbage/);
  assert.deepEqual(seen.events, [["ADDED", {}]]);
  assert.equal(seen.calls, 1);
});

test("abort ends the stream once, with an AbortError, and closes the connection", async () => {
  let closed = false;
  const server = await startFakeApiserver((req, res) => {
    res.writeHead(200).write(line("ADDED", { metadata: { name: "a" } }));
    req.socket.on("close", () => (closed = true));
  });
  const client = new ApiClient(
    { server: server.url, source: "test" },
    {
      userAgent: "t",
      maxSockets: 1,
    },
  );
  const ends: unknown[] = [];
  try {
    const first = new Promise<void>((resolve) => {
      const handle = client.watch(
        "/w",
        {},
        {
          onEvent: () => {
            handle.abort();
            resolve();
          },
          onDone: (e) => ends.push(e),
        },
      );
    });
    await first;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(ends.length, 1);
    assert.equal((ends[0] as Error).name, "AbortError");
    assert.ok(closed, "the server saw the connection close");
  } finally {
    client.close();
    await server.close();
  }
});

test("LineSplitter keeps a partial line (and a split UTF-8 character) for the next chunk", () => {
  const s = new LineSplitter();
  const euro = Buffer.from("€"); // 3 bytes
  assert.deepEqual(s.push(Buffer.from('{"a":"')), []);
  assert.deepEqual(s.push(euro.subarray(0, 1)), []);
  assert.deepEqual(s.push(Buffer.concat([euro.subarray(1), Buffer.from('"}\n\n{"b"')])), [
    '{"a":"€"}',
  ]);
  assert.deepEqual(s.end(), ['{"b"']);
  assert.deepEqual(s.end(), []);
});
