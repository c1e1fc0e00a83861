// SPDX-License-Identifier: GPL-2.0-or-later
/* Surface to PNG through libpng: 8-bit RGB, written to a temporary file and renamed. */
#include "surface.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct png_job {
	const struct surface *s;
	FILE *f;
	uint8_t *row;
};

/* libpng reports errors by longjmp; nothing here owns memory across that jump. */
static int write_png(struct png_job *job)
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	const struct surface *s = job->s;
	int ret = -EIO;

	if (!info)
		goto out;
	if (setjmp(png_jmpbuf(png)))
		goto out;
	png_init_io(png, job->f);
	png_set_IHDR(png, info, s->width, s->height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (unsigned y = 0; y < s->height; y++) {
		const uint32_t *px = (const uint32_t *)((const uint8_t *)s->pixels +
							(size_t)y * s->stride);

		for (unsigned x = 0; x < s->width; x++) {
			job->row[3 * x] = (uint8_t)(px[x] >> 16);
			job->row[3 * x + 1] = (uint8_t)(px[x] >> 8);
			job->row[3 * x + 2] = (uint8_t)px[x];
		}
		png_write_row(png, job->row);
	}
	png_write_end(png, NULL);
	ret = 0;
out:
	png_destroy_write_struct(&png, &info);
	return ret;
}

int display_screenshot_png(const struct surface *s, const char *path)
{
	struct png_job job = { .s = s };
	char *tmp = NULL;
	int ret;

	if (!s || !s->pixels || !s->width || !s->height || s->stride < s->width * 4)
		return -EINVAL;
	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	job.row = malloc((size_t)s->width * 3);
	job.f = job.row ? fopen(tmp, "wb") : NULL;
	if (!job.f) {
		ret = job.row ? -errno : -ENOMEM;
		goto out;
	}
	ret = write_png(&job);
	if (fclose(job.f) && !ret)
		ret = -EIO;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
out:
	free(job.row);
	free(tmp);
	return ret;
}

int display_screenshot_png_mem(const struct surface *s, void **data, size_t *len)
{
	struct png_job job = { .s = s };
	char *buf = NULL;
	size_t size = 0;
	int ret;

	*data = NULL;
	*len = 0;
	if (!s || !s->pixels || !s->width || !s->height || s->stride < s->width * 4)
		return -EINVAL;
	job.row = malloc((size_t)s->width * 3);
	job.f = job.row ? open_memstream(&buf, &size) : NULL;
	if (!job.f) {
		free(job.row);
		return -ENOMEM;
	}
	ret = write_png(&job);
	if (fclose(job.f) && !ret)
		ret = -ENOMEM;
	free(job.row);
	if (ret) {
		free(buf);
		return ret;
	}
	*data = buf;
	*len = size;
	return 0;
}
