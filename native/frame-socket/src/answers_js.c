/* The answer table's side of the addon: setAnswers, answerFor, receiver (see frame_socket.c). */
#include <stdatomic.h>
#include <stdlib.h>

#include "frame_socket.h"

static int get_bytes(napi_env env, napi_value value, const uint8_t **data, size_t *size) {
  void *bytes;
  if (napi_get_buffer_info(env, value, &bytes, size) != napi_ok) return 0;
  *data = bytes;
  return 1;
}

/* A table from (mac, ipv6Source | null, v4, v6) at argv; NULL (thrown) when they are not that. */
static answer_table *table_from(napi_env env, napi_value *argv) {
  const uint8_t *mac, *source = NULL, *v4, *v6;
  size_t mac_size, source_size = 16, v4_size, v6_size;
  napi_valuetype source_type;
  napi_typeof(env, argv[1], &source_type);
  if (!get_bytes(env, argv[0], &mac, &mac_size) || mac_size != 6 ||
      (source_type != napi_null && !get_bytes(env, argv[1], &source, &source_size)) ||
      source_size != 16 || !get_bytes(env, argv[2], &v4, &v4_size) || v4_size % 4 != 0 ||
      !get_bytes(env, argv[3], &v6, &v6_size) || v6_size % 16 != 0) {
    napi_throw_type_error(env, ERROR_CODE,
                          "answers: mac (6 bytes), ipv6Source (16 bytes or null), v4 (4 bytes "
                          "each), v6 (16 bytes each)");
    return NULL;
  }
  answer_table *table = answer_table_new(mac, source, v4, v4_size / 4, v6, v6_size / 16);
  if (!table) napi_throw_error(env, ERROR_CODE, "answers: out of memory");
  return table;
}

napi_value js_set_answers(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  frame_socket *s = argc == 5 ? get_socket(env, argv[0]) : NULL;
  if (!s) return NULL;
  if (s->closing) return throw_error(env, s->ifname, "setAnswers on a closed socket", 0);
  answer_table *table = table_from(env, argv + 1);
  if (table) answer_book_set(&s->book, table);
  return NULL;
}

napi_value js_answer_for(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], result;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  const uint8_t *frame;
  size_t length;
  if (argc != 5 || !get_bytes(env, argv[0], &frame, &length)) {
    napi_throw_type_error(env, ERROR_CODE, "answerFor(frame: Buffer, mac, ipv6Source, v4, v6)");
    return NULL;
  }
  answer_table *table = table_from(env, argv + 1);
  if (!table) return NULL;
  uint8_t reply[ANSWER_MAX_LENGTH];
  size_t n = answer_for(table, frame, length, reply);
  free(table);
  if (n == 0) napi_get_null(env, &result);
  else napi_create_buffer_copy(env, n, reply, NULL, &result);
  return result;
}

napi_value js_receiver(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result, priority, answers, dropped, lanes, pinned;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  frame_socket *s = argc == 1 ? get_socket(env, argv[0]) : NULL;
  if (!s) return NULL;
  uint64_t answered = 0, lost = 0;
  uint32_t on_cpu = 0;
  for (int i = 0; i < s->lanes; i++) {
    answered += atomic_load(&s->rx[i].answers);
    lost += atomic_load(&s->rx[i].dropped);
    on_cpu += s->rx[i].cpu >= 0;
  }
  napi_create_object(env, &result);
  napi_create_string_utf8(env, s->rx[0].priority, NAPI_AUTO_LENGTH, &priority);
  napi_create_double(env, (double)answered, &answers);
  napi_create_double(env, (double)lost, &dropped);
  napi_create_uint32(env, (uint32_t)s->lanes, &lanes);
  napi_create_uint32(env, on_cpu, &pinned);
  napi_set_named_property(env, result, "lanes", lanes);
  napi_set_named_property(env, result, "pinned", pinned);
  napi_set_named_property(env, result, "priority", priority);
  napi_set_named_property(env, result, "answers", answers);
  napi_set_named_property(env, result, "dropped", dropped);
  return result;
}
