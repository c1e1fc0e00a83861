// SPDX-License-Identifier: GPL-2.0-or-later
/* Guest RAM to and from the snapshot's sparse memory file; restore maps it MAP_PRIVATE. */
#include "snap-ram.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define PAGE		4096ull
#define MAX_RUN		(16ull << 20)	/* one pwrite at most; progress between runs */
#define PROGRESS_STEP	(64ull << 20)
#define CHUNK		(2ull << 20)	/* read from the memfd this much at a time */
#define SAVE_THREADS	4		/* O_DIRECT writes in flight at once */
#define PREFETCH	(4ull << 20)	/* readahead(2) request size on restore */
#define POPULATE	(2ull << 20)	/* one madvise(MADV_POPULATE_WRITE) at most */
#define POPULATE_DELAY_MS 20		/* let the vCPUs start before populating */
#define POPULATE_NICE	19

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23		/* Linux 5.14 */
#endif

static int rfail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int rfail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

/* Plain 64-bit compares; the first non-zero word ends the scan (random data: at once). */
static bool page_is_zero(const uint8_t *p)
{
	const uint64_t *w = (const void *)p;

	for (unsigned i = 0; i < PAGE / 8; i += 8) {
		if (w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] |
		    w[i + 7])
			return false;
	}
	return true;
}

struct ram_writer {
	int fd;
	bool direct;		/* O_DIRECT: nothing in the page cache to start writing back */
	bool no_fallocate;	/* the filesystem has none: writes allocate */
	uint8_t *buf;		/* CHUNK bytes */
	uint8_t *spare[SAVE_THREADS - 1];	/* the other stripes' buffers */
	uint64_t done, total, next_report;
	snap_progress_fn progress;
	void *opaque;
};

static int write_run(struct ram_writer *w, const uint8_t *p, uint64_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(w->fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

static void report(struct ram_writer *w, uint64_t bytes)
{
	w->done += bytes;
	if (w->progress && w->done >= w->next_report) {
		w->progress(w->opaque, (double)w->done / (double)w->total);
		w->next_report = w->done + PROGRESS_STEP;
	}
}

/* len bytes at p (whole pages) belong at file offset pos: write each non-zero run in one go. */
static int save_pages(struct ram_writer *w, const uint8_t *p, uint64_t len, uint64_t pos)
{
	uint64_t pg = 0;

	while (pg < len) {
		uint64_t run;
		int ret;

		while (pg < len && page_is_zero(p + pg))
			pg += PAGE;
		run = pg;
		while (run < len && run - pg < MAX_RUN && !page_is_zero(p + run))
			run += PAGE;
		if (run > pg) {
			ret = write_run(w, p + pg, run - pg, pos + pg);
			if (ret)
				return ret;
			/* Start writeback now, so the final fsync finds little left to do. */
			if (!w->direct)
				sync_file_range(w->fd, (off_t)(pos + pg), (off_t)(run - pg),
						SYNC_FILE_RANGE_WRITE);
		}
		pg = run;
	}
	return 0;
}

/* One thread's share of a range: chunks idx, idx + n, idx + 2n, ... */
struct stripe {
	struct ram_writer *w;
	const struct vm_mem_region *r;
	uint64_t start, end, file_off;
	unsigned idx, n;
	uint8_t *buf;		/* CHUNK bytes, page aligned */
	int ret;
};

static int stripe_chunk(struct stripe *s, uint64_t pos)
{
	uint64_t n = s->end - pos < CHUNK ? s->end - pos : CHUNK;
	ssize_t got;

	do {
		got = pread(s->r->fd, s->buf, n, (off_t)(s->r->fd_offset + pos));
	} while (got < 0 && errno == EINTR);
	if (got < 0 || (uint64_t)got != n)
		return got < 0 ? -errno : -EIO;
	return save_pages(s->w, s->buf, n, s->file_off + pos);
}

static void *stripe_run(void *opaque)
{
	struct stripe *s = opaque;

	for (uint64_t pos = s->start + s->idx * CHUNK; pos < s->end && !s->ret;
	     pos += s->n * CHUNK)
		s->ret = stripe_chunk(s, pos);
	return NULL;
}

/*
 * [start, end) of a memfd region, read through the fd in chunks: the helper's own mapping
 * of guest RAM has no page-table entries for most pages (the guest wrote them through
 * KVM), and taking a fault per page costs more than the copy, most of all under nested
 * virtualisation. Up to SAVE_THREADS threads take chunks in turn, so several O_DIRECT
 * writes are in flight at once (one at a time left the disk idle between requests); each
 * has its own buffer, and pread/pwrite carry their own offsets.
 */
static int save_fd_range(struct ram_writer *w, const struct vm_mem_region *r, uint64_t start,
			 uint64_t end, uint64_t file_off)
{
	struct stripe s[SAVE_THREADS];
	pthread_t tid[SAVE_THREADS];
	bool started[SAVE_THREADS] = { false };
	uint64_t chunks = (end - start + CHUNK - 1) / CHUNK;
	/* Small data ranges (an idle guest's memfd has many) are not worth a thread. */
	unsigned n = chunks < 2 * SAVE_THREADS ? 1 : SAVE_THREADS;
	int ret = 0;

	for (unsigned i = 0; i < n; i++) {
		s[i] = (struct stripe){ w, r, start, end, file_off, i, n,
					i ? w->spare[i - 1] : w->buf, 0 };
		if (i)
			started[i] = !pthread_create(&tid[i], NULL, stripe_run, &s[i]);
	}
	for (unsigned i = 0; i < n; i++) {
		if (started[i])
			pthread_join(tid[i], NULL);
		else
			stripe_run(&s[i]);	/* stripe 0, or a thread that did not start */
		if (!ret)
			ret = s[i].ret;
	}
	return ret;
}

/*
 * Allocate a data range's blocks before its O_DIRECT writes. Into a hole, ext4 takes the
 * inode lock exclusively for each direct write (it allocates), so the SAVE_THREADS writers
 * ran one at a time; over allocated blocks, unwritten ones included, it takes the lock
 * shared and they overlap. One call per range, before its threads start: fallocate waits
 * for direct I/O in flight, so one per run stalled the writers (measured slower). Zero
 * pages inside the range keep blocks, as unwritten extents: they read as zeros and
 * SEEK_DATA still skips them. Best effort: without fallocate the writes allocate.
 */
static void allocate_range(struct ram_writer *w, uint64_t off, uint64_t len)
{
	if (!w->direct || w->no_fallocate)
		return;
	if (fallocate(w->fd, 0, (off_t)off, (off_t)len) < 0 && errno == EOPNOTSUPP)
		w->no_fallocate = true;
}

/*
 * A memfd's holes are pages the guest never touched: SEEK_DATA/SEEK_HOLE skip them without
 * reading. A private mapping (a restored VM) has no such map and no fd holding its data:
 * scan its pages in place.
 */
static int save_region(struct ram_writer *w, const struct vm_mem_region *r, uint64_t file_off)
{
	uint64_t pos = 0;
	int ret;

	if (r->file_private || r->fd < 0) {
		ret = save_pages(w, r->hva, r->size, file_off);
		report(w, r->size);
		return ret;
	}
	while (pos < r->size) {
		off_t data = lseek(r->fd, (off_t)(r->fd_offset + pos), SEEK_DATA);
		off_t hole;
		uint64_t s, e;

		if (data < 0 || (uint64_t)data >= r->fd_offset + r->size)
			break;		/* ENXIO: no data after pos */
		hole = lseek(r->fd, data, SEEK_HOLE);
		if (hole < 0)
			return -errno;
		s = ((uint64_t)data - r->fd_offset) & ~(PAGE - 1);
		e = (uint64_t)hole - r->fd_offset;
		e = e > r->size ? r->size : (e + PAGE - 1) & ~(PAGE - 1);
		allocate_range(w, file_off + s, e - s);
		ret = save_fd_range(w, r, s, e, file_off);
		if (ret)
			return ret;
		report(w, e - pos);
		pos = e;
	}
	report(w, r->size - pos);
	return 0;
}

static void free_buffers(struct ram_writer *w)
{
	free(w->buf);
	for (unsigned i = 0; i < SAVE_THREADS - 1; i++)
		free(w->spare[i]);
}

static int alloc_buffers(struct ram_writer *w)
{
	w->buf = aligned_alloc(PAGE, CHUNK);
	for (unsigned i = 0; i < SAVE_THREADS - 1; i++)
		w->spare[i] = aligned_alloc(PAGE, CHUNK);
	for (unsigned i = 0; i < SAVE_THREADS - 1; i++) {
		if (!w->spare[i]) {
			free_buffers(w);
			return -ENOMEM;
		}
	}
	if (w->buf)
		return 0;
	free_buffers(w);
	return -ENOMEM;
}

int snap_ram_save(const struct vm_memory *mem, const char *path, struct snap_ram_table *t,
		  snap_progress_fn progress, void *opaque, char *err, size_t errlen)
{
	struct ram_writer w = { .progress = progress, .opaque = opaque };
	uint64_t off = 0;
	int ret = 0;

	memset(t, 0, sizeof(*t));
	t->version = SNAP_RAM_VERSION;
	t->nregions = mem->nregions;
	for (unsigned i = 0; i < mem->nregions; i++) {
		t->r[i] = (struct snap_ram_entry){ mem->regions[i].gpa, mem->regions[i].size, off };
		off += (mem->regions[i].size + PAGE - 1) & ~(PAGE - 1);
		w.total += mem->regions[i].size;
	}
	t->file_size = off;
	ret = alloc_buffers(&w);
	if (ret)
		return rfail(err, errlen, ret, "snapshot %s: out of memory", path);
	/*
	 * O_DIRECT: the data goes from our one reused buffer to the disk, instead of through
	 * freshly allocated page cache and a long fsync (3-5x faster measured here). Runs are
	 * whole pages from page-aligned memory, as O_DIRECT needs. Filesystems without it get
	 * a buffered file.
	 */
	w.fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_DIRECT, 0600);
	w.direct = w.fd >= 0;
	if (w.fd < 0 && errno == EINVAL) {
		unlink(path);
		w.fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (w.fd < 0) {
		ret = -errno;
		free_buffers(&w);
		return rfail(err, errlen, ret, "snapshot %s: cannot create: %s", path,
			     strerror(-ret));
	}
	if (ftruncate(w.fd, (off_t)off) < 0)
		ret = -errno;
	for (unsigned i = 0; i < mem->nregions && !ret; i++)
		ret = save_region(&w, &mem->regions[i], t->r[i].offset);
	if (!ret && fsync(w.fd) < 0)
		ret = -errno;
	close(w.fd);
	free_buffers(&w);
	if (!ret && progress)
		progress(opaque, 1.0);
	if (ret) {
		unlink(path);
		return rfail(err, errlen, ret, "snapshot %s: writing guest memory failed: %s",
			     path, strerror(-ret));
	}
	return 0;
}

int snap_ram_check(const struct vm_memory *mem, const void *blob, size_t len, const char *path,
		   struct snap_ram_table *t, char *err, size_t errlen)
{
	struct stat st;

	if (len != sizeof(*t))
		return rfail(err, errlen, -EINVAL, "ram: %zu bytes, expected %zu", len, sizeof(*t));
	memcpy(t, blob, sizeof(*t));
	if (t->version != SNAP_RAM_VERSION)
		return rfail(err, errlen, -EINVAL, "ram: version %u, expected %u", t->version,
			     SNAP_RAM_VERSION);
	if (t->nregions != mem->nregions)
		return rfail(err, errlen, -EINVAL, "ram: %u regions; this VM has %u", t->nregions,
			     mem->nregions);
	for (unsigned i = 0; i < t->nregions; i++) {
		const struct snap_ram_entry *e = &t->r[i];

		if (e->gpa != mem->regions[i].gpa || e->size != mem->regions[i].size)
			return rfail(err, errlen, -EINVAL, "ram: region %u is %#llx+%#llx; this "
				     "VM's is %#llx+%#llx", i, (unsigned long long)e->gpa,
				     (unsigned long long)e->size,
				     (unsigned long long)mem->regions[i].gpa,
				     (unsigned long long)mem->regions[i].size);
		if ((e->offset & (PAGE - 1)) || e->offset > t->file_size ||
		    e->size > t->file_size - e->offset)
			return rfail(err, errlen, -EINVAL, "ram: region %u at offset %#llx lies "
				     "outside the memory file", i, (unsigned long long)e->offset);
	}
	if (stat(path, &st) < 0)
		return rfail(err, errlen, -errno, "the memory file %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != t->file_size)
		return rfail(err, errlen, -EINVAL, "the memory file %s is %llu bytes; the state "
			     "file says %llu", path, (unsigned long long)st.st_size,
			     (unsigned long long)t->file_size);
	return 0;
}

/*
 * Behind a restored VM: read the memory file's data ranges into the page cache, lowest
 * offsets first, on a detached thread with its own fd. The guest runs at once (nothing is
 * mapped in advance, no MAP_POPULATE); its first touch of a page becomes a minor fault on a
 * cached page instead of a disk read in the fault path (a save with O_DIRECT leaves nothing
 * cached). Best effort: any error just ends the thread.
 */
static void *prefetch_thread(void *opaque)
{
	int fd = (int)(intptr_t)opaque;
	off_t pos = 0, end = lseek(fd, 0, SEEK_END);

	while (end > 0 && pos < end) {
		off_t data = lseek(fd, pos, SEEK_DATA);
		off_t hole = data < 0 ? -1 : lseek(fd, data, SEEK_HOLE);

		if (data < 0 || hole < 0)
			break;
		for (pos = data; pos < hole; pos += (off_t)PREFETCH) {
			size_t n = hole - pos < (off_t)PREFETCH ? (size_t)(hole - pos) : PREFETCH;

			if (readahead(fd, pos, n) < 0)
				goto out;
		}
		pos = hole;
	}
out:
	close(fd);
	return NULL;
}

static void start_prefetch(int fd)
{
	int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	pthread_attr_t attr;
	pthread_t tid;

	if (own < 0)
		return;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&tid, &attr, prefetch_thread, (void *)(intptr_t)own))
		close(own);
	pthread_attr_destroy(&attr);
}

/*
 * The populate thread: after the readahead thread has the file's data in the page cache,
 * its pages still cost a fault each on first touch (~28 us a page when nested). This thread
 * maps them in advance with madvise(MADV_POPULATE_WRITE), in POPULATE chunks so vCPU faults
 * interleave with it, at nice 19, regions and chunks from the top down. WRITE, not READ:
 * it makes each page the VM's own private copy now, so the guest's first write finds a
 * writable page instead of a read-only page-cache one to copy in its fault; memory ends up
 * as a booted VM's or QEMU's eager loadvm's would (anonymous, every saved page). Only the
 * file's data ranges: holes read as zeros and populating them would only allocate zeros.
 * Measured here (2 GiB random, restore -> all RAM written by the guest): 11.3-11.7 s
 * without populating, 8.9 s with READ top down, 17.6-18.3 s bottom up; 512 MiB, medians
 * of 5 alternating: READ 1.21 s, WRITE 0.85 s with the file cached, 1.68 s and 1.51 s
 * with the page cache dropped first.
 */
struct snap_prefetch {
	struct vm_memory *mem;
	struct snap_ram_table t;
	int fd;				/* our own, for SEEK_DATA/SEEK_HOLE */
	pthread_t tid;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;			/* under lock; read atomically between chunks */
	int discarded;			/* set by vm_memory_discard (the balloon) */
	bool no_populate;		/* the kernel has no MADV_POPULATE_*: read pages */
	uint64_t populated;		/* bytes */
};

static bool prefetch_stopping(struct snap_prefetch *pf)
{
	return __atomic_load_n(&pf->stop, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&pf->discarded, __ATOMIC_ACQUIRE);
}

/*
 * Read one byte of each page, a fault at a time (MADV_POPULATE_READ's work). Never write
 * to populate: a vCPU may be writing the same page, and the read-modify-write would lose it.
 */
static void touch_pages(const uint8_t *p, uint64_t len)
{
	for (uint64_t off = 0; off < len; off += PAGE)
		(void)*(const volatile uint8_t *)(p + off);
}

/* [pos, end) of a region mapped privately: 0, or -errno to end the thread. */
static int populate_range(struct snap_prefetch *pf, uint8_t *hva, uint64_t start, uint64_t end)
{
	/*
	 * Top down: a guest that walks its RAM upwards (a boot, a memset) meets the thread
	 * once, instead of both faulting the same pages in turn.
	 */
	while (end > start) {
		uint64_t n = end - start < POPULATE ? end - start : POPULATE;
		uint64_t pos = end - n;

		end = pos;

		if (prefetch_stopping(pf))
			return -ECANCELED;
		if (!pf->no_populate && madvise(hva + pos, n, MADV_POPULATE_WRITE) < 0) {
			if (errno != EINVAL)
				return errno == EINTR || errno == EAGAIN ? 0 : -errno;
			pf->no_populate = true;
		}
		if (pf->no_populate)
			touch_pages(hva + pos, n);
		__atomic_add_fetch(&pf->populated, n, __ATOMIC_RELAXED);
	}
	return 0;
}

/* Region i: its data ranges in the memory file, in file order. */
static int populate_region(struct snap_prefetch *pf, unsigned i)
{
	const struct snap_ram_entry *e = &pf->t.r[i];
	uint8_t *hva = pf->mem->regions[i].hva;
	uint64_t pos = 0;

	while (pos < e->size) {
		off_t data = lseek(pf->fd, (off_t)(e->offset + pos), SEEK_DATA);
		off_t hole;
		uint64_t s, end;
		int ret;

		if (data < 0 || (uint64_t)data >= e->offset + e->size)
			return 0;	/* ENXIO: no data after pos */
		hole = lseek(pf->fd, data, SEEK_HOLE);
		if (hole < 0)
			return -errno;
		s = ((uint64_t)data - e->offset) & ~(PAGE - 1);
		end = (uint64_t)hole - e->offset;
		end = (end + PAGE - 1) & ~(PAGE - 1);
		if (end > e->size)
			end = e->size;
		ret = populate_range(pf, hva, s, end);
		if (ret)
			return ret;
		pos = end > pos ? end : pos + PAGE;
	}
	return 0;
}

/* Sleep ms unless stopped first; true if stopped. */
static bool prefetch_wait(struct snap_prefetch *pf, unsigned ms)
{
	struct timespec ts;
	bool stop;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)ms * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&pf->lock);
	while (!pf->stop && pthread_cond_timedwait(&pf->cond, &pf->lock, &ts) != ETIMEDOUT)
		;
	stop = pf->stop;
	pthread_mutex_unlock(&pf->lock);
	return stop;
}

static void *populate_thread(void *opaque)
{
	struct snap_prefetch *pf = opaque;
	int ret = 0;

	/* Per-thread on Linux: the vCPUs come first. */
	setpriority(PRIO_PROCESS, (id_t)gettid(), POPULATE_NICE);
	if (prefetch_wait(pf, POPULATE_DELAY_MS))
		return NULL;
	for (unsigned i = pf->t.nregions; i-- > 0 && !ret;)
		ret = populate_region(pf, i);
	if (ret && ret != -ECANCELED)
		vmm_warn("snapshot prefetch stopped: %s", strerror(-ret));
	return NULL;
}

static struct snap_prefetch *start_populate(struct vm_memory *mem, int fd,
					    const struct snap_ram_table *t)
{
	struct snap_prefetch *pf = calloc(1, sizeof(*pf));

	if (!pf)
		return NULL;
	pf->mem = mem;
	pf->t = *t;
	pf->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	pthread_mutex_init(&pf->lock, NULL);
	pthread_cond_init(&pf->cond, NULL);
	mem->discarded = &pf->discarded;
	if (pf->fd >= 0 && !pthread_create(&pf->tid, NULL, populate_thread, pf))
		return pf;
	mem->discarded = NULL;
	if (pf->fd >= 0)
		close(pf->fd);
	pthread_cond_destroy(&pf->cond);
	pthread_mutex_destroy(&pf->lock);
	free(pf);
	return NULL;
}

void snap_prefetch_stop(struct snap_prefetch *pf)
{
	if (!pf)
		return;
	pthread_mutex_lock(&pf->lock);
	__atomic_store_n(&pf->stop, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&pf->cond);
	pthread_mutex_unlock(&pf->lock);
	pthread_join(pf->tid, NULL);
	if (pf->mem->discarded == &pf->discarded)
		pf->mem->discarded = NULL;
	close(pf->fd);
	pthread_cond_destroy(&pf->cond);
	pthread_mutex_destroy(&pf->lock);
	free(pf);
}

uint64_t snap_prefetch_populated(const struct snap_prefetch *pf)
{
	return pf ? __atomic_load_n(&pf->populated, __ATOMIC_RELAXED) : 0;
}

int snap_ram_map(struct vm_memory *mem, const char *path, const struct snap_ram_table *t,
		 struct snap_prefetch **pf, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret = 0;

	*pf = NULL;
	if (fd < 0)
		return rfail(err, errlen, -errno, "snapshot %s: cannot open: %s", path,
			     strerror(errno));
	for (unsigned i = 0; i < t->nregions && !ret; i++)
		ret = vm_memory_map_private(mem, i, fd, t->r[i].offset);
	if (!ret) {
		start_prefetch(fd);
		*pf = start_populate(mem, fd, t);
	}
	/* The mappings keep the file open. */
	close(fd);
	if (ret)
		return rfail(err, errlen, ret, "snapshot %s: mapping guest memory failed: %s",
			     path, strerror(-ret));
	return 0;
}
