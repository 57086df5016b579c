/* See packet_socket.h. */
#include "packet_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <net/if_arp.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#define RECEIVE_BUFFER_BYTES (1 << 20)
#define SNAPLEN 65535

/* An AF_PACKET socket on `ifindex` with `filter` attached before any frame can queue. */
int open_packet_socket(unsigned ifindex, struct sock_fprog *filter, int *fd_out,
                              const char **failed) {
  /* Protocol 0: nothing is queued until bind() names the protocol, after the filter is on. */
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return *failed = "socket(AF_PACKET)", errno;
  int rcvbuf = RECEIVE_BUFFER_BYTES;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf); /* best effort */
  struct sockaddr_ll address = {0};
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(ETH_P_ALL);
  address.sll_ifindex = (int)ifindex;
  socklen_t length = sizeof address;
  int err = 0;
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, filter, sizeof *filter) != 0)
    *failed = "SO_ATTACH_FILTER", err = errno;
  else if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0)
    *failed = "bind", err = errno;
  else if (getsockname(fd, (struct sockaddr *)&address, &length) != 0)
    *failed = "getsockname", err = errno;
  else if (address.sll_hatype != ARPHRD_ETHER)
    *failed = "not an Ethernet interface", err = 0;
  else {
    *fd_out = fd;
    return 0;
  }
  close(fd);
  return err == 0 ? -1 : err;
}

int join_cpu_fanout(int fd, int *id) {
  int arg = *id < 0 ? (PACKET_FANOUT_CPU | PACKET_FANOUT_FLAG_UNIQUEID) << 16
                    : (*id & 0xffff) | PACKET_FANOUT_CPU << 16;
  if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0) return errno;
  if (*id >= 0) return 0;
  socklen_t length = sizeof arg;
  if (getsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, &length) != 0) return errno;
  *id = arg & 0xffff;
  return 0;
}

/* Compiles `expression` for Ethernet frames into `program` (free with pcap_freecode). */
int compile_filter(const char *expression, struct bpf_program *program, char *error,
                          size_t error_size) {
  pcap_t *dead = pcap_open_dead(DLT_EN10MB, SNAPLEN);
  if (!dead) return snprintf(error, error_size, "pcap_open_dead failed"), -1;
  int rc = pcap_compile(dead, program, expression, 1, PCAP_NETMASK_UNKNOWN);
  if (rc != 0) snprintf(error, error_size, "filter \"%s\": %s", expression, pcap_geterr(dead));
  pcap_close(dead);
  return rc;
}
