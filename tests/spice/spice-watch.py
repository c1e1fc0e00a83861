#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A SPICE client (spice-gtk's GLib client through GObject introspection) that watches.

  spice-watch.py PORT SECONDS   connect, wait for the display channel, stay SECONDS
Prints "display open" once the display channel is up, then "dropped by the server: EVENT"
if the server closes the main channel before SECONDS are over. Exit 0 when it watched to
the end, 3 when it was dropped after the display opened, 2 when the display never opened,
77 without the GObject bindings (python3-gi, gir1.2-spiceclientglib-2.0).
"""

import sys


class Watcher:
    def __init__(self, port, seconds):
        from gi.repository import GLib, GObject, SpiceClientGLib as Spice
        self.GLib, self.GObject, self.Spice = GLib, GObject, Spice
        self.loop = GLib.MainLoop()
        self.seconds = seconds
        self.status = 2
        self.session = Spice.Session()
        self.session.set_property('host', '127.0.0.1')
        self.session.set_property('port', str(port))
        GObject.Object.connect(self.session, 'channel-new', self.channel_new)

    def channel_new(self, session, channel):
        if isinstance(channel, self.Spice.MainChannel):
            self.GObject.Object.connect(channel, 'channel-event', self.main_event)
        elif isinstance(channel, self.Spice.DisplayChannel):
            self.GObject.Object.connect(channel, 'channel-event', self.display_event)
            self.Spice.Channel.connect(channel)

    def display_event(self, channel, event):
        if event == self.Spice.ChannelEvent.OPENED and self.status == 2:
            print('display open', flush=True)
            self.status = 0
            self.GLib.timeout_add(int(self.seconds * 1000), self.loop.quit)

    def main_event(self, channel, event):
        if event == self.Spice.ChannelEvent.OPENED:
            print('main channel open', flush=True)
            return
        print('dropped by the server: %s' % event.value_nick, flush=True)
        if self.status == 0:
            self.status = 3
        self.loop.quit()

    def run(self):
        if not self.Spice.Session.connect(self.session):
            print('cannot connect')
            return 2
        self.GLib.timeout_add_seconds(int(self.seconds) + 60, self.loop.quit)
        self.loop.run()
        self.session.disconnect()
        return self.status


if __name__ == '__main__':
    try:
        import gi
        gi.require_version('SpiceClientGLib', '2.0')
    except (ImportError, ValueError) as e:
        print('no SPICE GObject bindings: %s' % e)
        sys.exit(77)
    sys.exit(Watcher(int(sys.argv[1]), float(sys.argv[2])).run())
