import assert from "node:assert/strict";
import { test } from "node:test";
import { primeResponder } from "./responder-priming.js";

test("priming runs the answering path, NDP included, not only the drops", () => {
  // Per round three ARP answers (two requests and a probe for the owned IPv4); every eighth
  // round, from the first, adds the NDP frames and one more answer (the NS for the owned IPv6).
  assert.equal(primeResponder(1), 4);
  assert.equal(primeResponder(9), 9 * 3 + 2);
});
