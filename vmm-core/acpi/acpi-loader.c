// SPDX-License-Identifier: GPL-2.0-or-later
/* Growable blobs and the fw_cfg table-loader commands (ALLOCATE, ADD_POINTER, ADD_CHECKSUM). */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acpi-private.h"
#include "acpi-tables.h"

size_t acpi_buf_append(struct acpi_buf *b, size_t len, size_t align)
{
	size_t at, end, cap;
	uint8_t *p;

	if (b->err)
		return 0;
	at = (b->len + align - 1) & ~(align - 1);
	end = at + len;
	if (end > b->cap) {
		cap = b->cap ? b->cap : 1024;
		while (cap < end)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p) {
			b->err = -ENOMEM;
			return 0;
		}
		b->data = p;
		b->cap = cap;
	}
	memset(b->data + b->len, 0, end - b->len);
	b->len = end;
	return at;
}

void *acpi_buf_at(struct acpi_buf *b, size_t offset)
{
	return b->data + offset;
}

void acpi_buf_free(struct acpi_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* A fresh zeroed command; NULL (and ->err set) if the blob cannot grow or a name is too long. */
static struct acpi_loader_entry *loader_entry(struct acpi_buf *l, uint32_t command,
					      const char *file, const char *file2)
{
	struct acpi_loader_entry *e;
	size_t at;

	if (strlen(file) >= ACPI_LOADER_FILESZ || (file2 && strlen(file2) >= ACPI_LOADER_FILESZ)) {
		l->err = l->err ? l->err : -EINVAL;
		return NULL;
	}
	at = acpi_buf_append(l, sizeof(*e), 1);
	if (l->err)
		return NULL;
	e = acpi_buf_at(l, at);
	e->command = htole32(command);
	return e;
}

void acpi_loader_allocate(struct acpi_buf *l, const char *file, uint32_t align, uint8_t zone)
{
	struct acpi_loader_entry *e = loader_entry(l, ACPI_LOADER_ALLOCATE, file, NULL);

	if (!e)
		return;
	memcpy(e->alloc.file, file, strlen(file));
	e->alloc.align = htole32(align);
	e->alloc.zone = zone;
}

void acpi_loader_add_pointer(struct acpi_buf *l, const char *dest, const char *src,
			     uint32_t offset, uint8_t size)
{
	struct acpi_loader_entry *e = loader_entry(l, ACPI_LOADER_ADD_POINTER, dest, src);

	if (!e)
		return;
	memcpy(e->pointer.dest_file, dest, strlen(dest));
	memcpy(e->pointer.src_file, src, strlen(src));
	e->pointer.offset = htole32(offset);
	e->pointer.size = size;
}

void acpi_loader_add_checksum(struct acpi_buf *l, const char *file, uint32_t offset,
			      uint32_t start, uint32_t length)
{
	struct acpi_loader_entry *e = loader_entry(l, ACPI_LOADER_ADD_CHECKSUM, file, NULL);

	if (!e)
		return;
	memcpy(e->cksum.file, file, strlen(file));
	e->cksum.offset = htole32(offset);
	e->cksum.start = htole32(start);
	e->cksum.length = htole32(length);
}
