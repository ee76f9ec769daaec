#!/usr/bin/python3
"""End-to-end test of port forwarding in the window (tests/gui_forward.rs).

On the sandbox's running `default` network with one guest, vm-a (GUEST_IP): "Forward a
port" on its lease row offers to reserve its address (accepted: a static host, live and
saved) and opens the "Port Forwarding" form with the guest filled in; the ports typed
(2222 to 22), the forward is added; a second one typed to a guest outside the subnet is
refused at its field as typed (Add disabled); Apply takes the forward to the running
network and the saved definition without the restart notice. The test then proves it
with traffic.

Environment: VIRTNET_MANAGER, VIRTNET (binaries), VIRTNET_CONNECT (the sandbox's bus),
GUEST_IP; FORWARD_SCREENSHOT (optional): a PNG of the section once added (needs xwd and
netpbm); DIAGRAM_SCREENSHOT (optional): the picture once applied.
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import (  # noqa: E402
    button, run, cli, do, fail, find, retype, open_network, scroll_into_view, sensitive, step, wait_for,
)

GUEST_IP = os.environ["GUEST_IP"]
NOTICE = "The network runs with its previous settings"


def both_definitions_have(part):
    return part in cli("net-dumpxml", "default") and part in cli("net-dumpxml", "--inactive", "default")


def steps(app):
    open_network(app, "default")

    # From the guest's lease row: the window offers to reserve its address first.
    forward = wait_for("Forward on vm-a's lease row", lambda: find(app, "push button", contains="Forward a port to vm-a"))
    do(forward, "click")
    wait_for("the offer to reserve the address", lambda: find(app, "label", contains=f"Reserve {GUEST_IP} for vm-a"))
    do(wait_for("the dialog's Reserve", lambda: button(app, "Reserve")), "click")
    wait_for("the reservation in both definitions", lambda: both_definitions_have(f"ip='{GUEST_IP}'/>"))
    # The window has reloaded the network once its lease row says so.
    wait_for("the lease row to say Reserved", lambda: find(app, "label", "Reserved"))
    step(f"Forward on the lease row offered to reserve {GUEST_IP}; reserved, live and saved")

    # The form opened with the guest filled in: only the ports are typed.
    retype(wait_for("the host port field", lambda: find(app, "text", "Host port")), "2222")
    retype(wait_for("the guest port field", lambda: find(app, "text", "Guest port")), "22")
    add = wait_for("Add Forward to be enabled", lambda: (b := find(app, "push button", "Add Forward")) and sensitive(b) and b)
    do(add, "click")
    wait_for("the forward's row", lambda: find(app, "label", f"2222/tcp → {GUEST_IP}:22"))
    step(f"the form had the guest filled in; 2222/tcp → {GUEST_IP}:22 added")

    # A second one typed in full, to a guest outside the subnet: refused as typed.
    retype(wait_for("the protocol field", lambda: find(app, "text", "Protocol")), "tcp")
    retype(wait_for("the host port field", lambda: find(app, "text", "Host port")), "2300")
    retype(wait_for("the guest address field", lambda: find(app, "text", "Guest address")), "10.99.0.5")
    retype(wait_for("the guest port field", lambda: find(app, "text", "Guest port")), "22")
    wait_for("the outside address refused at its field", lambda: find(app, "label", contains="is outside 192.168.122.0/24"))
    if sensitive(find(app, "push button", "Add Forward")):
        fail("Add Forward is enabled for a guest outside the subnet")
    step("a guest outside the subnet is refused at its field as typed, Add disabled")
    shot = os.environ.get("FORWARD_SCREENSHOT")
    if shot:
        time.sleep(0.5)
        subprocess.run(f"xwd -root -silent | xwdtopnm 2>/dev/null | pnmtopng > {shot}", shell=True)

    apply = wait_for("Apply to be enabled", lambda: (b := find(app, "push button", "Apply")) and sensitive(b) and b)
    do(apply, "click")
    part = f"<virtnet:portForward proto='tcp' guest='{GUEST_IP}'>"
    wait_for("the forward in the running and the saved definition", lambda: both_definitions_have(part))
    time.sleep(1)
    notice = find(app, "label", contains=NOTICE)
    if notice:
        fail("the restart notice shows after adding a port forward: " + notice.name)
    step("the forward applied live and saved, no restart notice")
    picture = wait_for("the picture to show the forward", lambda: find(app, None, contains=f"ports forwarded: 2222/tcp → {GUEST_IP}:22"))
    scroll_into_view(picture)
    shot = os.environ.get("DIAGRAM_SCREENSHOT")
    if shot:
        time.sleep(0.5)
        subprocess.run(f"xwd -root -silent | xwdtopnm 2>/dev/null | pnmtopng > {shot}", shell=True)
    step("the picture shows the forward on the uplink's side")
    print("all steps passed", flush=True)


if __name__ == "__main__":
    run(steps)
