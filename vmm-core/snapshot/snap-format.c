// SPDX-License-Identifier: GPL-2.0-or-later
/* The snapshot `state` file: writing with a partial/complete marker, hostile-input reading. */
#include "snap-format.h"

#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Section data starts 8-byte aligned only if everything before it is a multiple of 8. */
_Static_assert((sizeof(struct snap_file_head) + sizeof(struct snap_header) +
		SNAP_NAME_LEN) % SNAP_ALIGN == 0, "header not a multiple of 8 bytes");
_Static_assert(sizeof(struct snap_section_head) % SNAP_ALIGN == 0,
	       "section header not a multiple of 8 bytes");

static int snap_fail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int snap_fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/*
 * Bitwise CRC-32 folded into a per-call table: portable C, no crc32 instruction, and no
 * mutable global table (building 256 entries costs less than hashing one page).
 */
uint32_t snap_crc32(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t table[256];

	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
		table[i] = c;
	}
	crc = ~crc;
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

void snap_header_set_cpu(struct snap_header *hdr)
{
	unsigned a = 0, b = 0, c = 0, d = 0, fam, model;

	memset(hdr->cpu_vendor, 0, sizeof(hdr->cpu_vendor));
	__cpuid(0, a, b, c, d);
	memcpy(hdr->cpu_vendor, &b, 4);
	memcpy(hdr->cpu_vendor + 4, &d, 4);
	memcpy(hdr->cpu_vendor + 8, &c, 4);
	__cpuid(1, a, b, c, d);
	/* SDM vol. 2A, CPUID leaf 1: display family and model. */
	fam = (a >> 8) & 0xf;
	model = (a >> 4) & 0xf;
	if (fam == 0xf)
		fam += (a >> 20) & 0xff;
	if (fam == 0x6 || fam >= 0xf)
		model |= ((a >> 16) & 0xf) << 4;
	hdr->cpu_signature = a;
	hdr->cpu_family = fam;
	hdr->cpu_model = model;
}

static int full_pwrite(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int writer_put(struct snap_writer *w, const void *buf, size_t len)
{
	int ret = full_pwrite(w->fd, buf, len, w->off);

	if (ret)
		return snap_fail(w->err, w->errlen, ret, "snapshot %s: write failed: %s",
				 w->path, strerror(-ret));
	w->off += len;
	return 0;
}

int snap_writer_open(struct snap_writer *w, const char *path, const struct snap_vm_desc *desc,
		     char *err, size_t errlen)
{
	struct snap_file_head head = { .version = SNAP_FORMAT_VERSION,
				       .marker = SNAP_MARKER_PARTIAL };
	size_t names = (size_t)desc->hdr.ndevices * SNAP_NAME_LEN;
	uint32_t crc;
	int ret;

	*w = (struct snap_writer){ .fd = -1, .path = path, .err = err, .errlen = errlen };
	if (desc->hdr.ndevices > SNAP_MAX_DEVICES)
		return snap_fail(err, errlen, -E2BIG, "snapshot %s: too many devices", path);
	w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (w->fd < 0)
		return snap_fail(err, errlen, -errno, "snapshot %s: cannot create: %s", path,
				 strerror(errno));
	memcpy(head.magic, SNAP_MAGIC, sizeof(head.magic));
	head.header_len = (uint32_t)(sizeof(desc->hdr) + names);
	crc = snap_crc32(0, &desc->hdr, sizeof(desc->hdr));
	head.header_crc = snap_crc32(crc, desc->names, names);
	ret = writer_put(w, &head, sizeof(head));
	if (!ret)
		ret = writer_put(w, &desc->hdr, sizeof(desc->hdr));
	if (!ret)
		ret = writer_put(w, desc->names, names);
	if (ret)
		snap_writer_abort(w);
	return ret;
}

int snap_writer_section(struct snap_writer *w, uint32_t tag, const char *name,
			const void *data, size_t len)
{
	static const uint8_t zeros[SNAP_ALIGN];
	struct snap_section_head sh = { .tag = tag, .length = len };
	int ret;

	memcpy(sh.name, name, strnlen(name, sizeof(sh.name)));
	sh.crc = snap_crc32(0, data, len);
	ret = writer_put(w, &sh, sizeof(sh));
	if (!ret)
		ret = writer_put(w, data, len);
	return ret ? ret : writer_put(w, zeros, snap_pad(len));
}

int snap_writer_finish(struct snap_writer *w)
{
	uint32_t marker = SNAP_MARKER_COMPLETE;
	int ret = snap_writer_section(w, SNAP_TAG_END, "end", NULL, 0);

	if (!ret && fsync(w->fd) < 0)
		ret = -errno;
	if (!ret)
		ret = full_pwrite(w->fd, &marker, sizeof(marker), SNAP_MARKER_OFFSET);
	if (!ret && fsync(w->fd) < 0)
		ret = -errno;
	if (ret) {
		snap_fail(w->err, w->errlen, ret, "snapshot %s: finishing failed: %s", w->path,
			  strerror(-ret));
		snap_writer_abort(w);
		return ret;
	}
	close(w->fd);
	w->fd = -1;
	return 0;
}

void snap_writer_abort(struct snap_writer *w)
{
	if (w->fd < 0)
		return;
	close(w->fd);
	w->fd = -1;
	unlink(w->path);
}

/* Read the whole file (bounded by SNAP_MAX_STATE_SIZE). */
static int read_all(struct snap_reader *r, const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	size_t got = 0;

	if (fd < 0)
		return snap_fail(err, errlen, -errno, "snapshot %s: cannot open: %s", path,
				 strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > SNAP_MAX_STATE_SIZE) {
		close(fd);
		return snap_fail(err, errlen, -EINVAL, "snapshot %s: not a regular file of at "
				 "most 1 GiB", path);
	}
	r->size = (size_t)st.st_size;
	r->buf = malloc(r->size ? r->size : 1);
	while (r->buf && got < r->size) {
		ssize_t n = read(fd, r->buf + got, r->size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!r->buf || got != r->size)
		return snap_fail(err, errlen, -EIO, "snapshot %s: cannot read the file", path);
	return 0;
}

static int parse_head(struct snap_reader *r, const char *path, char *err, size_t errlen)
{
	struct snap_file_head head;
	size_t names;

	if (r->size < sizeof(head))
		return snap_fail(err, errlen, -EINVAL, "snapshot %s: the file is too short to be "
				 "a snapshot (%zu bytes)", path, r->size);
	memcpy(&head, r->buf, sizeof(head));
	if (memcmp(head.magic, SNAP_MAGIC, sizeof(head.magic)))
		return snap_fail(err, errlen, -EINVAL, "snapshot %s: not a Vessel snapshot (bad "
				 "magic)", path);
	if (head.version != SNAP_FORMAT_VERSION)
		return snap_fail(err, errlen, -EINVAL, "snapshot %s: format version %u; this "
				 "Vessel reads version %u", path, head.version, SNAP_FORMAT_VERSION);
	if (head.marker == SNAP_MARKER_PARTIAL)
		return snap_fail(err, errlen, -EINVAL, "snapshot %s: the save did not complete "
				 "(partial marker); it cannot be restored", path);
	if (head.marker != SNAP_MARKER_COMPLETE)
		return snap_fail(err, errlen, -EINVAL, "snapshot %s: completion marker is "
				 "corrupt (%#x)", path, head.marker);
	if (head.header_len < sizeof(r->desc.hdr) ||
	    head.header_len > r->size - sizeof(head))
		return snap_fail(err, errlen, -EINVAL, "snapshot %s: header length %u runs past "
				 "the end of the file", path, head.header_len);
	if (snap_crc32(0, r->buf + sizeof(head), head.header_len) != head.header_crc)
		return snap_fail(err, errlen, -EINVAL, "snapshot %s: header CRC mismatch", path);
	memcpy(&r->desc.hdr, r->buf + sizeof(head), sizeof(r->desc.hdr));
	names = head.header_len - sizeof(r->desc.hdr);
	if (r->desc.hdr.ndevices > SNAP_MAX_DEVICES ||
	    names != (size_t)r->desc.hdr.ndevices * SNAP_NAME_LEN)
		return snap_fail(err, errlen, -EINVAL, "snapshot %s: header lists %u devices in "
				 "%zu bytes", path, r->desc.hdr.ndevices, names);
	memcpy(r->desc.names, r->buf + sizeof(head) + sizeof(r->desc.hdr), names);
	for (unsigned i = 0; i < r->desc.hdr.ndevices; i++)
		r->desc.names[i][SNAP_NAME_LEN - 1] = 0;
	r->desc.hdr.cpu_vendor[sizeof(r->desc.hdr.cpu_vendor) - 1] = 0;
	return (int)(sizeof(head) + head.header_len);
}

static int add_section(struct snap_reader *r, const struct snap_section_head *sh,
		       const uint8_t *data)
{
	struct snap_section *s;

	if (r->nsecs == SNAP_MAX_SECTIONS)
		return -E2BIG;
	if (r->nsecs == r->cap) {
		unsigned cap = r->cap ? r->cap * 2 : 16;

		s = realloc(r->secs, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		r->secs = s;
		r->cap = cap;
	}
	s = &r->secs[r->nsecs++];
	s->tag = sh->tag;
	memcpy(s->name, sh->name, sizeof(sh->name));
	s->name[sizeof(sh->name)] = 0;
	s->data = data;
	s->length = sh->length;
	return 0;
}

/* pad zero bytes at off, inside the file. */
static bool padding_ok(const struct snap_reader *r, size_t off, size_t pad)
{
	if (pad > r->size - off)
		return false;
	for (size_t i = 0; i < pad; i++)
		if (r->buf[off + i])
			return false;
	return true;
}

/* Walk the sections from off: bounds, CRC, and an END section exactly at the end. */
static int parse_sections(struct snap_reader *r, size_t off, const char *path, char *err,
			  size_t errlen)
{
	struct snap_section_head sh;
	char name[sizeof(sh.name) + 1];
	int ret;

	for (;;) {
		if (r->size - off < sizeof(sh))
			return snap_fail(err, errlen, -EINVAL, "snapshot %s: the file ends inside "
					 "a section header at byte %zu (no end section)", path, off);
		memcpy(&sh, r->buf + off, sizeof(sh));
		memcpy(name, sh.name, sizeof(sh.name));
		name[sizeof(sh.name)] = 0;
		off += sizeof(sh);
		if (sh.length > r->size - off)
			return snap_fail(err, errlen, -EINVAL, "snapshot %s: section '%s' runs past "
					 "the end of the file", path, name);
		if (snap_crc32(0, r->buf + off, (size_t)sh.length) != sh.crc)
			return snap_fail(err, errlen, -EINVAL, "snapshot %s: section '%s' CRC "
					 "mismatch (the data is damaged)", path, name);
		if (sh.tag == SNAP_TAG_END)
			break;
		if (!padding_ok(r, off + (size_t)sh.length, snap_pad(sh.length)))
			return snap_fail(err, errlen, -EINVAL, "snapshot %s: section '%s' runs past "
					 "the end of the file or has non-zero padding", path, name);
		ret = add_section(r, &sh, r->buf + off);
		if (ret)
			return snap_fail(err, errlen, ret, "snapshot %s: %s", path, ret == -E2BIG ?
					 "more sections than any VM has" : "out of memory");
		off += (size_t)sh.length + snap_pad(sh.length);
	}
	if (sh.length || off != r->size)
		return snap_fail(err, errlen, -EINVAL, "snapshot %s: %zu bytes after the end "
				 "section", path, r->size - off);
	return 0;
}

int snap_reader_open(struct snap_reader *r, const char *path, char *err, size_t errlen)
{
	int ret;

	memset(r, 0, sizeof(*r));
	ret = read_all(r, path, err, errlen);
	if (!ret)
		ret = parse_head(r, path, err, errlen);
	if (ret >= 0)
		ret = parse_sections(r, (size_t)ret, path, err, errlen);
	if (ret)
		snap_reader_close(r);
	return ret;
}

void snap_reader_close(struct snap_reader *r)
{
	free(r->buf);
	free(r->secs);
	memset(r, 0, sizeof(*r));
}

const struct snap_section *snap_reader_find(const struct snap_reader *r, uint32_t tag,
					    unsigned idx)
{
	for (unsigned i = 0; i < r->nsecs; i++)
		if (r->secs[i].tag == tag && idx-- == 0)
			return &r->secs[i];
	return NULL;
}

int snap_desc_check(const struct snap_vm_desc *saved, const struct snap_vm_desc *now,
		    const char *path, char *err, size_t errlen)
{
	const struct snap_header *s = &saved->hdr, *n = &now->hdr;

	if (s->ncpus != n->ncpus)
		return snap_fail(err, errlen, -EINVAL, "snapshot %s: taken with %u vCPUs; this "
				 "VM has %u", path, s->ncpus, n->ncpus);
	if (s->ram_size != n->ram_size)
		return snap_fail(err, errlen, -EINVAL, "snapshot %s: taken with %llu MiB of RAM; "
				 "this VM has %llu MiB", path,
				 (unsigned long long)(s->ram_size >> 20),
				 (unsigned long long)(n->ram_size >> 20));
	if (strncmp(s->cpu_vendor, n->cpu_vendor, sizeof(s->cpu_vendor)) ||
	    s->cpu_family != n->cpu_family || s->cpu_model != n->cpu_model)
		return snap_fail(err, errlen, -EINVAL, "snapshot %s: taken on a %s CPU family "
				 "%#x model %#x; this host is %s family %#x model %#x", path,
				 s->cpu_vendor, s->cpu_family, s->cpu_model, n->cpu_vendor,
				 n->cpu_family, n->cpu_model);
	if (s->ndevices != n->ndevices)
		return snap_fail(err, errlen, -EINVAL, "snapshot %s: taken with %u devices; this "
				 "VM has %u", path, s->ndevices, n->ndevices);
	for (unsigned i = 0; i < s->ndevices; i++)
		if (strncmp(saved->names[i], now->names[i], SNAP_NAME_LEN))
			return snap_fail(err, errlen, -EINVAL, "snapshot %s: device %u is '%s' "
					 "in the snapshot but '%s' in this VM", path, i,
					 saved->names[i], now->names[i]);
	return 0;
}
