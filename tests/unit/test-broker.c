// SPDX-License-Identifier: GPL-2.0-or-later
/* vessel-broker's argument rules and operations, on fixture trees (no privileges needed). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker-ops.h"
#include "broker-validate.h"
#include "tap.h"

static char root[] = "/tmp/vessel-broker-XXXXXX";

static void put(const char *rel, const char *text, mode_t mode)
{
	char path[512], cmd[600];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	if (system(cmd))
		return;
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void test_rules(void)
{
	static const char *good_usb[] = { "/dev/bus/usb/001/002", "/dev/bus/usb/255/255" };
	static const char *bad_usb[] = { "", "/dev/bus/usb/1/2", "/dev/bus/usb/000/001",
		"/dev/bus/usb/001/256", "/dev/bus/usb/001/002/", "/dev/bus/usb/../usb/002",
		"/dev/sda", "/dev/bus/usb/001/00a", "dev/bus/usb/001/002", "/dev/bus/usb/001//02" };
	static const char *bad_if[] = { "", ".", "..", "a/b", "tap 0", "tap0:1",
		"sixteen-chars-xx", "tap\n", "taß" };

	for (size_t i = 0; i < sizeof(good_usb) / sizeof(*good_usb); i++)
		ok(broker_usb_path_ok(good_usb[i]), "usb path %s accepted", good_usb[i]);
	for (size_t i = 0; i < sizeof(bad_usb) / sizeof(*bad_usb); i++)
		ok(!broker_usb_path_ok(bad_usb[i]), "usb path '%s' refused", bad_usb[i]);
	ok(broker_ifname_ok("tap0") && broker_ifname_ok("vessel-br.1_x") &&
	   broker_ifname_ok("fifteen-chars-x"), "ordinary interface names accepted");
	for (size_t i = 0; i < sizeof(bad_if) / sizeof(*bad_if); i++)
		ok(!broker_ifname_ok(bad_if[i]), "interface name #%zu refused", i);
	ok(broker_msr_allowed(0x3a) && broker_msr_allowed(0x480) && broker_msr_allowed(0x491) &&
	   broker_msr_allowed(0xc0010114), "the check's MSRs are allowed");
	ok(!broker_msr_allowed(0x10) && !broker_msr_allowed(0x1a0) && !broker_msr_allowed(0x492) &&
	   !broker_msr_allowed(0xc0000080), "TSC, MISC_ENABLE, EFER and the rest are not");
}

static void test_fwattr(void)
{
	char err[256], path[512], buf[64] = "";
	FILE *f;

	put("sys/class/firmware-attributes/thinklmi/attributes/VirtualizationTechnology/"
	    "possible_values", "Disable;Enable\n", 0644);
	put("sys/class/firmware-attributes/thinklmi/attributes/VirtualizationTechnology/"
	    "current_value", "Disable\n", 0644);
	put("sys/class/firmware-attributes/thinklmi/attributes/WakeonLAN/possible_values",
	    "Disable;Enable\n", 0644);
	is_int(broker_fwattr_check(root, "thinklmi", "WakeonLAN", "Enable", err, sizeof(err)),
	       -EINVAL, "a setting off the allow-list is refused: %s", err);
	is_int(broker_fwattr_check(root, "thinklmi", "VirtualizationTechnology", "On", err,
				   sizeof(err)), -EINVAL, "a value not in possible_values: %s", err);
	is_int(broker_fwattr_check(root, "../thinklmi", "VirtualizationTechnology", "Enable", err,
				   sizeof(err)), -EINVAL, "a driver that is a path is refused");
	is_int(broker_fwattr_check(root, "dell-wmi-sysman", "Virtualization", "Enabled", err,
				   sizeof(err)), -ENOENT, "a setting this computer lacks: %s", err);
	is_int(broker_set_fwattr(root, "thinklmi", "VirtualizationTechnology", "Enable", err,
				 sizeof(err)), 0, "VirtualizationTechnology=Enable is written");
	snprintf(path, sizeof(path), "%s/sys/class/firmware-attributes/thinklmi/attributes/"
		 "VirtualizationTechnology/current_value", root);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	ok(!strcmp(buf, "Enable"), "current_value now says Enable ('%s')", buf);
}

static void test_msr(void)
{
	char path[512], err[256];
	uint64_t v = 0, want = 0x5, huge = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/dev/cpu/0", root);
	put("dev/cpu/0/msr", "", 0600);
	snprintf(path, sizeof(path), "%s/dev/cpu/0/msr", root);
	fd = open(path, O_WRONLY);
	if (pwrite(fd, &want, 8, 0x3a) != 8 || pwrite(fd, &huge, 8, 0xc0010114) != 8)
		ok(0, "fixture msr file");
	close(fd);
	is_int(broker_read_msr(root, 0, 0x3a, &v, err, sizeof(err)), 0, "IA32_FEATURE_CONTROL read");
	ok(v == 5, "lock and VMX-outside-SMX bits come back (0x%llx)", (unsigned long long)v);
	is_int(broker_read_msr(root, 0, 0x10, &v, err, sizeof(err)), -EINVAL,
	       "the TSC MSR is refused: %s", err);
	is_int(broker_read_msr(root, 3, 0x3a, &v, err, sizeof(err)), -ENOENT,
	       "a CPU without an msr file: %s", err);
}

static void test_kvm(void)
{
	char err[256], path[512], args[128] = "";
	const char *module = NULL;
	FILE *f;

	put("proc/cpuinfo", "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: svm\n", 0644);
	is_int(broker_kvm_module(root, &module, err, sizeof(err)), 0, "AMD CPU");
	ok(module && !strcmp(module, "kvm_amd"), "needs kvm_amd");
	put("proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\n", 0644);
	snprintf(path, sizeof(path), "#!/bin/sh\necho \"$@\" > '%s/modprobe.args'\n", root);
	put("sbin/modprobe", path, 0755);
	err[0] = '\0';
	is_int(broker_load_kvm(root, &module, err, sizeof(err)), 0, "modprobe runs for Intel");
	snprintf(path, sizeof(path), "%s/modprobe.args", root);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(args, sizeof(args), f))
			args[0] = '\0';
		fclose(f);
	}
	ok(!strcmp(args, "-- kvm_intel\n"), "with exactly '-- kvm_intel'");
	put("sbin/modprobe", "#!/bin/sh\necho 'FATAL: Module kvm_intel is blacklisted' >&2\nexit 1\n",
	    0755);
	is_int(broker_load_kvm(root, &module, err, sizeof(err)), -EIO, "a failing modprobe: %s",
	       err);
	ok(strstr(err, "blacklisted") != NULL, "its complaint is in the message");
	put("proc/cpuinfo", "processor\t: 0\nvendor_id\t: CentaurHauls\n", 0644);
	ok(broker_kvm_module(root, &module, err, sizeof(err)) == -ENOTSUP,
	   "another vendor: %s", err);
}

static void test_usb_and_tap(void)
{
	char err[256];
	int fd = -1;

	put("dev/bus/usb/001/002", "not a device\n", 0644);
	is_int(broker_open_usb(root, "/dev/bus/usb/001/002", &fd, err, sizeof(err)), -EINVAL,
	       "a regular file where the node should be is refused: %s", err);
	is_int(broker_open_usb(root, "/dev/bus/usb/001/003", &fd, err, sizeof(err)), -ENOENT,
	       "a missing device: %s", err);
	is_int(broker_open_usb(root, "/dev/sda", &fd, err, sizeof(err)), -EINVAL,
	       "not a usbfs path: %s", err);
	is_int(broker_create_tap(root, "tap0", "br0", 1000, &fd, err, sizeof(err)), -ENOENT,
	       "a bridge that does not exist: %s", err);
	is_int(broker_create_tap(root, "tap/0", "br0", 1000, &fd, err, sizeof(err)), -EINVAL,
	       "a bad tap name: %s", err);
}

static void test_rule(void)
{
	char err[256], path[512], body[512] = "", script[512];
	FILE *f;
	size_t n;

	snprintf(script, sizeof(script), "#!/bin/sh\necho \"$@\" > '%s/udevadm.args'\n", root);
	put("usr/bin/udevadm", script, 0755);
	is_int(broker_install_kvm_rule(root, err, sizeof(err)), 0, "the udev rule is installed");
	snprintf(path, sizeof(path), "%s/etc/udev/rules.d/60-vessel-kvm.rules", root);
	f = fopen(path, "r");
	n = f ? fread(body, 1, sizeof(body) - 1, f) : 0;
	body[n] = '\0';
	if (f)
		fclose(f);
	ok(strstr(body, "KERNEL==\"kvm\"") && strstr(body, "TAG+=\"uaccess\""),
	   "it gives /dev/kvm to the seat (uaccess)");
	snprintf(path, sizeof(path), "%s/udevadm.args", root);
	f = fopen(path, "r");
	n = f ? fread(body, 1, sizeof(body) - 1, f) : 0;
	body[n] = '\0';
	if (f)
		fclose(f);
	ok(!strcmp(body, "trigger --action=change --subsystem-match=misc --sysname-match=kvm\n"),
	   "udev applies it to /dev/kvm at once");
	put("usr/bin/udevadm", "#!/bin/sh\nexit 3\n", 0755);
	is_int(broker_install_kvm_rule(root, err, sizeof(err)), -EIO, "udevadm failing: %s", err);
	ok(strstr(err, "next login") != NULL, "the message says when it applies instead");
}

int main(void)
{
	char cmd[128];

	if (!mkdtemp(root))
		return 1;
	test_rules();
	test_fwattr();
	test_msr();
	test_kvm();
	test_usb_and_tap();
	test_rule();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		ok(0, "cleanup");
	return tap_done();
}
