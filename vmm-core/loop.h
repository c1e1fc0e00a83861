/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VM's I/O thread: an epoll loop with fd watches, timers and cross-thread calls. */
#ifndef VMM_LOOP_H
#define VMM_LOOP_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Device timers and backend fds (serial input, later ioeventfds) are served here, on one
 * thread per VM, never on a vCPU thread. Callbacks run without any loop lock held, so a
 * callback may take its device's lock and a vCPU thread holding that lock may arm timers.
 *
 * A loop made with manual_clock=true never reads the host clock: time moves only through
 * vmm_loop_advance(), which runs the timers that fall due. Unit tests use it to drive
 * periodic devices deterministically.
 */
struct vmm_loop;
struct vmm_timer;

typedef void (*vmm_fd_cb)(void *opaque, int fd, uint32_t events);
typedef void (*vmm_timer_cb)(void *opaque);
typedef void (*vmm_call_cb)(void *opaque);

struct vmm_loop *vmm_loop_new(bool manual_clock);
void vmm_loop_free(struct vmm_loop *loop);

uint64_t vmm_loop_now(struct vmm_loop *loop);			/* ns */
void vmm_loop_advance(struct vmm_loop *loop, uint64_t ns);	/* manual clock only */

/* events: EPOLLIN/EPOLLOUT. 0 or -errno. */
int vmm_loop_add_fd(struct vmm_loop *loop, int fd, uint32_t events, vmm_fd_cb cb, void *opaque);
int vmm_loop_del_fd(struct vmm_loop *loop, int fd);

struct vmm_timer *vmm_timer_new(struct vmm_loop *loop, vmm_timer_cb cb, void *opaque);
void vmm_timer_mod(struct vmm_timer *t, uint64_t expire_ns);	/* absolute loop time */
void vmm_timer_del(struct vmm_timer *t);
bool vmm_timer_pending(struct vmm_timer *t);
void vmm_timer_free(struct vmm_timer *t);

/* Run cb on the loop thread soon (safe from any thread). */
int vmm_loop_call(struct vmm_loop *loop, vmm_call_cb cb, void *opaque);

/* Serve events on a thread of the loop's own until vmm_loop_stop(). */
int vmm_loop_start(struct vmm_loop *loop);
void vmm_loop_stop(struct vmm_loop *loop);
/* Serve one round on the calling thread (tests): waits at most timeout_ms. */
void vmm_loop_run_once(struct vmm_loop *loop, int timeout_ms);

#endif
