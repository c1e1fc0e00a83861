// SPDX-License-Identifier: GPL-2.0-or-later
/* vessel-broker's privileged operations; every path is taken under a root for tests. */
#include "broker-ops.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>

#include "broker-validate.h"

/* Documentation/admin-guide/devices.txt: 189 char = USB device nodes (usbfs, /dev/bus/usb). */
#define USB_DEVICE_MAJOR	189

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

int broker_open_usb(const char *root, const char *path, int *fd, char *err, size_t errlen)
{
	char full[512];
	struct stat st, st2;
	int f;

	if (!broker_usb_path_ok(path))
		return fail(err, errlen, -EINVAL, "'%s' is not a USB device node (expected "
			    "/dev/bus/usb/BBB/DDD)", path ? path : "");
	snprintf(full, sizeof(full), "%s%s", root, path);
	if (lstat(full, &st))
		return fail(err, errlen, -errno, "there is no USB device %s (was it unplugged?)",
			    path);
	if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != USB_DEVICE_MAJOR)
		return fail(err, errlen, -EINVAL, "%s is not a USB device node", path);
	f = open(full, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (f < 0)
		return fail(err, errlen, -errno, "cannot open the USB device %s: %s", path,
			    strerror(errno));
	/* The node we checked is the node we opened (no swap in between). */
	if (fstat(f, &st2) || st2.st_rdev != st.st_rdev || !S_ISCHR(st2.st_mode)) {
		close(f);
		return fail(err, errlen, -EINVAL, "%s changed while it was being opened", path);
	}
	*fd = f;
	return 0;
}

int broker_read_msr(const char *root, unsigned cpu, uint32_t msr, uint64_t *value, char *err,
		    size_t errlen)
{
	char path[512];
	int f;
	ssize_t n;

	if (!broker_msr_allowed(msr))
		return fail(err, errlen, -EINVAL, "MSR 0x%x is not one the virtualization check "
			    "reads", msr);
	if (cpu >= 8192)
		return fail(err, errlen, -EINVAL, "there is no CPU %u", cpu);
	snprintf(path, sizeof(path), "%s/dev/cpu/%u/msr", root, cpu);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0 && errno == ENOENT)
		return fail(err, errlen, -ENOENT, "%s does not exist (no CPU %u, or the msr module "
			    "is not loaded)", path, cpu);
	if (f < 0)
		return fail(err, errlen, -errno, "cannot open %s: %s", path, strerror(errno));
	/* Documentation/... msr(4): the file offset is the MSR number, reads are 8 bytes. */
	n = pread(f, value, sizeof(*value), msr);
	close(f);
	if (n != (ssize_t)sizeof(*value))
		return fail(err, errlen, -EIO, "MSR 0x%x of CPU %u cannot be read on this CPU", msr,
			    cpu);
	return 0;
}

int broker_kvm_module(const char *root, const char **module, char *err, size_t errlen)
{
	char path[512], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/proc/cpuinfo", root);
	f = fopen(path, "re");
	if (!f)
		return fail(err, errlen, -errno, "cannot read %s: %s", path, strerror(errno));
	*module = NULL;
	while (!*module && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "vendor_id", 9))
			continue;
		if (strstr(line, "GenuineIntel"))
			*module = "kvm_intel";
		else if (strstr(line, "AuthenticAMD") || strstr(line, "HygonGenuine"))
			*module = "kvm_amd";
		else
			break;
	}
	fclose(f);
	return *module ? 0 : fail(err, errlen, -ENOTSUP, "this CPU is neither Intel nor AMD; "
				  "there is no KVM module to load for it");
}

/* modprobe's first line of complaint, for the error message. */
static void read_reason(int fd, char *buf, size_t len)
{
	ssize_t n = read(fd, buf, len - 1);

	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

int broker_load_kvm(const char *root, const char **module, char *err, size_t errlen)
{
	char modprobe[512], reason[256] = "";
	int ret = broker_kvm_module(root, module, err, errlen), status, pipefd[2];
	pid_t pid;

	if (ret)
		return ret;
	if (pipe2(pipefd, O_CLOEXEC))
		return fail(err, errlen, -errno, "pipe: %s", strerror(errno));
	snprintf(modprobe, sizeof(modprobe), "%s/sbin/modprobe", root);
	pid = fork();
	if (pid == 0) {
		char *const argv[] = { modprobe, "--", (char *)*module, NULL };
		char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		dup2(pipefd[1], 2);
		execve(modprobe, argv, envp);
		_exit(127);
	}
	close(pipefd[1]);
	if (pid > 0)
		read_reason(pipefd[0], reason, sizeof(reason));
	close(pipefd[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return fail(err, errlen, -ECHILD, "modprobe could not be run");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return fail(err, errlen, -EIO, "modprobe %s failed%s%s (the module may be "
			    "blacklisted, or virtualization is off in the firmware)", *module,
			    reason[0] ? ": " : "", reason);
	return 0;
}

int broker_create_tap(const char *root, const char *name, const char *bridge, uid_t owner,
		      int *fd, char *err, size_t errlen)
{
	struct ifreq ifr = { 0 };
	char path[512];
	struct stat st;
	int f, s, ret = 0;

	if (!broker_ifname_ok(name) || !broker_ifname_ok(bridge))
		return fail(err, errlen, -EINVAL, "'%s' or '%s' is not a network interface name "
			    "(1-15 letters, digits, '_', '-', '.')", name ? name : "",
			    bridge ? bridge : "");
	snprintf(path, sizeof(path), "%s/sys/class/net/%s/bridge", root, bridge);
	if (stat(path, &st) || !S_ISDIR(st.st_mode))
		return fail(err, errlen, -ENOENT, "there is no bridge '%s' on this computer", bridge);
	f = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (f < 0)
		return fail(err, errlen, -errno, "cannot open /dev/net/tun: %s", strerror(errno));
	/* Documentation/networking/tuntap.rst */
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(f, TUNSETIFF, &ifr) || ioctl(f, TUNSETOWNER, (unsigned long)owner)) {
		ret = fail(err, errlen, -errno, "cannot create tap '%s': %s", name, strerror(errno));
		goto out;
	}
	s = socket(AF_LOCAL, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", bridge);
	ifr.ifr_ifindex = (int)if_nametoindex(name);
	if (s < 0 || ioctl(s, SIOCBRADDIF, &ifr))
		ret = fail(err, errlen, -errno, "cannot attach '%s' to bridge '%s': %s", name,
			   bridge, strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (!ret && (ioctl(s, SIOCGIFFLAGS, &ifr) ||
		     (ifr.ifr_flags |= IFF_UP, ioctl(s, SIOCSIFFLAGS, &ifr))))
		ret = fail(err, errlen, -errno, "cannot bring '%s' up: %s", name, strerror(errno));
	if (s >= 0)
		close(s);
out:
	if (ret)
		close(f);
	else
		*fd = f;
	return ret;
}

int broker_set_fwattr(const char *root, const char *driver, const char *name, const char *value,
		      char *err, size_t errlen)
{
	char path[1024];
	int ret = broker_fwattr_check(root, driver, name, value, err, errlen), f;
	size_t len;

	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/sys/class/firmware-attributes/%s/attributes/%s/"
		 "current_value", root, driver, name);
	f = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
	if (f < 0)
		return fail(err, errlen, -errno, "cannot change %s/%s: %s (a supervisor password "
			    "may be set in the firmware)", driver, name, strerror(errno));
	len = strlen(value);
	if (write(f, value, len) != (ssize_t)len)
		ret = fail(err, errlen, -errno ? -errno : -EIO, "the firmware refused %s=%s: %s",
			   name, value, strerror(errno));
	close(f);
	return ret;
}

/* The same rule `meson install` puts in place (installer/broker/60-vessel-kvm.rules). */
static const char kvm_rule[] =
	"# Written by vessel-broker: the person at the active seat may use /dev/kvm\n"
	"# (systemd's uaccess ACL), so no group membership or new login is needed.\n"
	"SUBSYSTEM==\"misc\", KERNEL==\"kvm\", TAG+=\"uaccess\"\n";

/* Run root/PROG with fixed arguments, no shell; its exit status or -errno. */
static int run_fixed(const char *prog, char *const argv[])
{
	char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		execve(prog, argv, envp);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -ECHILD;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -EINTR;
}

int broker_install_kvm_rule(const char *root, char *err, size_t errlen)
{
	char dir[512], path[600], tmp[620], udevadm[512];
	size_t len = sizeof(kvm_rule) - 1;
	int f, ret;

	static const char *const parts[] = { "etc", "etc/udev", "etc/udev/rules.d" };

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/%s", root, parts[i]);
		if (mkdir(dir, 0755) && errno != EEXIST)
			return fail(err, errlen, -errno, "cannot create %s: %s", dir,
				    strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/60-vessel-kvm.rules", dir);
	snprintf(tmp, sizeof(tmp), "%s/.60-vessel-kvm.rules.tmp", dir);
	f = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (f < 0)
		return fail(err, errlen, -errno, "cannot write %s: %s", tmp, strerror(errno));
	ret = write(f, kvm_rule, len) == (ssize_t)len && !fsync(f) ? 0 : -EIO;
	close(f);
	if (ret || rename(tmp, path)) {
		unlink(tmp);
		return fail(err, errlen, -EIO, "cannot install %s", path);
	}
	/* udevadm(8): re-run the rules for /dev/kvm so the ACL applies without a new login. */
	snprintf(udevadm, sizeof(udevadm), "%s/usr/bin/udevadm", root);
	char *const argv[] = { udevadm, "trigger", "--action=change", "--subsystem-match=misc",
			       "--sysname-match=kvm", NULL };
	ret = run_fixed(udevadm, argv);
	if (ret)
		return fail(err, errlen, -EIO, "the rule is installed, but udev did not apply it "
			    "now (udevadm status %d): it applies at the next login", ret);
	return 0;
}
