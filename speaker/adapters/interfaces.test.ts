import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { LinkInfo } from "../core/interface-choice.js";
import { InterfaceScanError, InterfaceWatcher, parseIfInet6, readLinks } from "./interfaces.js";
import { ManualTimers } from "../../lib/adapters/testing/manual-timers.js";

const IF_INET6 = [
  "00000000000000000000000000000001 01 80 10 80       lo",
  "fe800000000000000000000000000b0b 02 40 20 c0     eth0", // tentative: DAD still running
  "fe80000000000000000000fffe00000b 02 40 20 80     eth0",
  "20010db8005000000000000000000011 02 40 00 80     eth0", // global scope
  "fe800000000000000000000000000c0c 03 40 20 88     eth1", // DAD failed
  "fe800000000000000000000000000d0d 04 40 20 80 br0",
  "",
].join("\n");

test("parseIfInet6 keeps the first usable link-local address per interface", () => {
  assert.deepEqual(
    [...parseIfInet6(IF_INET6)],
    [
      ["eth0", "fe80::ff:fe00:b"],
      ["br0", "fe80::d0d"],
    ],
  );
  assert.deepEqual([...parseIfInet6("garbage\n\n1 2 3")], []);
});

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "ironlb-sys-"));
  const dev = async (name: string, files: Record<string, string>): Promise<void> => {
    await mkdir(join(root, "net", name), { recursive: true });
    for (const [file, text] of Object.entries(files)) {
      await writeFile(join(root, "net", name, file), `${text}\n`);
    }
  };
  const nic = { type: "1", flags: "0x1003", operstate: "up", address: "02:AA:00:00:00:0B" };
  await dev("lo", {
    type: "772",
    flags: "0x9",
    operstate: "unknown",
    address: "00:00:00:00:00:00",
  });
  await dev("eth0", nic);
  await dev("eth1", { ...nic, flags: "0x1002", operstate: "down", carrier_changes: "7" });
  await dev("br0", { ...nic, address: "02:aa:00:00:00:0d" });
  await dev("broken", { type: "1" }); // vanished half-way: no flags, no address
  await symlink(join(root, "net", "br0"), join(root, "net", "eth0", "master"));
  await writeFile(join(root, "if_inet6"), IF_INET6);
});
after(() => rm(root, { recursive: true, force: true }));

test("readLinks reads type, flags, operstate, MAC, master, link-local and carrier flaps", async () => {
  const links = await readLinks({
    sysClassNet: join(root, "net"),
    ifInet6: join(root, "if_inet6"),
  });
  assert.deepEqual(links, [
    {
      name: "br0",
      type: 1,
      flags: 0x1003,
      operstate: "up",
      enslaved: false,
      mac: "02:aa:00:00:00:0d",
      ipv6LinkLocal: "fe80::d0d",
      carrierChanges: undefined,
    },
    {
      name: "eth0",
      type: 1,
      flags: 0x1003,
      operstate: "up",
      enslaved: true,
      mac: "02:aa:00:00:00:0b",
      ipv6LinkLocal: "fe80::ff:fe00:b",
      carrierChanges: undefined,
    },
    {
      name: "eth1",
      type: 1,
      flags: 0x1002,
      operstate: "down",
      enslaved: false,
      mac: "02:aa:00:00:00:0b",
      ipv6LinkLocal: undefined,
      carrierChanges: 7,
    },
    {
      name: "lo",
      type: 772,
      flags: 0x9,
      operstate: "unknown",
      enslaved: false,
      mac: "00:00:00:00:00:00",
      ipv6LinkLocal: undefined,
      carrierChanges: undefined,
    },
  ]);
});

test("readLinks works without IPv6 and fails with a coded error without /sys", async () => {
  const links = await readLinks({ sysClassNet: join(root, "net"), ifInet6: join(root, "nope") });
  assert.equal(links.find((l) => l.name === "br0")?.ipv6LinkLocal, undefined);
  await assert.rejects(
    readLinks({ sysClassNet: join(root, "missing"), ifInet6: join(root, "nope") }),
    (e: unknown) => e instanceof InterfaceScanError && e.code === "IRONLB_ERR_INTERFACE_SCAN",
  );
});

const fakeLink = (name: string, operstate = "up"): LinkInfo => ({
  name,
  type: 1,
  flags: 0x1003,
  operstate,
  enslaved: false,
  mac: "02:00:00:00:00:01",
  ipv6LinkLocal: undefined,
});

/** Lets the watcher's promise chain settle. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

test("InterfaceWatcher reports the first scan and changes only, every intervalMs", async () => {
  const timers = new ManualTimers();
  const scans: LinkInfo[][] = [[fakeLink("eth0")], [fakeLink("eth0")], [fakeLink("eth0", "down")]];
  let reads = 0;
  const seen: string[][] = [];
  const watcher = new InterfaceWatcher({
    read: () => Promise.resolve(scans[Math.min(reads++, scans.length - 1)] ?? []),
    onChange: (links) => seen.push(links.map((l) => `${l.name}:${l.operstate}`)),
    intervalMs: 5000,
    timers,
  });
  watcher.start();
  await settle();
  assert.deepEqual(seen, [["eth0:up"]]);
  timers.advance(4999);
  await settle();
  assert.equal(reads, 1, "no re-scan before the interval");
  timers.advance(1);
  await settle();
  assert.equal(reads, 2);
  assert.deepEqual(seen, [["eth0:up"]], "an unchanged scan is not reported");
  await watcher.rescan();
  assert.deepEqual(seen, [["eth0:up"], ["eth0:down"]], "rescan() on demand");
  watcher.stop();
  timers.advance(60_000);
  await settle();
  assert.equal(reads, 3, "stopped: no more scans");
  assert.equal(timers.pending, 0);
});

test("InterfaceWatcher drops excluded interfaces before comparing or publishing a scan", async () => {
  const scans = [
    [fakeLink("eth0"), fakeLink("veth1a")],
    [fakeLink("eth0"), fakeLink("veth2b"), fakeLink("cni0")],
    [fakeLink("eth0", "down"), fakeLink("veth2b")],
  ];
  let reads = 0;
  const seen: string[][] = [];
  const watcher = new InterfaceWatcher({
    read: () => Promise.resolve(scans[reads++] ?? []),
    onChange: (links) => seen.push(links.map((l) => `${l.name}:${l.operstate}`)),
    exclude: ["veth*", "cni0"],
  });
  for (let i = 0; i < scans.length; i++) await watcher.rescan();
  assert.deepEqual(seen, [["eth0:up"], ["eth0:down"]], "pods' veths coming and going: no change");
  assert.deepEqual(
    watcher.links.map((l) => l.name),
    ["eth0"],
  );
});

test("InterfaceWatcher reports scan failures, keeps the last good list and joins scans", async () => {
  let fail = false;
  let reads = 0;
  const errors: string[] = [];
  const watcher = new InterfaceWatcher({
    read: () => {
      reads++;
      return fail ? Promise.reject(new Error("EIO")) : Promise.resolve([fakeLink("eth0")]);
    },
    onChange: () => undefined,
    onError: (e) => errors.push(`${e.code}: ${e.message}`),
  });
  const [a, b] = await Promise.all([watcher.rescan(), watcher.rescan()]);
  assert.equal(reads, 1, "a rescan while one runs joins it");
  assert.equal(a, b);
  fail = true;
  assert.deepEqual(
    (await watcher.rescan()).map((l) => l.name),
    ["eth0"],
  );
  assert.deepEqual(errors, ["IRONLB_ERR_INTERFACE_SCAN: scan failed"]);
});
