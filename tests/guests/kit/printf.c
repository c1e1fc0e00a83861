// SPDX-License-Identifier: GPL-2.0-or-later
// A small vsnprintf: %d %i %u %x %X %s %c %p %%, '-', '0', width, l and ll lengths.
#include "kit.h"

struct out {
	char *buf;
	size_t size;
	size_t len;		/* characters produced, even past size */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

struct spec {
	bool left;
	bool zero;
	unsigned width;
	unsigned longs;		/* 0, 1 (l) or 2 (ll) */
};

static void put_padded(struct out *o, const struct spec *sp, const char *s, size_t n,
		       bool negative)
{
	size_t total = n + (negative ? 1 : 0);
	size_t pad = sp->width > total ? sp->width - total : 0;

	if (!sp->left && !sp->zero)
		for (; pad; pad--)
			put(o, ' ');
	if (negative)
		put(o, '-');
	if (!sp->left && sp->zero)
		for (; pad; pad--)
			put(o, '0');
	for (size_t i = 0; i < n; i++)
		put(o, s[i]);
	for (; pad; pad--)
		put(o, ' ');
}

static void put_number(struct out *o, const struct spec *sp, uint64_t v, unsigned base,
		       bool upper, bool negative)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	size_t n = 0;

	do {
		tmp[sizeof(tmp) - 1 - n++] = digits[v % base];
		v /= base;
	} while (v);
	put_padded(o, sp, tmp + sizeof(tmp) - n, n, negative);
}

static uint64_t arg_unsigned(va_list *ap, unsigned longs)
{
	if (longs >= 2)
		return va_arg(*ap, unsigned long long);
	if (longs == 1)
		return va_arg(*ap, unsigned long);
	return va_arg(*ap, unsigned int);
}

static int64_t arg_signed(va_list *ap, unsigned longs)
{
	if (longs >= 2)
		return va_arg(*ap, long long);
	if (longs == 1)
		return va_arg(*ap, long);
	return va_arg(*ap, int);
}

static const char *parse_spec(const char *f, struct spec *sp)
{
	*sp = (struct spec){ 0 };
	for (;; f++) {
		if (*f == '-')
			sp->left = true;
		else if (*f == '0')
			sp->zero = true;
		else
			break;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + (unsigned)(*f++ - '0');
	while (*f == 'l' && sp->longs < 2) {
		sp->longs++;
		f++;
	}
	return f;
}

static void convert(struct out *o, const struct spec *sp, char c, va_list *ap)
{
	switch (c) {
	case 'd':
	case 'i': {
		int64_t v = arg_signed(ap, sp->longs);

		put_number(o, sp, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, 10, false, v < 0);
		break;
	}
	case 'u':
		put_number(o, sp, arg_unsigned(ap, sp->longs), 10, false, false);
		break;
	case 'x':
	case 'X':
		put_number(o, sp, arg_unsigned(ap, sp->longs), 16, c == 'X', false);
		break;
	case 'p':
		put(o, '0');
		put(o, 'x');
		put_number(o, sp, (uintptr_t)va_arg(*ap, void *), 16, false, false);
		break;
	case 's': {
		const char *s = va_arg(*ap, const char *);

		if (!s)
			s = "(null)";
		put_padded(o, sp, s, strlen(s), false);
		break;
	}
	case 'c': {
		char ch = (char)va_arg(*ap, int);

		put_padded(o, sp, &ch, 1, false);
		break;
	}
	default:		/* '%' and anything unknown print as themselves */
		put(o, c);
		break;
	}
}

int kit_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	va_list aq;

	va_copy(aq, ap);
	while (*fmt) {
		struct spec sp;

		if (*fmt != '%') {
			put(&o, *fmt++);
			continue;
		}
		fmt = parse_spec(fmt + 1, &sp);
		if (!*fmt)
			break;
		convert(&o, &sp, *fmt++, &aq);
	}
	va_end(aq);
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return (int)o.len;
}

int kit_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kit_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
