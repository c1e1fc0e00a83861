// SPDX-License-Identifier: GPL-2.0-or-later
/* vesselctl run and stop: start a VM's helper (headless), and shut it down. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl-vm-private.h"
#include "ctl-vm.h"
#include "ctl.h"
#include "session.h"

/* The child: a session of its own, no terminal, output to the log. Never returns. */
static void exec_helper(const char *helper, const char *file, const char *restore, int logfd)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	setsid();
	if (null < 0 || dup2(null, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0)
		_exit(127);
	if (restore)
		execl(helper, helper, file, "--control-socket", "auto", "--serial", "stdio",
		      "--restore", restore, (char *)NULL);
	else
		execl(helper, helper, file, "--control-socket", "auto", "--serial", "stdio",
		      (char *)NULL);
	fprintf(stderr, "vesselctl run: cannot start %s: %s\n", helper, g_strerror(errno));
	_exit(127);
}

static void print_log_tail(const char *log, FILE *err)
{
	g_autofree char *text = NULL;
	gsize len = 0;

	if (!g_file_get_contents(log, &text, &len, NULL) || !len)
		return;
	fprintf(err, "--- the end of %s ---\n%s%s", log, len > 2000 ? text + len - 2000 : text,
		text[len - 1] == '\n' ? "" : "\n");
}

/* Wait until the helper answers on its socket, or ends; 0 or an exit status. */
static int wait_started(struct ctl_vm *vm, pid_t pid, const char *log, FILE *err)
{
	GError *error = NULL;
	int status;

	for (int i = 0; i < 600; i++) {	/* 30 s: building a large VM's RAM takes a moment */
		if (waitpid(pid, &status, WNOHANG) == pid) {
			fprintf(err, "vesselctl run: '%s' stopped while starting (helper status "
				"%d; 'vessel-helper --help' lists them)\n", vm->vf->name,
				WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
			print_log_tail(log, err);
			return CTL_EXIT_FAILED;
		}
		vm->conn = vessel_control_connect(vm->socket, NULL, &error);
		g_clear_error(&error);
		if (vm->conn)
			return 0;
		g_usleep(50000);
	}
	fprintf(err, "vesselctl run: '%s' did not answer on %s within 30 s; see %s\n",
		vm->vf->name, vm->socket, log);
	return CTL_EXIT_FAILED;
}

int ctl_run_headless(struct ctl_vm *vm, const char *restore, FILE *out, FILE *err)
{
	g_autofree char *helper = vessel_find_helper();
	g_autofree char *log = NULL;
	GError *error = NULL;
	int logfd, ret;
	pid_t pid;

	if (!helper) {
		fputs("vesselctl run: vessel-helper is not installed (or set VESSEL_HELPER)\n", err);
		return CTL_EXIT_FAILED;
	}
	vm->conn = vessel_control_connect(vm->socket, NULL, &error);
	g_clear_error(&error);
	if (vm->conn) {
		fprintf(err, "vesselctl run: '%s' is already running\n", vm->vf->name);
		return CTL_EXIT_FAILED;
	}
	log = g_strdup_printf("%.*s.log", (int)strlen(vm->socket) - 5, vm->socket);
	g_autofree char *dir = g_path_get_dirname(log);
	g_mkdir_with_parents(dir, 0700);
	logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (logfd < 0) {
		fprintf(err, "vesselctl run: cannot write the log %s: %s\n", log, g_strerror(errno));
		return CTL_EXIT_FAILED;
	}
	pid = fork();
	if (pid == 0)
		exec_helper(helper, vm->vf->path, restore, logfd);
	close(logfd);
	if (pid < 0) {
		fprintf(err, "vesselctl run: fork: %s\n", g_strerror(errno));
		return CTL_EXIT_FAILED;
	}
	ret = wait_started(vm, pid, log, err);
	if (!ret)
		fprintf(out, "%s: running headless (helper pid %d)\n  control socket: %s\n"
			"  log and serial console: %s\n  stop it with: vesselctl stop '%s'\n",
			vm->vf->name, (int)pid, vm->socket, log, vm->vf->path);
	return ret;
}

int ctl_run(int argc, char **argv, FILE *out, FILE *err)
{
	gboolean headless = FALSE, help = FALSE;
	GOptionEntry entries[] = {
		{ "headless", 0, 0, G_OPTION_ARG_NONE, &headless, "No window", NULL },
		{ "help", 'h', 0, G_OPTION_ARG_NONE, &help, "Show this help", NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("VM");
	struct ctl_vm vm;
	int ret;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!ctl_parse(ctx, &argc, &argv, err))
		return CTL_EXIT_USAGE;
	if (help || argc != 2) {
		fputs("Usage: vesselctl run [--headless] VM\n\nStart the VM. --headless runs it in "
		      "the background without a window:\nsteer it with vesselctl, see it over SPICE "
		      "if its .vessel file enables it.\n", help ? out : err);
		fputs(ctl_vm_exit_help, help ? out : err);
		return help ? 0 : CTL_EXIT_USAGE;
	}
	if (!headless) {
		fputs("vesselctl run: the desktop app is not part of this build yet; use "
		      "'vesselctl run --headless VM'\n", err);
		return CTL_EXIT_FAILED;
	}
	ret = ctl_vm_open("run", argv[1], false, &vm, err);
	if (!ret)
		ret = ctl_run_headless(&vm, NULL, out, err);
	ctl_vm_close(&vm);
	return ret;
}

static void on_closed(GDBusConnection *conn, gboolean vanished, GError *error, gpointer loop)
{
	g_main_loop_quit(loop);
}

static gboolean on_timeout(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_CONTINUE;	/* removed by wait_stopped */
}

/* Wait for the helper to close the connection (it exits); true if it did within timeout. */
bool ctl_wait_closed(struct ctl_vm *vm, int timeout)
{
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	gulong handler;
	guint id;

	if (g_dbus_connection_is_closed(vm->conn))
		return true;
	handler = g_signal_connect(vm->conn, "closed", G_CALLBACK(on_closed), loop);
	id = g_timeout_add_seconds((guint)timeout, on_timeout, loop);
	g_main_loop_run(loop);
	g_source_remove(id);
	g_signal_handler_disconnect(vm->conn, handler);
	return g_dbus_connection_is_closed(vm->conn);
}

/* After the power button: wait for the helper to close the connection (it exits). */
static int wait_stopped(struct ctl_vm *vm, int timeout, FILE *out, FILE *err)
{
	fprintf(out, "%s: asked to shut down; waiting up to %d s...\n", vm->vf->name, timeout);
	if (!ctl_wait_closed(vm, timeout)) {
		fprintf(err, "vesselctl stop: '%s' did not shut down within %d s (its system may "
			"be asking something, or ignore the power button); 'vesselctl stop --force "
			"%s' powers it off\n", vm->vf->name, timeout, vm->vf->name);
		return CTL_EXIT_FAILED;
	}
	fprintf(out, "%s: stopped\n", vm->vf->name);
	return 0;
}

int ctl_stop(int argc, char **argv, FILE *out, FILE *err)
{
	gboolean force = FALSE, nowait = FALSE, help = FALSE;
	int timeout = 120;
	GOptionEntry entries[] = {
		{ "force", 0, 0, G_OPTION_ARG_NONE, &force, "Power off at once", NULL },
		{ "no-wait", 0, 0, G_OPTION_ARG_NONE, &nowait, "Do not wait", NULL },
		{ "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, "Seconds to wait", "S" },
		{ "help", 'h', 0, G_OPTION_ARG_NONE, &help, "Show this help", NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("VM");
	GError *error = NULL;
	struct ctl_vm vm;
	gboolean ok;
	int ret;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!ctl_parse(ctx, &argc, &argv, err))
		return CTL_EXIT_USAGE;
	if (help || argc != 2 || timeout < 1) {
		fputs("Usage: vesselctl stop [--force] [--no-wait] [--timeout S] VM\n\nPress the "
		      "VM's power button so its system shuts down, and wait (default 120 s).\n"
		      "--force powers it off at once, like pulling the plug: unsaved work in the "
		      "guest is lost.\n", help ? out : err);
		fputs(ctl_vm_exit_help, help ? out : err);
		return help ? 0 : CTL_EXIT_USAGE;
	}
	ret = ctl_vm_open("stop", argv[1], true, &vm, err);
	if (ret)
		return ret;
	ok = force ? vessel_vm1_call_power_off_sync(vm.proxy, NULL, &error) :
		     vessel_vm1_call_power_button_sync(vm.proxy, NULL, &error);
	if (!ok && force && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CLOSED)) {
		ok = TRUE;	/* it went before the reply did */
		g_clear_error(&error);
	}
	if (!ok) {
		fprintf(err, "vesselctl stop: %s: %s\n", vm.vf->name, ctl_error_message(error));
		g_clear_error(&error);
		ret = CTL_EXIT_FAILED;
	} else if (force) {
		fprintf(out, "%s: powered off\n", vm.vf->name);
	} else if (!nowait) {
		ret = wait_stopped(&vm, timeout, out, err);
	} else {
		fprintf(out, "%s: asked to shut down\n", vm.vf->name);
	}
	ctl_vm_close(&vm);
	return ret;
}
