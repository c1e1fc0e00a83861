// SPDX-License-Identifier: GPL-2.0-or-later
/* vessel-helper: one VM's VMM process. Parses flags, builds the VM, runs it, reports. */
#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
};

/*
 * SIGTERM presses the ACPI power button, so the guest shuts down cleanly (and the helper
 * exits 0 when it reaches S5); a second SIGTERM, or SIGINT/SIGHUP, powers off at once
 * (status 70) — like holding the button of a PC.
 */
static void *signal_thread(void *arg)
{
	struct signal_waiter *w = arg;
	bool pressed = false;
	int sig;

	while (sigwait(&w->set, &sig) == 0) {
		if (sig == SIGTERM && !pressed && vm_power_button(w->vm)) {
			pressed = true;
			fprintf(stderr, "vessel-helper: power button pressed; send SIGTERM again "
				"to power off at once\n");
			continue;
		}
		vm_request(w->vm, VM_REQ_POWEROFF, VM_EXIT_HOST_SIGNAL);
		break;
	}
	return NULL;
}

static void timeout_fired(void *opaque)
{
	vm_request(opaque, VM_REQ_POWEROFF, VM_EXIT_TIMEOUT);
}

static const struct vmm_device_ops *const display_devices[] = { &vga_device_ops };

/* Render what the guest drew and write it as PNG; 0 or -errno with a message. */
static int save_screenshot(struct vm *vm, const char *path)
{
	struct vga *vga = vga_from_vm(vm);
	int ret;

	if (!vga) {
		fprintf(stderr, "vessel-helper: no screenshot %s: this VM has no display\n", path);
		return -ENODEV;
	}
	ret = display_update(vga);
	if (ret >= 0)
		ret = display_screenshot_png(display_get_surface(vga), path);
	if (ret < 0)
		fprintf(stderr, "vessel-helper: screenshot %s failed: %s\n", path, strerror(-ret));
	return ret;
}

struct shot_at {
	struct vm *vm;
	const char *path;
};

static void screenshot_fired(void *opaque)
{
	struct shot_at *s = opaque;

	if (!save_screenshot(s->vm, s->path))
		fprintf(stderr, "vessel-helper: screenshot saved to %s\n", s->path);
}

struct snap_at {
	struct vm *vm;
	const char *dir;
};

/* On the main thread (vm_call_main): the save pauses the vCPUs and the I/O thread's devices. */
static void snapshot_now(void *opaque)
{
	struct snap_at *s = opaque;
	uint64_t t0 = vmm_now_ns();
	char err[512];

	if (vm_snapshot_save(s->vm, s->dir, NULL, NULL, err, sizeof(err)))
		fprintf(stderr, "vessel-helper: --snapshot-at: %s\n", err);
	else
		fprintf(stderr, "vessel-helper: snapshot saved to %s in %.1f ms\n", s->dir,
			(double)(vmm_now_ns() - t0) / 1e6);
}

static void snapshot_fired(void *opaque)
{
	struct snap_at *s = opaque;

	if (vm_call_main(s->vm, snapshot_now, s))
		fprintf(stderr, "vessel-helper: --snapshot-at: another call is pending\n");
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
	if (!f || vga_text_dump(vga, f) < 0)
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

int main(int argc, char **argv)
{
	struct helper_options opts;
	struct signal_waiter waiter;
	struct vmm_timer *timer = NULL;
	struct vspice *spice = NULL;
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
	if (opts.spice) {
		struct spice_config sc = {
			.listen = opts.spice_listen,
			.password_file = opts.spice_password_file,
			.tls = opts.spice_tls,
			.vv_file = opts.spice_vv_file,
			.title = opts.vessel && opts.vessel->name ? opts.vessel->name : NULL,
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
	pthread_create(&sig_thread, NULL, signal_thread, &waiter);
	if (opts.timeout > 0) {
		timer = vmm_timer_new(vm->loop, timeout_fired, vm);
		if (timer)
			vmm_timer_mod(timer, vmm_loop_now(vm->loop) +
				      (uint64_t)(opts.timeout * 1e9));
	}
	struct shot_at shot = { vm, opts.screenshot_at_file };
	struct vmm_timer *shot_timer = NULL;

	if (opts.screenshot_at_file) {
		shot_timer = vmm_timer_new(vm->loop, screenshot_fired, &shot);
		if (shot_timer)
			vmm_timer_mod(shot_timer, vmm_loop_now(vm->loop) +
				      (uint64_t)(opts.screenshot_at * 1e9));
	}
	struct snap_at snap = { vm, opts.snapshot_at_dir };
	struct vmm_timer *snap_timer = NULL;

	if (opts.snapshot_at_dir) {
		snap_timer = vmm_timer_new(vm->loop, snapshot_fired, &snap);
		if (snap_timer)
			vmm_timer_mod(snap_timer, vmm_loop_now(vm->loop) +
				      (uint64_t)(opts.snapshot_at * 1e9));
	}
	status = vm_run(vm);
	vmm_timer_free(snap_timer);
	vspice_stop(spice);	/* clients go before the devices they read */
	vmm_timer_free(shot_timer);
	if (opts.screenshot_exit && !save_screenshot(vm, opts.screenshot_exit))
		fprintf(stderr, "vessel-helper: screenshot saved to %s\n", opts.screenshot_exit);
	if (opts.text_exit)
		save_text(vm, opts.text_exit);
	if (opts.exit_stats)
		print_exit_stats(vm);
	if (status == VM_EXIT_TIMEOUT)
		fprintf(stderr, "vessel-helper: --timeout %.3g s elapsed; VM stopped\n",
			opts.timeout);
	vmm_timer_free(timer);
	vm_destroy(vm);
	pthread_cancel(sig_thread);
	pthread_join(sig_thread, NULL);
	if (fwlog)
		fclose(fwlog);
	helper_options_free(&opts);
	return status;
}
