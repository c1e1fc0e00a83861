// SPDX-License-Identifier: GPL-2.0-or-later
/* Snapshot orchestration: pause, save devices/vCPUs/KVM/RAM in order; load into a fresh VM. */
#include "snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "snap-format.h"
#include "snap-ram.h"
#include "snap-vcpu.h"
#include "vcpu.h"
#include "vm-devices.h"
#include "vm.h"

struct snap_paths {
	char state[PATH_MAX], memory[PATH_MAX];
};

static int sfail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int sfail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

static int snap_paths(struct snap_paths *p, const char *dir, char *err, size_t errlen)
{
	if (snprintf(p->state, sizeof(p->state), "%s/state", dir) >= (int)sizeof(p->state) ||
	    snprintf(p->memory, sizeof(p->memory), "%s/memory", dir) >= (int)sizeof(p->memory))
		return sfail(err, errlen, -ENAMETOOLONG, "snapshot %s: path too long", dir);
	return 0;
}

/* This VM as a snapshot header describes it. */
static int snap_describe(struct vm *vm, struct snap_vm_desc *d)
{
	memset(d, 0, sizeof(*d));
	if (vm->ndevices > SNAP_MAX_DEVICES)
		return -E2BIG;
	d->hdr.ncpus = vm->ncpus;
	d->hdr.ndevices = vm->ndevices;
	d->hdr.ram_size = vm->mem.ram_size;
	d->hdr.tsc_khz = vm->tsc_khz;
	snap_header_set_cpu(&d->hdr);
	for (unsigned i = 0; i < vm->ndevices; i++)
		snprintf(d->names[i], SNAP_NAME_LEN, "%s", vm->devices[i].ops->name);
	return 0;
}

static int save_devices(struct vm *vm, struct snap_writer *w)
{
	for (unsigned i = 0; i < vm->ndevices; i++) {
		const struct vm_device *d = &vm->devices[i];
		void *blob = NULL;
		size_t len = 0;
		int ret = d->ops->save(d->state, &blob, &len);

		if (ret)
			return sfail(w->err, w->errlen, ret, "snapshot: device '%s' could not save "
				     "its state: %s", d->ops->name, strerror(-ret));
		ret = snap_writer_section(w, SNAP_TAG_DEVICE, d->ops->name, blob, len);
		free(blob);
		if (ret)
			return ret;
	}
	return 0;
}

static int save_kvm(struct vm *vm, struct snap_writer *w)
{
	struct snap_kvm_vm_state st;
	int ret;

	for (unsigned i = 0; i < vm->ncpus; i++) {
		char name[16];
		void *blob;
		size_t len;

		ret = snap_vcpu_save(&vm->vcpus[i], &blob, &len, w->err, w->errlen);
		if (ret)
			return ret;
		snprintf(name, sizeof(name), "vcpu%u", i);
		ret = snap_writer_section(w, SNAP_TAG_VCPU, name, blob, len);
		free(blob);
		if (ret)
			return ret;
	}
	ret = snap_kvm_vm_save(vm, &st, w->err, w->errlen);
	return ret ? ret : snap_writer_section(w, SNAP_TAG_KVM_VM, "kvm-vm", &st, sizeof(st));
}

static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* The caller's progress, with RAM (nearly all of the work) as 2 % to 98 % of it. */
struct snap_progress {
	void (*fn)(void *opaque, double fraction);
	void *opaque;
};

static void ram_progress(void *opaque, double fraction)
{
	struct snap_progress *p = opaque;

	p->fn(p->opaque, 0.02 + 0.96 * fraction);
}

/* With everything paused: state (partial), memory, RAM table, then the complete marker. */
static int save_paused(struct vm *vm, const struct snap_paths *p, const char *dir,
		       void (*progress)(void *, double), void *opaque, char *err, size_t errlen)
{
	struct snap_progress sp = { progress, opaque };
	struct snap_vm_desc desc;
	struct snap_ram_table t;
	struct snap_writer w;
	struct timespec now;
	int ret;

	ret = snap_describe(vm, &desc);
	if (ret)
		return sfail(err, errlen, ret, "snapshot %s: too many devices", dir);
	clock_gettime(CLOCK_REALTIME, &now);
	desc.hdr.created_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	ret = snap_writer_open(&w, p->state, &desc, err, errlen);
	if (ret)
		return ret;
	ret = save_devices(vm, &w);
	if (!ret)
		ret = save_kvm(vm, &w);
	if (!ret && progress)
		progress(opaque, 0.02);
	if (!ret)
		ret = snap_ram_save(&vm->mem, p->memory, &t, progress ? ram_progress : NULL, &sp,
				    err, errlen);
	if (!ret)
		ret = snap_writer_section(&w, SNAP_TAG_RAM, "ram", &t, sizeof(t));
	if (!ret)
		return snap_writer_finish(&w);
	snap_writer_abort(&w);
	unlink(p->memory);
	return ret;
}

/* Every device needs a save hook; the message names all that lack one. */
static int check_savable(struct vm *vm, const char *dir, char *err, size_t errlen)
{
	char names[256] = "";
	size_t n = 0;
	unsigned missing = 0;

	for (unsigned i = 0; i < vm->ndevices; i++) {
		if (vm->devices[i].ops->save)
			continue;
		if (n < sizeof(names))
			n += (size_t)snprintf(names + n, sizeof(names) - n, "%s'%s'",
					      missing ? ", " : "", vm->devices[i].ops->name);
		missing++;
	}
	if (!missing)
		return 0;
	return sfail(err, errlen, -ENOTSUP, "snapshot %s: %s %s cannot be snapshotted yet", dir,
		     missing == 1 ? "device" : "devices", names);
}

int vm_snapshot_save(struct vm *vm, const char *dir,
		     void (*progress)(void *opaque, double fraction), void *opaque,
		     char *err, size_t errlen)
{
	struct snap_paths p;
	struct stat st;
	bool user_paused;
	int ret;

	ret = check_savable(vm, dir, err, errlen);
	if (!ret)
		ret = snap_paths(&p, dir, err, errlen);
	if (ret)
		return ret;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return sfail(err, errlen, -errno, "snapshot %s: cannot create the directory: %s",
			     dir, strerror(errno));
	if (!stat(p.state, &st) || !stat(p.memory, &st))
		return sfail(err, errlen, -EEXIST, "snapshot %s: the directory already holds a "
			     "snapshot", dir);
	/* A VM the user paused stays paused (pause is idempotent; resume would not be). */
	user_paused = vm->user_paused;
	vm_pause(vm);
	vm_devices_pause(vm);
	ret = save_paused(vm, &p, dir, progress, opaque, err, errlen);
	if (!user_paused) {
		vm_devices_resume(vm);
		vm_resume(vm);
	}
	if (ret)
		return ret;
	fsync_dir(dir);
	if (progress)
		progress(opaque, 1.0);
	return 0;
}

/* Section counts the VM needs: one per device and vCPU, one KVM and one RAM section. */
static int load_check_counts(struct vm *vm, const struct snap_reader *r, const char *path,
			     char *err, size_t errlen)
{
	unsigned dev = 0, cpu = 0, kvm = 0, ram = 0;

	for (unsigned i = 0; i < r->nsecs; i++) {
		dev += r->secs[i].tag == SNAP_TAG_DEVICE;
		cpu += r->secs[i].tag == SNAP_TAG_VCPU;
		kvm += r->secs[i].tag == SNAP_TAG_KVM_VM;
		ram += r->secs[i].tag == SNAP_TAG_RAM;
	}
	if (dev != vm->ndevices || cpu != vm->ncpus || kvm != 1 || ram != 1)
		return sfail(err, errlen, -EINVAL, "snapshot %s: holds %u device, %u vCPU, %u KVM "
			     "and %u RAM sections; this VM needs %u, %u, 1 and 1", path, dev, cpu,
			     kvm, ram, vm->ndevices, vm->ncpus);
	for (unsigned i = 0; i < vm->ndevices; i++) {
		const struct snap_section *s = snap_reader_find(r, SNAP_TAG_DEVICE, i);
		const char *name = vm->devices[i].ops->name;

		if (strncmp(s->name, name, sizeof(s->name) - 1))
			return sfail(err, errlen, -EINVAL, "snapshot %s: device section %u is '%s', "
				     "expected '%s'", path, i, s->name, name);
		if (!vm->devices[i].ops->load)
			return sfail(err, errlen, -ENOTSUP, "snapshot %s: device '%s' cannot be "
				     "restored yet", path, name);
	}
	return 0;
}

static int load_devices(struct vm *vm, const struct snap_reader *r, const char *path,
			char *err, size_t errlen)
{
	for (unsigned i = 0; i < vm->ndevices; i++) {
		const struct snap_section *s = snap_reader_find(r, SNAP_TAG_DEVICE, i);
		const struct vm_device *d = &vm->devices[i];
		int ret = d->ops->load(d->state, s->data, (size_t)s->length);

		if (ret)
			return sfail(err, errlen, ret < 0 ? ret : -EINVAL, "snapshot %s: device '%s' "
				     "refused its saved state: %s", path, d->ops->name,
				     strerror(ret < 0 ? -ret : EINVAL));
	}
	return 0;
}

/* KVM VM-wide state, then each vCPU; module messages get the file's name in front. */
static int load_kvm(struct vm *vm, const struct snap_reader *r, const char *path,
		    char *err, size_t errlen)
{
	const struct snap_section *s = snap_reader_find(r, SNAP_TAG_KVM_VM, 0);
	char msg[384];
	int ret;

	ret = snap_kvm_vm_load(vm, s->data, (size_t)s->length, msg, sizeof(msg));
	for (unsigned i = 0; i < vm->ncpus && !ret; i++) {
		s = snap_reader_find(r, SNAP_TAG_VCPU, i);
		ret = snap_vcpu_load(&vm->vcpus[i], s->data, (size_t)s->length, msg, sizeof(msg));
	}
	return ret ? sfail(err, errlen, ret, "snapshot %s: %s", path, msg) : 0;
}

int vm_snapshot_load(struct vm *vm, const char *dir, char *err, size_t errlen)
{
	const struct snap_section *rs;
	struct snap_vm_desc now;
	struct snap_ram_table t;
	struct snap_reader r;
	struct snap_paths p;
	char msg[384];
	int ret;

	ret = snap_paths(&p, dir, err, errlen);
	if (!ret)
		ret = snap_reader_open(&r, p.state, err, errlen);
	if (ret)
		return ret;
	ret = snap_describe(vm, &now);
	if (!ret)
		ret = snap_desc_check(&r.desc, &now, p.state, err, errlen);
	if (!ret)
		ret = load_check_counts(vm, &r, p.state, err, errlen);
	if (!ret) {
		rs = snap_reader_find(&r, SNAP_TAG_RAM, 0);
		ret = snap_ram_check(&vm->mem, rs->data, (size_t)rs->length, p.memory, &t, msg,
				     sizeof(msg));
		if (ret)
			sfail(err, errlen, ret, "snapshot %s: %s", p.state, msg);
	}
	/*
	 * Everything is checked; from here on the VM changes. RAM first: device loads may read
	 * guest memory (virtio re-checks its rings and kicks its queues). A private mapping
	 * replaces the memfd's, so KSM's MADV_MERGEABLE is given again.
	 */
	if (!ret)
		ret = snap_ram_map(&vm->mem, p.memory, &t, &vm->prefetch, err, errlen);
	if (!ret && vm->cfg.share_pages)
		vm_memory_set_mergeable(&vm->mem, true);
	if (!ret)
		ret = load_devices(vm, &r, p.state, err, errlen);
	if (!ret)
		ret = load_kvm(vm, &r, p.state, err, errlen);
	snap_reader_close(&r);
	return ret;
}
