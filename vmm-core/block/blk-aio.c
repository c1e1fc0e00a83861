// SPDX-License-Identifier: GPL-2.0-or-later
/* Asynchronous block requests: a FIFO queue per struct blk served by a few worker threads. */
#include "blk-aio.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

/*
 * One pool per struct blk, not one per process:
 *  - vmm-core has no mutable globals (two VMs may live in one process), so a process-wide
 *    pool would need a context object threaded through every caller; the blk is already it;
 *  - blk_drain() and blk_close() wait for one disk's requests only, which a per-disk
 *    in-flight count gives without scanning a shared queue;
 *  - a slow image (a backing file on a network mount, a huge fdatasync) stalls only its
 *    own workers, never another disk's or another VM's;
 *  - the cost is a few idle threads per open disk (a VM has a handful of disks), made only
 *    when the disk sees its first asynchronous request.
 * The drivers are synchronous and thread-safe (block.h), so a worker just calls the
 * range-checked entry point; with preadv/pwritev underneath, N workers keep N requests in
 * the host kernel at once.
 *
 * The default of 4 workers (BLK_AIO_DEFAULT_WORKERS): with blk-bench at QD32 on tmpfs (2
 * cores, CPU-bound copies) 1, 2, 4 and 8 workers were within the run-to-run noise of each
 * other (4 KiB random and 1 MiB sequential, raw and qcow2), so the count only matters on a
 * real disk, where each worker is one more request the device sees at once; 4 covers a
 * virtio-blk queue's worth of parallelism on a laptop SSD without a thread herd per disk.
 * QEMU's pool grows to one thread per request in flight (34 threads in qemu-img bench at
 * QD32); at 1 MiB QD32 reads, 32 of ours were no faster than 4 (tmpfs and ext4, medians
 * of 8 alternating runs): the copies are CPU-bound and there are two CPUs.
 */
struct blk_pool {
	pthread_mutex_t lock;
	pthread_cond_t work;		/* workers sleep here for a queued request or stop */
	pthread_cond_t idle;		/* blk_drain sleeps here for pending == 0 */
	struct blk_req *head, **tail;	/* FIFO of queued requests, linked by req->next */
	unsigned pending;		/* submitted and done() not yet returned */
	unsigned sleeping;		/* workers waiting on `work` */
	unsigned woken;			/* of those, already signalled (no second syscall) */
	unsigned drainers;		/* threads in blk_drain (broadcast only for them) */
	unsigned nthreads, max_threads;
	bool stop;
	pthread_t threads[BLK_AIO_MAX_WORKERS];
};

static struct blk_pool *blk_pool_new(void)
{
	struct blk_pool *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->idle, NULL);
	p->tail = &p->head;
	p->max_threads = BLK_AIO_DEFAULT_WORKERS;
	return p;
}

static void blk_pool_destroy(struct blk_pool *p)
{
	pthread_cond_destroy(&p->idle);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* b's pool, made on first use; two threads racing here agree on one. */
static struct blk_pool *blk_pool_get(struct blk *b)
{
	struct blk_pool *p = __atomic_load_n(&b->pool, __ATOMIC_ACQUIRE);
	struct blk_pool *expect = NULL;

	if (p)
		return p;
	p = blk_pool_new();
	if (!p)
		return NULL;
	if (__atomic_compare_exchange_n(&b->pool, &expect, p, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		return p;
	blk_pool_destroy(p);
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
		/* Any worker will do: every write whose done() was called before this flush
		 * was submitted has returned from the driver, so the driver's flush (fdatasync,
		 * qcow2 metadata write-back) covers it (blk-aio.h). */
		return blk_flush(b);
	case BLK_OP_DISCARD:
		return blk_discard(b, r->off, r->len);
	case BLK_OP_WRITE_ZEROES:
		return blk_write_zeroes(b, r->off, r->len);
	}
	return -EINVAL;
}

/* The next queued request, sleeping for one; NULL once the pool stops. Called locked. */
static struct blk_req *blk_pool_take(struct blk_pool *p)
{
	struct blk_req *r;

	while (!p->head && !p->stop) {
		p->sleeping++;
		pthread_cond_wait(&p->work, &p->lock);
		p->sleeping--;
		if (p->woken)
			p->woken--;
	}
	r = p->head;
	if (!r)
		return NULL;
	p->head = r->next;
	if (!p->head)
		p->tail = &p->head;
	return r;
}

struct blk_worker_arg {
	struct blk *b;
	struct blk_pool *p;
};

static void *blk_worker_main(void *arg)
{
	struct blk *b = ((struct blk_worker_arg *)arg)->b;
	struct blk_pool *p = ((struct blk_worker_arg *)arg)->p;
	struct blk_req *r;

	free(arg);
	pthread_mutex_lock(&p->lock);
	while ((r = blk_pool_take(p))) {
		pthread_mutex_unlock(&p->lock);
		/* r is the caller's again once done() starts: not touched after it. */
		r->done(r, blk_run(b, r));
		pthread_mutex_lock(&p->lock);
		if (--p->pending == 0 && p->drainers)
			pthread_cond_broadcast(&p->idle);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Start one more worker, with every signal blocked (vCPU kicks and the process's
 * SIGINT/SIGTERM are for other threads). Called locked. 0 or -errno. */
static int blk_pool_spawn(struct blk *b, struct blk_pool *p)
{
	struct blk_worker_arg *a = malloc(sizeof(*a));
	sigset_t all, old;
	int ret;

	if (!a)
		return -ENOMEM;
	*a = (struct blk_worker_arg){ .b = b, .p = p };
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&p->threads[p->nthreads], NULL, blk_worker_main, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		free(a);
		return -ret;
	}
	pthread_setname_np(p->threads[p->nthreads], "vessel-blk");
	p->nthreads++;
	return 0;
}

/*
 * Make sure someone will run the request just queued, with as few syscalls as we can: a
 * worker already signalled or busy finishing a request takes it without help (busy workers
 * look at the queue before they sleep), so wake a sleeper only if none is signalled and
 * unclaimed yet, else start a thread while the pool is below its size; a burst of
 * submissions thus grows the pool to its size, and a steady stream into busy workers costs
 * no syscall at all.
 * Called locked. 0, or -errno when there is no worker at all to run it.
 */
static int blk_pool_kick(struct blk *b, struct blk_pool *p)
{
	int ret;

	if (p->sleeping > p->woken) {
		p->woken++;
		pthread_cond_signal(&p->work);
		return 0;
	}
	if (p->nthreads >= p->max_threads)
		return 0;
	ret = blk_pool_spawn(b, p);
	return p->nthreads ? 0 : ret;
}

int blk_submit(struct blk *b, struct blk_req *req)
{
	struct blk_pool *p = blk_pool_get(b);
	int ret;

	if (!p)
		return -ENOMEM;
	pthread_mutex_lock(&p->lock);
	ret = blk_pool_kick(b, p);
	if (!ret) {
		req->next = NULL;
		*p->tail = req;
		p->tail = &req->next;
		p->pending++;
	}
	pthread_mutex_unlock(&p->lock);
	return ret;
}

void blk_drain(struct blk *b)
{
	struct blk_pool *p = __atomic_load_n(&b->pool, __ATOMIC_ACQUIRE);

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->drainers++;
	while (p->pending)
		pthread_cond_wait(&p->idle, &p->lock);
	p->drainers--;
	pthread_mutex_unlock(&p->lock);
}

int blk_aio_set_workers(struct blk *b, unsigned n)
{
	struct blk_pool *p;

	if (n < 1 || n > BLK_AIO_MAX_WORKERS)
		return -EINVAL;
	p = blk_pool_get(b);
	if (!p)
		return -ENOMEM;
	pthread_mutex_lock(&p->lock);
	p->max_threads = n;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

void blk_pool_free(struct blk *b)
{
	struct blk_pool *p = b->pool;

	if (!p)
		return;
	blk_drain(b);
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	blk_pool_destroy(p);
	b->pool = NULL;
}
