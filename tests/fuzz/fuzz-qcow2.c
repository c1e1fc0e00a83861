// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: qcow2 header, extension and table parsing, then reads and a check. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "block/qcow2-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads spread over the disk, at offsets and lengths that straddle clusters. */
static void read_around(struct qcow2 *q)
{
	uint8_t buf[9000];
	struct iovec iov[2] = {
		{ .iov_base = buf, .iov_len = 1000 }, { .iov_base = buf + 1000, .iov_len = 8000 },
	};

	for (unsigned i = 0; i < 16 && q->h.size; i++) {
		uint64_t off = q->h.size / 16 * i + i * 511;

		if (off >= q->h.size)
			break;
		if (q->h.size - off < sizeof(buf)) {
			off = q->h.size >= sizeof(buf) ? q->h.size - sizeof(buf) : 0;
			if (q->h.size < sizeof(buf))
				break;
		}
		qcow2_read(q, off, iov, 2);
	}
}

static void load_and_use(int fd, unsigned flags)
{
	struct qcow2 *q = calloc(1, sizeof(*q));
	struct qcow2_check_report r = { 0 };
	char err[512];

	if (!q)
		return;
	if (!qcow2_load(q, fd, "fuzz.qcow2", true, flags, err, sizeof(err))) {
		if (flags & QCOW2_LOAD_CHECK)
			qcow2_check_loaded(q, 0, &r);
		else
			read_around(q);
	}
	qcow2_unload(q);
	free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qcow2_header h;
	char err[512];
	int fd;

	qcow2_header_parse(data, size, size, &h, err, sizeof(err));
	fd = memfd_create("fuzz-qcow2", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		load_and_use(fd, 0);
		load_and_use(fd, QCOW2_LOAD_CHECK);
	}
	close(fd);
	return 0;
}
