/**
 * Golden frames for unicast Neighbor Solicitations and their answers, written field by field
 * from RFC 4861 4.3/4.4 and 7.2.4, not by the encoder. Checksums computed separately over the
 * RFC 8200 8.1 pseudo-header; `tcpdump -vv` reads every frame as "icmp6 sum ok".
 *
 * A neighbour entry in PROBE (RFC 4861 7.3.3) is confirmed with an NS sent to the cached MAC and
 * the target itself as IPv6 destination, not the solicited-node group; Linux sends it from its
 * link-local address, with a source link-layer option. RFC 4861 7.2.2 lets a unicast NS omit that
 * option: the answer then goes to the Ethernet source. Either way the answer is a unicast NA with
 * S=1 and O=1 (7.2.4).
 *
 * Node 02:00:00:00:00:0b announces 2001:db8:18::200 and answers from its link-local fe80::b; the
 * client is 02:00:00:00:00:64, fe80::64 and 2001:db8:18::100.
 */
const VIP = "20010db8001800000000000000000200";
const CLIENT_LL = "fe800000000000000000000000000064";
const CLIENT = "20010db8001800000000000000000100";
const OUR_LL = "fe80000000000000000000000000000b";

// eth dst, src, type | ver/tc/flow, payload length, next header 58, hop limit, src, dst |
// type code checksum | reserved or flags (R S O) | target | option type, length (8-byte units), MAC
export const UNICAST_NDP = {
  /** The kernel's PROBE: to our MAC and the VIP, from its link-local, source link option. */
  probe: `02000000000b 020000000064 86dd | 60000000 0020 3a ff ${CLIENT_LL} ${VIP} |
          87 00 16b9 | 00000000 | ${VIP} | 01 01 020000000064`,
  probeAnswer: `020000000064 02000000000b 86dd | 60000000 0020 3a ff ${OUR_LL} ${CLIENT_LL} |
                88 00 e656 | 60000000 | ${VIP} | 02 01 02000000000b`,
  /** No source link-layer option (RFC 4861 7.2.2 allows it for unicast), global source. */
  bare: `02000000000b 020000000064 86dd | 60000000 0018 3a ff ${CLIENT} ${VIP} |
         87 00 ea39 | 00000000 | ${VIP}`,
  bareAnswer: `020000000064 02000000000b 86dd | 60000000 0020 3a ff ${OUR_LL} ${CLIENT} |
               88 00 b66a | 60000000 | ${VIP} | 02 01 02000000000b`,
} as const;

/** A golden text as hex digits only. */
export const goldenHex = (text: string): string => text.replace(/[\s|]/g, "");
