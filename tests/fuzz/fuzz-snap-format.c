// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: the snapshot state file reader and the header comparison. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "snap-format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-snap", MFD_CLOEXEC);
	struct snap_reader r;
	struct snap_vm_desc now;
	char path[64], err[512];

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (!snap_reader_open(&r, path, err, sizeof(err))) {
			memset(&now, 0, sizeof(now));
			now.hdr.ncpus = r.desc.hdr.ncpus;
			now.hdr.ram_size = r.desc.hdr.ram_size;
			snap_header_set_cpu(&now.hdr);
			snap_desc_check(&r.desc, &now, path, err, sizeof(err));
			for (unsigned i = 0; i < r.nsecs; i++)
				snap_reader_find(&r, r.secs[i].tag, 0);
			snap_reader_close(&r);
		}
	}
	close(fd);
	return 0;
}
