// SPDX-License-Identifier: GPL-2.0-or-later
/* Root-relative file access for the host check, so fixture trees stand in for the machine. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostcheck-private.h"

bool hc_path(const char *root, const char *rel, char *buf, size_t len)
{
	size_t rl = strlen(root);
	int n;

	/* "/" + "proc/cpuinfo" should read "/proc/cpuinfo", not "//proc/cpuinfo". */
	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	if (rl == 1 && root[0] == '/')
		rl = 0;
	n = snprintf(buf, len, "%.*s/%s", (int)rl, root, rel);
	return n > 0 && (size_t)n < len;
}

int hc_read_file(const char *root, const char *rel, char *buf, size_t len)
{
	char path[512];
	size_t got = 0;
	int fd;

	if (!len)
		return -EINVAL;
	buf[0] = '\0';
	if (!hc_path(root, rel, path, sizeof(path)))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while (got + 1 < len) {
		ssize_t n = read(fd, buf + got, len - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return (int)got;
}

void hc_trim(char *s)
{
	size_t n = strlen(s), start = 0;

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	while (start < n && isspace((unsigned char)s[start]))
		start++;
	if (start)
		memmove(s, s + start, n - start + 1);
}

int hc_read_line(const char *root, const char *rel, char *buf, size_t len)
{
	int ret = hc_read_file(root, rel, buf, len);

	if (ret < 0) {
		buf[0] = '\0';
		return ret;
	}
	hc_trim(buf);
	return 0;
}

bool hc_exists(const char *root, const char *rel)
{
	char path[512];
	struct stat st;

	return hc_path(root, rel, path, sizeof(path)) && stat(path, &st) == 0;
}

void hc_copy(char *dst, size_t len, const char *src)
{
	if (len)
		snprintf(dst, len, "%s", src ? src : "");
}

bool hc_has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* /sys/class/dmi/id is world-readable for these fields (notes §3). */
void hc_read_dmi(const char *root, struct hostcheck_dmi *dmi)
{
	static const struct {
		const char *file;
		size_t off, len;
	} fields[] = {
#define DMI_FIELD(f) { "sys/class/dmi/id/" #f, offsetof(struct hostcheck_dmi, f), \
		       sizeof(((struct hostcheck_dmi *)0)->f) }
		DMI_FIELD(sys_vendor),
		DMI_FIELD(product_name),
		DMI_FIELD(product_version),
		DMI_FIELD(product_family),
		DMI_FIELD(bios_vendor),
		DMI_FIELD(board_vendor),
		DMI_FIELD(board_name),
#undef DMI_FIELD
	};

	memset(dmi, 0, sizeof(*dmi));
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		hc_read_line(root, fields[i].file, (char *)dmi + fields[i].off, fields[i].len);
}
