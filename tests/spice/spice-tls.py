#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A SPICE TLS client (spice-gtk's GLib client through GObject introspection).

  spice-tls.py TLS-PORT CA-FILE PASSWORD   connect to 127.0.0.1's tls-port, trusting only
                                           CA-FILE, and wait for the display channel
Exit 0 when the display channel opened over TLS, 1 on an error or after 30 s, 77 without
the GObject bindings (python3-gi, gir1.2-spiceclientglib-2.0). spicy-screenshot has no
option to name a CA, hence this client.
"""

import sys

try:
    import gi
    gi.require_version('SpiceClientGLib', '2.0')
    from gi.repository import GLib, GObject, SpiceClientGLib as Spice
except (ImportError, ValueError) as e:
    print('no SPICE GObject bindings: %s' % e)
    sys.exit(77)


class Client:
    def __init__(self, port, ca, password):
        self.loop = GLib.MainLoop()
        self.status = 1
        self.session = Spice.Session()
        self.session.set_property('host', '127.0.0.1')
        self.session.set_property('tls-port', str(port))
        self.session.set_property('ca-file', ca)
        self.session.set_property('password', password)
        GObject.Object.connect(self.session, 'channel-new', self.channel_new)

    def channel_new(self, session, channel):
        GObject.Object.connect(channel, 'channel-event', self.event)
        if isinstance(channel, Spice.DisplayChannel):
            Spice.Channel.connect(channel)

    def event(self, channel, event):
        name = type(channel).__name__
        if event == Spice.ChannelEvent.OPENED:
            print('%s open over TLS' % name, flush=True)
            if isinstance(channel, Spice.DisplayChannel):
                self.status = 0
                self.loop.quit()
        elif event != Spice.ChannelEvent.CLOSED:
            print('%s event %s' % (name, event), flush=True)
            self.loop.quit()

    def run(self):
        if not Spice.Session.connect(self.session):
            print('cannot connect')
            return 1
        GLib.timeout_add_seconds(30, self.loop.quit)
        self.loop.run()
        self.session.disconnect()
        return self.status


if __name__ == '__main__':
    sys.exit(Client(int(sys.argv[1]), sys.argv[2], sys.argv[3]).run())
