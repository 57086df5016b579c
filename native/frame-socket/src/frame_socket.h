/* What frame_socket.c shares with answers_js.c: the socket and its errors. */
#ifndef IRONLB_FRAME_SOCKET_H
#define IRONLB_FRAME_SOCKET_H

#define NAPI_VERSION 8
#include <net/if.h>
#include <node_api.h>
#include <uv.h>

#include "answer.h"
#include "receiver.h"

#define ERROR_CODE "IRONLB_ERR_FRAME_SOCKET"

/* Lanes per interface at most: one per CPU (frame_socket.c). */
#define FRAME_LANES_MAX 32

typedef struct {
  int fd; /* lane 0's socket: sends go out on it */
  char ifname[IF_NAMESIZE];
  uv_async_t wake; /* a receiving thread queued frames */
  int lanes;
  int fds[FRAME_LANES_MAX];
  receiver rx[FRAME_LANES_MAX];
  answer_book book;
  napi_env env;
  napi_ref on_frame;
  napi_ref buffer;
  uint8_t *data;
  size_t size;
  napi_async_context async;
  napi_async_cleanup_hook_handle cleanup;
  int closing;   /* close started: no more delivery */
  int closed;    /* thread joined, async handle closed, fd closed */
  int finalized; /* JS handle collected: free once closed */
} frame_socket;

/* Throws an Error with our code; returns NULL for the caller to return. */
napi_value throw_error(napi_env env, const char *ifname, const char *what, int err);
/* The socket of a JS handle; NULL (a TypeError thrown) when it is not one. */
frame_socket *get_socket(napi_env env, napi_value handle);

napi_value js_set_answers(napi_env env, napi_callback_info info);
napi_value js_answer_for(napi_env env, napi_callback_info info);
napi_value js_receiver(napi_env env, napi_callback_info info);

#endif
