/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The IDE test rig shared by test-ide.c and test-atapi.c: a PIO bus, guest RAM, images. */
#ifndef VESSEL_IDE_TEST_RIG_H
#define VESSEL_IDE_TEST_RIG_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/block.h"
#include "memory.h"
#include "pci/pci.h"
#include "storage/atapi.h"
#include "storage/ide.h"
#include "tap.h"

#define P		0x1f0		/* primary command block */
#define PCTL		0x3f6
#define S		0x170
#define SCTL		0x376
#define BM		0xc000		/* BMDMA, channel 0; channel 1 at +8 */
#define DEV0		0xa0
#define DEV1		0xb0
#define LBA		0x40

#define ST_BSY		0x80
#define ST_DRDY		0x40
#define ST_DRQ		0x08
#define ST_ERR		0x01
#define ER_IDNF		0x10
#define ER_ABRT		0x04

#define DISK_SECTORS	2048
#define CD_SECTORS	64
#define BIG_BYTES	(200ull << 30)	/* sparse: past the 28-bit LBA limit */

static struct {
	struct vmm_bus *cur;		/* the bus inb/outb use */
	struct vmm_bus pio;
	struct vmm_guest_log glog;
	struct vm_memory mem;
	struct ide *ide;
	int level[16];
	unsigned raises[16];
	struct blk *disk, *ro, *big, *cd, *cd2, *notiso;
	char dir[256];
} R;

static inline void irq_set(void *opaque, unsigned gsi, int level)
{
	if (gsi >= 16)
		abort();
	if (level && !R.level[gsi])
		R.raises[gsi]++;
	R.level[gsi] = level;
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	vmm_bus_read(R.cur, port, &v, 1);
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	vmm_bus_read(R.cur, port, &v, 2);
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	vmm_bus_read(R.cur, port, &v, 4);
	return v;
}

static inline void outb(uint16_t port, uint8_t v)
{
	vmm_bus_write(R.cur, port, &v, 1);
}

static inline void outw(uint16_t port, uint16_t v)
{
	vmm_bus_write(R.cur, port, &v, 2);
}

static inline void outl(uint16_t port, uint32_t v)
{
	vmm_bus_write(R.cur, port, &v, 4);
}

static inline uint64_t glog_count(void)
{
	return vmm_guest_log_count(&R.glog);
}

/* ---- Images -------------------------------------------------------------------- */

static inline const char *tpath(const char *name)
{
	static char buf[4][512];
	static unsigned n;
	char *p = buf[n++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", R.dir, name);
	return p;
}

/* Every 32-bit word of sector i holds i + salt. */
static inline void fill_sector(uint8_t *p, unsigned size, uint32_t v)
{
	for (unsigned i = 0; i < size; i += 4)
		memcpy(p + i, &v, 4);
}

static inline void make_image(const char *path, unsigned sectors, unsigned ssize,
			      uint32_t salt)
{
	uint8_t sec[2048];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	for (unsigned i = 0; i < sectors; i++) {
		fill_sector(sec, ssize, i + salt);
		if (write(fd, sec, ssize) != (ssize_t)ssize)
			abort();
	}
	close(fd);
}

static inline struct blk *open_img(const char *path, bool ro)
{
	struct blk_open_opts o = { .read_only = ro };
	struct blk *b = NULL;
	char err[256];

	if (blk_open(path, &o, &b, err, sizeof(err)))
		printf("# blk_open %s: %s\n", path, err);
	return b;
}

/* A CD image with an ISO 9660 primary volume descriptor in sector 16 (ECMA-119 §8.4). */
static inline void make_iso(const char *path, uint32_t salt)
{
	static const uint8_t pvd[7] = { 1, 'C', 'D', '0', '0', '1', 1 };
	int fd;

	make_image(path, CD_SECTORS, 2048, salt);
	fd = open(path, O_WRONLY);
	if (pwrite(fd, pvd, sizeof(pvd), 16 * 2048) != sizeof(pvd))
		abort();
	close(fd);
}

static inline bool sector_is(const uint8_t *p, unsigned size, uint32_t v)
{
	for (unsigned i = 0; i < size; i += 4) {
		uint32_t w;

		memcpy(&w, p + i, 4);
		if (w != v)
			return false;
	}
	return true;
}

/* Run fn with stderr captured; true if the output contained needle. */
static inline bool stderr_has(void (*fn)(void), const char *needle)
{
	char path[] = "/tmp/vessel-test-ide-stderr-XXXXXX", out[4096] = "";
	int fd = mkstemp(path), saved = dup(2);
	ssize_t n;

	fflush(stderr);
	dup2(fd, 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, out, sizeof(out) - 1, 0);
	out[n > 0 ? n : 0] = 0;
	close(fd);
	unlink(path);
	if (out[0])
		printf("# captured: %s", out);
	return strstr(out, needle) != NULL;
}

/* ---- ATA helpers ------------------------------------------------------------------ */

static inline void tf28(uint16_t base, uint8_t dev, uint8_t count, uint32_t lba)
{
	outb(base + 6, (uint8_t)(dev | LBA | ((lba >> 24) & 0xf)));
	outb(base + 2, count);
	outb(base + 3, (uint8_t)lba);
	outb(base + 4, (uint8_t)(lba >> 8));
	outb(base + 5, (uint8_t)(lba >> 16));
}

static inline void tf48(uint16_t base, uint8_t dev, uint16_t count, uint64_t lba)
{
	outb(base + 6, dev | LBA);
	outb(base + 2, (uint8_t)(count >> 8));
	outb(base + 3, (uint8_t)(lba >> 24));
	outb(base + 4, (uint8_t)(lba >> 32));
	outb(base + 5, (uint8_t)(lba >> 40));
	outb(base + 2, (uint8_t)count);
	outb(base + 3, (uint8_t)lba);
	outb(base + 4, (uint8_t)(lba >> 8));
	outb(base + 5, (uint8_t)(lba >> 16));
}

static inline void pio_in(uint16_t base, void *buf, size_t n)
{
	uint16_t *w = buf;

	for (size_t i = 0; i < n / 2; i++)
		w[i] = inw(base);
}

static inline void pio_out(uint16_t base, const void *buf, size_t n)
{
	const uint16_t *w = buf;

	for (size_t i = 0; i < n / 2; i++)
		outw(base, w[i]);
}

/* Read `count` sectors of PIO data-in, one DRQ block at a time; the final status. */
static inline uint8_t pio_read_all(uint16_t base, uint8_t *buf, unsigned count,
				   unsigned block)
{
	uint8_t st = 0;

	for (unsigned done = 0; done < count; done += block) {
		unsigned n = count - done < block ? count - done : block;

		st = inb(base + 7);
		if ((st & (ST_DRQ | ST_ERR)) != ST_DRQ)
			return st;
		pio_in(base, buf + done * 512, n * 512);
	}
	return inb(base + 7);
}

static inline void identify(uint16_t base, uint8_t dev, uint8_t cmd, uint16_t *w)
{
	outb(base + 6, dev);
	outb(base + 7, cmd);
	if (inb(base + 7) & ST_DRQ)
		pio_in(base, w, 512);
	else
		memset(w, 0, 512);
}

static inline void id_string(const uint16_t *w, unsigned nwords, char *out)
{
	for (unsigned i = 0; i < nwords; i++) {
		out[2 * i] = (char)(w[i] >> 8);
		out[2 * i + 1] = (char)w[i];
	}
	out[2 * nwords] = 0;
	for (int i = (int)(2 * nwords) - 1; i >= 0 && out[i] == ' '; i--)
		out[i] = 0;
}

/* ---- Setup ------------------------------------------------------------------------ */

static inline int rig_setup(void)
{
	const char *tmp = getenv("TMPDIR");
	struct ide_config cfg = {
		.pio = &R.pio,
		.bmdma_base = BM,
		.irq = { { irq_set, NULL, 14 }, { irq_set, NULL, 15 } },
		.glog = &R.glog,
		.mem = &R.mem,
	};
	int fd;

	snprintf(R.dir, sizeof(R.dir), "%s/vessel-test-ide-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(R.dir))
		return -1;
	vmm_guest_log_init(&R.glog, NULL, 1000);
	vmm_bus_init(&R.pio, "pio", &R.glog);
	R.cur = &R.pio;
	if (vm_memory_init(&R.mem, 16 << 20))
		return -1;
	make_image(tpath("disk.img"), DISK_SECTORS, 512, 0);
	make_image(tpath("ro.img"), 64, 512, 0x1000);
	chmod(tpath("ro.img"), 0444);
	fd = open(tpath("big.img"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)BIG_BYTES))
		return -1;
	close(fd);
	make_iso(tpath("cd.iso"), 0x5000);
	make_iso(tpath("cd2.iso"), 0x6000);
	make_image(tpath("notiso.iso"), 20, 512, 0);	/* 10 KiB, no descriptor */
	R.disk = open_img(tpath("disk.img"), false);
	R.ro = open_img(tpath("ro.img"), true);
	R.big = open_img(tpath("big.img"), false);
	R.cd = open_img(tpath("cd.iso"), true);
	R.cd2 = open_img(tpath("cd2.iso"), true);
	R.notiso = open_img(tpath("notiso.iso"), true);
	if (!R.disk || !R.ro || !R.big || !R.cd || !R.cd2 || !R.notiso)
		return -1;
	R.ide = ide_new(&cfg);
	return R.ide ? 0 : -1;
}

static inline void rig_teardown(void)
{
	static const char *const names[] = {
		"disk.img", "ro.img", "big.img", "cd.iso", "cd2.iso", "notiso.iso",
	};

	ide_free(R.ide);
	blk_close(R.disk);
	blk_close(R.ro);
	blk_close(R.big);
	blk_close(R.cd);
	blk_close(R.cd2);
	blk_close(R.notiso);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(tpath(names[i]));
	rmdir(R.dir);
	vm_memory_destroy(&R.mem);
	vmm_bus_destroy(&R.pio);
	vmm_guest_log_destroy(&R.glog);
}


static inline void put_prd(uint64_t table, unsigned i, uint32_t addr, uint32_t count,
			   bool eot)
{
	uint32_t e[2] = { addr, (count & 0xffff) | (eot ? 0x80000000u : 0) };

	vm_memory_write(&R.mem, table + 8 * i, e, sizeof(e));
}

/* Program channel 0's bus master, issue cmd, start; returns BM status. */
#endif
