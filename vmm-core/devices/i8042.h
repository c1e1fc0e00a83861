/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The i8042 keyboard controller: ports 0x60/0x64, IRQ 1 and 12, reset line, A20. */
#ifndef VMM_I8042_H
#define VMM_I8042_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "device.h"
#include "irq.h"
#include "log.h"
#include "ps2.h"

#define I8042_DATA_PORT		0x60
#define I8042_CMD_PORT		0x64	/* status on read, command on write */
#define I8042_IRQ_KBD		1
#define I8042_IRQ_AUX		12

/* Status register (IBM PS/2 Tech. Ref., "Keyboard/Auxiliary Device Controller"). */
#define I8042_STS_OBF		0x01	/* output buffer full */
#define I8042_STS_IBF		0x02	/* input buffer full (never: writes complete at once) */
#define I8042_STS_SYS		0x04	/* system flag, from command byte bit 2 */
#define I8042_STS_A2		0x08	/* last write was a command (port 0x64) */
#define I8042_STS_INH		0x10	/* 1: keyboard not inhibited (no key lock) */
#define I8042_STS_AUX_OBF	0x20	/* the output buffer byte came from the aux device */
#define I8042_STS_TIMEOUT	0x40
#define I8042_STS_PARITY	0x80

/* Command byte (controller RAM byte 0; read with 0x20, written with 0x60). */
#define I8042_CMD_KBD_INT	0x01	/* IRQ 1 when a keyboard byte is in the buffer */
#define I8042_CMD_AUX_INT	0x02	/* IRQ 12 when an aux byte is in the buffer */
#define I8042_CMD_SYS		0x04
#define I8042_CMD_KBD_DISABLE	0x10
#define I8042_CMD_AUX_DISABLE	0x20
#define I8042_CMD_XLATE		0x40	/* translate set 2 to set 1 */

/* Output port (0xd0/0xd1). */
#define I8042_OUT_RESET		0x01	/* 0 holds the CPU in reset */
#define I8042_OUT_A20		0x02

struct i8042_config {
	struct vmm_irq irq_kbd;		/* IRQ 1 */
	struct vmm_irq irq_aux;		/* IRQ 12 */
	/* The guest pulsed the reset line. Called on the writing vCPU, no device lock held. */
	void (*reset)(void *opaque);
	void *reset_opaque;
	struct vmm_guest_log *log;	/* borrowed; may be NULL */
};

/*
 * Locking: one mutex per controller guards it and both PS/2 devices. vCPU threads enter
 * through i8042_io_ops; host input (SPICE, on the main thread) enters through
 * ps2_kbd_key/ps2_mouse_move on the devices from i8042_kbd/i8042_mouse. IRQ lines are set
 * with the mutex held (they only issue an ioctl); the reset and LED callbacks run after
 * it is dropped.
 */
struct i8042;

struct i8042 *i8042_new(const struct i8042_config *cfg);
/* Unregisters the ports if i8042_register succeeded. */
void i8042_free(struct i8042 *s);
/* Power-on state for the controller, keyboard and mouse (IRQ lines go low). */
void i8042_reset(struct i8042 *s);

/*
 * Ports 0x60 and 0x61-0x63 belong to different devices (0x61 is the PC speaker/PIT gate),
 * so the controller claims two 1-byte ranges with the same ops: i8042_io_opaque() gives
 * the opaque for I8042_DATA_PORT or I8042_CMD_PORT (NULL for any other port).
 * i8042_register does exactly that on a bus; 0 or -errno.
 */
extern const struct vmm_io_ops i8042_io_ops;
void *i8042_io_opaque(struct i8042 *s, uint16_t port);
int i8042_register(struct i8042 *s, struct vmm_bus *bus);

struct ps2_kbd *i8042_kbd(struct i8042 *s);
struct ps2_mouse *i8042_mouse(struct i8042 *s);
/*
 * The A20 line as the guest last set it (output port bit 1). It is recorded, not
 * enforced: KVM has no A20 gate, so memory above 1 MiB never wraps.
 */
bool i8042_a20(struct i8042 *s);

/*
 * Snapshot state (device.h contract): controller, keyboard and mouse with their queues.
 * Load validates everything before changing anything, then drives IRQ 1 and 12 to the
 * loaded levels. 0 or -errno.
 */
int i8042_save(struct i8042 *s, void **blob, size_t *len);
int i8042_load(struct i8042 *s, const void *blob, size_t len);

/* VM wiring: ports on vm->pio, IRQ 1 and 12, reset → VM_REQ_RESET; sets vm->i8042. */
extern const struct vmm_device_ops i8042_device_ops;

#endif
