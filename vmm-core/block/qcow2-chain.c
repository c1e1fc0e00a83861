// SPDX-License-Identifier: GPL-2.0-or-later
/* qcow2 backing chains by header alone: names resolved, loops and depth refused, info. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qcow2-private.h"

/*
 * A relative backing name is relative to the directory of the image that names it (as
 * qemu-img writes them). Protocol names ("nbd:...", "json:{...}") are not files.
 */
int qcow2_backing_path(const char *image, const char *name, char **out)
{
	const char *slash = strrchr(image, '/');

	*out = NULL;
	if (!strncmp(name, "json:", 5) || strstr(name, "://"))
		return -ENOTSUP;
	if (name[0] == '/' || !slash)
		*out = strdup(name);
	else if (asprintf(out, "%.*s/%s", (int)(slash - image), image, name) < 0)
		*out = NULL;
	return *out ? 0 : -ENOMEM;
}

struct walk {
	int fd;
	char *path;
	bool raw;
	uint64_t size;
};

static int fd_size(int fd, const struct stat *st, uint64_t *size)
{
	if (S_ISBLK(st->st_mode))
		return ioctl(fd, BLKGETSIZE64, size) < 0 ? -errno : 0;
	*size = (uint64_t)st->st_size;
	return 0;
}

/* The header of the file at w, parsed (the first cluster is read in full). */
static int walk_header(struct walk *w, struct qcow2_header *h, char *err, size_t errlen)
{
	size_t len = (size_t)1 << QCOW2_MAX_CLUSTER_BITS;
	uint8_t *buf = calloc(1, len);
	char msg[256];
	ssize_t n;
	int ret;

	if (!buf)
		return -ENOMEM;
	n = pread(w->fd, buf, len, 0);
	if (n < 0) {
		ret = -errno;
		qcow2_msg(err, errlen, "%s: cannot read: %s", w->path, strerror(errno));
	} else {
		ret = qcow2_header_parse(buf, (size_t)n, w->size, h, msg, sizeof(msg));
		if (ret)
			qcow2_msg(err, errlen, "%s: %s", w->path, msg);
	}
	free(buf);
	return ret;
}

static bool looks_qcow2(int fd)
{
	uint8_t m[4];

	return pread(fd, m, 4, 0) == 4 && qcow2_get32(m) == QCOW2_MAGIC;
}

/* Step from the image at w to its backing file; w->fd < 0 when there is none. */
static int walk_next(struct walk *w, const struct qcow2_header *h, bool own_fd, char *err,
		     size_t errlen)
{
	const char *fmt = h->has_backing_fmt ? h->backing_fmt : NULL;
	char *next;
	int fd, ret = qcow2_backing_path(w->path, h->backing, &next);

	if (ret) {
		qcow2_msg(err, errlen, "%s: backing file '%s': %s", w->path, h->backing,
			  ret == -ENOTSUP ? "protocols and json: names are not supported"
					  : strerror(-ret));
		return ret;
	}
	if (fmt && strcmp(fmt, "raw") && strcmp(fmt, "qcow2")) {
		qcow2_msg(err, errlen, "%s: backing file format '%s' is not supported", w->path,
			  fmt);
		free(next);
		return -ENOTSUP;
	}
	fd = open(next, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		qcow2_msg(err, errlen, "%s: backing file %s: %s", w->path, next, strerror(errno));
		free(next);
		return ret;
	}
	if (own_fd)
		close(w->fd);
	free(w->path);
	w->fd = fd;
	w->path = next;
	w->raw = fmt ? !strcmp(fmt, "raw") : !looks_qcow2(fd);
	return 0;
}

static int walk_identity(struct walk *w, struct qcow2_chain_id *ids, unsigned n, char *err,
			 size_t errlen)
{
	struct stat st;

	if (fstat(w->fd, &st) < 0)
		return -errno;
	for (unsigned i = 0; i < n; i++) {
		if (ids[i].dev == st.st_dev && ids[i].ino == st.st_ino) {
			qcow2_msg(err, errlen, "%s: backing chain loop: this file is already in the "
				  "chain (level %u)", w->path, i);
			return -ELOOP;
		}
	}
	ids[n].dev = st.st_dev;
	ids[n].ino = st.st_ino;
	return fd_size(w->fd, &st, &w->size);
}

static void walk_record(struct qcow2_info *info, unsigned i, const struct walk *w,
			uint64_t size)
{
	if (!info)
		return;
	info->chain[i].path = strdup(w->path);
	snprintf(info->chain[i].format, sizeof(info->chain[i].format), "%s",
		 w->raw ? "raw" : "qcow2");
	info->chain[i].size = size;
	info->chain_len = i + 1;
}

/*
 * Walk from the qcow2 image open at top_fd down its chain: every file's identity (device,
 * inode) is recorded in ids[] and a repeat is a loop; more than QCOW2_MAX_CHAIN backing
 * files is refused. With info, each level is described too.
 */
int qcow2_walk_chain(int top_fd, const char *top_path, struct qcow2_info *info,
		     struct qcow2_chain_id *ids, unsigned *n, char *err, size_t errlen)
{
	struct walk w = { .fd = top_fd, .path = strdup(top_path) };
	struct qcow2_header h;
	int ret = w.path ? 0 : -ENOMEM;

	*n = 0;
	while (!ret) {
		if (*n > QCOW2_MAX_CHAIN) {
			qcow2_msg(err, errlen, "%s: the backing chain is deeper than %d files",
				  top_path, QCOW2_MAX_CHAIN);
			ret = -ELOOP;
			break;
		}
		ret = walk_identity(&w, ids, *n, err, errlen);
		if (!ret && w.raw)
			walk_record(info, *n, &w, w.size);
		if (ret || w.raw)
			break;
		ret = walk_header(&w, &h, err, errlen);
		if (ret)
			break;
		walk_record(info, (*n)++, &w, h.size);
		if (!h.backing_off)
			break;
		ret = walk_next(&w, &h, w.fd != top_fd, err, errlen);
	}
	if (!ret && w.raw)
		(*n)++;
	if (w.fd != top_fd)
		close(w.fd);
	free(w.path);
	return ret;
}
