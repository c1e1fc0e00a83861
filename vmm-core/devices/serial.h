/* SPDX-License-Identifier: GPL-2.0-or-later */
/* 16550A UART (PC16550D) with 16-byte FIFOs, as COM1 on a PC. */
#ifndef VMM_SERIAL_H
#define VMM_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "device.h"
#include "irq.h"
#include "log.h"
#include "loop.h"
#include "serial-backend.h"

#define SERIAL_COM1_BASE	0x3f8
#define SERIAL_COM1_IRQ		4
#define SERIAL_NPORTS		8
#define SERIAL_FIFO_SIZE	16

struct serial_config {
	struct vmm_irq irq;		/* level: 1 while an enabled interrupt is pending */
	struct vmm_guest_log *glog;	/* borrowed */
	struct vmm_loop *loop;		/* character-timeout timer; NULL: no timeout indication */
	struct serial_backend *backend;	/* NULL: output discarded, no input */
};

struct serial;

/*
 * The UART takes ownership of cfg->backend on success (and attaches itself as its input
 * sink); on failure (NULL) the caller still owns it.
 */
struct serial *serial_new(const struct serial_config *cfg);
/* Closes the backend too. Call with the loop stopped or from the loop thread. */
void serial_free(struct serial *s);

void serial_reset(struct serial *s);	/* power-on register values, FIFOs cleared */
void serial_pause(struct serial *s);	/* no input taken, timer stopped; idempotent */
void serial_resume(struct serial *s);

/*
 * Snapshot state (device.h contract): registers, RX FIFO and pending interrupts, not the
 * backend. Load validates the whole blob before changing anything, then drives the IRQ
 * line to the loaded level and re-arms the character timeout. 0 or -errno.
 */
int serial_save(struct serial *s, void **blob, size_t *len);
int serial_load(struct serial *s, const void *blob, size_t len);

/*
 * Host input (the backend calls these on the loop thread; tests call them directly).
 * serial_can_receive() is how many bytes the RX FIFO can take now: 0 while it is full,
 * in loopback or paused, and the backend then waits for serial_backend_kick().
 * serial_receive() beyond that room sets the overrun error and loses the bytes, as the
 * hardware would.
 */
size_t serial_can_receive(struct serial *s);
void serial_receive(struct serial *s, const uint8_t *buf, size_t len);

/*
 * Port I/O at base..base+7, one byte at a time. Locking: called on vCPU threads; the UART
 * takes its own mutex and calls the backend (which may block) with it released.
 */
extern const struct vmm_io_ops serial_io_ops;

/* COM1 for a struct vm (serial-vm.c): 0x3F8-0x3FF, IRQ 4, backend from vm->cfg. */
extern const struct vmm_device_ops serial_device_ops;

#endif
