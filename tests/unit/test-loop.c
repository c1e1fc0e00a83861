// SPDX-License-Identifier: GPL-2.0-or-later
/* I/O loop: manual-clock timers in order, real timers and fd watches on the loop thread. */
#include <pthread.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "loop.h"
#include "log.h"
#include "tap.h"

struct rec {
	struct vmm_loop *loop;
	uint64_t fired_at[8];
	int n;
	struct vmm_timer *rearm;	/* re-arm this timer from its own callback */
	uint64_t period;
};

static void on_timer(void *opaque)
{
	struct rec *r = opaque;

	if (r->n < 8)
		r->fired_at[r->n] = vmm_loop_now(r->loop);
	r->n++;
	if (r->rearm && r->n < 5)
		vmm_timer_mod(r->rearm, vmm_loop_now(r->loop) + r->period);
}

static void test_manual(void)
{
	struct vmm_loop *loop = vmm_loop_new(true);
	struct rec a = { .loop = loop }, b = { .loop = loop };
	struct vmm_timer *ta = vmm_timer_new(loop, on_timer, &a);
	struct vmm_timer *tb = vmm_timer_new(loop, on_timer, &b);

	is_int(vmm_loop_now(loop), 0, "manual clock starts at 0");
	vmm_timer_mod(ta, 300);
	vmm_timer_mod(tb, 100);
	vmm_loop_advance(loop, 99);
	ok(a.n == 0 && b.n == 0, "nothing due before 100 ns");
	vmm_loop_advance(loop, 1);
	ok(b.n == 1 && a.n == 0, "the earlier timer fires first");
	is_int(b.fired_at[0], 100, "callback sees its own expiry as now");
	vmm_timer_del(ta);
	vmm_loop_advance(loop, 1000);
	is_int(a.n, 0, "a deleted timer does not fire");
	ok(!vmm_timer_pending(ta), "and is not pending");

	b.rearm = tb;
	b.period = 10;
	b.n = 0;
	vmm_timer_mod(tb, vmm_loop_now(loop) + 10);
	vmm_loop_advance(loop, 1000);
	is_int(b.n, 5, "a periodic timer re-armed from its callback runs within one advance");
	is_int(b.fired_at[4] - b.fired_at[0], 40, "at its period");
	vmm_timer_free(ta);
	vmm_timer_free(tb);
	vmm_loop_free(loop);
}

struct pipe_rec {
	int got;
	pthread_t thread;
};

static void on_pipe(void *opaque, int fd, uint32_t events)
{
	struct pipe_rec *p = opaque;
	char c;

	if (read(fd, &c, 1) == 1)
		__atomic_add_fetch(&p->got, c, __ATOMIC_SEQ_CST);
	p->thread = pthread_self();
}

static void on_call(void *opaque)
{
	__atomic_add_fetch((int *)opaque, 1, __ATOMIC_SEQ_CST);
}

static void test_thread(void)
{
	struct vmm_loop *loop = vmm_loop_new(false);
	struct rec r = { .loop = loop };
	struct vmm_timer *t = vmm_timer_new(loop, on_timer, &r);
	struct pipe_rec p = { 0 };
	int fds[2], calls = 0;
	uint64_t start;

	ok(pipe(fds) == 0, "pipe");
	is_int(vmm_loop_add_fd(loop, fds[0], EPOLLIN, on_pipe, &p), 0, "watch a pipe");
	is_int(vmm_loop_start(loop), 0, "start the loop thread");
	start = vmm_now_ns();
	vmm_timer_mod(t, start + 20000000ull);		/* 20 ms */
	ok(write(fds[1], "\x05", 1) == 1, "write to the pipe");
	vmm_loop_call(loop, on_call, &calls);
	for (int i = 0; i < 200 && (__atomic_load_n(&r.n, __ATOMIC_SEQ_CST) == 0 ||
				    __atomic_load_n(&p.got, __ATOMIC_SEQ_CST) == 0); i++)
		usleep(5000);
	is_int(p.got, 5, "the fd callback ran");
	ok(!pthread_equal(p.thread, pthread_self()), "on the loop's own thread");
	is_int(r.n, 1, "the real-time timer fired");
	ok(r.fired_at[0] >= start + 20000000ull, "not before its time");
	is_int(calls, 1, "a cross-thread call ran");
	vmm_loop_del_fd(loop, fds[0]);
	vmm_loop_stop(loop);
	vmm_timer_free(t);
	vmm_loop_free(loop);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	test_manual();
	test_thread();
	return tap_done();
}
