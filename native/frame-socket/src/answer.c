/*
 * See answer.h. The checks mirror speaker/core/ethernet.ts, arp.ts, ipv6.ts and ndp.ts (decode)
 * and responder.ts (gates); the encoders mirror arp.ts `encodeArpAnswer` and ndp.ts
 * `encodeSolicitedAdvertisement`. test: speaker/adapters/native-answer.test.ts compares the two.
 */
#include "answer.h"

#include <stdlib.h>
#include <string.h>

#define ETH_HEADER 14
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_IPV6 0x86dd
#define ARP_LENGTH 28
#define ARP_REPLY_LENGTH 60 /* the Ethernet minimum, zero-padded */
#define IPV6_HEADER 40
#define ICMPV6 58
#define NS_TYPE 135
#define NA_TYPE 136
#define NDP_HOP_LIMIT 255
#define NDP_MESSAGE 24
#define NA_LENGTH (NDP_MESSAGE + 8)
#define OPTION_SOURCE_LINK 1
#define OPTION_TARGET_LINK 2
#define NA_SOLICITED_OVERRIDE 0x60

/* ARP fields after the Ethernet header. */
#define ARP_SENDER_MAC (ETH_HEADER + 8)
#define ARP_SENDER_IP (ETH_HEADER + 14)
#define ARP_TARGET_MAC (ETH_HEADER + 18)
#define ARP_TARGET_IP (ETH_HEADER + 24)

static const uint8_t ARP_REPLY_HEADER[10] = {0x08, 0x06, 0x00, 0x01, 0x08,
                                             0x00, 0x06, 0x04, 0x00, 0x02};

static int compare4(const void *a, const void *b) { return memcmp(a, b, 4); }
static int compare16(const void *a, const void *b) { return memcmp(a, b, 16); }

answer_table *answer_table_new(const uint8_t mac[6], const uint8_t *ipv6_source,
                               const uint8_t *v4, size_t count4, const uint8_t *v6,
                               size_t count6) {
  answer_table *t = malloc(sizeof *t + count4 * 4 + count6 * 16);
  if (!t) return NULL;
  uint8_t *v4_copy = (uint8_t *)(t + 1);
  uint8_t *v6_copy = v4_copy + count4 * 4;
  memcpy(t->mac, mac, 6);
  t->has_ipv6_source = ipv6_source != NULL;
  if (ipv6_source) memcpy(t->ipv6_source, ipv6_source, 16);
  else memset(t->ipv6_source, 0, 16);
  if (count4) memcpy(v4_copy, v4, count4 * 4);
  if (count6) memcpy(v6_copy, v6, count6 * 16);
  qsort(v4_copy, count4, 4, compare4);
  qsort(v6_copy, count6, 16, compare16);
  t->v4 = v4_copy;
  t->v4_count = count4;
  t->v6 = v6_copy;
  t->v6_count = count6;
  return t;
}

static unsigned u16_at(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }
static int is_group(const uint8_t *mac) { return mac[0] & 1; }
static int is_zero(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return 0;
  return 1;
}

static int owned4(const answer_table *t, const uint8_t *ip) {
  return t->v4_count && bsearch(ip, t->v4, t->v4_count, 4, compare4) != NULL;
}
static int owned6(const answer_table *t, const uint8_t *ip) {
  return t->v6_count && bsearch(ip, t->v6, t->v6_count, 16, compare16) != NULL;
}

/* Neither from us (Ethernet source or `sender`), nor unicast elsewhere, nor from a group MAC. */
static int from_a_neighbor(const answer_table *t, const uint8_t *frame, const uint8_t *sender) {
  const uint8_t *dst = frame, *src = frame + 6;
  if (memcmp(src, t->mac, 6) == 0 || memcmp(sender, t->mac, 6) == 0) return 0;
  if (!is_group(dst) && memcmp(dst, t->mac, 6) != 0) return 0;
  return !is_group(src) && !is_group(sender);
}

/* An ARP request (op 1, neither a probe nor an announcement) for an owned IPv4 address. */
static size_t answer_arp(const answer_table *t, const uint8_t *f, size_t length, uint8_t *out) {
  if (length < ETH_HEADER + ARP_LENGTH) return 0;
  const uint8_t *arp = f + ETH_HEADER;
  if (u16_at(arp) != 1 || u16_at(arp + 2) != 0x0800 || arp[4] != 6 || arp[5] != 4 ||
      u16_at(arp + 6) != 1)
    return 0;
  if (is_zero(f + ARP_SENDER_IP, 4) || memcmp(f + ARP_SENDER_IP, f + ARP_TARGET_IP, 4) == 0)
    return 0;
  if (!from_a_neighbor(t, f, f + ARP_SENDER_MAC) || !owned4(t, f + ARP_TARGET_IP)) return 0;
  memset(out, 0, ARP_REPLY_LENGTH);
  memcpy(out, f + ARP_SENDER_MAC, 6);
  memcpy(out + 6, t->mac, 6);
  memcpy(out + 12, ARP_REPLY_HEADER, sizeof ARP_REPLY_HEADER);
  memcpy(out + ARP_SENDER_MAC, t->mac, 6);
  memcpy(out + ARP_SENDER_IP, f + ARP_TARGET_IP, 4);
  memcpy(out + ARP_TARGET_MAC, f + ARP_SENDER_MAC, 10); /* the asker's MAC and IP */
  return ARP_REPLY_LENGTH;
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += u16_at(p + i);
  if (n & 1) sum += (uint32_t)p[n - 1] << 8;
  return sum;
}

/* The ICMPv6 checksum over the pseudo-header and `message` (0 over a valid received one). */
static unsigned icmpv6_checksum(const uint8_t *src, const uint8_t *dst, const uint8_t *message,
                                size_t n) {
  uint32_t sum = sum16(src, 16, 0);
  sum = sum16(dst, 16, sum);
  sum += (uint32_t)(n >> 16) + (uint32_t)(n & 0xffff) + ICMPV6;
  sum = sum16(message, n, sum);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

/* RFC 4861 7.1.1 and ndp.ts: the source link-layer option (first 1-unit one), or NULL; -1 bad. */
static int source_link_option(const uint8_t *options, size_t n, const uint8_t **mac) {
  *mac = NULL;
  for (size_t at = 0; at < n;) {
    size_t units = at + 1 < n ? options[at + 1] : 0;
    if (units == 0 || at + units * 8 > n) return -1;
    if (options[at] == OPTION_SOURCE_LINK && units == 1 && !*mac) *mac = options + at + 2;
    at += units * 8;
  }
  return 0;
}

/* A valid Neighbor Solicitation's ICMPv6 message (hop limit, code, checksum, target), or NULL. */
static const uint8_t *solicitation(const uint8_t *f, size_t length, size_t *message_length) {
  if (length < ETH_HEADER + IPV6_HEADER) return NULL;
  const uint8_t *ip = f + ETH_HEADER;
  size_t payload = u16_at(ip + 4);
  if (ip[0] >> 4 != 6 || length - ETH_HEADER < IPV6_HEADER + payload) return NULL;
  const uint8_t *m = ip + IPV6_HEADER;
  if (ip[6] != ICMPV6 || payload < NDP_MESSAGE || m[0] != NS_TYPE || m[1] != 0) return NULL;
  if (ip[7] != NDP_HOP_LIMIT || ip[8] == 0xff || m[8] == 0xff) return NULL;
  if (icmpv6_checksum(ip + 8, ip + 24, m, payload) != 0) return NULL;
  *message_length = payload;
  return m;
}

static void write_advertisement(const answer_table *t, const uint8_t *to_mac, const uint8_t *to_ip,
                                const uint8_t *target, uint8_t *out) {
  memset(out, 0, ANSWER_MAX_LENGTH);
  memcpy(out, to_mac, 6);
  memcpy(out + 6, t->mac, 6);
  out[12] = ETHERTYPE_IPV6 >> 8;
  out[13] = ETHERTYPE_IPV6 & 0xff;
  uint8_t *ip = out + ETH_HEADER;
  ip[0] = 0x60;
  ip[5] = NA_LENGTH;
  ip[6] = ICMPV6;
  ip[7] = NDP_HOP_LIMIT;
  memcpy(ip + 8, t->has_ipv6_source ? t->ipv6_source : target, 16);
  memcpy(ip + 24, to_ip, 16);
  uint8_t *m = ip + IPV6_HEADER;
  m[0] = NA_TYPE;
  m[4] = NA_SOLICITED_OVERRIDE;
  memcpy(m + 8, target, 16);
  m[NDP_MESSAGE] = OPTION_TARGET_LINK;
  m[NDP_MESSAGE + 1] = 1;
  memcpy(m + NDP_MESSAGE + 2, t->mac, 6);
  unsigned checksum = icmpv6_checksum(ip + 8, ip + 24, m, NA_LENGTH);
  m[2] = (uint8_t)(checksum >> 8);
  m[3] = (uint8_t)(checksum & 0xff);
}

/* A Neighbor Solicitation from a specified source (not DAD) for an owned IPv6 address. */
static size_t answer_ns(const answer_table *t, const uint8_t *f, size_t length, uint8_t *out) {
  size_t n;
  const uint8_t *m = solicitation(f, length, &n);
  if (!m) return 0;
  const uint8_t *source_link, *src_ip = f + ETH_HEADER + 8;
  if (source_link_option(m + NDP_MESSAGE, n - NDP_MESSAGE, &source_link) != 0) return 0;
  if (is_zero(src_ip, 16)) return 0; /* DAD: the core answers it to all-nodes */
  const uint8_t *reply_to = source_link ? source_link : f + 6;
  if (!from_a_neighbor(t, f, reply_to) || !owned6(t, m + 8)) return 0;
  write_advertisement(t, reply_to, src_ip, m + 8, out);
  return ETH_HEADER + IPV6_HEADER + NA_LENGTH;
}

size_t answer_for(const answer_table *table, const uint8_t *frame, size_t length,
                  uint8_t out[ANSWER_MAX_LENGTH]) {
  if (!table || length < ETH_HEADER) return 0;
  unsigned ethertype = u16_at(frame + 12);
  if (ethertype == ETHERTYPE_ARP) return answer_arp(table, frame, length, out);
  if (ethertype == ETHERTYPE_IPV6) return answer_ns(table, frame, length, out);
  return 0;
}
