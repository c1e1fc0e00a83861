// SPDX-License-Identifier: GPL-2.0-or-later
/* ACPI: the DSDT's PCI0 _CRS window is patched to start at the end of RAM below 4 GiB. */
#include <stdbool.h>
#include <string.h>

#include "acpi.h"
#include "tap.h"

/* The DSDT's 32-bit PCI window starts where RAM below 4 GiB ends (firmware puts BARs there). */
static void check_pci_window(void)
{
	static const uint8_t want[8] = { 0x00, 0x00, 0x00, 0x10, 0xff, 0xff, 0xbf, 0xfe };
	static const uint8_t old[8] = { 0x00, 0x00, 0x00, 0xe0, 0xff, 0xff, 0xbf, 0xfe };
	struct acpi_config c;
	struct acpi_blobs b;
	bool found = false, stale = false;
	uint32_t len = 0;

	acpi_config_default(&c, 2);
	c.pci_window_start = 0x10000000;
	if (acpi_build(&c, &b)) {
		ok(0, "build with a 256 MiB PCI window start");
		return;
	}
	for (size_t i = 10; i + 8 + 16 <= b.tables_len; i++) {
		if (b.tables[i - 10] != 0x87)
			continue;
		if (!memcmp(b.tables + i, want, 8)) {
			found = true;
			memcpy(&len, b.tables + i + 12, 4);
		}
		stale |= !memcmp(b.tables + i, old, 8);
	}
	ok(found, "PCI0 _CRS window starts at 256 MiB");
	is_int(len, 0xfec00000u - 0x10000000u, "and runs to the IOAPIC");
	ok(!stale, "no descriptor keeps the default 0xE0000000 start");
	acpi_blobs_free(&b);
}

int main(void)
{
	check_pci_window();
	return tap_done();
}
