import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeMembers, encodeMembers } from "./speaker-members.js";

test("the list reads back as written, in canonical order", () => {
  const text = '{"members":[{"node":"n1","macs":["02:00:00:00:00:01"]}],"stopped":["n2"]}';
  const decoded = decodeMembers({ "members.json": text });
  assert.deepEqual(decoded, {
    ok: true,
    value: { members: [{ node: "n1", macs: ["02:00:00:00:00:01"] }], stopped: ["n2"] },
  });
  assert.ok(decoded.ok);
  assert.equal(encodeMembers(decoded.value), text);
});

test("bad input is refused with the field and the value", () => {
  const cases: [Record<string, string> | undefined, string][] = [
    [undefined, 'data["members.json"]: missing'],
    [{ "members.json": "{" }, 'data["members.json"]: not JSON: "{"'],
    [{ "members.json": '{"members":3}' }, "members: 3 is not a list"],
    [
      { "members.json": '{"members":[{"macs":[]}]}' },
      "members[0].node: undefined is not a node name",
    ],
    [
      { "members.json": '{"members":[{"node":"a","macs":"x"}]}' },
      'members[0].macs: "x" is not a list',
    ],
    [
      { "members.json": '{"members":[],"stopped":[1]}' },
      "stopped: [1] is not a list of node names",
    ],
  ];
  for (const [data, error] of cases) assert.deepEqual(decodeMembers(data), { ok: false, error });
});
