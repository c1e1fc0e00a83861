// SPDX-License-Identifier: GPL-2.0-or-later
/* Host check probes for the running machine: CPUID, /dev/cpu/0/msr, /dev/kvm ioctls, logind. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <gio/gio.h>
#include <linux/kvm.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "hostcheck-private.h"

static int sys_arch(void *opaque, char *buf, size_t len)
{
	struct utsname u;

	if (uname(&u))
		return -errno;
	hc_copy(buf, len, u.machine);
	return 0;
}

/* CPUID is unprivileged (notes §1); executing it here is the ground truth. */
static int sys_cpuid(void *opaque, uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
#if defined(__x86_64__) || defined(__i386__)
	__cpuid_count(leaf, subleaf, regs[0], regs[1], regs[2], regs[3]);
	return 0;
#else
	return -ENOTSUP;
#endif
}

/*
 * Without root: vessel-broker's ReadMsr (polkit action read-msr, "yes" for the active
 * session), when the broker is installed. -errno of the direct attempt otherwise.
 */
static int broker_read_msr(uint32_t index, uint64_t *value, int direct_err)
{
	GDBusConnection *bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, NULL);
	GVariant *ret;

	if (!bus)
		return direct_err;
	ret = g_dbus_connection_call_sync(bus, "io.github.vesselvm.Vessel.Broker1",
		"/io/github/vesselvm/Vessel/Broker", "io.github.vesselvm.Vessel.Broker1", "ReadMsr",
		g_variant_new("(uu)", 0u, index), G_VARIANT_TYPE("(t)"), G_DBUS_CALL_FLAGS_NONE,
		5000, NULL, NULL);
	g_object_unref(bus);
	if (!ret)
		return direct_err;
	g_variant_get(ret, "(t)", value);
	g_variant_unref(ret);
	return 0;
}

/* The msr driver maps the file offset to the MSR index; needs root, else the broker. */
static int sys_read_msr(void *opaque, uint32_t index, uint64_t *value)
{
	int fd = open("/dev/cpu/0/msr", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return broker_read_msr(index, value, -errno);
	n = pread(fd, value, sizeof(*value), index);
	n = n < 0 ? -errno : n;
	close(fd);
	if (n < 0)
		return (int)n;
	return n == sizeof(*value) ? 0 : -EIO;
}

/* Linux Documentation/virt/kvm/api.rst §4.1 KVM_GET_API_VERSION, §4.2 KVM_CREATE_VM. */
static void sys_kvm(void *opaque, struct hostcheck_kvm_answer *a)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm;

	a->api_version = -1;
	a->create_vm_tried = false;
	if (fd < 0) {
		a->open_ret = -errno;
		return;
	}
	a->open_ret = 0;
	a->api_version = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (a->api_version < 0)
		a->api_version = -errno;
	if (a->api_version == KVM_API_VERSION) {
		vm = ioctl(fd, KVM_CREATE_VM, 0);
		a->create_vm_tried = true;
		a->create_vm_ret = vm < 0 ? -errno : 0;
		if (vm >= 0)
			close(vm);
	}
	close(fd);
}

/* org.freedesktop.login1.Manager.CanRebootToFirmwareSetup() -> s (notes §2). */
static int sys_reboot_to_firmware(void *opaque, char *buf, size_t len)
{
	GDBusConnection *bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, NULL);
	GVariant *ret;
	const char *answer;

	if (!bus)
		return -ENOTCONN;
	ret = g_dbus_connection_call_sync(bus, "org.freedesktop.login1", "/org/freedesktop/login1",
					  "org.freedesktop.login1.Manager",
					  "CanRebootToFirmwareSetup", NULL, G_VARIANT_TYPE("(s)"),
					  G_DBUS_CALL_FLAGS_NONE, 2000, NULL, NULL);
	g_object_unref(bus);
	if (!ret)
		return -EIO;
	g_variant_get(ret, "(&s)", &answer);
	hc_copy(buf, len, answer);
	g_variant_unref(ret);
	return 0;
}

static const struct hostcheck_probes system_probes = {
	.opaque = NULL,
	.arch = sys_arch,
	.cpuid = sys_cpuid,
	.read_msr = sys_read_msr,
	.kvm = sys_kvm,
	.reboot_to_firmware = sys_reboot_to_firmware,
};

const struct hostcheck_probes *hostcheck_system_probes(void)
{
	return &system_probes;
}
