/*
 * Link-layer frames for IronLB's speaker: AF_PACKET sockets on an interface, with a classic BPF
 * filter in the kernel, each read by a dedicated thread (receiver.c) that answers the common
 * neighbor request itself (answer.c) and hands every frame to the event loop of the thread that
 * opened the socket (a worker thread's own loop when opened in a worker).
 *
 * One lane (socket + thread) per CPU, in a PACKET_FANOUT_CPU group, each thread pinned to its
 * CPU: a frame goes to the lane of the CPU whose softirq received it, so the answer never waits
 * for another CPU to wake (on a VM, waking an idle vCPU took 0.3 to several ms, the tail of the
 * reply latency; docs/benchmarks.md). Each frame still reaches exactly one lane.
 *
 *   open(ifname, filter, buffer, onFrame) -> handle
 *       filter: a libpcap filter expression, compiled here for Ethernet (pcap_compile, no
 *       capture opened) and attached with SO_ATTACH_FILTER, so frames it rejects never leave
 *       the kernel. Each frame received is copied into `buffer` and `onFrame(length, answered)`
 *       is called (length capped at the buffer's size; answered: the receiving thread already
 *       sent the answer of setAnswers' table); the bytes are valid until the next call.
 *       Not promiscuous: the interface delivers what is addressed to it, broadcast, and the
 *       multicast groups the host joined (the speaker joins its solicited-node groups).
 *   setAnswers(handle, mac, ipv6Source, v4, v6)   what the receiving thread answers from now
 *       on: mac (6 bytes), ipv6Source (16 bytes or null), v4 / v6 (addresses, 4 / 16 bytes each).
 *   answerFor(frame, mac, ipv6Source, v4, v6) -> Buffer | null   the same, for one frame.
 *   receiver(handle) -> { priority, answers, dropped }   the thread's scheduling ("fifo": SCHED_FIFO
 *       1; "nice": niceness -10; "none"), answers sent, frames not handed over (queue full).
 *   send(handle, buffer, length)   one whole Ethernet frame, FCS excluded; throws on refusal.
 *   close(handle)                  stops and joins the receiving thread: no frame after it.
 *
 * Errors thrown carry code IRONLB_ERR_FRAME_SOCKET and name the interface and the call.
 * A socket left open is closed when its handle is collected, or when the thread's environment
 * goes away (async cleanup hook: the thread is joined, the async handle closed before the loop).
 */
#include "frame_socket.h"
#include "packet_socket.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Frames handed to JS per wake-up before other work on the loop gets a turn (woken again). */
#define MAX_BATCH 64


/* Throws an Error with our code; returns NULL for the caller to return. */
napi_value throw_error(napi_env env, const char *ifname, const char *what, int err) {
  char message[2048];
  if (err != 0)
    snprintf(message, sizeof message, "%s on %s: %s (errno %d)", what, ifname, strerror(err), err);
  else
    snprintf(message, sizeof message, "%s on %s", what, ifname);
  napi_throw_error(env, ERROR_CODE, message);
  return NULL;
}

static void close_lanes(frame_socket *s) {
  for (int i = 0; i < s->lanes; i++) close(s->fds[i]);
  answer_book_destroy(&s->book);
}

static void on_closed(uv_handle_t *handle) {
  frame_socket *s = handle->data;
  close_lanes(s);
  s->closed = 1;
  napi_remove_async_cleanup_hook(s->cleanup);
  if (s->finalized) free(s);
}

/* Stops delivery now and joins the receiving thread; the async handle and the fd go in on_closed. */
static void stop_socket(frame_socket *s) {
  if (s->closing) return;
  s->closing = 1;
  for (int i = 0; i < s->lanes; i++) receiver_stop(&s->rx[i]);
  napi_delete_reference(s->env, s->on_frame);
  napi_delete_reference(s->env, s->buffer);
  napi_async_destroy(s->env, s->async);
  uv_close((uv_handle_t *)&s->wake, on_closed);
}

/* on_closed for a socket whose open failed before its cleanup hook was added. */
static void on_closed_unregistered(uv_handle_t *handle) {
  frame_socket *s = handle->data;
  close_lanes(s);
  free(s);
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
static int deliver(frame_socket *s, napi_value callback, napi_value global, size_t length,
                   int answered) {
  napi_value argv[2], result;
  napi_create_uint32(s->env, (uint32_t)length, &argv[0]);
  napi_get_boolean(s->env, answered, &argv[1]);
  if (napi_make_callback(s->env, s->async, global, callback, 2, argv, &result) == napi_ok)
    return 1;
  napi_value exception;
  if (napi_get_and_clear_last_exception(s->env, &exception) == napi_ok)
    napi_fatal_exception(s->env, exception);
  return 0;
}

/* Called on the receiving thread: wakes the opening thread's loop. */
static void notify(void *arg) {
  frame_socket *s = arg;
  uv_async_send(&s->wake);
}

/* Hands the queued frames (up to MAX_BATCH) to onFrame, each copied into the JS buffer. */
static void on_wake(uv_async_t *handle) {
  frame_socket *s = handle->data;
  if (s->closing) return;
  napi_handle_scope scope;
  napi_open_handle_scope(s->env, &scope);
  napi_value callback, global;
  napi_get_reference_value(s->env, s->on_frame, &callback);
  napi_get_global(s->env, &global); /* napi_make_callback wants an object */
  int more = 0;
  for (int lane = 0; lane < s->lanes && !s->closing; lane++) {
    receiver *rx = &s->rx[lane];
    int i = 0;
    for (; i < MAX_BATCH && !s->closing; i++) {
      size_t length;
      int answered;
      const uint8_t *frame = receiver_peek(rx, &length, &answered);
      if (!frame) break;
      if (length > s->size) length = s->size;
      memcpy(s->data, frame, length);
      receiver_release(rx);
      if (!deliver(s, callback, global, length, answered)) break;
    }
    more |= i == MAX_BATCH;
  }
  if (more && !s->closing) uv_async_send(&s->wake); /* more may be queued */
  napi_close_handle_scope(s->env, scope);
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

/* One lane per online CPU, at most FRAME_LANES_MAX. */
static int lane_count(void) {
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  return cpus < 1 ? 1 : cpus > FRAME_LANES_MAX ? FRAME_LANES_MAX : (int)cpus;
}

/*
 * Opens the lanes' sockets into s->fds (s->lanes of them): one socket when fanout is refused
 * (an old kernel), else one per CPU in one PACKET_FANOUT_CPU group. 0, an errno or -1 (`failed`).
 */
static int open_lanes(frame_socket *s, unsigned ifindex, struct sock_fprog *filter,
                      const char **failed) {
  int wanted = lane_count(), group = -1;
  s->lanes = 0;
  for (int i = 0; i < wanted; i++) {
    int fd = -1, err = open_packet_socket(ifindex, filter, &fd, failed);
    if (fd < 0) return err;
    s->fds[s->lanes++] = fd;
    if (wanted == 1) return 0;
    if ((err = join_cpu_fanout(fd, &group)) == 0) continue;
    if (i == 0) return 0; /* no fanout here: lane 0 takes every frame */
    *failed = "PACKET_FANOUT";
    return err;
  }
  return 0;
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
  const char *failed = "";
  frame_socket *s = calloc(1, sizeof *s);
  if (!s) return pcap_freecode(&program), throw_error(env, ifname, "open", ENOMEM);
  int err = open_lanes(s, ifindex, &fprog, &failed);
  pcap_freecode(&program);
  answer_book_init(&s->book);
  uv_loop_t *loop;
  if (err != 0 || napi_get_uv_event_loop(env, &loop) != napi_ok ||
      uv_async_init(loop, &s->wake, on_wake) != 0) {
    close_lanes(s);
    free(s);
    if (err != 0) return throw_error(env, ifname, failed, err < 0 ? 0 : err);
    return throw_error(env, ifname, "event loop setup", ENOMEM);
  }
  s->fd = s->fds[0];
  s->env = env;
  s->data = data;
  s->size = size;
  s->wake.data = s;
  memcpy(s->ifname, ifname, sizeof ifname);
  for (int i = 0; i < s->lanes && err == 0; i++)
    err = receiver_start(&s->rx[i], s->fds[i], s->lanes > 1 ? i : -1, &s->book, notify, s);
  if (err != 0) {
    for (int i = 0; i < s->lanes; i++) receiver_stop(&s->rx[i]);
    s->closing = 1;
    s->finalized = 1; /* no JS handle: on_closed frees */
    uv_close((uv_handle_t *)&s->wake, on_closed_unregistered);
    return throw_error(env, ifname, "receiving thread", err);
  }
  return make_handle(env, s, argv[2], argv[3]);
}

frame_socket *get_socket(napi_env env, napi_value handle) {
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
      {"setAnswers", NULL, js_set_answers, NULL, NULL, NULL, napi_enumerable, NULL},
      {"answerFor", NULL, js_answer_for, NULL, NULL, NULL, napi_enumerable, NULL},
      {"receiver", NULL, js_receiver, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions);
  return exports;
}
