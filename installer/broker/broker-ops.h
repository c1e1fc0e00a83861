/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vessel-broker's privileged operations: each opens or reads one thing, after validation. */
#ifndef VESSEL_BROKER_OPS_H
#define VESSEL_BROKER_OPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * root is "" on a real system; tests pass a fixture tree (then /dev, /sys, /proc and
 * /sbin/modprobe are taken under it). Each returns 0 or -errno with a sentence in err;
 * -EINVAL means the argument itself was refused.
 */
int broker_open_usb(const char *root, const char *path, int *fd, char *err, size_t errlen);
int broker_read_msr(const char *root, unsigned cpu, uint32_t msr, uint64_t *value, char *err,
		    size_t errlen);
int broker_kvm_module(const char *root, const char **module, char *err, size_t errlen);
int broker_load_kvm(const char *root, const char **module, char *err, size_t errlen);
int broker_create_tap(const char *root, const char *name, const char *bridge, uid_t owner,
		      int *fd, char *err, size_t errlen);
/* Write root/etc/udev/rules.d/60-vessel-kvm.rules (atomically) and run udevadm trigger for kvm. */
int broker_install_kvm_rule(const char *root, char *err, size_t errlen);
int broker_set_fwattr(const char *root, const char *driver, const char *name, const char *value,
		      char *err, size_t errlen);

#endif
