#!/usr/bin/python3
"""A polkit authentication agent that never answers, and a SetAutostart call that needs
it (run as an unprivileged user by tests/helper_hostile.rs, against a helper whose polkit
asks that user to authenticate).

The agent is registered for this very process; then SetAutostart(true) is called on
NETWORK, with the ALLOW_INTERACTIVE_AUTHORIZATION flag when MODE is `interactive` and
without it when MODE is `plain`. Prints `agent asked` when polkit asks the agent (which
never replies), and `reply <milliseconds> <error name or "ok">` when the call returns.

Usage: agent_then_autostart.py ADDRESS NETWORK-PATH MODE SECONDS
"""

import os
import sys
import time

from gi.repository import Gio, GLib

address, network, mode, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])

AGENT_XML = """
<node>
  <interface name="org.freedesktop.PolicyKit1.AuthenticationAgent">
    <method name="BeginAuthentication">
      <arg type="s" name="action_id" direction="in"/>
      <arg type="s" name="message" direction="in"/>
      <arg type="s" name="icon_name" direction="in"/>
      <arg type="a{ss}" name="details" direction="in"/>
      <arg type="s" name="cookie" direction="in"/>
      <arg type="a(sa{sv})" name="identities" direction="in"/>
    </method>
    <method name="CancelAuthentication">
      <arg type="s" name="cookie" direction="in"/>
    </method>
  </interface>
</node>
"""
AGENT_PATH = "/io/github/virtnet/TestAgent"

flags = Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION
conn = Gio.DBusConnection.new_for_address_sync(address, flags, None, None)
pending = []  # invocations never answered


def on_call(_conn, _sender, _path, _iface, method, _params, invocation):
    if method == "BeginAuthentication":
        print("agent asked", flush=True)
        pending.append(invocation)  # and never answered
    else:
        invocation.return_value(None)


node = Gio.DBusNodeInfo.new_for_xml(AGENT_XML)
conn.register_object(AGENT_PATH, node.interfaces[0], on_call, None, None)

with open("/proc/self/stat") as f:
    start_time = int(f.read().rsplit(")", 1)[1].split()[19])
subject = ("unix-process", {"pid": GLib.Variant("u", os.getpid()), "start-time": GLib.Variant("t", start_time)})
conn.call_sync("org.freedesktop.PolicyKit1", "/org/freedesktop/PolicyKit1/Authority",
               "org.freedesktop.PolicyKit1.Authority", "RegisterAuthenticationAgent",
               GLib.Variant("((sa{sv})ss)", (subject, "C", AGENT_PATH)), None, Gio.DBusCallFlags.NONE, 10000, None)
print("agent registered", flush=True)

loop = GLib.MainLoop()
started = time.monotonic()


def on_reply(connection, result):
    try:
        connection.call_finish(result)
        outcome = "ok"
    except GLib.Error as e:
        outcome = Gio.DBusError.get_remote_error(e) or e.message
    print(f"reply {1000 * (time.monotonic() - started):.1f} {outcome}", flush=True)
    loop.quit()


call_flags = Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION if mode == "interactive" else Gio.DBusCallFlags.NONE
conn.call("io.github.virtnet.Helper1", network, "io.github.virtnet.Helper1.Network", "SetAutostart",
          GLib.Variant("(b)", (True,)), None, call_flags, int(seconds * 1000), None, on_reply)
GLib.timeout_add(int(seconds * 1000), loop.quit)
loop.run()
