#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The SPICE benchmark's client: spice-gtk's GLib client through GObject introspection.

  spice-bench-client.py PORT SECONDS
Connects to 127.0.0.1:PORT, prints "open" when the display channel is up, then one line
per display update the client has decoded into its surface:
  inv MONOTONIC X Y W H DISPLAY_BYTES
(MONOTONIC: CLOCK_MONOTONIC seconds, comparable with the driver's; DISPLAY_BYTES: the
display channel's total-read-bytes so far). Quits after SECONDS or when stdin closes.
Exit 77 without the bindings (python3-gi, gir1.2-spiceclientglib-2.0).
"""

import sys
import time


def main(port, seconds):
    from gi.repository import GLib, GObject, SpiceClientGLib as Spice
    loop = GLib.MainLoop()
    session = Spice.Session()
    session.set_property('host', '127.0.0.1')
    session.set_property('port', str(port))

    def invalidate(channel, x, y, w, h):
        print('inv %.6f %d %d %d %d %d' % (time.monotonic(), x, y, w, h,
                                           channel.get_property('total-read-bytes')),
              flush=True)

    def display_event(channel, event):
        if event == Spice.ChannelEvent.OPENED:
            print('open', flush=True)
        elif event != Spice.ChannelEvent.CLOSED:
            print('display channel event %s' % event.value_nick, flush=True)
            loop.quit()

    def channel_new(sess, channel):
        if isinstance(channel, Spice.DisplayChannel):
            GObject.Object.connect(channel, 'channel-event', display_event)
            GObject.Object.connect(channel, 'display-invalidate', invalidate)
            Spice.Channel.connect(channel)

    GObject.Object.connect(session, 'channel-new', channel_new)
    if not Spice.Session.connect(session):
        print('cannot connect', flush=True)
        return 1
    GLib.timeout_add_seconds(int(seconds), loop.quit)
    GLib.io_add_watch(0, GLib.PRIORITY_DEFAULT, GLib.IO_HUP | GLib.IO_IN, lambda *a: loop.quit())
    loop.run()
    session.disconnect()
    return 0


if __name__ == '__main__':
    try:
        import gi
        gi.require_version('SpiceClientGLib', '2.0')
    except (ImportError, ValueError) as e:
        print('no SPICE GObject bindings: %s' % e)
        sys.exit(77)
    sys.exit(main(int(sys.argv[1]), float(sys.argv[2])))
