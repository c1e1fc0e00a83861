// SPDX-License-Identifier: GPL-2.0-or-later
/* Serial backends: stdio (raw TTY), file, Unix socket, none and callback. */
#include "serial-backend.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"

/*
 * Input fds are watched edge-triggered: the loop tells us when bytes arrive, we read only
 * as many as the UART has room for, and when it has none we simply stop. No further event
 * comes for bytes already waiting, so the loop does not spin; the UART's kick (an eventfd
 * we watch) restarts reading once the guest drains the FIFO.
 */

/* How long output to a Unix client that does not read may wait before it is dropped. */
#define SERIAL_CLIENT_WAIT_MS	100
/* Input bytes moved per loop callback before letting other fds run (then we re-kick). */
#define SERIAL_INPUT_BUDGET	4096

/* Saved terminal state; the on_exit() handler holds it too, so it outlives the backend. */
struct serial_tty {
	int fd;
	bool armed;
	bool at_exit;		/* registered with on_exit(): never freed */
	struct termios saved;
};

struct serial_backend {
	enum serial_backend_kind kind;
	struct vmm_loop *loop;
	struct serial_sink sink;
	bool attached;

	/* Guards out_fd against the loop thread replacing the Unix client under a writer. */
	pthread_mutex_t lock;
	int out_fd;		/* STDIO: 1; FILE: the file; UNIX: the client or -1 */
	bool out_failed;	/* an output error was seen; output dropped from then on */
	bool stalled;		/* UNIX: the client stopped reading */
	uint64_t dropped;

	/* Loop thread only (and open/close). */
	int in_fd;		/* watched for input, or -1 */
	bool in_hup;		/* hang-up seen: no bytes left then means end of input */
	int listen_fd;
	int kick_fd;
	char *path;
	struct serial_tty *tty;

	void (*write_cb)(void *opaque, const uint8_t *buf, size_t len);
	void *cb_opaque;
};

static void be_tty_at_exit(int status, void *arg)
{
	struct serial_tty *tty = arg;

	if (tty->armed)
		tcsetattr(tty->fd, TCSANOW, &tty->saved);
}

/*
 * Raw-ish input: bytes as typed, no echo, no line editing, no CR->NL mapping, no XON/XOFF.
 * ISIG stays, so Ctrl+C still reaches the helper as SIGINT; output processing (OPOST) is
 * left alone so the helper's own messages on the same terminal still begin at column 0.
 */
static void be_tty_raw(struct serial_backend *be, int fd)
{
	struct serial_tty *tty;
	struct termios raw;

	if (!isatty(fd))
		return;
	tty = calloc(1, sizeof(*tty));
	if (!tty || tcgetattr(fd, &tty->saved) < 0) {
		vmm_warn("serial: cannot read terminal settings of stdin; input stays cooked");
		free(tty);
		return;
	}
	raw = tty->saved;
	raw.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	raw.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &raw) < 0) {
		vmm_warn("serial: cannot put stdin in raw mode: %s", strerror(errno));
		free(tty);
		return;
	}
	tty->fd = fd;
	tty->armed = true;
	tty->at_exit = on_exit(be_tty_at_exit, tty) == 0;
	be->tty = tty;
}

static void be_tty_restore(struct serial_backend *be)
{
	struct serial_tty *tty = be->tty;

	if (!tty)
		return;
	tcsetattr(tty->fd, TCSANOW, &tty->saved);
	tty->armed = false;
	if (!tty->at_exit)
		free(tty);
	be->tty = NULL;
}

/* Write all of buf; 0, -EAGAIN (wait_ms ran out) or -errno. */
static int be_write_fd(struct serial_backend *be, int fd, const uint8_t *buf, size_t len,
		       int wait_ms)
{
	while (len) {
		ssize_t n = be->kind == SERIAL_BACKEND_UNIX ?
			    send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT) : write(fd, buf, len);
		struct pollfd p = { .fd = fd, .events = POLLOUT };

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n == 0)
			return -EIO;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		/* stdout may share a non-blocking open file description with stdin. */
		n = poll(&p, 1, wait_ms);
		if (n == 0)
			return -EAGAIN;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
	return 0;
}

static const char *be_name(const struct serial_backend *be)
{
	return be->kind == SERIAL_BACKEND_STDIO ? "stdout" : be->path ? be->path : "?";
}

/* A client that stopped reading gets one bounded wait; then output is dropped until it
 * catches up, so a stuck client cannot stall the guest for long. */
static void be_write_unix(struct serial_backend *be, const uint8_t *buf, size_t len)
{
	struct pollfd p = { .fd = be->out_fd, .events = POLLOUT };
	int err;

	if (be->stalled) {
		if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLOUT)) {
			be->dropped += len;
			return;
		}
		be->stalled = false;
	}
	err = be_write_fd(be, be->out_fd, buf, len, SERIAL_CLIENT_WAIT_MS);
	if (err == -EAGAIN) {
		be->stalled = true;
		be->dropped += len;
	} else if (err) {
		be->out_failed = true;	/* gone; the loop thread notices and accepts anew */
	}
}

void serial_backend_write(struct serial_backend *be, const uint8_t *buf, size_t len)
{
	int err;

	if (!be || !len || be->kind == SERIAL_BACKEND_NONE)
		return;
	if (be->kind == SERIAL_BACKEND_CALLBACK) {
		be->write_cb(be->cb_opaque, buf, len);
		return;
	}
	pthread_mutex_lock(&be->lock);
	if (be->out_fd < 0 || be->out_failed) {
		be->dropped += len;
	} else if (be->kind == SERIAL_BACKEND_UNIX) {
		be_write_unix(be, buf, len);
	} else {
		err = be_write_fd(be, be->out_fd, buf, len, -1);
		if (err) {
			vmm_warn("serial: writing to %s: %s; further output is dropped",
				 be_name(be), strerror(-err));
			be->out_failed = true;
		}
	}
	pthread_mutex_unlock(&be->lock);
}

void serial_backend_kick(struct serial_backend *be)
{
	uint64_t one = 1;

	if (!be || be->kick_fd < 0)
		return;
	if (write(be->kick_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		vmm_warn("serial: input kick failed: %s", strerror(errno));
}

/*
 * stdin is never made non-blocking (it is often the same open file description as the
 * terminal's stdout, shared with the shell): FIONREAD says how much read() takes at once.
 * >0 bytes read, 0 nothing now, -1 end of input.
 */
static ssize_t be_read_stdin(struct serial_backend *be, uint8_t *buf, size_t max)
{
	int avail = 0;
	ssize_t n;

	if (ioctl(be->in_fd, FIONREAD, &avail) < 0)
		return -1;
	if (avail <= 0)
		return be->in_hup ? -1 : 0;
	if ((size_t)avail < max)
		max = (size_t)avail;
	do
		n = read(be->in_fd, buf, max);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return 0;
	return n > 0 ? n : -1;
}

static ssize_t be_read_client(struct serial_backend *be, uint8_t *buf, size_t max)
{
	ssize_t n;

	do
		n = recv(be->in_fd, buf, max, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	return n > 0 ? n : -1;
}

static void be_accept(struct serial_backend *be);

/* The Unix client left (or broke): close it and take the next one waiting, if any. */
static void be_drop_client(struct serial_backend *be)
{
	int fd = be->in_fd;

	vmm_loop_del_fd(be->loop, fd);
	be->in_fd = -1;
	pthread_mutex_lock(&be->lock);
	be->out_fd = -1;
	close(fd);
	pthread_mutex_unlock(&be->lock);
	be_accept(be);
}

static void be_input_ended(struct serial_backend *be)
{
	if (be->kind == SERIAL_BACKEND_UNIX) {
		be_drop_client(be);
		return;
	}
	/* stdin at EOF: stop reading it; output carries on. */
	vmm_loop_del_fd(be->loop, be->in_fd);
	be->in_fd = -1;
}

/* Move input to the sink while it has room and the fd has bytes. Loop thread. */
static void be_pump(struct serial_backend *be)
{
	uint8_t buf[256];
	size_t moved = 0;

	while (be->in_fd >= 0) {
		size_t room = be->sink.room(be->sink.opaque);
		ssize_t n;

		if (!room)
			return;		/* the sink kicks us when it has room again */
		if (moved >= SERIAL_INPUT_BUDGET) {
			serial_backend_kick(be);	/* be fair to other fds; continue later */
			return;
		}
		if (room > sizeof(buf))
			room = sizeof(buf);
		n = be->kind == SERIAL_BACKEND_UNIX ? be_read_client(be, buf, room)
						    : be_read_stdin(be, buf, room);
		if (n == 0)
			return;
		if (n < 0) {
			be_input_ended(be);
			return;
		}
		be->sink.push(be->sink.opaque, buf, (size_t)n);
		moved += (size_t)n;
	}
}

static void be_input_event(void *opaque, int fd, uint32_t events)
{
	struct serial_backend *be = opaque;

	if (fd != be->in_fd)
		return;
	if (events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP))
		be->in_hup = true;
	be_pump(be);
}

static void be_kick_event(void *opaque, int fd, uint32_t events)
{
	struct serial_backend *be = opaque;
	uint64_t v;

	while (read(fd, &v, sizeof(v)) > 0)
		;
	be_pump(be);
}

/* One client at a time; later ones wait in the listen backlog until it leaves. */
static void be_accept(struct serial_backend *be)
{
	int fd, err;

	if (be->in_fd >= 0 || be->listen_fd < 0)
		return;
	do
		fd = accept4(be->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	while (fd < 0 && (errno == EINTR || errno == ECONNABORTED));
	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			vmm_warn("serial: accepting on %s: %s", be->path, strerror(errno));
		return;
	}
	err = vmm_loop_add_fd(be->loop, fd, EPOLLIN | EPOLLRDHUP | EPOLLET, be_input_event, be);
	if (err < 0) {
		vmm_warn("serial: cannot watch client of %s: %s", be->path, strerror(-err));
		close(fd);
		return;
	}
	pthread_mutex_lock(&be->lock);
	be->out_fd = fd;
	be->out_failed = false;
	be->stalled = false;
	pthread_mutex_unlock(&be->lock);
	be->in_fd = fd;
	be->in_hup = false;
	be_pump(be);
}

static void be_listen_event(void *opaque, int fd, uint32_t events)
{
	be_accept(opaque);
}

static int be_open_file(struct serial_backend *be, const struct serial_backend_config *cfg)
{
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY;

	flags |= cfg->append ? O_APPEND : O_TRUNC;
	be->out_fd = open(cfg->path, flags, 0644);
	if (be->out_fd < 0) {
		int err = -errno;

		vmm_warn("serial: cannot open %s: %s", cfg->path, strerror(-err));
		return err;
	}
	return 0;
}

/* A socket file left by an earlier run is replaced; one somebody listens on is not. */
static int be_clear_stale_socket(const char *path, const struct sockaddr_un *addr)
{
	struct stat st;
	int fd, ret;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		vmm_warn("serial: %s exists and is not a socket", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	close(fd);
	if (ret == 0) {
		vmm_warn("serial: %s is in use by another process", path);
		return -EADDRINUSE;
	}
	return unlink(path) < 0 ? -errno : 0;
}

static int be_open_unix(struct serial_backend *be, const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	int fd = -1, err;

	if (!be->loop) {
		vmm_warn("serial: unix:%s needs an I/O loop", path);
		return -EINVAL;
	}
	if (len >= sizeof(addr.sun_path)) {
		vmm_warn("serial: socket path %s is too long (at most %zu bytes)", path,
			 sizeof(addr.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(addr.sun_path, path, len + 1);
	err = be_clear_stale_socket(path, &addr);
	if (err)
		goto out_msg;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		err = -errno;
		goto out_close;
	}
	be->path = strdup(path);
	/* Only the user may talk to the guest's console. */
	if (!be->path || chmod(path, 0600) < 0 || listen(fd, 4) < 0) {
		err = be->path ? -errno : -ENOMEM;
		unlink(path);
		goto out_close;
	}
	be->listen_fd = fd;
	return 0;
out_close:
	if (fd >= 0)
		close(fd);
out_msg:
	if (err != -EEXIST && err != -EADDRINUSE)
		vmm_warn("serial: cannot listen on unix:%s: %s", path, strerror(-err));
	return err;
}

static int be_open_kind(struct serial_backend *be, const struct serial_backend_config *cfg)
{
	switch (cfg->kind) {
	case SERIAL_BACKEND_NONE:
		return 0;
	case SERIAL_BACKEND_STDIO:
		be->out_fd = STDOUT_FILENO;
		return 0;
	case SERIAL_BACKEND_CALLBACK:
		be->write_cb = cfg->write_cb;
		be->cb_opaque = cfg->cb_opaque;
		return cfg->write_cb ? 0 : -EINVAL;
	case SERIAL_BACKEND_FILE:
	case SERIAL_BACKEND_UNIX:
		if (!cfg->path || !*cfg->path) {
			vmm_warn("serial: the %s backend needs a path",
				 cfg->kind == SERIAL_BACKEND_FILE ? "file" : "unix");
			return -EINVAL;
		}
		if (cfg->kind == SERIAL_BACKEND_FILE)
			return be_open_file(be, cfg);
		return be_open_unix(be, cfg->path);
	}
	return -EINVAL;
}

int serial_backend_open(const struct serial_backend_config *cfg, struct serial_backend **out)
{
	struct serial_backend *be = calloc(1, sizeof(*be));
	int err;

	if (!be)
		return -ENOMEM;
	pthread_mutex_init(&be->lock, NULL);
	be->kind = cfg->kind;
	be->loop = cfg->loop;
	be->out_fd = be->in_fd = be->listen_fd = be->kick_fd = -1;
	err = be_open_kind(be, cfg);
	if (err)
		goto out_close;
	if (be->loop && (be->kind == SERIAL_BACKEND_STDIO || be->kind == SERIAL_BACKEND_UNIX)) {
		be->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (be->kick_fd < 0) {
			err = -errno;
			vmm_warn("serial: eventfd: %s", strerror(-err));
			goto out_close;
		}
	}
	*out = be;
	return 0;
out_close:
	serial_backend_close(be);
	return err;
}

/* stdin as input, if the loop can watch it: not a regular file, /dev/null or a closed fd. */
static void be_attach_stdin(struct serial_backend *be)
{
	int err = vmm_loop_add_fd(be->loop, STDIN_FILENO, EPOLLIN | EPOLLET, be_input_event, be);

	if (err == -EPERM || err == -EBADF)
		return;		/* nothing to watch: no input, quietly */
	if (err < 0) {
		vmm_warn("serial: not reading stdin: %s", strerror(-err));
		return;
	}
	be->in_fd = STDIN_FILENO;
	be_tty_raw(be, STDIN_FILENO);
	be_pump(be);
}

int serial_backend_attach(struct serial_backend *be, const struct serial_sink *sink)
{
	int err;

	if (be->attached)
		return -EBUSY;
	be->sink = *sink;
	be->attached = true;
	if (be->kick_fd < 0)
		return 0;	/* no input */
	err = vmm_loop_add_fd(be->loop, be->kick_fd, EPOLLIN, be_kick_event, be);
	if (err < 0)
		goto out_fail;
	if (be->kind == SERIAL_BACKEND_STDIO) {
		be_attach_stdin(be);
		return 0;
	}
	err = vmm_loop_add_fd(be->loop, be->listen_fd, EPOLLIN | EPOLLET, be_listen_event, be);
	if (err < 0) {
		vmm_loop_del_fd(be->loop, be->kick_fd);
		goto out_fail;
	}
	be_accept(be);	/* a client may already wait in the backlog */
	return 0;
out_fail:
	vmm_warn("serial: cannot watch %s input: %s", be_name(be), strerror(-err));
	be->attached = false;
	return err;
}

bool serial_backend_connected(struct serial_backend *be)
{
	bool c;

	pthread_mutex_lock(&be->lock);
	c = be->kind == SERIAL_BACKEND_UNIX && be->out_fd >= 0;
	pthread_mutex_unlock(&be->lock);
	return c;
}

void serial_backend_close(struct serial_backend *be)
{
	if (!be)
		return;
	if (be->in_fd >= 0) {
		vmm_loop_del_fd(be->loop, be->in_fd);
		if (be->kind == SERIAL_BACKEND_UNIX)
			close(be->in_fd);
	}
	if (be->listen_fd >= 0) {
		if (be->attached)
			vmm_loop_del_fd(be->loop, be->listen_fd);
		close(be->listen_fd);
		unlink(be->path);
	}
	if (be->kick_fd >= 0) {
		if (be->attached)
			vmm_loop_del_fd(be->loop, be->kick_fd);
		close(be->kick_fd);
	}
	be_tty_restore(be);
	if (be->kind == SERIAL_BACKEND_FILE && be->out_fd >= 0)
		close(be->out_fd);
	free(be->path);
	pthread_mutex_destroy(&be->lock);
	free(be);
}
