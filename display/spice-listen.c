// SPDX-License-Identifier: GPL-2.0-or-later
/* --spice LISTEN values: parsing, and whether other hosts could connect. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "spice-vm.h"

int spice_parse_listen(const char *s, struct spice_listen *out)
{
	const char *hp, *colon;
	char *end;
	size_t hlen;
	long port;

	memset(out, 0, sizeof(*out));
	if (!strncmp(s, "unix:", 5)) {
		if (!s[5] || strlen(s + 5) >= sizeof(out->path))
			return -EINVAL;
		out->unix_socket = true;
		strcpy(out->path, s + 5);
		return 0;
	}
	if (strncmp(s, "tcp:", 4))
		return -EINVAL;
	hp = s + 4;
	colon = strrchr(hp, ':');
	if (!colon) {
		colon = hp - 1;			/* "tcp:PORT" */
		hlen = 0;
	} else {
		hlen = (size_t)(colon - hp);
	}
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port < 1 || port > 65535)
		return -EINVAL;
	out->port = (int)port;
	if (hlen >= 2 && hp[0] == '[' && hp[hlen - 1] == ']') {
		hp++;
		hlen -= 2;
		if (!hlen)
			return -EINVAL;
	}
	if (hlen >= sizeof(out->host))
		return -EINVAL;
	if (!hlen) {
		strcpy(out->host, "127.0.0.1");
		return 0;
	}
	memcpy(out->host, hp, hlen);
	out->host[hlen] = '\0';
	return 0;
}

bool spice_listen_is_local(const struct spice_listen *l)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (l->unix_socket || !strcmp(l->host, "localhost"))
		return true;
	if (inet_pton(AF_INET, l->host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, l->host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;			/* a host name: it could resolve anywhere */
}
