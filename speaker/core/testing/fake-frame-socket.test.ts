import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeFrameSocket } from "./fake-frame-socket.js";

test("a fake socket records sends and delivers injected frames to every handler", () => {
  const socket = new FakeFrameSocket();
  const seen: string[] = [];
  socket.onFrame((f) => seen.push(`a${f.length}`));
  socket.onFrame((f) => seen.push(`b${f.length}`));
  socket.deliver(new Uint8Array(60));
  const frame = new Uint8Array([1, 2, 3]);
  socket.send(frame);
  frame[0] = 9;
  assert.deepEqual(seen, ["a60", "b60"]);
  assert.deepEqual([...(socket.sent[0] ?? [])], [1, 2, 3], "sent keeps a copy");
});

test("linked fakes share a segment; a closed fake hears nothing and refuses to send", () => {
  const [a, b, c] = [new FakeFrameSocket(), new FakeFrameSocket(), new FakeFrameSocket()];
  FakeFrameSocket.link(a, b, c);
  const heard = new Map<string, number>();
  for (const [name, socket] of [
    ["a", a],
    ["b", b],
    ["c", c],
  ] as const) {
    socket.onFrame(() => heard.set(name, (heard.get(name) ?? 0) + 1));
  }
  a.send(new Uint8Array(60));
  c.close();
  b.send(new Uint8Array(60));
  assert.deepEqual(Object.fromEntries(heard), { a: 1, b: 1, c: 1 });
  assert.equal(c.closed, true);
  assert.throws(() => c.send(new Uint8Array(60)));
  c.deliver(new Uint8Array(60));
  assert.equal(heard.get("c"), 1);
});
