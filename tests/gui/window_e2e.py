#!/usr/bin/python3
"""End-to-end test of virtnet-manager's window, driven through the accessibility tree.

Run by tests/gui_window.rs inside `xvfb-run` + `dbus-run-session`, against a helper in a
sandbox (VIRTNET_CONNECT). After every step the helper, asked with the `virtnet` CLI,
must agree with what was done in the window. Prints one line per step, and the time the
window took to show a change made from the CLI.

Environment: VIRTNET_MANAGER, VIRTNET (binaries), VIRTNET_CONNECT (the sandbox's bus),
SANDBOX_HELPER_STOP / SANDBOX_HELPER_START (shell commands that stop and start virtnetd).
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import run, button, cli, closed, do, fail, find, info, inside_window, network_list, row_of, row_texts, checked, sensitive, step, wait_for  # noqa: E402


def steps(app):
    # The list mirrors the helper.
    wait_for("default and lab in the list", lambda: row_of(app, "default") and row_of(app, "lab"))
    texts = row_of(app, "lab")[2]
    # The subnets are on a line of their own, glued with word joiners so they never break.
    if texts[1] != "Inactive · NAT" or texts[2].replace("\u2060", "") != "192.168.150.0/24":
        fail(f"lab's row says {texts!r}")
    step("the list shows every network with state, mode and subnet")

    # Names are text, never markup: "<b>bold&co" shows as typed, in the list and the details.
    listing, index, _ = wait_for("the row of <b>bold&co", lambda: row_of(app, "<b>bold&co"))
    listing.querySelection().selectChild(index)
    wait_for("its details titled <b>bold&co", lambda: find(app, "label", "<b>bold&co") and find(app, "push button", "Start"))
    step("a network named <b>bold&co shows its name literally")

    # Select lab: the details show it.
    listing, index, _ = row_of(app, "lab")
    listing.querySelection().selectChild(index)
    wait_for("lab's details", lambda: find(app, "label", "lab") and find(app, "push button", "Start"))
    step("selecting lab shows its details")

    # Start, then Stop, from the header.
    do(find(app, "push button", "Start"), "click")
    wait_for("the helper to say lab is active", lambda: info("lab")["Active"] == "yes")
    wait_for("the Stop button", lambda: find(app, "push button", "Stop"))
    wait_for("lab's row to say Active", lambda: row_of(app, "lab")[2][1].startswith("Active"))
    step("Start started lab (virtnet net-info: Active yes)")
    do(find(app, "push button", "Stop"), "click")
    wait_for("the helper to say lab is inactive", lambda: info("lab")["Active"] == "no")
    wait_for("the Start button again", lambda: find(app, "push button", "Start"))
    step("Stop stopped lab (virtnet net-info: Active no)")

    # Autostart applies at once.
    switch = find(app, "check box", contains="Autostart")
    if checked(switch):
        fail("autostart is on before it was switched on")
    do(switch, "toggle")
    wait_for("the helper to say autostart is on", lambda: info("lab")["Autostart"] == "yes")
    step("the Autostart switch set autostart (virtnet net-info: Autostart yes)")

    # Edit the DHCP range: a wrong end is shown at the field and blocks Apply.
    end = wait_for("the DHCP range end field", lambda: find(app, "text", "Last address handed out"))
    end.queryEditableText().setTextContents("10.9.9.9")
    apply = wait_for("the Apply bar", lambda: find(app, "push button", "Apply"))
    wait_for("the message at the field", lambda: find(app, "label", "Last address handed out is outside 192.168.150.0/24"))
    if sensitive(apply):
        fail("Apply is enabled with a range outside the subnet")
    step("an end outside the subnet is shown at the field and Apply is disabled")
    end.queryEditableText().setTextContents("192.168.150.150")
    wait_for("Apply to be enabled", lambda: sensitive(find(app, "push button", "Apply")))
    do(find(app, "push button", "Apply"), "click")
    wait_for(
        "the helper to have the new range",
        lambda: "<range start='192.168.150.2' end='192.168.150.150'/>" in cli("net-dumpxml", "--inactive", "lab"),
    )
    wait_for("the Apply bar to go", lambda: not inside_window(find(app, "push button", "Apply")))
    step("the DHCP range edit was applied (virtnet net-dumpxml: end 192.168.150.150)")

    # A change made elsewhere shows up at once, without polling. The look goes through
    # the list node found before (a whole-window search takes far longer than the
    # window does), so the figure is an upper bound: the time of the looks included.
    listing = network_list(app)

    def default_subtitle():
        for item in listing:
            texts = row_texts(item)
            if texts and texts[0] == "default":
                return texts[1]
        return ""

    before = time.monotonic()
    cli("net-destroy", "default")
    sent = time.monotonic()
    looks = []
    wait_for("default's row to say Inactive", lambda: looks.append(1) or default_subtitle().startswith("Inactive"))
    print(f"figure: a stop from the CLI showed in the window at most {1000 * (time.monotonic() - sent):.0f} ms after the CLI"
          f" returned ({len(looks)} looks; {1000 * (sent - before):.0f} ms for the CLI itself)", flush=True)
    step("a network stopped from the CLI shows as inactive")

    # The helper goes away and comes back: the window says so, then reconnects.
    subprocess.run(os.environ["SANDBOX_HELPER_STOP"], shell=True, check=True)
    wait_for("the unreachable page", lambda: find(app, "label", "Cannot Reach virtnetd"))
    step("with virtnetd gone the window says it cannot reach it")
    subprocess.run(os.environ["SANDBOX_HELPER_START"], shell=True, check=True)
    wait_for("the list again", lambda: row_of(app, "lab"))
    cli("net-start", "default")
    wait_for("default's row to say Active after reconnecting", lambda: row_of(app, "default")[2][1].startswith("Active"))
    step("the window reconnected by itself and follows the helper again")

    # Another firewall's drop policy: the network's page names it, as net-info does.
    listing, index, _ = row_of(app, "default")
    listing.querySelection().selectChild(index)
    subprocess.run(os.environ["SANDBOX_FOREIGN_DROP"], shell=True, check=True)
    wait_for("net-info to name the chain", lambda: "Table ip filter, chain FORWARD" in info("default").get("Firewall", ""))
    wait_for("the warning on default's page", lambda: find(app, "label", "Another firewall blocks this network")
             and find(app, "label", contains="Table ip filter, chain FORWARD (policy drop)"))
    wait_for("default's row to say so", lambda: "Blocked by a firewall" in row_of(app, "default")[2][1])
    step("a foreign FORWARD chain with policy drop is named on the network's page and by net-info")
    subprocess.run(os.environ["SANDBOX_FOREIGN_DROP_REMOVE"], shell=True, check=True)
    # (GTK 4.8 keeps a row hidden after it was shown in the accessibility tree, with its
    # extents: the row's subtitle in the list tells instead.)
    wait_for("net-info to stop naming it", lambda: "Firewall" not in info("default"))
    wait_for("default's row to stop saying so", lambda: "Blocked" not in row_of(app, "default")[2][1])
    step("the warning goes with the foreign table")

    # Ports, live: a persistent tap made from the CLI appears in default's Ports section
    # and goes when deleted; the connect help gives this network's qemu line.
    cli("net-port-create", "default", "--name", "e2e-net0", "--owner", "daemon")
    wait_for("the port's row", lambda: find(app, "label", "e2e-net0") and find(app, "label", contains="for daemon"))
    step("a port created from the CLI shows in the Ports section")
    cli("net-port-delete", "default", "e2e-net0")
    wait_for("the port's row to go", lambda: find(app, "label", "e2e-net0") is None)
    step("a deleted port leaves the Ports section")
    do(button(app, "Connect a Virtual Machine…"), "click")
    line = wait_for("the qemu line", lambda: find(app, "label", contains="-netdev bridge,id=n0,br=virbr0,helper="))
    if "virtnet-bridge-helper" not in line.name:
        fail(f"the qemu line is {line.name!r}")
    dialog = line
    while dialog is not None and dialog.getRoleName() not in ("dialog", "frame", "window"):
        dialog = dialog.parent
    do(button(dialog, "Close"), "click")
    wait_for("the help to close", lambda: closed(dialog))
    step("Connect a Virtual Machine shows the qemu line for this network's bridge")

    # Delete a running network: the confirmation offers Stop and Delete.
    listing, index, _ = row_of(app, "lab")
    listing.querySelection().selectChild(index)
    wait_for("lab's details", lambda: find(app, "push button", "Start"))
    do(find(app, "push button", "Start"), "click")
    wait_for("lab to run", lambda: info("lab")["Active"] == "yes")
    wait_for("the Stop button", lambda: find(app, "push button", "Stop"))
    do(find(app, "push button", "Delete"), "click")
    confirm = wait_for("the confirmation", lambda: find(app, "push button", contains="Stop and Delete"))
    do(confirm, "click")
    wait_for("the helper to forget lab", lambda: "lab" not in cli("net-list", "--all", "--name").split())
    wait_for("lab to leave the list", lambda: row_of(app, "lab") is None)
    wait_for("the details to empty", lambda: find(app, "push button", "Delete") is None)
    step("Delete on a running network stopped and deleted it (virtnet net-list --all: gone)")
    print("all steps passed", flush=True)


if __name__ == "__main__":
    run(steps)
