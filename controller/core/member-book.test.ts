import assert from "node:assert/strict";
import { test } from "node:test";
import { due, MemberBook, type LeaseSeen } from "./member-book.js";

const lease = (holder: string, renewTime: string, macs = [`mac-${holder}`]): LeaseSeen => ({
  ...{ holder, renewTime, macs },
  durationMs: 15_000,
});
const nodes = (book: MemberBook, now: number): string[] =>
  book
    .list(now)
    .members.map((m) => m.node)
    .sort();

test("renewals change nothing; a join, a MAC change and a deletion do", () => {
  const book = new MemberBook(undefined);
  assert.equal(book.observe(lease("a", "t1"), 0, true), "changed");
  assert.equal(book.observe(lease("a", "t1"), 10, false), "same");
  assert.equal(book.observe(lease("a", "t2"), 5_000, false), "renewed");
  assert.equal(book.observe(lease("a", "t2", ["mac-new"]), 5_001, false), "changed");
  assert.equal(book.observe(lease("b", "t1"), 5_002, false), "changed");
  assert.deepEqual(book.list(5_003), {
    members: [
      { node: "a", macs: ["mac-new"] },
      { node: "b", macs: ["mac-b"] },
    ],
    stopped: [],
  });
  book.deleted("a", 6_000);
  assert.deepEqual(book.list(6_000), { members: [{ node: "b", macs: ["mac-b"] }], stopped: ["a"] });
  assert.equal(book.observe(lease("a", "t9"), 7_000, false), "changed", "it came back");
  assert.deepEqual(book.list(7_000).stopped, []);
});

test("a Lease runs out on this clock, once a later Lease event shows the API is current", () => {
  const book = new MemberBook(undefined);
  book.observe(lease("a", "t1"), 0, true);
  book.observe(lease("b", "t1"), 0, true);
  assert.equal(book.nextExpiry(1_000), 15_000);
  assert.deepEqual(nodes(book, 16_000), ["a", "b"], "no event since the deadline: kept");
  assert.equal(book.overdue(16_000), true);
  book.observe(lease("b", "t2"), 16_000, false);
  assert.deepEqual(nodes(book, 16_000), ["b"]);
  assert.equal(book.overdue(16_000), false);
  assert.equal(book.nextExpiry(16_000), 31_000);
  assert.equal(book.observe(lease("a", "t2"), 17_000, false), "changed", "a renewal rejoins");
});

test("time while the watch was blind does not count: an outage expires nobody", () => {
  const book = new MemberBook(undefined);
  book.observe(lease("a", "t1"), 0, true);
  book.observe(lease("b", "t1"), 0, true);
  // 60 s outage; the re-list brings b's renewal before a's comes
  book.resynced(60_000);
  book.observe(lease("b", "t5"), 60_000, false);
  assert.deepEqual(nodes(book, 70_000), ["a", "b"]);
  book.observe(lease("b", "t6"), 75_001, false);
  assert.deepEqual(nodes(book, 75_001), ["b"], "a still silent 15 s after the outage: gone");
});

test("a new term keeps the published members and waits for a renewal of any other Lease", () => {
  const published = { members: [{ node: "a", macs: ["mac-a"] }], stopped: ["c"] };
  const book = new MemberBook(published);
  book.observe(lease("a", "t1"), 0, true);
  book.observe(lease("dead", "t0"), 0, true); // a leftover Lease of a node gone long ago
  assert.deepEqual(book.list(0), published);
  assert.equal(book.nextExpiry(0), 15_000, "the leftover sets no deadline");
  assert.equal(book.observe(lease("dead", "t1"), 3_000, false), "changed", "renewed: alive");
  assert.deepEqual(nodes(book, 3_000), ["a", "dead"]);
  book.observe(lease("new", "t0"), 3_500, false); // created after the list: alive
  assert.deepEqual(nodes(book, 3_500), ["a", "dead", "new"]);
});

test("without a published list every listed Lease counts", () => {
  const book = new MemberBook(undefined);
  book.observe(lease("x", "t0"), 0, true);
  assert.deepEqual(nodes(book, 0), ["x"]);
});

test("a write is due only when the canonical text differs", () => {
  const list = {
    members: [
      { node: "b", macs: ["02:00:00:00:00:02", "02:00:00:00:00:01"] },
      { node: "a", macs: [] },
    ],
    stopped: [],
  };
  // written by hand: sorted members, sorted MACs
  const text =
    '{"members":[{"node":"a","macs":[]},{"node":"b","macs":["02:00:00:00:00:01",' +
    '"02:00:00:00:00:02"]}],"stopped":[]}';
  assert.equal(due(list, undefined), text);
  assert.equal(due(list, text), undefined);
  assert.equal(due({ members: [], stopped: [] }, text), '{"members":[],"stopped":[]}');
});
