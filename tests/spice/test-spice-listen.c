// SPDX-License-Identifier: GPL-2.0-or-later
/* --spice LISTEN parsing and the loopback rule that decides whether a password is required. */
#include <string.h>

#include "spice-vm.h"
#include "tap.h"

static void test_tcp(void)
{
	struct spice_listen l;

	is_int(spice_parse_listen("tcp:127.0.0.1:5900", &l), 0, "tcp:127.0.0.1:5900 parses");
	ok(!l.unix_socket && !strcmp(l.host, "127.0.0.1") && l.port == 5900, "host and port");
	is_int(spice_parse_listen("tcp::5901", &l), 0, "tcp::PORT parses");
	ok(!strcmp(l.host, "127.0.0.1") && l.port == 5901, "no address means 127.0.0.1");
	is_int(spice_parse_listen("tcp:5902", &l), 0, "tcp:PORT parses");
	ok(!strcmp(l.host, "127.0.0.1") && l.port == 5902, "tcp:PORT is loopback too");
	is_int(spice_parse_listen("tcp:[::1]:5903", &l), 0, "bracketed IPv6 parses");
	ok(!strcmp(l.host, "::1") && l.port == 5903, "brackets are stripped");
	is_int(spice_parse_listen("tcp:0.0.0.0:65535", &l), 0, "port 65535 is allowed");
	ok(l.port == 65535, "port 65535 kept");
}

static void test_bad(void)
{
	static const char *const bad[] = {
		"", "5900", "tcp:", "tcp:127.0.0.1:", "tcp:127.0.0.1:0", "tcp:1.2.3.4:65536",
		"tcp:1.2.3.4:59x", "tcp:[::1]", "tcp:1.2.3.4:-1", "unix:", "udp:1.2.3.4:5900",
		"tcp:[]:5900",
	};
	struct spice_listen l;
	char longpath[200];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(spice_parse_listen(bad[i], &l), -22, "'%s' is refused", bad[i]);
	memset(longpath, 'a', sizeof(longpath));
	memcpy(longpath, "unix:", 5);
	longpath[sizeof(longpath) - 1] = '\0';
	is_int(spice_parse_listen(longpath, &l), -22, "a unix path over 107 bytes is refused");
}

static void test_local(void)
{
	static const struct { const char *s; bool local; } cases[] = {
		{ "tcp:127.0.0.1:1", true }, { "tcp:127.255.0.9:1", true }, { "tcp:[::1]:1", true },
		{ "tcp:localhost:1", true }, { "unix:/run/x.sock", true }, { "tcp:1", true },
		{ "tcp:0.0.0.0:1", false }, { "tcp:[::]:1", false }, { "tcp:192.168.1.2:1", false },
		{ "tcp:128.0.0.1:1", false }, { "tcp:example.org:1", false },
		{ "tcp:[::ffff:127.0.0.1]:1", false },
	};
	struct spice_listen l;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (spice_parse_listen(cases[i].s, &l)) {
			ok(false, "'%s' parses", cases[i].s);
			continue;
		}
		ok(spice_listen_is_local(&l) == cases[i].local, "'%s' is %s", cases[i].s,
		   cases[i].local ? "local" : "reachable from other hosts");
	}
}

int main(void)
{
	test_tcp();
	test_bad();
	test_local();
	return tap_done();
}
