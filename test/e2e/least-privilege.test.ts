/**
 * The lab runs IronLB with the privileges manifests/ gives it, and the e2e tier passing proves
 * that is enough: the speaker (root in its node's network namespace) holds only CAP_NET_RAW and
 * CAP_SYS_NICE (its frame path's receiving threads run SCHED_FIFO), the controller no capability
 * at all, and neither can gain one (no_new_privs), as the DaemonSet's
 * `capabilities: {drop: [ALL], add: [NET_RAW, SYS_NICE]}` and `allowPrivilegeEscalation: false` say.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { useLab, NODES } from "../support/e2e.js";
import { labDir, rootSkipReason } from "../support/lab.js";

/** Bit numbers from linux/capability.h. */
const CAP_NET_RAW = 1n << 13n;
const CAP_SYS_NICE = 1n << 23n;
const SPEAKER_CAPS = CAP_NET_RAW | CAP_SYS_NICE;

function privileges(component: string): { eff: bigint; prm: bigint; bnd: bigint; nnp: string } {
  const pid = readFileSync(join(labDir, "pids", `${component}.pid`), "utf8").trim();
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string): string =>
    new RegExp(`^${name}:\\s*(\\S+)`, "m").exec(status)?.[1] ?? "";
  const caps = (name: string): bigint => BigInt(`0x${field(name)}`);
  return {
    eff: caps("CapEff"),
    prm: caps("CapPrm"),
    bnd: caps("CapBnd"),
    nnp: field("NoNewPrivs"),
  };
}

describe("least privilege of the running IronLB processes", { skip: rootSkipReason() }, () => {
  before(() => void useLab());

  for (const node of NODES) {
    test(`speaker-${node} holds CAP_NET_RAW and CAP_SYS_NICE only, and cannot gain more`, () => {
      const p = privileges(`speaker-${node}`);
      assert.deepEqual(
        [p.eff, p.prm, p.bnd, p.nnp],
        [SPEAKER_CAPS, SPEAKER_CAPS, SPEAKER_CAPS, "1"],
      );
    });
  }

  test("the controller holds no capability and cannot gain one", () => {
    const p = privileges("controller");
    assert.deepEqual([p.eff, p.prm, p.bnd, p.nnp], [0n, 0n, 0n, "1"]);
  });
});
