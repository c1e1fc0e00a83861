// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for asynchronous block requests (blk-aio.h): the worker pool against raw and qcow2. */
#include <pthread.h>
#include <time.h>

#include "block/blk-aio.h"
#include "qcow2-test-util.h"
#include "tap.h"

#define BS		4096u		/* one request's size */
#define NTHREADS	4		/* submitting threads */
#define PER_THREAD	64		/* requests each */
#define NREQ		(NTHREADS * PER_THREAD)
#define DISK		(4 * MIB)	/* NREQ blocks spread over it with a stride */

static __thread bool in_submit;		/* set around every blk_submit of this file */

/* One request and what its done() saw. */
struct treq {
	struct blk_req req;
	struct iovec iov;
	uint8_t *buf;
	int calls;		/* done() calls (atomic) */
	int ret;
	bool inside_submit;	/* done() ran inside blk_submit */
	bool on_submitter;	/* done() ran on the submitting thread */
	pthread_t submitter;
	unsigned delay_us;	/* done() sleeps this long before it returns */
	int *returned;		/* incremented as done()'s last act (atomic) */
};

static void sleep_us(unsigned us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

static void treq_done(struct blk_req *req, int ret)
{
	struct treq *t = req->opaque;

	t->inside_submit = in_submit;
	t->on_submitter = pthread_equal(pthread_self(), t->submitter);
	t->ret = ret;
	if (t->delay_us)
		sleep_us(t->delay_us);
	__atomic_fetch_add(&t->calls, 1, __ATOMIC_RELEASE);
	if (t->returned)
		__atomic_fetch_add(t->returned, 1, __ATOMIC_RELEASE);
}

/* Block i's offset: a stride that is not a power of two spreads them over the disk. */
static uint64_t blk_of(unsigned i)
{
	return (uint64_t)((i * 37u) % (DISK / BS)) * BS;
}

static void treq_init(struct treq *t, enum blk_op op, uint64_t off, size_t len)
{
	memset(t, 0, sizeof(*t));
	t->buf = len ? malloc(len) : NULL;
	t->iov = (struct iovec){ .iov_base = t->buf, .iov_len = len };
	t->req = (struct blk_req){ .op = op, .off = off, .len = len, .iov = &t->iov,
				   .iovcnt = 1, .done = treq_done, .opaque = t };
}

static int tsubmit(struct blk *b, struct treq *t)
{
	int ret;

	t->submitter = pthread_self();
	in_submit = true;
	ret = blk_submit(b, &t->req);
	in_submit = false;
	return ret;
}

struct submitter {
	struct blk *b;
	struct treq *t;		/* PER_THREAD of them */
	int failed;
};

static void *submit_main(void *arg)
{
	struct submitter *s = arg;

	for (unsigned i = 0; i < PER_THREAD; i++)
		if (tsubmit(s->b, &s->t[i]))
			s->failed++;
	return NULL;
}

/* Submit all of t[] from NTHREADS threads at once, then drain. Submit failures counted. */
static int submit_from_threads(struct blk *b, struct treq *t)
{
	struct submitter s[NTHREADS];
	pthread_t th[NTHREADS];
	int failed = 0;

	for (unsigned k = 0; k < NTHREADS; k++) {
		s[k] = (struct submitter){ .b = b, .t = t + k * PER_THREAD };
		pthread_create(&th[k], NULL, submit_main, &s[k]);
	}
	for (unsigned k = 0; k < NTHREADS; k++) {
		pthread_join(th[k], NULL);
		failed += s[k].failed;
	}
	blk_drain(b);
	return failed;
}

/* How many of t[0..n) had done() exactly once, with 0, on a block-layer thread. */
static unsigned count_good(const struct treq *t, unsigned n)
{
	unsigned good = 0;

	for (unsigned i = 0; i < n; i++)
		good += __atomic_load_n(&t[i].calls, __ATOMIC_ACQUIRE) == 1 && !t[i].ret &&
			!t[i].inside_submit && !t[i].on_submitter;
	return good;
}

static void treq_free_all(struct treq *t, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(t[i].buf);
}

/* 256 writes then 256 reads from 4 threads each; then a flush, and a second open of the
 * file must read what the first wrote (the flush wrote qcow2's metadata back). */
static void test_concurrent(const char *path, const char *what)
{
	struct treq *t = calloc(NREQ, sizeof(*t));
	unsigned good, same = 0;
	struct treq fl;
	struct blk *b = qt_open(path, false), *b2;
	uint8_t want[BS];

	if (!b || !t) {
		ok(0, "%s: open", what);
		return;
	}
	for (unsigned i = 0; i < NREQ; i++) {
		treq_init(&t[i], BLK_OP_WRITE, blk_of(i), BS);
		qt_fill(t[i].buf, BS, 1000 + i);
	}
	is_int(submit_from_threads(b, t), 0, "%s: %u writes from %d threads accepted", what,
	       NREQ, NTHREADS);
	good = count_good(t, NREQ);
	is_int(good, NREQ, "%s: every write's done() ran once, with 0, on a worker, after "
	       "blk_submit returned", what);
	treq_init(&fl, BLK_OP_FLUSH, 0, 0);
	is_int(tsubmit(b, &fl), 0, "%s: flush accepted", what);
	blk_drain(b);
	ok(fl.calls == 1 && fl.ret == 0, "%s: flush done once with 0 (%d, %d)", what, fl.calls,
	   fl.ret);
	treq_free_all(t, NREQ);
	for (unsigned i = 0; i < NREQ; i++)
		treq_init(&t[i], BLK_OP_READ, blk_of(i), BS);
	is_int(submit_from_threads(b, t), 0, "%s: %u reads accepted", what, NREQ);
	is_int(count_good(t, NREQ), NREQ, "%s: every read's done() ran once with 0", what);
	for (unsigned i = 0; i < NREQ; i++) {
		qt_fill(want, BS, 1000 + i);
		same += !memcmp(t[i].buf, want, BS);
	}
	is_int(same, NREQ, "%s: every block reads back what was written", what);
	b2 = qt_open(path, true);
	same = 0;
	for (unsigned i = 0; b2 && i < NREQ; i++) {
		qt_fill(want, BS, 1000 + i);
		same += !blk_pread(b2, blk_of(i), t[i].buf, BS) && !memcmp(t[i].buf, want, BS);
	}
	is_int(same, NREQ, "%s: a second open of the file reads the flushed writes", what);
	blk_close(b2);
	blk_close(b);
	treq_free_all(t, NREQ);
	free(t);
}

/* blk_drain returns only after the last done() has returned, even slow ones. */
static void test_drain_waits(const char *path)
{
	struct treq t[16];
	struct blk *b = qt_open(path, false);
	int returned = 0, accepted = 0;

	if (!b) {
		ok(0, "drain: open");
		return;
	}
	for (unsigned i = 0; i < 16; i++) {
		treq_init(&t[i], BLK_OP_READ, blk_of(i), BS);
		t[i].delay_us = 20000 + 3000 * i;
		t[i].returned = &returned;
		accepted += !tsubmit(b, &t[i]);
	}
	blk_drain(b);
	is_int(accepted, 16, "drain: 16 slow requests accepted");
	is_int(__atomic_load_n(&returned, __ATOMIC_ACQUIRE), 16,
	       "drain: returns after all 16 done() (20-65 ms each) have returned");
	blk_close(b);
	treq_free_all(t, 16);
}

/* blk_close with requests queued and running: all of them complete first. */
static void test_close_in_flight(const char *path)
{
	struct treq *t = calloc(64, sizeof(*t));
	struct blk *b = qt_open(path, false);
	int returned = 0;
	unsigned calls = 0;

	if (!b || !t) {
		ok(0, "close: open");
		return;
	}
	for (unsigned i = 0; i < 64; i++) {
		treq_init(&t[i], i % 2 ? BLK_OP_WRITE : BLK_OP_READ, blk_of(i), BS);
		memset(t[i].buf, 0x33, BS);
		t[i].delay_us = 2000;
		t[i].returned = &returned;
		tsubmit(b, &t[i]);
	}
	blk_close(b);
	for (unsigned i = 0; i < 64; i++)
		calls += t[i].calls == 1 && t[i].ret == 0;
	is_int(calls, 64, "close: 64 requests in flight all completed once, with 0");
	is_int(returned, 64, "close: every done() had returned before blk_close did");
	treq_free_all(t, 64);
	free(t);
}

/* Errors reach done() as the synchronous call would return them. */
static void test_errors(const char *path, const char *what)
{
	struct blk *b = qt_open(path, false), *ro = qt_open(path, true);
	struct treq t[4];

	if (!b || !ro) {
		ok(0, "%s errors: open", what);
		return;
	}
	treq_init(&t[0], BLK_OP_READ, DISK - BS / 2, BS);
	treq_init(&t[1], BLK_OP_WRITE, UINT64_MAX - 100, BS);
	treq_init(&t[2], BLK_OP_WRITE, 0, BS);
	treq_init(&t[3], BLK_OP_WRITE_ZEROES, 0, BS);
	ok(!tsubmit(b, &t[0]) && !tsubmit(b, &t[1]), "%s errors: bad ranges accepted", what);
	ok(!tsubmit(ro, &t[2]) && !tsubmit(ro, &t[3]), "%s errors: read-only writes accepted",
	   what);
	blk_drain(b);
	blk_drain(ro);
	ok(t[0].calls == 1 && t[0].ret == -EINVAL, "%s errors: read past the end: -EINVAL (%d)",
	   what, t[0].ret);
	ok(t[1].calls == 1 && t[1].ret == -EINVAL, "%s errors: wrapping write: -EINVAL (%d)",
	   what, t[1].ret);
	ok(t[2].calls == 1 && t[2].ret == -EROFS, "%s errors: write to read-only: -EROFS (%d)",
	   what, t[2].ret);
	ok(t[3].calls == 1 && t[3].ret == -EROFS, "%s errors: write-zeroes to read-only: -EROFS "
	   "(%d)", what, t[3].ret);
	is_int(blk_aio_set_workers(b, 0), -EINVAL, "%s errors: 0 workers refused", what);
	is_int(blk_aio_set_workers(b, BLK_AIO_MAX_WORKERS + 1), -EINVAL,
	       "%s errors: too many workers refused", what);
	blk_close(ro);
	blk_close(b);
	treq_free_all(t, 4);
}

/* No more than the configured number of done() calls run at once. */
struct overlap {
	int now, max;
};

static void overlap_done(struct blk_req *req, int ret)
{
	struct overlap *o = req->opaque;
	int n = __atomic_add_fetch(&o->now, 1, __ATOMIC_ACQ_REL), m;

	(void)ret;
	m = __atomic_load_n(&o->max, __ATOMIC_RELAXED);
	while (n > m && !__atomic_compare_exchange_n(&o->max, &m, n, false, __ATOMIC_RELAXED,
						      __ATOMIC_RELAXED))
		;
	sleep_us(5000);
	__atomic_sub_fetch(&o->now, 1, __ATOMIC_ACQ_REL);
}

static void test_worker_bound(const char *path, unsigned workers)
{
	struct blk_req r[24];
	struct overlap o = { 0 };
	struct blk *b = qt_open(path, true);

	if (!b) {
		ok(0, "bound: open");
		return;
	}
	is_int(blk_aio_set_workers(b, workers), 0, "bound: %u workers set", workers);
	for (unsigned i = 0; i < 24; i++) {
		r[i] = (struct blk_req){ .op = BLK_OP_FLUSH, .done = overlap_done, .opaque = &o };
		blk_submit(b, &r[i]);
	}
	blk_drain(b);
	is_int(o.max, workers, "bound: 24 slow requests ran %u at a time at most, and that "
	       "many did overlap", workers);
	blk_close(b);
}

/* done() resubmits its own request: chains of 50, drain waits for the last link. */
struct chain {
	struct blk_req req;
	struct iovec iov;
	uint8_t buf[BS];
	struct blk *b;
	int links, left, bad;
};

static void chain_done(struct blk_req *req, int ret)
{
	struct chain *c = req->opaque;

	c->links++;
	c->bad += ret != 0 || in_submit;
	if (--c->left <= 0)
		return;
	req->off = blk_of((unsigned)c->left);
	in_submit = true;
	ret = blk_submit(c->b, req);	/* accepted: req and c are the next done()'s now */
	in_submit = false;
	if (ret)
		c->bad++;
}

static void test_resubmit_from_done(const char *path)
{
	struct chain *c = calloc(4, sizeof(*c));
	struct blk *b = qt_open(path, true);
	int links = 0, bad = 0;

	if (!b || !c) {
		ok(0, "resubmit: open");
		return;
	}
	for (unsigned k = 0; k < 4; k++) {
		c[k].iov = (struct iovec){ .iov_base = c[k].buf, .iov_len = BS };
		c[k].req = (struct blk_req){ .op = BLK_OP_READ, .off = blk_of(k), .iov = &c[k].iov,
					     .iovcnt = 1, .done = chain_done, .opaque = &c[k] };
		c[k].b = b;
		c[k].left = 50;
		blk_submit(b, &c[k].req);
	}
	blk_drain(b);
	for (unsigned k = 0; k < 4; k++) {
		links += c[k].links;
		bad += c[k].bad;
	}
	is_int(links, 200, "resubmit: 4 chains of 50 requests, each submitted from the last "
	       "one's done(), all completed before blk_drain returned");
	is_int(bad, 0, "resubmit: no errors, no done() inside blk_submit");
	blk_close(b);
	free(c);
}

/* blk_switch right after submitting writes: they complete (on the old image) first. */
static void test_switch(const char *a, const char *bpath)
{
	uint8_t *img = malloc(DISK), *old = NULL, want[BS];
	struct treq t[64];
	struct blk *b = qt_open(a, false);
	int returned = 0;
	unsigned same = 0, newimg = 0;
	char err[512];
	size_t len = 0;

	memset(img, 0x77, DISK);
	if (!b || qt_write_file(bpath, img, DISK)) {
		ok(0, "switch: open");
		return;
	}
	for (unsigned i = 0; i < 64; i++) {
		treq_init(&t[i], BLK_OP_WRITE, blk_of(i), BS);
		qt_fill(t[i].buf, BS, 5000 + i);
		t[i].delay_us = 1000;
		t[i].returned = &returned;
		tsubmit(b, &t[i]);
	}
	is_int(blk_switch(b, bpath, err, sizeof(err)), 0, "switch: with 64 writes just "
	       "submitted: %s", err);
	is_int(__atomic_load_n(&returned, __ATOMIC_ACQUIRE), 64,
	       "switch: all 64 done() had returned when blk_switch did");
	old = qt_read_file(a, &len);
	for (unsigned i = 0; old && len == DISK && i < 64; i++) {
		qt_fill(want, BS, 5000 + i);
		same += !memcmp(old + blk_of(i), want, BS);
	}
	is_int(same, 64, "switch: the writes landed in the old image");
	treq_free_all(t, 64);
	for (unsigned i = 0; i < 64; i++)
		treq_init(&t[i], BLK_OP_READ, blk_of(i), BS);
	for (unsigned i = 0; i < 64; i++)
		tsubmit(b, &t[i]);
	blk_drain(b);
	for (unsigned i = 0; i < 64; i++)
		newimg += t[i].calls == 1 && !t[i].ret && !memcmp(t[i].buf, img, BS);
	is_int(newimg, 64, "switch: requests after it read the new image, unchanged");
	blk_close(b);
	treq_free_all(t, 64);
	free(old);
	free(img);
}

/* Write-zeroes (and flushes) mixed with reads and writes in flight on one image: the zeroed
 * blocks read as zeros, the written ones as written. */
static void test_mixed(const char *path, const char *what)
{
	struct treq *t = calloc(96, sizeof(*t));
	struct blk *b = qt_open(path, false);
	uint8_t want[BS];
	unsigned good = 0, same = 0;

	if (!b || !t) {
		ok(0, "%s mixed: open", what);
		return;
	}
	for (unsigned i = 0; i < 96; i++) {
		enum blk_op op = i % 3 == 0 ? BLK_OP_WRITE_ZEROES :
				 i % 3 == 1 ? BLK_OP_WRITE : BLK_OP_FLUSH;

		treq_init(&t[i], op, op == BLK_OP_FLUSH ? 0 : blk_of(300 + i),
			  op == BLK_OP_FLUSH ? 0 : BS);
		if (op == BLK_OP_WRITE)
			qt_fill(t[i].buf, BS, 7000 + i);
		if (tsubmit(b, &t[i]))
			t[i].calls = -100;	/* refused: counted as bad below */
	}
	blk_drain(b);
	good = count_good(t, 96);
	is_int(good, 96, "%s mixed: 32 write-zeroes, 32 writes, 32 flushes all done once with 0",
	       what);
	for (unsigned i = 0; i < 96; i++) {
		if (t[i].req.op == BLK_OP_FLUSH)
			continue;
		memset(want, 0, BS);
		if (t[i].req.op == BLK_OP_WRITE)
			qt_fill(want, BS, 7000 + i);
		same += !blk_pread(b, blk_of(300 + i), t[i].buf, BS) &&
			!memcmp(t[i].buf, want, BS);
	}
	is_int(same, 64, "%s mixed: zeroed blocks read as zeros, written ones as written", what);
	blk_close(b);
	treq_free_all(t, 96);
	free(t);
}

int main(void)
{
	char err[512];

	qt_setup("blk-aio");
	if (qt_write_file(qt_path("a.raw"), "", 0) || truncate(qt_path("a.raw"), DISK) ||
	    qcow2_create(qt_path("a.qcow2"), DISK, NULL, NULL, 0, err, sizeof(err))) {
		printf("Bail out! cannot make the images\n");
		return 1;
	}
	test_concurrent(qt_path("a.raw"), "raw");
	test_concurrent(qt_path("a.qcow2"), "qcow2");
	test_drain_waits(qt_path("a.raw"));
	test_close_in_flight(qt_path("a.raw"));
	test_close_in_flight(qt_path("a.qcow2"));
	test_errors(qt_path("a.raw"), "raw");
	test_errors(qt_path("a.qcow2"), "qcow2");
	test_mixed(qt_path("a.raw"), "raw");
	test_mixed(qt_path("a.qcow2"), "qcow2");
	test_worker_bound(qt_path("a.raw"), 1);
	test_worker_bound(qt_path("a.raw"), 3);
	test_resubmit_from_done(qt_path("a.qcow2"));
	test_switch(qt_path("a.raw"), qt_path("b.raw"));
	return tap_done();
}
