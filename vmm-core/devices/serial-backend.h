/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Host ends of a serial port: stdio, a file, a Unix socket, nothing, or a callback. */
#ifndef VMM_SERIAL_BACKEND_H
#define VMM_SERIAL_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

enum serial_backend_kind {
	SERIAL_BACKEND_NONE,		/* output discarded, no input */
	SERIAL_BACKEND_STDIO,		/* output to fd 1, input from fd 0 (raw mode on a TTY) */
	SERIAL_BACKEND_FILE,		/* output to path, no input */
	SERIAL_BACKEND_UNIX,		/* listening Unix stream socket at path, one client */
	SERIAL_BACKEND_CALLBACK,	/* output handed to write_cb (tests, embedders), no input */
};

struct serial_backend_config {
	enum serial_backend_kind kind;
	const char *path;		/* FILE and UNIX */
	bool append;			/* FILE: append instead of truncating */
	struct vmm_loop *loop;		/* input watches; required for UNIX, optional for STDIO */
	void (*write_cb)(void *opaque, const uint8_t *buf, size_t len);	/* CALLBACK */
	void *cb_opaque;
};

/*
 * Where input goes. Both run on the loop thread: the backend asks room() how many bytes the
 * consumer can take and reads no more than that from its fd (backpressure instead of loss);
 * when room() said 0, the consumer calls serial_backend_kick() once room is back.
 */
struct serial_sink {
	size_t (*room)(void *opaque);
	void (*push)(void *opaque, const uint8_t *buf, size_t len);
	void *opaque;
};

struct serial_backend;

/* 0 with *out set, or -errno after a message naming the path has been printed. */
int serial_backend_open(const struct serial_backend_config *cfg, struct serial_backend **out);
/*
 * Stops input (removes the loop watches), restores the terminal, closes fds, unlinks the
 * socket. Call it with the loop stopped or from the loop thread. NULL is a no-op.
 */
void serial_backend_close(struct serial_backend *be);

/* Start feeding input to sink (registers the loop watches); 0 or -errno. */
int serial_backend_attach(struct serial_backend *be, const struct serial_sink *sink);

/*
 * Write guest output. May block (stdio, file); a Unix client that stops reading gets a
 * bounded wait, then output is dropped. Callers serialise writes themselves.
 */
void serial_backend_write(struct serial_backend *be, const uint8_t *buf, size_t len);

/* Room came back after room() returned 0: read more input on the loop thread. Any thread. */
void serial_backend_kick(struct serial_backend *be);

/* UNIX: whether a client is connected (tests, status). */
bool serial_backend_connected(struct serial_backend *be);

#endif
