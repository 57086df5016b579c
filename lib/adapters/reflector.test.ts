import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubernetesObject } from "@kubernetes/client-node";
import { Reflector, type EventType, type ListWatchSource } from "./reflector.js";

const obj = (name: string, rv: string): KubernetesObject => ({
  metadata: { name, namespace: "ns", resourceVersion: rv },
});

/** A scripted server: lists return `state`, watches are recorded so the test can drive them. */
class FakeServer implements ListWatchSource<KubernetesObject> {
  state: KubernetesObject[] = [];
  listRv = "10";
  lists = 0;
  failNextList = false;
  watches: {
    rv: string;
    onEvent: (t: string, o: unknown) => void;
    onDone: (e?: unknown) => void;
    aborted: boolean;
  }[] = [];
  list() {
    this.lists++;
    if (this.failNextList) {
      this.failNextList = false;
      return Promise.reject(new Error("connection refused"));
    }
    return Promise.resolve({ items: [...this.state], resourceVersion: this.listRv });
  }
  watch(rv: string, onEvent: (t: string, o: unknown) => void, onDone: (e?: unknown) => void) {
    const w = { rv, onEvent, onDone, aborted: false };
    this.watches.push(w);
    return Promise.resolve({ abort: () => (w.aborted = true) });
  }
  get last() {
    const w = this.watches.at(-1);
    assert.ok(w, "no watch open");
    return w;
  }
}

const tick = () => new Promise((r) => setImmediate(r));
const quietLog = { info: () => undefined, warn: () => undefined };

function harness(watchdogMs = 60_000) {
  const server = new FakeServer();
  const events: string[] = [];
  let syncs = 0;
  const reflector = new Reflector<KubernetesObject>({
    name: "test",
    source: server,
    log: quietLog,
    watchdogMs,
    delay: () => Promise.resolve(),
    handler: {
      onEvent: (t: EventType, o) => events.push(`${t} ${o.metadata?.name}`),
      onSynced: () => syncs++,
    },
  });
  return { server, events, reflector, syncs: () => syncs };
}

test("lists, then watches from the list's resourceVersion", async () => {
  const h = harness();
  h.server.state = [obj("a", "5"), obj("b", "6")];
  h.reflector.start();
  await tick();
  assert.deepEqual(h.events, ["ADDED a", "ADDED b"]);
  assert.equal(h.syncs(), 1);
  assert.equal(h.server.last.rv, "10");
  h.server.last.onEvent("MODIFIED", obj("a", "11"));
  h.server.last.onEvent("DELETED", obj("b", "12"));
  h.server.last.onEvent("BOOKMARK", { metadata: { resourceVersion: "13" } });
  assert.deepEqual(h.events.slice(2), ["MODIFIED a", "DELETED b"]);
  assert.deepEqual(
    h.reflector.items().map((o) => o.metadata?.name),
    ["a"],
  );
  h.reflector.stop();
});

test("a stream the server closed cleanly is re-watched from the last resourceVersion", async () => {
  const h = harness();
  h.reflector.start();
  await tick();
  h.server.last.onEvent("ADDED", obj("a", "20"));
  h.server.last.onDone();
  await tick();
  assert.equal(h.server.lists, 1);
  assert.equal(h.server.last.rv, "20");
  h.reflector.stop();
});

test("410 Gone re-lists and reports what changed while nobody watched", async () => {
  const h = harness();
  h.server.state = [obj("a", "5"), obj("b", "6")];
  h.reflector.start();
  await tick();
  h.server.state = [obj("b", "30"), obj("c", "31")];
  h.server.listRv = "32";
  const first = h.server.last;
  first.onEvent("ERROR", { code: 410, message: "too old resource version" });
  await tick();
  await tick();
  assert.equal(first.aborted, true);
  assert.equal(h.server.lists, 2);
  assert.deepEqual(h.events.slice(2), ["DELETED a", "MODIFIED b", "ADDED c"]);
  assert.equal(h.server.last.rv, "32");
  // late callbacks of the aborted stream change nothing
  first.onEvent("ADDED", obj("zombie", "1"));
  assert.equal(h.reflector.get("ns/zombie"), undefined);
  h.reflector.stop();
});

test("a failed list is retried; a broken stream re-lists", async () => {
  const h = harness();
  h.server.failNextList = true;
  h.reflector.start();
  await tick();
  await tick();
  assert.equal(h.server.lists, 2);
  assert.equal(h.reflector.synced, true);
  h.server.last.onDone(new Error("socket hang up"));
  await tick();
  await tick();
  assert.equal(h.server.lists, 3);
  h.reflector.stop();
});

test("a silent watch is aborted by the watchdog and re-listed", async () => {
  const h = harness(30);
  h.reflector.start();
  await tick();
  const first = h.server.last;
  await new Promise((r) => setTimeout(r, 80));
  await tick();
  assert.equal(first.aborted, true);
  assert.ok(h.server.lists >= 2, `lists ${h.server.lists}`);
  h.reflector.stop();
});

test("resync drops the open watch and lists again at once", async () => {
  const h = harness();
  h.reflector.start();
  await tick();
  const first = h.server.last;
  h.reflector.resync();
  await tick();
  await tick();
  assert.equal(first.aborted, true);
  assert.equal(h.server.lists, 2);
  assert.notEqual(h.server.last, first);
  h.reflector.stop();
});

test("list retries back off from 500 ms, doubling up to maxBackoffMs", async () => {
  const delays: number[] = [];
  let lists = 0;
  const source: ListWatchSource<KubernetesObject> = {
    list: () =>
      ++lists <= 6
        ? Promise.reject(new Error("connection refused"))
        : Promise.resolve({ items: [], resourceVersion: "1" }),
    watch: () => Promise.resolve({ abort: () => undefined }),
  };
  const reflector = new Reflector<KubernetesObject>({
    name: "test",
    source,
    log: quietLog,
    maxBackoffMs: 2_000,
    delay: (ms) => (delays.push(ms), Promise.resolve()),
    handler: { onEvent: () => undefined },
  });
  reflector.start();
  for (let i = 0; i < 20; i++) await tick();
  assert.equal(reflector.synced, true);
  assert.deepEqual(delays, [500, 1_000, 2_000, 2_000, 2_000, 2_000]);
  reflector.stop();
});

test("slim: listed and watched objects are kept and handed on as slimmed", async () => {
  const server = new FakeServer();
  const seen: (string | undefined)[] = [];
  const fat = (name: string, rv: string): KubernetesObject => ({
    metadata: { ...obj(name, rv).metadata, managedFields: [{ manager: "kubectl" }] },
  });
  server.state = [fat("a", "1")];
  const reflector = new Reflector<KubernetesObject>({
    name: "test",
    source: server,
    log: quietLog,
    delay: () => Promise.resolve(),
    slim: (o) => {
      const metadata = { ...o.metadata, labels: { slim: "1" } };
      delete metadata.managedFields;
      return { metadata };
    },
    handler: { onEvent: (_t, o) => seen.push(o.metadata?.labels?.slim) },
  });
  reflector.start();
  await tick();
  await tick();
  server.last.onEvent("ADDED", fat("b", "2"));
  reflector.stop();
  assert.deepEqual(seen, ["1", "1"]);
  for (const o of reflector.items()) {
    assert.equal(o.metadata?.managedFields, undefined);
    assert.equal(o.metadata?.labels?.slim, "1");
  }
  assert.equal(reflector.items().length, 2);
});
