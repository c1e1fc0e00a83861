// SPDX-License-Identifier: GPL-2.0-or-later
/* Per-VM I/O loop: epoll for fds, one timerfd for all timers, an eventfd for wake-ups. */
#include "loop.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "log.h"

struct vmm_timer {
	struct vmm_loop *loop;
	vmm_timer_cb cb;
	void *opaque;
	uint64_t expire;
	bool pending;
	struct vmm_timer *next;		/* all timers of the loop */
};

struct watch {
	int fd;
	bool dead;
	vmm_fd_cb cb;
	void *opaque;
	struct watch *next;
};

struct call {
	vmm_call_cb cb;
	void *opaque;
	struct call *next;
};

struct vmm_loop {
	pthread_mutex_t lock;
	bool manual;
	uint64_t manual_now;
	int epfd, wakefd, tfd;
	struct vmm_timer *timers;
	struct watch *watches;		/* live and dead; dead ones freed with the loop */
	struct call *calls, **calls_tail;
	pthread_t thread;
	bool running, stop;
};

/* Epoll tags for the loop's own fds; real watches carry a struct watch pointer. */
static char tag_wake, tag_timer;

struct vmm_loop *vmm_loop_new(bool manual_clock)
{
	struct vmm_loop *loop = calloc(1, sizeof(*loop));
	struct epoll_event ev = { .events = EPOLLIN };

	if (!loop)
		return NULL;
	pthread_mutex_init(&loop->lock, NULL);
	loop->manual = manual_clock;
	loop->calls_tail = &loop->calls;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	loop->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	loop->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (loop->epfd < 0 || loop->wakefd < 0 || loop->tfd < 0)
		goto out_free;
	ev.data.ptr = &tag_wake;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->wakefd, &ev) < 0)
		goto out_free;
	ev.data.ptr = &tag_timer;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->tfd, &ev) < 0)
		goto out_free;
	return loop;
out_free:
	vmm_loop_free(loop);
	return NULL;
}

void vmm_loop_free(struct vmm_loop *loop)
{
	if (!loop)
		return;
	vmm_loop_stop(loop);
	while (loop->watches) {
		struct watch *w = loop->watches;

		loop->watches = w->next;
		free(w);
	}
	while (loop->calls) {
		struct call *c = loop->calls;

		loop->calls = c->next;
		free(c);
	}
	/* Timers belong to their devices, which free them; unlink any left over. */
	for (struct vmm_timer *t = loop->timers; t; t = t->next)
		t->loop = NULL;
	if (loop->epfd >= 0)
		close(loop->epfd);
	if (loop->wakefd >= 0)
		close(loop->wakefd);
	if (loop->tfd >= 0)
		close(loop->tfd);
	pthread_mutex_destroy(&loop->lock);
	free(loop);
}

static void loop_wake(struct vmm_loop *loop)
{
	uint64_t one = 1;

	if (write(loop->wakefd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		vmm_warn("loop wake-up failed: %s", strerror(errno));
}

uint64_t vmm_loop_now(struct vmm_loop *loop)
{
	uint64_t now;

	if (!loop->manual)
		return vmm_now_ns();
	pthread_mutex_lock(&loop->lock);
	now = loop->manual_now;
	pthread_mutex_unlock(&loop->lock);
	return now;
}

int vmm_loop_add_fd(struct vmm_loop *loop, int fd, uint32_t events, vmm_fd_cb cb, void *opaque)
{
	struct watch *w = calloc(1, sizeof(*w));
	struct epoll_event ev = { .events = events };

	if (!w)
		return -ENOMEM;
	w->fd = fd;
	w->cb = cb;
	w->opaque = opaque;
	ev.data.ptr = w;
	pthread_mutex_lock(&loop->lock);
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = -errno;

		pthread_mutex_unlock(&loop->lock);
		free(w);
		return err;
	}
	w->next = loop->watches;
	loop->watches = w;
	pthread_mutex_unlock(&loop->lock);
	return 0;
}

int vmm_loop_del_fd(struct vmm_loop *loop, int fd)
{
	int ret = -ENOENT;

	pthread_mutex_lock(&loop->lock);
	for (struct watch *w = loop->watches; w; w = w->next) {
		if (w->fd == fd && !w->dead) {
			epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
			w->dead = true;	/* a dispatch in flight may still hold it */
			ret = 0;
			break;
		}
	}
	pthread_mutex_unlock(&loop->lock);
	return ret;
}

struct vmm_timer *vmm_timer_new(struct vmm_loop *loop, vmm_timer_cb cb, void *opaque)
{
	struct vmm_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->loop = loop;
	t->cb = cb;
	t->opaque = opaque;
	pthread_mutex_lock(&loop->lock);
	t->next = loop->timers;
	loop->timers = t;
	pthread_mutex_unlock(&loop->lock);
	return t;
}

/* Arm the timerfd for the earliest pending timer. Called with the lock held. */
static void loop_rearm(struct vmm_loop *loop)
{
	uint64_t first = UINT64_MAX;
	struct itimerspec its = { 0 };

	if (loop->manual)
		return;
	for (struct vmm_timer *t = loop->timers; t; t = t->next)
		if (t->pending && t->expire < first)
			first = t->expire;
	if (first != UINT64_MAX) {
		if (first == 0)
			first = 1;	/* 0 would disarm */
		its.it_value.tv_sec = first / 1000000000ull;
		its.it_value.tv_nsec = first % 1000000000ull;
	}
	timerfd_settime(loop->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

void vmm_timer_mod(struct vmm_timer *t, uint64_t expire_ns)
{
	struct vmm_loop *loop = t->loop;

	if (!loop)
		return;
	pthread_mutex_lock(&loop->lock);
	t->expire = expire_ns;
	t->pending = true;
	loop_rearm(loop);
	pthread_mutex_unlock(&loop->lock);
}

void vmm_timer_del(struct vmm_timer *t)
{
	struct vmm_loop *loop = t->loop;

	if (!loop)
		return;
	pthread_mutex_lock(&loop->lock);
	t->pending = false;
	loop_rearm(loop);
	pthread_mutex_unlock(&loop->lock);
}

bool vmm_timer_pending(struct vmm_timer *t)
{
	bool p;

	if (!t->loop)
		return false;
	pthread_mutex_lock(&t->loop->lock);
	p = t->pending;
	pthread_mutex_unlock(&t->loop->lock);
	return p;
}

void vmm_timer_free(struct vmm_timer *t)
{
	struct vmm_loop *loop;

	if (!t)
		return;
	loop = t->loop;
	if (loop) {
		pthread_mutex_lock(&loop->lock);
		for (struct vmm_timer **pp = &loop->timers; *pp; pp = &(*pp)->next) {
			if (*pp == t) {
				*pp = t->next;
				break;
			}
		}
		loop_rearm(loop);
		pthread_mutex_unlock(&loop->lock);
	}
	free(t);
}

/* Run every timer due at `now`, earliest first, one at a time without the lock held. */
static void loop_run_timers(struct vmm_loop *loop, uint64_t now)
{
	for (;;) {
		struct vmm_timer *due = NULL;

		pthread_mutex_lock(&loop->lock);
		for (struct vmm_timer *t = loop->timers; t; t = t->next)
			if (t->pending && t->expire <= now && (!due || t->expire < due->expire))
				due = t;
		if (!due) {
			loop_rearm(loop);
			pthread_mutex_unlock(&loop->lock);
			return;
		}
		due->pending = false;
		if (loop->manual && due->expire > loop->manual_now)
			loop->manual_now = due->expire;
		pthread_mutex_unlock(&loop->lock);
		due->cb(due->opaque);
	}
}

void vmm_loop_advance(struct vmm_loop *loop, uint64_t ns)
{
	uint64_t target;

	pthread_mutex_lock(&loop->lock);
	target = loop->manual_now + ns;
	pthread_mutex_unlock(&loop->lock);
	loop_run_timers(loop, target);
	pthread_mutex_lock(&loop->lock);
	loop->manual_now = target;
	pthread_mutex_unlock(&loop->lock);
}

int vmm_loop_call(struct vmm_loop *loop, vmm_call_cb cb, void *opaque)
{
	struct call *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->cb = cb;
	c->opaque = opaque;
	pthread_mutex_lock(&loop->lock);
	*loop->calls_tail = c;
	loop->calls_tail = &c->next;
	pthread_mutex_unlock(&loop->lock);
	loop_wake(loop);
	return 0;
}

static void loop_run_calls(struct vmm_loop *loop)
{
	struct call *list;

	pthread_mutex_lock(&loop->lock);
	list = loop->calls;
	loop->calls = NULL;
	loop->calls_tail = &loop->calls;
	pthread_mutex_unlock(&loop->lock);
	while (list) {
		struct call *c = list;

		list = c->next;
		c->cb(c->opaque);
		free(c);
	}
}

void vmm_loop_run_once(struct vmm_loop *loop, int timeout_ms)
{
	struct epoll_event evs[16];
	uint64_t buf;
	int n = epoll_wait(loop->epfd, evs, 16, timeout_ms);

	for (int i = 0; i < n; i++) {
		void *p = evs[i].data.ptr;

		if (p == &tag_wake) {
			while (read(loop->wakefd, &buf, sizeof(buf)) > 0)
				;
		} else if (p == &tag_timer) {
			while (read(loop->tfd, &buf, sizeof(buf)) > 0)
				;
		} else {
			struct watch *w = p;

			if (!w->dead)
				w->cb(w->opaque, w->fd, evs[i].events);
		}
	}
	loop_run_calls(loop);
	if (!loop->manual)
		loop_run_timers(loop, vmm_now_ns());
}

static void *loop_thread(void *arg)
{
	struct vmm_loop *loop = arg;

	for (;;) {
		bool stop;

		pthread_mutex_lock(&loop->lock);
		stop = loop->stop;
		pthread_mutex_unlock(&loop->lock);
		if (stop)
			break;
		vmm_loop_run_once(loop, -1);
	}
	return NULL;
}

int vmm_loop_start(struct vmm_loop *loop)
{
	int err;

	if (loop->running)
		return -EBUSY;
	loop->stop = false;
	err = pthread_create(&loop->thread, NULL, loop_thread, loop);
	if (err)
		return -err;
	pthread_setname_np(loop->thread, "vessel-io");
	loop->running = true;
	return 0;
}

void vmm_loop_stop(struct vmm_loop *loop)
{
	if (!loop->running)
		return;
	pthread_mutex_lock(&loop->lock);
	loop->stop = true;
	pthread_mutex_unlock(&loop->lock);
	loop_wake(loop);
	pthread_join(loop->thread, NULL);
	loop->running = false;
}
