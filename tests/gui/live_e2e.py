#!/usr/bin/python3
"""End-to-end test of live edits in the window (tests/gui_live.rs).

Against a sandbox whose `default` network runs with one guest, `vm-a` (GUEST_MAC,
GUEST_IP), holding a lease: "Reserve this address" on its lease row makes it a static
host, live and saved; then a static host (PINNED_MAC, PINNED_IP) added in the form and
applied reaches the running network and the saved definition, with no restart notice.

Environment: VIRTNET_MANAGER, VIRTNET (binaries), VIRTNET_CONNECT (the sandbox's bus),
GUEST_MAC, GUEST_IP, PINNED_MAC, PINNED_IP.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import (  # noqa: E402
    run, cli, click_at, do, fail, find, retype, open_network, scroll_into_view, sensitive, step, wait_for,
)

GUEST_MAC, GUEST_IP = os.environ["GUEST_MAC"], os.environ["GUEST_IP"]
PINNED_MAC, PINNED_IP = os.environ["PINNED_MAC"], os.environ["PINNED_IP"]
NOTICE = "The network runs with its previous settings"


def both_definitions_have(part):
    return part in cli("net-dumpxml", "default") and part in cli("net-dumpxml", "--inactive", "default")


def no_notice(app):
    # (A closed revealer keeps its label in the tree, with no extents: find() skips it.)
    return not find(app, "label", contains=NOTICE)


def steps(app):
    open_network(app, "default")

    reserve = wait_for("Reserve on vm-a's lease row", lambda: find(app, "push button", contains="Reserve this address for vm-a"))
    do(reserve, "click")
    host = f"<host mac='{GUEST_MAC}' name='vm-a' ip='{GUEST_IP}'/>"
    wait_for("the reservation in the running and the saved definition", lambda: both_definitions_have(host))
    wait_for("the row to say Reserved", lambda: find(app, "label", "Reserved"))
    if not no_notice(app):
        fail("the restart notice shows after a reservation")
    step(f"Reserve on vm-a's lease row made {GUEST_IP} a static host, live and saved, no restart notice")

    hosts = wait_for("the static hosts", lambda: find(app, "label", "Static hosts"))
    scroll_into_view(hosts)
    click_at(hosts)
    retype(wait_for("the MAC field of the host form", lambda: find(app, "text", "MAC address")), PINNED_MAC)
    retype(wait_for("the IP field of the host form", lambda: find(app, "text", "IP address")), PINNED_IP)
    retype(wait_for("the name field of the host form", lambda: find(app, "text", "Host name")), "vm-b")
    add = wait_for("Add Host to be enabled", lambda: (b := find(app, "push button", "Add Host")) and sensitive(b) and b)
    do(add, "click")
    apply = wait_for("Apply to be enabled", lambda: (b := find(app, "push button", "Apply")) and sensitive(b) and b)
    do(apply, "click")
    host = f"<host mac='{PINNED_MAC}' name='vm-b' ip='{PINNED_IP}'/>"
    wait_for("the new host in the running and the saved definition", lambda: both_definitions_have(host))
    # The notice would come with the reload that follows Apply: give it that time.
    time.sleep(1)
    if not no_notice(app):
        fail("the restart notice shows after adding a static host")
    step(f"a static host added in the form ({PINNED_IP}) applied live and saved, no restart notice")
    print("all steps passed", flush=True)


if __name__ == "__main__":
    run(steps)
