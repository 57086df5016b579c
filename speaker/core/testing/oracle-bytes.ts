/**
 * Byte and text helpers of the responder oracle (./reply-oracle.ts), written for it alone: the
 * oracle must share no code with the codecs it judges (lib/core/ip.ts, ../ethernet.ts,
 * ../ipv6.ts), so that a bug there cannot hide by being in the expectation too.
 * - IP text to bytes: dotted quad (RFC 791), IPv6 groups with one `::` (RFC 4291 2.2).
 * - The ICMPv6 checksum over the IPv6 pseudo-header (RFC 8200 8.1, RFC 4443 2.3).
 */

/** The 4 or 16 bytes of an IPv4 or IPv6 address text; throws on anything else. */
export function ipBytes(text: string): number[] {
  const quad = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (quad) {
    const bytes = quad.slice(1).map(Number);
    if (bytes.every((b) => b <= 255)) return bytes;
  } else if (/^[0-9a-f:]+$/i.test(text) && text.split("::").length <= 2) {
    const [head = "", tail] = text.split("::");
    const groups = (part: string) => (part === "" ? [] : part.split(":"));
    const left = groups(head);
    const right = tail === undefined ? [] : groups(tail);
    const missing = 8 - left.length - right.length;
    const all = [...left, ...Array<string>(tail === undefined ? 0 : missing).fill("0"), ...right];
    const valid = (tail === undefined ? missing === 0 : missing >= 1) && all.length === 8;
    if (valid && all.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) {
      return all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
    }
  }
  throw new TypeError(`oracle: not an IP address: ${JSON.stringify(text)}`);
}

/** "a.b.c.d" from the 4 bytes at `at`. */
export const ipv4Text = (f: Uint8Array, at: number): string =>
  [0, 1, 2, 3].map((i) => String(f[at + i] ?? 0)).join(".");

/** Lowercase "aa:bb:cc:dd:ee:ff" from the 6 bytes at `at`. */
export const macText = (f: ArrayLike<number>, at = 0): string =>
  [0, 1, 2, 3, 4, 5].map((i) => (f[at + i] ?? 0).toString(16).padStart(2, "0")).join(":");

/** The 6 bytes of "aa:bb:cc:dd:ee:ff"; throws on anything else. */
export function macBytes(text: string): number[] {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(text)) {
    throw new TypeError(`oracle: not a MAC address: ${JSON.stringify(text)}`);
  }
  return text.split(":").map((h) => parseInt(h, 16));
}

/** Big-endian 16 bits at `at`; missing bytes read as zero. */
export const u16 = (f: Uint8Array, at: number): number => ((f[at] ?? 0) << 8) | (f[at + 1] ?? 0);

/** Whether the bytes at `at` are `want`. */
export function same(f: ArrayLike<number>, at: number, want: ArrayLike<number>): boolean {
  for (let i = 0; i < want.length; i++) if (f[at + i] !== want[i]) return false;
  return true;
}

export function isZero(f: Uint8Array, at: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (f[at + i] !== 0) return false;
  return true;
}

/** The I/G bit of the MAC at `at`: broadcast or multicast. */
export const isGroup = (f: ArrayLike<number>, at: number): boolean => ((f[at] ?? 0) & 1) === 1;

/** The ICMPv6 checksum field value over the pseudo-header (RFC 8200 8.1); 0 checks a message. */
export function icmpv6Sum(src: Uint8Array, dst: Uint8Array, message: Uint8Array): number {
  let sum = message.length + 58;
  const add = (b: Uint8Array) => {
    for (let i = 0; i < b.length; i += 2) sum += ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
  };
  add(src);
  add(dst);
  add(message);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}
