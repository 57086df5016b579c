/**
 * Which of the node's interfaces may announce IPs, as MetalLB's layer-2 announcer decides it: the
 * interface is administratively up with carrier, not enslaved to a bridge or bond (the master
 * announces instead), does ARP (no IFF_NOARP: dummies and kube-ipvs0), is Ethernet with a MAC,
 * does not match the exclude list, and is named in the allow list (L2Advertisement.interfaces)
 * when one is given. The exclude list wins over the allow list, like MetalLB's exclude regexp.
 * Each refused interface comes with the reason, for logs and status.
 */

/** What the node reports about one interface (`/sys/class/net/<name>`, `/proc/net/if_inet6`). */
export interface LinkInfo {
  readonly name: string;
  /** ARPHRD_* from `type`: 1 is Ethernet, 772 loopback. */
  readonly type: number;
  /** IFF_* from `flags`. */
  readonly flags: number;
  /** RFC 2863 state from `operstate`: up, down, lowerlayerdown, unknown, ... */
  readonly operstate: string;
  /** A `master` link exists: a bridge port, bond slave or VRF member. */
  readonly enslaved: boolean;
  /** Lowercase MAC from `address`. */
  readonly mac: string;
  /** A usable (not tentative, not duplicate) fe80::/10 address, the source of our NAs. */
  readonly ipv6LinkLocal: string | undefined;
  /** `carrier_changes`: a link flap bumps it, and a capture opened before it must be reopened. */
  readonly carrierChanges?: number | undefined;
}

export const IFF = { up: 0x1, broadcast: 0x2, loopback: 0x8, noArp: 0x80 } as const;
export const ARPHRD_ETHER = 1;

/** Interfaces no announcement belongs on: container, CNI and tunnel plumbing. Globs (`*`, `?`). */
export const DEFAULT_EXCLUDE: readonly string[] = [
  "lo",
  "docker*",
  "cni*",
  "flannel*",
  "cali*",
  "veth*",
  "cilium*",
  "lxc*",
  "vxlan*",
  "tunl*",
  "kube-ipvs*",
  "nodelocaldns",
];

export interface InterfacePolicy {
  /** Glob patterns of names never used. */
  readonly exclude: readonly string[];
  /** Exact names to restrict to (L2Advertisement.interfaces); absent or empty: no restriction. */
  readonly allow?: readonly string[] | undefined;
}

export const INTERFACE_REFUSAL = {
  excluded: "excluded",
  notAllowed: "notAllowed",
  down: "down",
  noCarrier: "noCarrier",
  enslaved: "enslaved",
  noArp: "noArp",
  notEthernet: "notEthernet",
  noMac: "noMac",
} as const;
export type InterfaceRefusal = (typeof INTERFACE_REFUSAL)[keyof typeof INTERFACE_REFUSAL];

export type InterfaceVerdict =
  | { readonly name: string; readonly eligible: true; readonly link: LinkInfo }
  | { readonly name: string; readonly eligible: false; readonly reason: InterfaceRefusal };

const NO_CARRIER_STATES: ReadonlySet<string> = new Set([
  "down",
  "lowerlayerdown",
  "notpresent",
  "dormant",
]);
const ZERO_MAC = "00:00:00:00:00:00";

const escapeRegExp = (text: string): string => text.replace(/[.+^${}()|[\]\\]/g, "\\$&");

/** A matcher for shell-style globs: `*` any run of characters, `?` one character. */
export function globMatcher(patterns: readonly string[]): (name: string) => boolean {
  if (patterns.length === 0) return () => false;
  const alternatives = patterns.map((p) =>
    escapeRegExp(p).replaceAll("*", ".*").replaceAll("?", "."),
  );
  const re = new RegExp(`^(?:${alternatives.join("|")})$`);
  return (name) => re.test(name);
}

function stateRefusal(link: LinkInfo): InterfaceRefusal | undefined {
  if ((link.flags & IFF.up) === 0) return "down";
  if (NO_CARRIER_STATES.has(link.operstate)) return "noCarrier";
  if (link.enslaved) return "enslaved";
  if (link.type !== ARPHRD_ETHER || (link.flags & IFF.loopback) !== 0) return "notEthernet";
  if ((link.flags & IFF.noArp) !== 0) return "noArp";
  return link.mac === ZERO_MAC || link.mac === "" ? "noMac" : undefined;
}

/** A verdict for every interface, in the order given. */
export function judgeInterfaces(
  links: readonly LinkInfo[],
  policy: InterfacePolicy,
): InterfaceVerdict[] {
  const excluded = globMatcher(policy.exclude);
  const allow = policy.allow?.length ? new Set(policy.allow) : undefined;
  return links.map((link): InterfaceVerdict => {
    const { name } = link;
    const reason: InterfaceRefusal | undefined = excluded(name)
      ? "excluded"
      : allow && !allow.has(name)
        ? "notAllowed"
        : stateRefusal(link);
    return reason ? { name, eligible: false, reason } : { name, eligible: true, link };
  });
}

/** The interfaces that may announce under `policy`. */
export const eligibleInterfaces = (
  links: readonly LinkInfo[],
  policy: InterfacePolicy,
): LinkInfo[] => judgeInterfaces(links, policy).flatMap((v) => (v.eligible ? [v.link] : []));

/**
 * The interfaces to announce each owned IP on: the eligible ones, within the IP's allow list when
 * it has one (undefined: no restriction). An IP left with none stays in the result, empty, so the
 * announcer keeps its state and announces as soon as an interface qualifies.
 */
export function interfacesPerIp(
  owned: ReadonlyMap<string, readonly string[] | undefined>,
  links: readonly LinkInfo[],
  exclude: readonly string[],
): Map<string, string[]> {
  const byAllowList = new Map<string, string[]>();
  const namesFor = (allow: readonly string[] | undefined): string[] => {
    const key = allow === undefined ? "" : JSON.stringify(allow);
    let names = byAllowList.get(key);
    if (!names) {
      names = eligibleInterfaces(links, { exclude, allow }).map((l) => l.name);
      byAllowList.set(key, names);
    }
    return names;
  };
  return new Map([...owned].map(([ip, allow]) => [ip, namesFor(allow)]));
}

/** Whether two results of `interfacesPerIp` hold the same IPs on the same interfaces (in order). */
export function sameInterfacesPerIp(
  a: ReadonlyMap<string, readonly string[]>,
  b: ReadonlyMap<string, readonly string[]>,
): boolean {
  if (a.size !== b.size) return false;
  for (const [ip, names] of a) {
    const other = b.get(ip);
    if (other === undefined || other.length !== names.length) return false;
    if (names.some((n, i) => other[i] !== n)) return false;
  }
  return true;
}
