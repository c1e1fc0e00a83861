#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A SPICE client (spice-gtk's GLib client through GObject introspection) that moves, clicks
and types.

  spice-mouse.py PORT   once the inputs channel is open and the main channel reports server
                        mouse mode, play STEPS with 400 ms between steps, print each step
                        as "sent ..." and exit 0
Exit 1 when the server is not in server mouse mode, 2 when the inputs channel never
opened, 77 without the GObject bindings (python3-gi, gir1.2-spiceclientglib-2.0).
run-spice.py imports STEPS to know what the guest must have seen.
"""

import sys

# spice-protocol enums.h (not in the GIR): buttons and button-state masks, mouse modes.
LEFT, MIDDLE, RIGHT = 1, 2, 3
MASK = {LEFT: 1, MIDDLE: 2, RIGHT: 4}
MODE_SERVER = 1

# (kind, a, b): motion dx dy (screen orientation, dy down), press/release of a button.
STEPS = [
    ('motion', 10, 0), ('motion', 10, 0), ('motion', 10, 7),
    ('press', LEFT, 0), ('release', LEFT, 0),
    ('press', MIDDLE, 0), ('release', MIDDLE, 0),
    ('press', RIGHT, 0), ('release', RIGHT, 0),
    ('motion', -5, -4),
    # Keys by SPICE's scancode (PC set 1; 0x100 | code for the 0xe0 keys): A, Right Ctrl.
    ('key', 0x1e, 0), ('key', 0x11d, 0),
]


class Mover:
    def __init__(self, port):
        from gi.repository import GLib, GObject, SpiceClientGLib as Spice
        self.GLib, self.GObject, self.Spice = GLib, GObject, Spice
        self.loop = GLib.MainLoop()
        self.inputs = self.main = None
        self.status = 2
        self.step = 0
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

    def inputs_event(self, channel, event):
        if event == self.Spice.ChannelEvent.OPENED:
            mode = self.main.get_property('mouse-mode') if self.main else None
            print('inputs channel open; mouse mode %s' % mode, flush=True)
            if mode != MODE_SERVER:
                self.status = 1
                self.loop.quit()
                return
            self.GLib.timeout_add(400, self.play)
        elif event != self.Spice.ChannelEvent.CLOSED:
            print('inputs channel event %s' % event, flush=True)
            self.loop.quit()

    def play(self):
        kind, a, b = STEPS[self.step]
        if kind == 'motion':
            self.inputs.motion(a, b, 0)
        elif kind == 'key':
            self.inputs.key_press_and_release(a)
        elif kind == 'press':
            self.inputs.button_press(a, MASK[a])
        else:
            self.inputs.button_release(a, 0)
        print('sent %s %d %d' % (kind, a, b), flush=True)
        self.step += 1
        if self.step < len(STEPS):
            return True
        self.status = 0
        self.GLib.timeout_add(500, self.loop.quit)     # let the last message leave
        return False

    def run(self):
        if not self.Spice.Session.connect(self.session):
            print('cannot connect')
            return 2
        self.GLib.timeout_add_seconds(60, self.loop.quit)
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
    sys.exit(Mover(int(sys.argv[1])).run())
