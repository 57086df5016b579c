/* The AF_PACKET socket of frame_socket.c and its kernel filter, compiled by libpcap. */
#ifndef IRONLB_PACKET_SOCKET_H
#define IRONLB_PACKET_SOCKET_H

#include <linux/filter.h>
#include <pcap/pcap.h>
#include <stddef.h>

/* An AF_PACKET socket on `ifindex` with `filter` attached; 0, an errno, or -1 (`failed` says). */
int open_packet_socket(unsigned ifindex, struct sock_fprog *filter, int *fd_out,
                       const char **failed);
/*
 * Joins `fd` to a PACKET_FANOUT_CPU group: each frame goes to one member, the one of the CPU
 * that received it. `*id` < 0: a new group, with an id the kernel picks (returned in `*id`).
 * 0 or an errno.
 */
int join_cpu_fanout(int fd, int *id);
/* Compiles `expression` for Ethernet frames into `program` (free with pcap_freecode). */
int compile_filter(const char *expression, struct bpf_program *program, char *error,
                   size_t error_size);

#endif
