/*
 * The receiving thread of one packet socket (one lane of an interface: see frame_socket.c): it
 * owns recv(), answers what answer_for() answers at once on the same socket (no allocation, the
 * table of the interface's answer_book under its mutex, which setting it takes too), and queues
 * every frame, answered or not, for the opening thread (a single-producer, single-consumer ring
 * of fixed slots; `notify` is called after each batch). A lane may be pinned to one CPU.
 */
#ifndef IRONLB_RECEIVER_H
#define IRONLB_RECEIVER_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "answer.h"

#define RECEIVER_SLOTS 128
/* Larger than a jumbo frame: the kernel filter passes ARP and ICMPv6 neighbor messages only. */
#define RECEIVER_SLOT_SIZE 16384

/* What the lanes of one interface answer: shared by its receiving threads. */
typedef struct {
  pthread_mutex_t lock;
  answer_table *table; /* NULL: answers nothing */
} answer_book;

void answer_book_init(answer_book *book);
/* Replaces the table (NULL: none); once this returns no answer comes from the old one. */
void answer_book_set(answer_book *book, answer_table *table);
void answer_book_destroy(answer_book *book);

typedef struct {
  int fd;      /* the packet socket: not owned */
  int cpu;     /* the CPU the thread is pinned to, or -1 */
  int stop_fd; /* eventfd */
  pthread_t thread;
  int running;
  answer_book *book; /* not owned */
  _Atomic uint32_t head; /* next slot the thread fills */
  _Atomic uint32_t tail; /* next slot the opening thread takes */
  uint32_t lengths[RECEIVER_SLOTS];
  uint8_t answered[RECEIVER_SLOTS];
  uint8_t *slots; /* RECEIVER_SLOTS x RECEIVER_SLOT_SIZE */
  uint8_t scratch[RECEIVER_SLOT_SIZE]; /* a frame read while the ring is full */
  _Atomic uint64_t dropped;            /* frames answered but not queued (ring full) */
  _Atomic uint64_t answers;            /* answers sent */
  void (*notify)(void *arg);
  void *notify_arg;
  const char *priority; /* "fifo", "nice" or "none": what the thread got */
  sem_t started;
} receiver;

/*
 * Starts the thread on `fd`, answering from `book`, pinned to `cpu` when it is >= 0 and the
 * process may run there; 0 or an errno. r->priority and r->cpu are set when this returns.
 */
int receiver_start(receiver *r, int fd, int cpu, answer_book *book, void (*notify)(void *),
                   void *arg);
/* Stops and joins the thread, frees the ring; idempotent. */
void receiver_stop(receiver *r);
/* The oldest queued frame, or NULL; receiver_release() it once read. */
const uint8_t *receiver_peek(receiver *r, size_t *length, int *answered);
void receiver_release(receiver *r);

#endif
