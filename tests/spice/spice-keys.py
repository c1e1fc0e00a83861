#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A SPICE client (spice-gtk's GLib client through GObject introspection) that types keys.

  spice-keys.py PORT SECONDS   press and release Esc every 250 ms for SECONDS, then press
                               Num Lock once and wait up to 10 s for the guest to light it
                               (the server's keyboard LED message, key-modifiers bit 2).
Prints what happened; exit 0 when Num Lock lit, 1 when it did not, 2 when the inputs
channel never opened, 77 without the GObject bindings (python3-gi,
gir1.2-spiceclientglib-2.0).
"""

import sys

try:
    import gi
    gi.require_version('SpiceClientGLib', '2.0')
    from gi.repository import GLib, GObject, SpiceClientGLib as Spice
except (ImportError, ValueError) as e:
    print('no SPICE GObject bindings: %s' % e)
    sys.exit(77)

ESC, NUM_LOCK = 0x01, 0x45
NUM_LOCK_LED = 2                # SPICE_INPUTS_NUM_LOCK


class Typist:
    def __init__(self, port, seconds):
        self.loop = GLib.MainLoop()
        self.inputs = None
        self.esc_left = max(1, int(seconds * 4))
        self.status = 2
        self.session = Spice.Session()
        self.session.set_property('host', '127.0.0.1')
        self.session.set_property('port', str(port))
        GObject.Object.connect(self.session, 'channel-new', self.channel_new)

    def channel_new(self, session, channel):
        if isinstance(channel, Spice.InputsChannel):
            self.inputs = channel
            GObject.Object.connect(channel, 'channel-event', self.inputs_event)
            Spice.Channel.connect(channel)

    def inputs_event(self, channel, event):
        if event == Spice.ChannelEvent.OPENED:
            print('inputs channel open; modifiers %#x'
                  % channel.get_property('key-modifiers'), flush=True)
            GLib.timeout_add(250, self.press_esc)
        elif event != Spice.ChannelEvent.CLOSED:
            print('inputs channel event %s' % event, flush=True)
            self.loop.quit()

    def press_esc(self):
        self.inputs.key_press_and_release(ESC)
        self.esc_left -= 1
        if self.esc_left > 0:
            return True
        self.status = 1
        self.inputs.key_press_and_release(NUM_LOCK)
        print('Esc typed; Num Lock pressed', flush=True)
        GLib.timeout_add(100, self.check_leds, 100)
        return False

    def check_leds(self, left):
        mods = self.inputs.get_property('key-modifiers')
        if mods & NUM_LOCK_LED:
            print('Num Lock LED on (modifiers %#x)' % mods, flush=True)
            self.status = 0
            self.loop.quit()
            return False
        if left <= 1:
            print('Num Lock LED still off (modifiers %#x)' % mods, flush=True)
            self.loop.quit()
            return False
        GLib.timeout_add(100, self.check_leds, left - 1)
        return False

    def run(self):
        if not Spice.Session.connect(self.session):
            print('cannot connect')
            return 2
        GLib.timeout_add_seconds(60, self.loop.quit)
        self.loop.run()
        self.session.disconnect()
        return self.status


if __name__ == '__main__':
    sys.exit(Typist(int(sys.argv[1]), float(sys.argv[2])).run())
