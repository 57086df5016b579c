/* The AF_PACKET socket of frame_socket.c and its kernel filter, compiled by libpcap. */
#ifndef IRONLB_PACKET_SOCKET_H
#define IRONLB_PACKET_SOCKET_H

#include <linux/filter.h>
#include <pcap/pcap.h>
#include <stddef.h>

/* An AF_PACKET socket on `ifindex` with `filter` attached; 0, an errno, or -1 (`failed` says). */
int open_packet_socket(unsigned ifindex, struct sock_fprog *filter, int *fd_out,
                       const char **failed);
/* Compiles `expression` for Ethernet frames into `program` (free with pcap_freecode). */
int compile_filter(const char *expression, struct bpf_program *program, char *error,
                   size_t error_size);

#endif
