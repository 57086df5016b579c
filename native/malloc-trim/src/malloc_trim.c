/*
 * malloc_trim(0) for IronLB's heap trimming (lib/adapters/heap-trim.ts).
 *
 *   trim() -> boolean
 *       glibc keeps the chunks free()d by V8, libuv and OpenSSL in its arenas; malloc_trim(0)
 *       gives every whole free page of every arena back to the OS (madvise MADV_DONTNEED), not
 *       only the top of the main heap as free() does. True when memory was released. Where the
 *       C library is not glibc (musl, macOS) there is no such call: returns false.
 *
 * Synchronous; it walks every arena under its lock, a few milliseconds for a few hundred MiB.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

static napi_value Trim(napi_env env, napi_callback_info info) {
  (void)info;
  int released = 0;
#ifdef __GLIBC__
  released = malloc_trim(0);
#endif
  napi_value result;
  if (napi_get_boolean(env, released != 0, &result) != napi_ok) return NULL;
  return result;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "trim", NAPI_AUTO_LENGTH, Trim, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "trim", fn) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
