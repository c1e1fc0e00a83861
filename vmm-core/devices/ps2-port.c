// SPDX-License-Identifier: GPL-2.0-or-later
/* PS/2 byte queues and the port plumbing the keyboard and the mouse share. */
#include "ps2-private.h"

#include "log.h"

_Static_assert(PS2_STATE_QUEUE == PS2_QUEUE_SIZE, "saved queues hold the live ones");
_Static_assert(sizeof(struct ps2_port_state) == 40 && sizeof(struct ps2_kbd_state) == 48 &&
	       sizeof(struct ps2_mouse_state) == 68, "no padding in the saved state");

/* ---- Queues ---- */

unsigned ps2_q_room(const struct ps2_queue *q)
{
	return PS2_QUEUE_SIZE - q->count;
}

/* All or nothing: a sequence is never split by a full queue. */
bool ps2_q_push(struct ps2_queue *q, const uint8_t *bytes, unsigned n)
{
	unsigned i, at;

	if (!n || n > ps2_q_room(q))
		return false;
	for (i = 0; i < n; i++) {
		at = (q->head + q->count) % PS2_QUEUE_SIZE;
		q->data[at] = bytes[i];
		q->end[at] = i == n - 1;
		q->count++;
	}
	return true;
}

static bool q_pop(struct ps2_queue *q, uint8_t *byte, bool *end)
{
	if (!q->count)
		return false;
	*byte = q->data[q->head];
	*end = q->end[q->head];
	q->head = (q->head + 1) % PS2_QUEUE_SIZE;
	q->count--;
	return true;
}

void ps2_q_clear(struct ps2_queue *q)
{
	q->head = 0;
	q->count = 0;
}

/* ---- Port plumbing ---- */

void ps2_port_init(struct ps2_port *p, const struct ps2_port_config *cfg)
{
	pthread_mutex_init(&p->own_lock, NULL);
	p->lock = cfg && cfg->lock ? cfg->lock : &p->own_lock;
	p->notify = cfg ? cfg->notify : NULL;
	p->opaque = cfg ? cfg->opaque : NULL;
}

void ps2_port_clear(struct ps2_port *p)
{
	ps2_q_clear(&p->reply);
	ps2_q_clear(&p->out);
	p->mid_seq = false;
	p->last = 0;
}

/*
 * Drop queued output the controller has not started on. The tail of a sequence it has
 * begun stays, so the guest never sees half a scancode or packet before an ACK.
 */
void ps2_port_flush(struct ps2_port *p)
{
	struct ps2_queue *q = &p->out;
	unsigned n = 0;

	if (p->mid_seq) {
		while (n < q->count && !q->end[(q->head + n) % PS2_QUEUE_SIZE])
			n++;
		if (n < q->count)
			n++;
	}
	q->count = n;
}

void ps2_port_reply1(struct ps2_port *p, uint8_t byte)
{
	ps2_q_push(&p->reply, &byte, 1);
}

/* Replies go first, but only between sequences. */
bool ps2_port_pop(struct ps2_port *p, uint8_t *byte)
{
	bool end;

	if (!p->out.count)
		p->mid_seq = false;
	if (!p->mid_seq && q_pop(&p->reply, byte, &end))
		goto sent;
	if (!q_pop(&p->out, byte, &end))
		return false;
	p->mid_seq = !end;
sent:
	p->last = *byte;
	return true;
}

void ps2_port_notify(struct ps2_port *p)
{
	if (p->notify)
		p->notify(p->opaque);
}

/* ---- Snapshot state ---- */

static void q_save(const struct ps2_queue *q, uint8_t *data, uint16_t *end, uint8_t *count)
{
	*end = 0;
	for (unsigned i = 0; i < q->count; i++) {
		unsigned at = (q->head + i) % PS2_QUEUE_SIZE;

		data[i] = q->data[at];
		if (q->end[at])
			*end |= (uint16_t)(1u << i);
	}
	*count = (uint8_t)q->count;
}

static void q_restore(struct ps2_queue *q, const uint8_t *data, uint16_t end, uint8_t count)
{
	q->head = 0;
	q->count = count;
	for (unsigned i = 0; i < PS2_QUEUE_SIZE; i++) {
		q->data[i] = i < count ? data[i] : 0;
		q->end[i] = i < count && (end & (1u << i));
	}
}

void ps2_port_save(const struct ps2_port *p, struct ps2_port_state *st)
{
	q_save(&p->reply, st->reply, &st->reply_end, &st->reply_count);
	q_save(&p->out, st->out, &st->out_end, &st->out_count);
	st->mid_seq = p->mid_seq;
	st->last = p->last;
}

/* End bits past a queue's count would be bytes that do not exist. */
static bool q_state_ok(uint16_t end, uint8_t count)
{
	return count <= PS2_QUEUE_SIZE && (count == PS2_QUEUE_SIZE || !(end >> count));
}

bool ps2_port_state_check(const char *dev, const struct ps2_port_state *st)
{
	if (!q_state_ok(st->reply_end, st->reply_count)) {
		vmm_warn("snapshot: i8042: %s reply queue count or end marks out of range", dev);
		return false;
	}
	if (!q_state_ok(st->out_end, st->out_count)) {
		vmm_warn("snapshot: i8042: %s output queue count or end marks out of range", dev);
		return false;
	}
	if (st->mid_seq > 1) {
		vmm_warn("snapshot: i8042: %s mid_seq is not a boolean", dev);
		return false;
	}
	return true;
}

void ps2_port_restore(struct ps2_port *p, const struct ps2_port_state *st)
{
	q_restore(&p->reply, st->reply, st->reply_end, st->reply_count);
	q_restore(&p->out, st->out, st->out_end, st->out_count);
	p->mid_seq = st->mid_seq;
	p->last = st->last;
}
