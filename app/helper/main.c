// SPDX-License-Identifier: GPL-2.0-or-later
/* vessel-helper: one VM's VMM process. Parses flags, builds the VM, runs it, reports. */
#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "control-common.h"
#include "display-hub.h"
#include "helper-balloon.h"
#include "helper-cmdline.h"
#include "snapshot.h"
#include "spice-vm.h"
#include "surface.h"
#include "vessel-file.h"
#include "vga-vm.h"
#include "vm.h"

static const char *const exit_kind_names[VM_EXITK_MAX] = {
	"io", "mmio", "hlt", "intr", "shutdown", "internal", "other",
};

struct signal_waiter {
	struct vm *vm;
	sigset_t set;
	struct vm_command button, off;
	bool quit;		/* set before the main thread wakes us with SIGHUP to end */
};

/*
 * SIGTERM presses the ACPI power button, so the guest shuts down cleanly (and the helper
 * exits 0 when it reaches S5); a second SIGTERM, or SIGINT/SIGHUP, powers off at once
 * (status 70) — like holding the button of a PC. Both go through the VM's command queue.
 */
static void signal_cmd_done(struct vm_command *cmd)
{
	struct signal_waiter *w = cmd->opaque;

	if (cmd->kind == VM_CMD_POWER_BUTTON && cmd->result < 0) {
		fprintf(stderr, "vessel-helper: %s Powering off.\n", cmd->error);
		vm_request(w->vm, VM_REQ_POWEROFF, VM_EXIT_HOST_SIGNAL);
	} else if (cmd->kind == VM_CMD_POWER_BUTTON) {
		fprintf(stderr, "vessel-helper: power button pressed; send SIGTERM again "
			"to power off at once\n");
	}
}

static void *signal_thread(void *arg)
{
	struct signal_waiter *w = arg;
	struct vm_command *cmd;
	bool pressed = false;
	int sig, ret;

	for (;;) {
		ret = sigwait(&w->set, &sig);
		if (ret) {
			fprintf(stderr, "vessel-helper: sigwait: %s\n", strerror(ret));
			continue;
		}
		if (__atomic_load_n(&w->quit, __ATOMIC_SEQ_CST))
			break;
		cmd = pressed || sig != SIGTERM ? &w->off : &w->button;
		vm_command_submit(w->vm, cmd);
		if (cmd == &w->off)
			break;
		pressed = true;
	}
	return NULL;
}

static void timeout_fired(void *opaque)
{
	vm_request(opaque, VM_REQ_POWEROFF, VM_EXIT_TIMEOUT);
}

static const struct vmm_device_ops *const display_devices[] = { &vga_device_ops };

/* Render what the guest drew and write it as PNG; 0 or -errno with a message. */
static int save_screenshot(struct display_hub *hub, const char *path)
{
	GError *gerr = NULL;
	void *png = NULL;
	size_t len = 0;
	int ret;

	if (!hub) {
		fprintf(stderr, "vessel-helper: no screenshot %s: this VM has no display\n", path);
		return -ENODEV;
	}
	ret = display_hub_screenshot_png(hub, &png, &len);
	if (!ret && !g_file_set_contents(path, png, (gssize)len, &gerr)) {
		fprintf(stderr, "vessel-helper: screenshot %s failed: %s\n", path, gerr->message);
		g_clear_error(&gerr);
		ret = -EIO;
	} else if (ret) {
		fprintf(stderr, "vessel-helper: screenshot %s failed: %s\n", path, strerror(-ret));
	}
	free(png);
	return ret;
}

struct shot_at {
	struct display_hub *hub;
	const char *path;
};

static void screenshot_fired(void *opaque)
{
	struct shot_at *s = opaque;

	if (!save_screenshot(s->hub, s->path))
		fprintf(stderr, "vessel-helper: screenshot saved to %s\n", s->path);
}

struct snap_at {
	struct vm_command cmd;
	struct vm *vm;
	const char *dir;
	uint64_t t0;
};

/* A VM_CMD_CALL on the main loop: the save pauses the vCPUs and the I/O thread's devices. */
static int snapshot_call(struct vm *vm, struct vm_command *cmd)
{
	struct snap_at *s = cmd->opaque;

	s->t0 = vmm_now_ns();
	return vm_snapshot_save(vm, s->dir, NULL, NULL, cmd->error, sizeof(cmd->error));
}

static void snapshot_done(struct vm_command *cmd)
{
	struct snap_at *s = cmd->opaque;

	if (cmd->result)
		fprintf(stderr, "vessel-helper: --snapshot-at: %s\n", cmd->error);
	else
		fprintf(stderr, "vessel-helper: snapshot saved to %s in %.1f ms\n", s->dir,
			(double)(vmm_now_ns() - s->t0) / 1e6);
}

static void snapshot_fired(void *opaque)
{
	struct snap_at *s = opaque;

	s->cmd = (struct vm_command){ .kind = VM_CMD_CALL, .call = snapshot_call,
				      .done = snapshot_done, .opaque = s };
	vm_command_submit(s->vm, &s->cmd);
}

/* --restore DIR into the freshly created VM; 0 or VM_EXIT_HOST_ERROR with a message. */
static int restore(struct vm *vm, const char *dir)
{
	uint64_t t0 = vmm_now_ns();
	char err[512];

	if (vm_snapshot_load(vm, dir, err, sizeof(err))) {
		fprintf(stderr, "vessel-helper: --restore: %s\n", err);
		return VM_EXIT_HOST_ERROR;
	}
	fprintf(stderr, "vessel-helper: restored %s in %.1f ms\n", dir,
		(double)(vmm_now_ns() - t0) / 1e6);
	return 0;
}

static void save_text(struct vm *vm, const char *path)
{
	struct vga *vga = vga_from_vm(vm);
	FILE *f;

	if (!vga) {
		fprintf(stderr, "vessel-helper: no text dump %s: this VM has no display\n", path);
		return;
	}
	f = fopen(path, "we");
	if (!f || (g_str_has_suffix(path, ".json") ? vga_text_dump_json(vga, f)
						   : vga_text_dump(vga, f)) < 0)
		fprintf(stderr, "vessel-helper: text dump %s failed: %s\n", path,
			f ? "the screen is not in a text mode" : strerror(errno));
	if (f)
		fclose(f);
}

static void print_exit_stats(const struct vm *vm)
{
	fprintf(stderr, "vessel-helper: exits:");
	for (int k = 0; k < VM_EXITK_MAX; k++)
		fprintf(stderr, " %s=%llu", exit_kind_names[k], (unsigned long long)vm->exits[k]);
	fprintf(stderr, " unclaimed-pio=%llu unclaimed-mmio=%llu\n",
		(unsigned long long)vm->pio.unclaimed, (unsigned long long)vm->mmio.unclaimed);
}

/* The control API, when asked for: NULL with a message printed on failure, or when not asked. */
static struct control *start_control(struct vm *vm, struct display_hub *hub,
				     struct vspice *spice, struct helper_options *o)
{
	const struct spice_listen *l = &o->spice_listen;
	g_autofree char *spice_address = !o->spice ? NULL : l->unix_socket ?
		g_strdup_printf("unix:%s", l->path) : g_strdup_printf(
			strchr(l->host, ':') ? "tcp:[%s]:%d" : "tcp:%s:%d", l->host, l->port);
	const struct vessel_file *vf = o->vessel;
	struct control_config cc = {
		.vm = vm,
		.hub = hub,
		.name = vf ? vf->name : NULL,
		.uuid = vf && vf->uuid[0] ? vf->uuid : NULL,
		.file = vf ? vf->path : NULL,
		.peer_fd = o->control_fd,
		.socket_path = o->control_socket,
		.balloon_min = vf ? vf->balloon_min : 0,
		.balloon_max = vf ? vf->balloon_max : 0,
		.balloon_auto = vf && vf->balloon_auto,
		.spice = spice,
		.spice_address = spice_address,
	};
	g_autofree char *path = NULL;
	GError *gerr = NULL;
	struct control *c;
	char err[512];

	if (!o->control_socket && o->control_fd < 0)
		return NULL;
	if (o->control_socket && !strcmp(o->control_socket, "auto")) {
		path = vessel_control_socket_path(cc.uuid, &gerr);
		if (!path) {
			fprintf(stderr, "vessel-helper: --control-socket: %s\n", gerr->message);
			g_clear_error(&gerr);
			return NULL;
		}
		cc.socket_path = path;
	}
	c = control_start(&cc, err, sizeof(err));
	if (!c)
		fprintf(stderr, "vessel-helper: the control API did not start: %s\n", err);
	else if (cc.socket_path)
		fprintf(stderr, "vessel-helper: control socket %s\n", cc.socket_path);
	return c;
}

int main(int argc, char **argv)
{
	struct helper_options opts;
	struct signal_waiter waiter = { 0 };
	struct vmm_timer *timer = NULL;
	struct vspice *spice = NULL;
	struct control *control = NULL;
	struct display_hub *hub = NULL;
	pthread_t sig_thread;
	FILE *fwlog = NULL;
	char err[512];
	struct vm *vm;
	int status;

	if (helper_parse_args(argc, argv, &opts, err, sizeof(err))) {
		fprintf(stderr, "vessel-helper: %s\n", err);
		return VM_EXIT_HOST_ERROR;
	}
	if (opts.help) {
		helper_usage(stdout);
		return 0;
	}
	if (opts.version) {
		puts("vessel-helper " VESSEL_VERSION);
		return 0;
	}
	if (opts.firmware_log) {
		fwlog = fopen(opts.firmware_log, "we");
		if (!fwlog) {
			fprintf(stderr, "vessel-helper: --firmware-log %s: %s\n", opts.firmware_log,
				strerror(errno));
			return VM_EXIT_HOST_ERROR;
		}
		opts.vm.debug_log = fwlog;
	}

	/* A serial client or pipe going away must not kill the VM: writes just fail. */
	signal(SIGPIPE, SIG_IGN);

	/* Every thread created from here on inherits these signals blocked. */
	sigemptyset(&waiter.set);
	sigaddset(&waiter.set, SIGINT);
	sigaddset(&waiter.set, SIGTERM);
	sigaddset(&waiter.set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &waiter.set, NULL);

	if (!opts.no_vga) {
		opts.vm.extra_devices = display_devices;
		opts.vm.nextra_devices = 1;
	}
	vm = vm_create(&opts.vm, &status);
	if (!vm)
		return status;
	if (opts.restore_dir && (status = restore(vm, opts.restore_dir))) {
		vm_destroy(vm);
		return status;
	}
	if (vga_from_vm(vm))
		hub = display_hub_new(vga_from_vm(vm));
	if (opts.spice) {
		struct spice_config sc = {
			.listen = opts.spice_listen,
			.password_file = opts.spice_password_file,
			.password_lifetime = opts.spice_password_expires,
			.tls = opts.spice_tls,
			.vv_file = opts.spice_vv_file,
			.title = opts.vessel && opts.vessel->name ? opts.vessel->name : NULL,
			.hub = hub,
		};
		int serr;

		spice = vspice_start(vm, &sc, &serr);
		if (!spice) {
			fprintf(stderr, "vessel-helper: --spice: the SPICE server did not start (%s)\n",
				strerror(-serr));
			vm_destroy(vm);
			return VM_EXIT_HOST_ERROR;
		}
	}
	waiter.vm = vm;
	waiter.button = (struct vm_command){ .kind = VM_CMD_POWER_BUTTON, .done = signal_cmd_done,
					     .opaque = &waiter };
	waiter.off = (struct vm_command){ .kind = VM_CMD_POWER_OFF, .status = VM_EXIT_HOST_SIGNAL,
					  .done = signal_cmd_done, .opaque = &waiter };
	control = start_control(vm, hub, spice, &opts);
	if (!control && (opts.control_socket || opts.control_fd >= 0)) {
		vspice_stop(spice);
		vm_destroy(vm);
		return VM_EXIT_HOST_ERROR;
	}
	pthread_create(&sig_thread, NULL, signal_thread, &waiter);
	if (opts.timeout > 0) {
		timer = vmm_timer_new(vm->loop, timeout_fired, vm);
		if (timer)
			vmm_timer_mod(timer, vmm_loop_now(vm->loop) +
				      (uint64_t)(opts.timeout * 1e9));
	}
	struct shot_at shot = { hub, opts.screenshot_at_file };
	struct vmm_timer *shot_timer = NULL;

	if (opts.screenshot_at_file) {
		shot_timer = vmm_timer_new(vm->loop, screenshot_fired, &shot);
		if (shot_timer)
			vmm_timer_mod(shot_timer, vmm_loop_now(vm->loop) +
				      (uint64_t)(opts.screenshot_at * 1e9));
	}
	struct helper_balloon *balloon = helper_balloon_start(vm, &opts);

	struct snap_at snap = { .vm = vm, .dir = opts.snapshot_at_dir };
	struct vmm_timer *snap_timer = NULL;

	if (opts.snapshot_at_dir) {
		snap_timer = vmm_timer_new(vm->loop, snapshot_fired, &snap);
		if (snap_timer)
			vmm_timer_mod(snap_timer, vmm_loop_now(vm->loop) +
				      (uint64_t)(opts.snapshot_at * 1e9));
	}
	status = vm_run(vm);
	/* The signal thread goes first: nothing may queue commands on a VM being torn down. */
	__atomic_store_n(&waiter.quit, true, __ATOMIC_SEQ_CST);
	pthread_kill(sig_thread, SIGHUP);
	pthread_join(sig_thread, NULL);
	vmm_timer_free(snap_timer);
	control_stop(control);
	helper_balloon_stop(balloon, opts.exit_stats);
	vspice_stop(spice);	/* clients go before the devices they read */
	vmm_timer_free(shot_timer);
	if (opts.screenshot_exit && !save_screenshot(hub, opts.screenshot_exit))
		fprintf(stderr, "vessel-helper: screenshot saved to %s\n", opts.screenshot_exit);
	if (opts.text_exit)
		save_text(vm, opts.text_exit);
	if (opts.exit_stats)
		print_exit_stats(vm);
	if (status == VM_EXIT_TIMEOUT)
		fprintf(stderr, "vessel-helper: --timeout %.3g s elapsed; VM stopped\n",
			opts.timeout);
	vmm_timer_free(timer);
	display_hub_free(hub);
	vm_destroy(vm);
	if (fwlog)
		fclose(fwlog);
	helper_options_free(&opts);
	return status;
}
