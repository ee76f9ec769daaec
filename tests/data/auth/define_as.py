#!/usr/bin/python3
"""Sends DefineXML with the definition in FILE to the helper on the bus ADDRESS (run as an
unprivileged user by tests/helper_hostile.rs), and prints how long the answer took and
the error it carried: `<milliseconds> <error name or "ok">`.

Usage: define_as.py ADDRESS FILE
"""

import sys
import time

from gi.repository import Gio, GLib

address, path = sys.argv[1], sys.argv[2]
with open(path, encoding="utf-8") as f:
    xml = f.read()
flags = Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION
conn = Gio.DBusConnection.new_for_address_sync(address, flags, None, None)
body = GLib.Variant("(s)", (xml,))
started = time.monotonic()
try:
    conn.call_sync("io.github.virtnet.Helper1", "/io/github/virtnet/Helper1", "io.github.virtnet.Helper1.Manager",
                   "DefineXML", body, None, Gio.DBusCallFlags.NONE, 30000, None)
    outcome = "ok"
except GLib.Error as e:
    outcome = Gio.DBusError.get_remote_error(e) or e.message
print(f"{1000 * (time.monotonic() - started):.1f} {outcome}", flush=True)
