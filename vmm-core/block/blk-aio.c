// SPDX-License-Identifier: GPL-2.0-or-later
/* Asynchronous block requests. FIRST CUT: one short-lived thread per request, so callers can
 * be written against the final contract (blk-aio.h) while the worker pool is built. */
#include "blk-aio.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

struct blk_pool {
	pthread_mutex_t lock;
	pthread_cond_t idle;
	unsigned inflight;
};

struct blk_job {
	struct blk *b;
	struct blk_req *req;
};

static struct blk_pool *blk_pool_get(struct blk *b)
{
	struct blk_pool *p = __atomic_load_n(&b->pool, __ATOMIC_ACQUIRE);
	struct blk_pool *expect = NULL;

	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->idle, NULL);
	if (__atomic_compare_exchange_n(&b->pool, &expect, p, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		return p;
	pthread_cond_destroy(&p->idle);
	pthread_mutex_destroy(&p->lock);
	free(p);
	return expect;
}

static int blk_run(struct blk *b, const struct blk_req *r)
{
	switch (r->op) {
	case BLK_OP_READ:
		return blk_preadv(b, r->off, r->iov, r->iovcnt);
	case BLK_OP_WRITE:
		return blk_pwritev(b, r->off, r->iov, r->iovcnt);
	case BLK_OP_FLUSH:
		return blk_flush(b);
	case BLK_OP_DISCARD:
		return blk_discard(b, r->off, r->len);
	case BLK_OP_WRITE_ZEROES:
		return blk_write_zeroes(b, r->off, r->len);
	}
	return -EINVAL;
}

static void *blk_job_main(void *arg)
{
	struct blk_job *j = arg;
	struct blk_pool *p = j->b->pool;
	struct blk_req *r = j->req;

	r->done(r, blk_run(j->b, r));
	free(j);
	pthread_mutex_lock(&p->lock);
	if (--p->inflight == 0)
		pthread_cond_broadcast(&p->idle);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int blk_submit(struct blk *b, struct blk_req *req)
{
	struct blk_pool *p = blk_pool_get(b);
	struct blk_job *j;
	pthread_attr_t attr;
	pthread_t t;
	int ret;

	if (!p)
		return -ENOMEM;
	j = malloc(sizeof(*j));
	if (!j)
		return -ENOMEM;
	*j = (struct blk_job){ .b = b, .req = req };
	pthread_mutex_lock(&p->lock);
	p->inflight++;
	pthread_mutex_unlock(&p->lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	ret = pthread_create(&t, &attr, blk_job_main, j);
	pthread_attr_destroy(&attr);
	if (!ret)
		return 0;
	free(j);
	pthread_mutex_lock(&p->lock);
	if (--p->inflight == 0)
		pthread_cond_broadcast(&p->idle);
	pthread_mutex_unlock(&p->lock);
	return -ret;
}

void blk_drain(struct blk *b)
{
	struct blk_pool *p = __atomic_load_n(&b->pool, __ATOMIC_ACQUIRE);

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	while (p->inflight)
		pthread_cond_wait(&p->idle, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

void blk_pool_free(struct blk *b)
{
	struct blk_pool *p = b->pool;

	if (!p)
		return;
	blk_drain(b);
	pthread_cond_destroy(&p->idle);
	pthread_mutex_destroy(&p->lock);
	free(p);
	b->pool = NULL;
}
