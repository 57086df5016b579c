/**
 * Golden election data computed outside the code, with coreutils:
 *
 *   printf '%s' 'node1#198.18.0.200' | sha256sum
 *
 * for every node and key below; the owner is the node whose digest sorts first (`sort`). The
 * unit keys were written by hand from the rule in announcement-units.ts (lowest IP, numeric,
 * IPv4 before IPv6), not computed by it.
 */

/** sha256 hex digest of `node#key`, by key then node. */
export const GOLDEN_HASHES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  "198.18.0.200": {
    node1: "12f5900ba4b356dbf5c111742f8d7151e42fa99cb27b85da705fc9da371265be",
    node2: "c5f63e31246339b5e8d3a5630c01f305d160a01118005a47e2a0776d0c3d3a0a",
    node3: "84ac3ce60d6802059f693b1d2a1366017b9f7884f3bfe580a61589a26a0e2260",
  },
  "198.18.0.201": {
    node1: "2fb84ab192ede3d61f7e4ab50bec30b997b3bd79a121620b81a4932541edf707",
    node2: "6a324d30589dacfa11d015e665f49384082d3ba7bcf8ce7cb5c524822069e1a1",
    node3: "f1e21e96ad5a56592a845b6bc1a191cd5f04fa31cff4a0d41f9c3d11309974b5",
  },
  "198.18.0.30": {
    node1: "70af174e36ae3e784d7f1f1377b5e628474cac245292f32d51ed1af2b7e34682",
    node2: "16fffb57c9d33112382f80d06fe67a576cd0aa589aa0f27575ac445eff73fa0d",
    node3: "01f308df6cbf8f6e59eea761bcdedae9de38ab7a3bdc185500e4a8a8ac9390ea",
  },
  "2001:db8:18::200": {
    node1: "6fce55d7f0b6e82b7a71854ebf6d5c3e54c3e941a61301d942c665eb949ffda2",
    node2: "c65015660df61a2c978a62ab53d45698405df9d54e1c4c8c733f16a561364f95",
    node3: "5295516e3e07dd2132a32d54c4c3ca1b250952cc2b0b462d4d23c4a847fea5a1",
  },
  "2001:db8:18::ff": {
    node1: "3cbf41884da7dd3d45d882e2e5b0f689a1325b1fec6de65909c484316d3ff2a4",
    node2: "0941c031e8e5f3af67f4e1880bd0fa7a9059183aefda2ac3a1f00f83e4cc76ad",
    node3: "b66514c47e75798749ed91c2d68f406aa0312624811ea8e066c38332a972c117",
  },
  "2001:db8:18::1:0": {
    node1: "4481428b7aa8e25218b45cc0b22cd6480e9b90edc7887222a5f362e362e97db8",
    node2: "b40c31afcf59bbbda94f725e081bc95c35f8e0b33a591fc9c0645480829b13ec",
    node3: "3edadf2c1b3072a5b92528704b42e5533f4760ce66f8da73405cea50e3ced50f",
  },
};

/** The node with the smallest digest per key, from `sha256sum | sort` over node1..node3. */
export const GOLDEN_OWNERS: Readonly<Record<string, string>> = {
  "198.18.0.200": "node1",
  "198.18.0.201": "node1",
  "198.18.0.30": "node3",
  "2001:db8:18::200": "node3",
  "2001:db8:18::ff": "node2",
  "2001:db8:18::1:0": "node3",
};

export interface GoldenUnitCase {
  readonly name: string;
  readonly services: readonly { readonly key: string; readonly ips: readonly string[] }[];
  /** Lowest key first; the owner is GOLDEN_OWNERS[key], written out. */
  readonly units: readonly {
    readonly key: string;
    readonly ips: readonly string[];
    readonly services: readonly string[];
    readonly owner: string;
  }[];
}

/** Services -> announcement units, by hand from the rule, owners from the table above. */
export const GOLDEN_UNITS: readonly GoldenUnitCase[] = [
  {
    name: "a single-stack Service is its own unit, keyed by its IP",
    services: [{ key: "ns/a", ips: ["198.18.0.200"] }],
    units: [{ key: "198.18.0.200", ips: ["198.18.0.200"], services: ["ns/a"], owner: "node1" }],
  },
  {
    // Per IP, 2001:db8:18::200 alone would go to node3.
    name: "a dual-stack Service listing IPv6 first is keyed by its IPv4 address",
    services: [{ key: "ns/dual", ips: ["2001:db8:18::200", "198.18.0.200"] }],
    units: [
      {
        key: "198.18.0.200",
        ips: ["198.18.0.200", "2001:db8:18::200"],
        services: ["ns/dual"],
        owner: "node1",
      },
    ],
  },
  {
    // In text order 198.18.0.200 < 198.18.0.30, whose owner would be node1.
    name: "numeric order, not text order: .30 is lower than .200",
    services: [{ key: "ns/two", ips: ["198.18.0.200", "198.18.0.30"] }],
    units: [
      {
        key: "198.18.0.30",
        ips: ["198.18.0.30", "198.18.0.200"],
        services: ["ns/two"],
        owner: "node3",
      },
    ],
  },
  {
    // In text order 2001:db8:18::1:0 < 2001:db8:18::ff, whose owner would be node3.
    name: "IPv6 numeric order, any spelling: ::ff is lower than ::1:0",
    services: [{ key: "ns/v6", ips: ["2001:db8:18::1:0", "2001:DB8:18:0:0:0:0:FF"] }],
    units: [
      {
        key: "2001:db8:18::ff",
        ips: ["2001:db8:18::ff", "2001:db8:18::1:0"],
        services: ["ns/v6"],
        owner: "node2",
      },
    ],
  },
  {
    // Per IP, 2001:db8:18::200 (ns/b's only IP) would go to node3.
    name: "a Service sharing one IP of a dual-stack Service joins its unit",
    services: [
      { key: "ns/a", ips: ["198.18.0.201", "2001:db8:18::200"] },
      { key: "ns/b", ips: ["2001:db8:18::200"] },
      { key: "ns/c", ips: ["198.18.0.30"] },
    ],
    units: [
      { key: "198.18.0.30", ips: ["198.18.0.30"], services: ["ns/c"], owner: "node3" },
      {
        key: "198.18.0.201",
        ips: ["198.18.0.201", "2001:db8:18::200"],
        services: ["ns/a", "ns/b"],
        owner: "node1",
      },
    ],
  },
  {
    // ns/a and ns/c share nothing, but both share with ns/b; ns/a alone would go to node1.
    name: "sharing is transitive",
    services: [
      { key: "ns/a", ips: ["198.18.0.200", "2001:db8:18::ff"] },
      { key: "ns/b", ips: ["198.18.0.30", "2001:db8:18::ff"] },
      { key: "ns/c", ips: ["198.18.0.30", "2001:db8:18::1:0"] },
    ],
    units: [
      {
        key: "198.18.0.30",
        ips: ["198.18.0.30", "198.18.0.200", "2001:db8:18::ff", "2001:db8:18::1:0"],
        services: ["ns/a", "ns/b", "ns/c"],
        owner: "node3",
      },
    ],
  },
];
