/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vessel-broker's argument rules: every method's input is checked here before polkit is asked. */
#ifndef VESSEL_BROKER_VALIDATE_H
#define VESSEL_BROKER_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* /dev/bus/usb/BBB/DDD, three digits each, 001-255 (the kernel's usbfs naming). */
bool broker_usb_path_ok(const char *path);
/*
 * A network interface name the kernel accepts (net/core/dev.c dev_valid_name): 1-15 bytes,
 * not "." or "..", no '/', ':' or whitespace; we also allow only [A-Za-z0-9_.-] so a name
 * can never be mistaken for something else in a log or a path.
 */
bool broker_ifname_ok(const char *name);
/* MSRs the host check may read: IA32_FEATURE_CONTROL, the VMX capability MSRs, AMD VM_CR. */
bool broker_msr_allowed(uint32_t msr);
/*
 * A firmware attribute write: name on the host check's allow-list, driver a plain directory
 * name, value one of the attribute's possible_values under root (";"-separated, as the
 * firmware-attributes ABI documents). 0, or -EINVAL/-ENOENT with a sentence in err.
 */
int broker_fwattr_check(const char *root, const char *driver, const char *name,
			const char *value, char *err, size_t errlen);

#endif
