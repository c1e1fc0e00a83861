#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A SPICE client (spice-gtk's GLib client through GObject introspection) in client mouse mode.

  spice-tablet.py PORT client   wait up to 60 s for the main channel to report client mouse
                                mode (spice-gtk asks for it as soon as the server offers it),
                                then play STEPS 300 ms apart, print each as "sent ...", exit 0
  spice-tablet.py PORT server   watch the mouse mode for SERVER_WATCH_S seconds after the
                                inputs channel opens; exit 0 if it stayed server mode
Exit 1 when the mode is not the one wanted, 2 when the inputs channel never opened, 77
without the GObject bindings (python3-gi, gir1.2-spiceclientglib-2.0).
run-spice-tablet.py imports STEPS to know what the guest must have seen.
"""

import sys
import time

# spice-protocol enums.h (not in the GIR): buttons, button-state masks, mouse modes.
LEFT, MIDDLE, RIGHT, UP, DOWN = 1, 2, 3, 4, 5
MASK = {LEFT: 1, MIDDLE: 2, RIGHT: 4, UP: 0, DOWN: 0}
MODE_SERVER, MODE_CLIENT = 1, 2
SERVER_WATCH_S = 8

# (kind, a, b): 'pos' x y (surface pixels, no button held), 'press'/'release' button,
# 'drag' x y with the left button held. The screen is run-spice-tablet.py's W x H (800x600).
STEPS = [
    ('pos', 0, 0), ('pos', 799, 599), ('pos', 123, 456),
    ('pos', 5000, -20),                 # a client may send anything: clamped to (799, 0)
    ('pos', -2**31, 2**31 - 1),         # the wire's extremes: (0, 599)
    ('pos', 100, 50),
    ('press', LEFT, 0), ('release', LEFT, 0),
    ('press', MIDDLE, 0), ('release', MIDDLE, 0),
    ('press', RIGHT, 0), ('release', RIGHT, 0),
    ('press', DOWN, 0), ('release', DOWN, 0),           # wheel: one step toward the user
    ('press', UP, 0), ('release', UP, 0),
    ('press', LEFT, 0), ('drag', 300, 200), ('release', LEFT, 0),
]


class Pointer:
    def __init__(self, port, want):
        from gi.repository import GLib, GObject, SpiceClientGLib as Spice
        self.GLib, self.GObject, self.Spice = GLib, GObject, Spice
        self.loop = GLib.MainLoop()
        self.want = want
        self.inputs = self.main = None
        self.status = 2
        self.step = 0
        self.opened = None
        self.session = Spice.Session()
        self.session.set_property('host', '127.0.0.1')
        self.session.set_property('port', str(port))
        GObject.Object.connect(self.session, 'channel-new', self.channel_new)

    def channel_new(self, session, channel):
        if isinstance(channel, self.Spice.MainChannel):
            self.main = channel
        if isinstance(channel, self.Spice.InputsChannel):
            self.inputs = channel
            self.GObject.Object.connect(channel, 'channel-event', self.inputs_event)
            self.Spice.Channel.connect(channel)

    def mode(self):
        return self.main.get_property('mouse-mode') if self.main else None

    def inputs_event(self, channel, event):
        if event == self.Spice.ChannelEvent.OPENED:
            self.opened = time.monotonic()
            print('inputs channel open; mouse mode %s' % self.mode(), flush=True)
            self.GLib.timeout_add(100, self.watch)
        elif event != self.Spice.ChannelEvent.CLOSED:
            print('inputs channel event %s' % event, flush=True)
            self.loop.quit()

    def watch(self):
        waited = time.monotonic() - self.opened
        mode = self.mode()
        if self.want == 'client' and mode == MODE_CLIENT:
            print('mouse mode client %.1f s after the inputs channel opened' % waited,
                  flush=True)
            self.GLib.timeout_add(300, self.play)
            return False
        if self.want == 'server' and mode != MODE_SERVER:
            print('mouse mode became %s after %.1f s' % (mode, waited), flush=True)
            return self.finish(1)
        if waited > (60 if self.want == 'client' else SERVER_WATCH_S):
            print('mouse mode %s after %.1f s' % (mode, waited), flush=True)
            return self.finish(1 if self.want == 'client' else 0)
        return True

    def finish(self, status):
        self.status = status
        self.GLib.timeout_add(500, self.loop.quit)     # let the last message leave
        return False

    def play(self):
        kind, a, b = STEPS[self.step]
        if kind == 'pos':
            self.inputs.position(a, b, 0, 0)
        elif kind == 'drag':
            self.inputs.position(a, b, 0, MASK[LEFT])
        elif kind == 'press':
            self.inputs.button_press(a, MASK[a])
        else:
            self.inputs.button_release(a, 0)
        print('sent %s %d %d' % (kind, a, b), flush=True)
        self.step += 1
        if self.step < len(STEPS):
            return True
        if self.mode() != MODE_CLIENT:
            print('the mouse mode left client mode while playing', flush=True)
            return self.finish(1)
        return self.finish(0)

    def run(self):
        if not self.Spice.Session.connect(self.session):
            print('cannot connect')
            return 2
        self.GLib.timeout_add_seconds(90, self.loop.quit)
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
    if len(sys.argv) != 3 or sys.argv[2] not in ('client', 'server'):
        print(__doc__)
        sys.exit(2)
    sys.exit(Pointer(int(sys.argv[1]), sys.argv[2]).run())
