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

import pyatspi

TIMEOUT = 20


def fail(message):
    print("FAIL: " + message, flush=True)
    sys.exit(1)


def step(message):
    print("ok: " + message, flush=True)


def cli(*args):
    out = subprocess.run([os.environ["VIRTNET"], *args], capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"virtnet {' '.join(args)}: {out.stderr.strip()}")
    return out.stdout


def wait_for(what, condition, timeout=TIMEOUT):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            value = condition()
        except Exception:  # the tree changes under us while we read it
            value = None
        if value:
            return value
        time.sleep(0.02)
    fail("timed out waiting for " + what)


def walk(node):
    yield node
    for child in node:
        if child is not None:
            yield from walk(child)


def shown(node):
    """Shown at all: GTK 4.8 leaves hidden widgets (set_visible(false)) out of the tree
    and gives never-shown ones empty extents. (A stack page shown once keeps its
    extents: do not test those.)"""
    extents = node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
    return extents.width > 0 and extents.height > 0


def inside_window(node):
    """Within its window's bounds: a closed revealer slides its child out of them."""
    extents = node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
    window = node
    while window.getRoleName() not in ("frame", "dialog", "alert", "application"):
        window = window.parent
    frame = window.queryComponent().getExtents(pyatspi.DESKTOP_COORDS) if window.getRoleName() != "application" else extents
    return (
        extents.width > 0
        and extents.height > 0
        and extents.y + extents.height <= frame.y + frame.height
        and extents.x + extents.width <= frame.x + frame.width
    )


def find(root, role, name=None, contains=None):
    for node in walk(root):
        if node.getRoleName() != role:
            continue
        if name is not None and node.name != name:
            continue
        if contains is not None and contains not in node.name:
            continue
        if shown(node):
            return node
    return None


def sensitive(node):
    return node.getState().contains(pyatspi.STATE_SENSITIVE)


def checked(node):
    return node.getState().contains(pyatspi.STATE_CHECKED)


def do(node, action):
    actions = node.queryAction()
    for i in range(actions.nActions):
        if actions.getName(i) == action:
            actions.doAction(i)
            return
    fail(f"{node.getRoleName()} {node.name!r} has no action {action}")


def the_app():
    def look():
        for app in pyatspi.Registry.getDesktop(0):
            if app is not None and app.name == "virtnet-manager":
                return app
        return None

    return wait_for("the window on the accessibility bus", look)


def network_list(app):
    return wait_for("the network list", lambda: find(app, "list", "Virtual networks"))


def row_texts(item):
    return [n.name for n in walk(item) if n.getRoleName() == "label"]


def row_of(app, name):
    listing = network_list(app)
    for index, item in enumerate(listing):
        texts = row_texts(item)
        if texts and texts[0] == name:
            return listing, index, texts
    return None


def info(name):
    """`virtnet net-info NAME` as a dict."""
    lines = cli("net-info", name).splitlines()
    return {k.strip(): v.strip() for k, v in (l.split(":", 1) for l in lines if ":" in l)}


def main():
    window = subprocess.Popen([os.environ["VIRTNET_MANAGER"]])
    try:
        steps(the_app())
    finally:
        window.terminate()
        window.wait()


def steps(app):
    # The list mirrors the helper.
    wait_for("default and lab in the list", lambda: row_of(app, "default") and row_of(app, "lab"))
    subtitle = row_of(app, "lab")[2][1]
    if not subtitle.startswith("Inactive · NAT · 192.168.150.0/24"):
        fail(f"lab's row says {subtitle!r}")
    step("the list shows every network with state, mode and subnet")

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
    end = wait_for("the DHCP range end field", lambda: find(app, "text", "DHCP range end"))
    end.queryEditableText().setTextContents("10.9.9.9")
    apply = wait_for("the Apply bar", lambda: find(app, "push button", "Apply"))
    wait_for("the message at the field", lambda: find(app, "label", "end 10.9.9.9 is outside 192.168.150.0/24"))
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
    main()
