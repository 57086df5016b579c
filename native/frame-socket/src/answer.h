/*
 * The native answer to the common neighbor request: a pure function over a received Ethernet
 * frame and a table of what this interface answers, with no allocation and no I/O. It answers
 * only the unambiguous case (a plain ARP request; a Neighbor Solicitation with a specified
 * source), with the very bytes the TypeScript core's `decide()` (speaker/core/responder.ts)
 * would send; everything else is left to that core.
 */
#ifndef IRONLB_ANSWER_H
#define IRONLB_ANSWER_H

#include <stddef.h>
#include <stdint.h>

/* The longest answer: a Neighbor Advertisement with its target link-layer option (86 bytes). */
#define ANSWER_MAX_LENGTH 86

typedef struct {
  uint8_t mac[6];          /* ours on this interface: the source of every answer */
  int has_ipv6_source;     /* else an advertisement's IPv6 source is its target */
  uint8_t ipv6_source[16]; /* the interface's link-local address */
  size_t v4_count;
  const uint8_t *v4; /* v4_count addresses of 4 bytes, sorted (memcmp) */
  size_t v6_count;
  const uint8_t *v6; /* v6_count addresses of 16 bytes, sorted (memcmp) */
} answer_table;

/*
 * A table in one allocation (free() it): copies `v4` (count4 x 4 bytes) and `v6` (count6 x 16)
 * and sorts them. `ipv6_source` may be NULL. NULL when out of memory.
 */
answer_table *answer_table_new(const uint8_t mac[6], const uint8_t *ipv6_source,
                               const uint8_t *v4, size_t count4, const uint8_t *v6,
                               size_t count6);

/*
 * Writes the answer to `frame` into `out` and returns its length, or returns 0 when this frame
 * gets no native answer (not a plain request, not valid, not for an address in `table`).
 */
size_t answer_for(const answer_table *table, const uint8_t *frame, size_t length,
                  uint8_t out[ANSWER_MAX_LENGTH]);

#endif
