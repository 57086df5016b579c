/*
 * Link-layer frames for IronLB's speaker: one AF_PACKET socket per interface, with a classic BPF
 * filter in the kernel, read by a libuv poll handle on the event loop of the thread that opened
 * it (a worker thread's own loop when opened in a worker: npm `cap` polls on the main thread's
 * loop whatever thread opens it, which is why this exists).
 *
 *   open(ifname, filter, buffer, onFrame) -> handle
 *       filter: a libpcap filter expression, compiled here for Ethernet (pcap_compile, no
 *       capture opened) and attached with SO_ATTACH_FILTER, so frames it rejects never leave
 *       the kernel. Each frame received is copied into `buffer` and `onFrame(length)` is called
 *       (length capped at the buffer's size); the bytes are valid until the next call.
 *       Not promiscuous: the interface delivers what is addressed to it, broadcast, and the
 *       multicast groups the host joined (the speaker joins its solicited-node groups).
 *   send(handle, buffer, length)   one whole Ethernet frame, FCS excluded; throws on refusal.
 *   close(handle)                  stops delivery at once; idempotent.
 *
 * Errors thrown carry code IRONLB_ERR_FRAME_SOCKET and name the interface and the call.
 * A socket left open is closed when its handle is collected, or when the thread's environment
 * goes away (async cleanup hook: the poll handle is closed before the loop is).
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <net/if_arp.h>
#include <linux/if_ether.h>
#include <netpacket/packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ERROR_CODE "IRONLB_ERR_FRAME_SOCKET"
/* Frames handled per wake-up before other work on the loop gets a turn (the poll fires again). */
#define MAX_BATCH 64
#define RECEIVE_BUFFER_BYTES (1 << 20)
#define SNAPLEN 65535

typedef struct {
  int fd;
  char ifname[IF_NAMESIZE];
  uv_poll_t poll;
  napi_env env;
  napi_ref on_frame;
  napi_ref buffer;
  uint8_t *data;
  size_t size;
  napi_async_context async;
  napi_async_cleanup_hook_handle cleanup;
  int closing;   /* close started: no more delivery */
  int closed;    /* poll handle closed, fd closed */
  int finalized; /* JS handle collected: free once closed */
} frame_socket;

/* Throws an Error with our code; returns NULL for the caller to return. */
static napi_value throw_error(napi_env env, const char *ifname, const char *what, int err) {
  char message[2048];
  if (err != 0)
    snprintf(message, sizeof message, "%s on %s: %s (errno %d)", what, ifname, strerror(err), err);
  else
    snprintf(message, sizeof message, "%s on %s", what, ifname);
  napi_throw_error(env, ERROR_CODE, message);
  return NULL;
}

static void on_closed(uv_handle_t *handle) {
  frame_socket *s = handle->data;
  close(s->fd);
  s->closed = 1;
  napi_remove_async_cleanup_hook(s->cleanup);
  if (s->finalized) free(s);
}

/* Stops delivery now; the poll handle and the fd go in on_closed. */
static void stop_socket(frame_socket *s) {
  if (s->closing) return;
  s->closing = 1;
  uv_poll_stop(&s->poll);
  napi_delete_reference(s->env, s->on_frame);
  napi_delete_reference(s->env, s->buffer);
  napi_async_destroy(s->env, s->async);
  uv_close((uv_handle_t *)&s->poll, on_closed);
}

static void on_env_cleanup(napi_async_cleanup_hook_handle handle, void *arg) {
  (void)handle;
  stop_socket(arg);
}

static void on_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  frame_socket *s = data;
  s->finalized = 1;
  if (s->closed) free(s);
  else stop_socket(s);
}

/* Hands one received frame to JS; false when JS threw (reported as uncaught). */
static int deliver(frame_socket *s, napi_value callback, napi_value receiver, size_t length) {
  napi_value arg, result;
  napi_create_uint32(s->env, (uint32_t)length, &arg);
  if (napi_make_callback(s->env, s->async, receiver, callback, 1, &arg, &result) == napi_ok)
    return 1;
  napi_value exception;
  if (napi_get_and_clear_last_exception(s->env, &exception) == napi_ok)
    napi_fatal_exception(s->env, exception);
  return 0;
}

/* Reads what is queued (up to MAX_BATCH frames), each handed to onFrame as it is read. */
static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  frame_socket *s = handle->data;
  if (s->closing) return;
  napi_handle_scope scope;
  napi_open_handle_scope(s->env, &scope);
  napi_value callback, receiver;
  napi_get_reference_value(s->env, s->on_frame, &callback);
  napi_get_global(s->env, &receiver); /* napi_make_callback wants an object */
  for (int i = 0; i < MAX_BATCH && !s->closing; i++) {
    /* MSG_TRUNC: the frame's real length even when the buffer is shorter. */
    ssize_t n = recv(s->fd, s->data, s->size, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      /* ENETDOWN is reported once when the link goes down; the socket works when it is up. */
      if (errno == EINTR || errno == ENETDOWN) continue;
      break; /* EAGAIN: drained. Anything else is reported by the next recv too. */
    }
    size_t length = (size_t)n < s->size ? (size_t)n : s->size;
    if (!deliver(s, callback, receiver, length)) break;
  }
  (void)status;
  napi_close_handle_scope(s->env, scope);
}

/* An AF_PACKET socket on `ifindex` with `filter` attached before any frame can queue. */
static int open_packet_socket(unsigned ifindex, struct sock_fprog *filter, int *fd_out,
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

/* Compiles `expression` for Ethernet frames into `program` (free with pcap_freecode). */
static int compile_filter(const char *expression, struct bpf_program *program, char *error,
                          size_t error_size) {
  pcap_t *dead = pcap_open_dead(DLT_EN10MB, SNAPLEN);
  if (!dead) return snprintf(error, error_size, "pcap_open_dead failed"), -1;
  int rc = pcap_compile(dead, program, expression, 1, PCAP_NETMASK_UNKNOWN);
  if (rc != 0) snprintf(error, error_size, "filter \"%s\": %s", expression, pcap_geterr(dead));
  pcap_close(dead);
  return rc;
}

static int get_string(napi_env env, napi_value value, char *out, size_t size) {
  size_t length;
  return napi_get_value_string_utf8(env, value, out, size, &length) == napi_ok && length < size - 1;
}

static napi_value make_handle(napi_env env, frame_socket *s, napi_value buffer, napi_value cb) {
  napi_value handle, name;
  napi_create_reference(env, cb, 1, &s->on_frame);
  napi_create_reference(env, buffer, 1, &s->buffer);
  napi_create_string_utf8(env, "IronlbFrameSocket", NAPI_AUTO_LENGTH, &name);
  napi_create_external(env, s, on_finalize, NULL, &handle);
  napi_async_init(env, handle, name, &s->async);
  napi_add_async_cleanup_hook(env, on_env_cleanup, s, &s->cleanup);
  return handle;
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char ifname[IF_NAMESIZE], filter[1024], error[PCAP_ERRBUF_SIZE + 1100];
  void *data;
  size_t size;
  napi_valuetype cb_type = napi_undefined;
  if (argc == 4) napi_typeof(env, argv[3], &cb_type);
  if (argc < 4 || !get_string(env, argv[0], ifname, sizeof ifname) ||
      !get_string(env, argv[1], filter, sizeof filter) ||
      napi_get_buffer_info(env, argv[2], &data, &size) != napi_ok || size == 0 ||
      cb_type != napi_function) {
    napi_throw_type_error(env, ERROR_CODE,
                          "open(ifname: string, filter: string, buffer: Buffer, onFrame)");
    return NULL;
  }
  unsigned ifindex = if_nametoindex(ifname);
  if (ifindex == 0) return throw_error(env, ifname, "no such interface", errno);
  struct bpf_program program;
  if (compile_filter(filter, &program, error, sizeof error) != 0)
    return throw_error(env, ifname, error, 0);
  struct sock_fprog fprog = {(unsigned short)program.bf_len, (struct sock_filter *)program.bf_insns};
  int fd = -1;
  const char *failed = "";
  int err = open_packet_socket(ifindex, &fprog, &fd, &failed);
  pcap_freecode(&program);
  if (fd < 0) return throw_error(env, ifname, failed, err < 0 ? 0 : err);

  uv_loop_t *loop;
  frame_socket *s = calloc(1, sizeof *s);
  if (!s || napi_get_uv_event_loop(env, &loop) != napi_ok ||
      uv_poll_init(loop, &s->poll, fd) != 0) {
    free(s);
    close(fd);
    return throw_error(env, ifname, "poll setup", ENOMEM);
  }
  s->fd = fd;
  s->env = env;
  s->data = data;
  s->size = size;
  s->poll.data = s;
  memcpy(s->ifname, ifname, sizeof ifname);
  napi_value handle = make_handle(env, s, argv[2], argv[3]);
  uv_poll_start(&s->poll, UV_READABLE, on_readable);
  return handle;
}

static frame_socket *get_socket(napi_env env, napi_value handle) {
  void *s = NULL;
  napi_valuetype type;
  if (napi_typeof(env, handle, &type) != napi_ok || type != napi_external ||
      napi_get_value_external(env, handle, &s) != napi_ok)
    napi_throw_type_error(env, ERROR_CODE, "not a frame socket handle");
  return s;
}

static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  frame_socket *s = argc == 3 ? get_socket(env, argv[0]) : NULL;
  if (!s) return NULL;
  void *data;
  size_t size;
  uint32_t length;
  if (napi_get_buffer_info(env, argv[1], &data, &size) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &length) != napi_ok || length > size) {
    napi_throw_type_error(env, ERROR_CODE, "send(handle, buffer: Buffer, length <= its size)");
    return NULL;
  }
  if (s->closing) return throw_error(env, s->ifname, "send on a closed socket", 0);
  ssize_t sent;
  do sent = send(s->fd, data, length, MSG_DONTWAIT);
  while (sent < 0 && errno == EINTR);
  if (sent < 0) return throw_error(env, s->ifname, "send", errno);
  return NULL;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  frame_socket *s = argc == 1 ? get_socket(env, argv[0]) : NULL;
  if (s) stop_socket(s);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor functions[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions);
  return exports;
}
