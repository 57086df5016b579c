/* See receiver.h. */
#define _GNU_SOURCE
#include "receiver.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Frames read per wake-up before the opening thread is notified. */
#define BATCH 64
#define FALLBACK_NICENESS -10

/* Pins the calling thread to `cpu`; -1 when not asked or refused (a cpuset without it). */
static int pin(int cpu) {
  if (cpu < 0 || cpu >= CPU_SETSIZE) return -1;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0 ? cpu : -1;
}

/* SCHED_FIFO priority 1 (wakes before any ordinary thread); else niceness -10; else as is. */
static const char *raise_priority(void) {
  struct sched_param param = {.sched_priority = 1};
  if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) == 0) return "fifo";
  if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), FALLBACK_NICENESS) == 0) return "nice";
  return "none";
}

/* Answers one frame if answer_for() does; the table lock is held until the answer is sent. */
static int answer(receiver *r, const uint8_t *frame, size_t length) {
  uint8_t reply[ANSWER_MAX_LENGTH];
  pthread_mutex_lock(&r->book->lock);
  size_t n = answer_for(r->book->table, frame, length, reply);
  ssize_t sent = -1;
  if (n > 0) {
    do sent = send(r->fd, reply, n, MSG_DONTWAIT);
    while (sent < 0 && errno == EINTR);
  }
  pthread_mutex_unlock(&r->book->lock);
  if (sent > 0) atomic_fetch_add(&r->answers, 1);
  return sent > 0;
}

/* Reads what is queued, up to BATCH frames; false when the socket is drained. */
static int read_batch(receiver *r) {
  for (int i = 0; i < BATCH; i++) {
    uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    int full = head - tail >= RECEIVER_SLOTS;
    uint8_t *slot = full ? r->scratch : r->slots + (size_t)(head % RECEIVER_SLOTS) * RECEIVER_SLOT_SIZE;
    /* MSG_TRUNC: the frame's real length even when the slot is shorter. */
    ssize_t n = recv(r->fd, slot, RECEIVER_SLOT_SIZE, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      /* ENETDOWN is reported once when the link goes down; the socket works when it is up. */
      if (errno == EINTR || errno == ENETDOWN) continue;
      return 0; /* EAGAIN: drained. Anything else is reported by the next recv too. */
    }
    size_t length = (size_t)n < RECEIVER_SLOT_SIZE ? (size_t)n : RECEIVER_SLOT_SIZE;
    int answered = answer(r, slot, length);
    if (full) {
      atomic_fetch_add(&r->dropped, 1);
      continue;
    }
    r->lengths[head % RECEIVER_SLOTS] = (uint32_t)length;
    r->answered[head % RECEIVER_SLOTS] = (uint8_t)answered;
    atomic_store_explicit(&r->head, head + 1, memory_order_release);
  }
  return 1;
}

static void *run(void *arg) {
  receiver *r = arg;
  r->cpu = pin(r->cpu);
  r->priority = raise_priority();
  sem_post(&r->started);
  struct pollfd fds[2] = {{.fd = r->fd, .events = POLLIN}, {.fd = r->stop_fd, .events = POLLIN}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents) break;
    if (!(fds[0].revents & POLLIN)) continue;
    uint32_t before = atomic_load_explicit(&r->head, memory_order_relaxed);
    while (read_batch(r)) {
      r->notify(r->notify_arg); /* a long burst: let the opening thread start on it */
      before = atomic_load_explicit(&r->head, memory_order_relaxed);
    }
    if (atomic_load_explicit(&r->head, memory_order_relaxed) != before) r->notify(r->notify_arg);
  }
  return NULL;
}

int receiver_start(receiver *r, int fd, int cpu, answer_book *book, void (*notify)(void *),
                   void *arg) {
  r->fd = fd;
  r->cpu = cpu;
  r->book = book;
  r->notify = notify;
  r->notify_arg = arg;
  r->priority = "none";
  r->slots = calloc(RECEIVER_SLOTS, RECEIVER_SLOT_SIZE);
  if (!r->slots) return ENOMEM;
  r->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (r->stop_fd < 0) {
    int err = errno;
    free(r->slots);
    r->slots = NULL;
    return err;
  }
  sem_init(&r->started, 0, 0);
  int err = pthread_create(&r->thread, NULL, run, r);
  if (err != 0) {
    close(r->stop_fd);
    free(r->slots);
    r->slots = NULL;
    return err;
  }
  r->running = 1;
  while (sem_wait(&r->started) != 0 && errno == EINTR) {
  }
  return 0;
}

void receiver_stop(receiver *r) {
  if (!r->running) return;
  r->running = 0;
  uint64_t one = 1;
  while (write(r->stop_fd, &one, sizeof one) < 0 && errno == EINTR) {
  }
  pthread_join(r->thread, NULL);
  close(r->stop_fd);
  sem_destroy(&r->started);
  free(r->slots);
  r->slots = NULL;
}

void answer_book_init(answer_book *book) {
  pthread_mutex_init(&book->lock, NULL);
  book->table = NULL;
}

void answer_book_set(answer_book *book, answer_table *table) {
  pthread_mutex_lock(&book->lock);
  answer_table *old = book->table;
  book->table = table;
  pthread_mutex_unlock(&book->lock);
  free(old);
}

void answer_book_destroy(answer_book *book) {
  answer_book_set(book, NULL);
  pthread_mutex_destroy(&book->lock);
}

const uint8_t *receiver_peek(receiver *r, size_t *length, int *answered) {
  uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
  if (!r->slots || atomic_load_explicit(&r->head, memory_order_acquire) == tail) return NULL;
  *length = r->lengths[tail % RECEIVER_SLOTS];
  *answered = r->answered[tail % RECEIVER_SLOTS];
  return r->slots + (size_t)(tail % RECEIVER_SLOTS) * RECEIVER_SLOT_SIZE;
}

void receiver_release(receiver *r) {
  atomic_fetch_add_explicit(&r->tail, 1, memory_order_release);
}
