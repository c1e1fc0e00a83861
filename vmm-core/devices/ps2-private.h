/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PS/2 internals shared by ps2-port.c, ps2-scancodes.c, ps2-kbd.c and ps2-mouse.c. */
#ifndef VMM_PS2_PRIVATE_H
#define VMM_PS2_PRIVATE_H

#include "ps2.h"

/*
 * References: IBM PS/2 Hardware Interface Technical Reference (keyboard and mouse chapters);
 * A. Brouwer, "Keyboard scancodes" §9 (set tables); Microsoft IntelliMouse notes (IDs 3, 4).
 */

#define PS2_QUEUE_SIZE	16

#define PS2_ACK		0xfa
#define PS2_RESEND	0xfe
#define PS2_BAT_OK	0xaa
#define PS2_ECHO	0xee

/* A ring of bytes; `end` marks the last byte of a scancode sequence or packet. */
struct ps2_queue {
	uint8_t data[PS2_QUEUE_SIZE];
	bool end[PS2_QUEUE_SIZE];
	unsigned head, count;
};

/* What both devices share: the lock, the controller hook and the two output queues. */
struct ps2_port {
	pthread_mutex_t own_lock;
	pthread_mutex_t *lock;
	void (*notify)(void *opaque);
	void *opaque;
	struct ps2_queue reply;		/* answer to the last command */
	struct ps2_queue out;		/* scancodes or packets */
	bool mid_seq;			/* the controller has part of a sequence from `out` */
	uint8_t last;			/* last byte sent, for Resend */
};

/* ps2-port.c. The caller holds the port's lock. */
unsigned ps2_q_room(const struct ps2_queue *q);
bool ps2_q_push(struct ps2_queue *q, const uint8_t *bytes, unsigned n);
void ps2_q_clear(struct ps2_queue *q);
void ps2_port_init(struct ps2_port *p, const struct ps2_port_config *cfg);
void ps2_port_clear(struct ps2_port *p);
void ps2_port_flush(struct ps2_port *p);
void ps2_port_reply1(struct ps2_port *p, uint8_t byte);
bool ps2_port_pop(struct ps2_port *p, uint8_t *byte);
void ps2_port_notify(struct ps2_port *p);
void ps2_port_save(const struct ps2_port *p, struct ps2_port_state *st);
bool ps2_port_state_check(const char *dev, const struct ps2_port_state *st);
void ps2_port_restore(struct ps2_port *p, const struct ps2_port_state *st);

/* ps2-scancodes.c: a set-1 code to set 2 or 3 (0: none), and set 3's default breaks. */
uint8_t ps2_set1_to_set2(uint8_t code);
uint8_t ps2_set1_to_set3(uint32_t key);
bool ps2_set3_default_break(uint8_t code);

#endif
