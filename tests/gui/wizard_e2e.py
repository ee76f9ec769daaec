#!/usr/bin/python3
"""End-to-end test of the new-network wizard, driven through the accessibility tree.

Run by tests/gui_wizard.rs inside `xvfb-run` + `dbus-run-session`, against a helper in a
sandbox whose namespace has an uplink `eth0` (192.168.1.20/24). Creates one network per
mode, then checks with `virtnet net-dumpxml` and `net-list` that the helper has what was
chosen and runs it; then a network whose subnet collides with eth0's shows the helper's
error on the addresses page and leaves nothing defined.

Environment: VIRTNET_MANAGER, VIRTNET (binaries), VIRTNET_CONNECT (the sandbox's bus).
"""

import os
import sys

import pyatspi

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import run, cli, click_at, do, fail, find, sensitive, shown, step, row_of, wait_for  # noqa: E402


def main_window(app):
    """The main window. Searches start from it, not from the app: GTK 4.8 leaves a
    destroyed window (each finished wizard) in the app's tree, where a question to it can
    go unanswered until D-Bus times out."""
    def look():
        for index in range(app.childCount):
            window = app.getChildAtIndex(index)
            if window is not None and window.name == "Virtual Networks" and find(window, "list", "Virtual networks"):
                return window
        return None

    return wait_for("the main window", look)


def wizard_window(app):
    """The newest window called New Network (windows are added at the end)."""
    def look():
        for index in reversed(range(app.childCount)):
            try:
                window = app.getChildAtIndex(index)
                if window is not None and window.name == "New Network" and shown(window):
                    return window
            except Exception:
                continue
        return None

    return wait_for("the wizard's window", look)


def closed(wizard):
    """The wizard's window is no longer on screen (or no longer exists)."""
    try:
        return not wizard.getState().contains(pyatspi.STATE_SHOWING)
    except Exception:
        return True


def open_wizard(app):
    do(wait_for("the New Network button", lambda: find(main_window(app), "push button", "New Network")), "click")
    wizard = wizard_window(app)
    on_page(wizard, "Step 1 of")
    return wizard


def on_page(wizard, text):
    wait_for(f"the page '{text}'", lambda: find(wizard, "label", contains=text))


def type_into(wizard, title, text):
    field = wait_for(f"the field {title!r}", lambda: find(wizard, "text", title))
    field.queryEditableText().setTextContents(text)


def next_page(wizard, expect):
    button = wait_for("Next to be enabled", lambda: (lambda b: b if b and sensitive(b) else None)(find(wizard, "push button", "Next")))
    do(button, "click")
    on_page(wizard, expect)


def choose_mode(wizard, mode):
    do(wait_for(f"the {mode} card", lambda: find(wizard, "push button", mode)), "click")


def create(app, wizard, name):
    button = wait_for("Create to be enabled", lambda: (lambda b: b if b and sensitive(b) else None)(find(wizard, "push button", "Create")))
    do(button, "click")
    wait_for("the wizard to close", lambda: closed(wizard))
    wait_for(f"{name} in the list", lambda: row_of(main_window(app), name))


def start_wizard(app, name, mode):
    """Opens the wizard and fills in the first page."""
    wizard = open_wizard(app)
    type_into(wizard, "Name", name)
    choose_mode(wizard, mode)
    return wizard


def finish(app, wizard, name):
    """From the addresses page on: DNS and review as they are, then Create."""
    next_page(wizard, "Names (DNS)")
    next_page(wizard, "Review")
    create(app, wizard, name)


def definition(name):
    return cli("net-dumpxml", "--inactive", name)


def active(name):
    return name in cli("net-list", "--name").split()


def expect_in(name, *parts):
    xml = wait_for(f"{name} defined", lambda: definition(name))
    for part in parts:
        if part not in xml:
            fail(f"{name}'s definition lacks {part!r}:\n{xml}")
    return xml


def steps(app):
    wait_for("default in the list", lambda: row_of(main_window(app), "default"))

    # NAT, forwarding to eth0 only, on the subnet the helper suggested.
    wizard = start_wizard(app, "natnet", "NAT")
    next_page(wizard, "Connection to the Outside")
    click_at(wait_for("the eth0 choice", lambda: find(wizard, "check box", contains="eth0")))
    next_page(wizard, "Addresses")
    suggested = wait_for("the suggested subnet", lambda: find(wizard, "label", "192.168.123.1"))
    if suggested is None:
        fail("no host address shown for the suggested subnet")
    finish(app, wizard, "natnet")
    expect_in("natnet", "<forward dev='eth0' mode='nat'>", "<ip address='192.168.123.1' prefix='24'>",
              "<range start='192.168.123.2' end='192.168.123.254'/>", "<domain name='natnet' localOnly='yes'/>")
    wait_for("natnet to run", lambda: active("natnet"))
    step("NAT to eth0 on the suggested 192.168.123.0/24: defined, started (net-dumpxml, net-list)")

    # Routed: the route for the LAN's router; a subnet typed without a prefix is refused
    # at the field and blocks Next.
    wizard = start_wizard(app, "routednet", "Routed")
    next_page(wizard, "Connection to the Outside")
    next_page(wizard, "Addresses")
    type_into(wizard, "Network (such as 192.168.100.0/24)", "10.77.0.0")
    wait_for("the message at the field", lambda: find(wizard, "label", contains="has no prefix length"))
    if sensitive(find(wizard, "push button", "Next")):
        fail("Next is enabled with a subnet that does not parse")
    type_into(wizard, "Network (such as 192.168.100.0/24)", "10.77.0.0/24")
    wait_for("the host address", lambda: find(wizard, "label", "10.77.0.1"))
    do(find(wizard, "push button", "Back"), "click")
    on_page(wizard, "Connection to the Outside")
    wait_for("the route for the router", lambda: find(wizard, "label", "10.77.0.0/24 via 192.168.1.20"))
    next_page(wizard, "Addresses")
    finish(app, wizard, "routednet")
    expect_in("routednet", "<forward mode='route'/>", "<ip address='10.77.0.1' prefix='24'>",
              "<range start='10.77.0.2' end='10.77.0.254'/>")
    wait_for("routednet to run", lambda: active("routednet"))
    step("Routed on 10.77.0.0/24 (route shown: 10.77.0.0/24 via 192.168.1.20): defined, started")

    # Isolated without DHCP, with its own domain and a host record.
    wizard = start_wizard(app, "isonet", "Isolated")
    next_page(wizard, "Step 2 of 4: Addresses")
    do(wait_for("the DHCP switch", lambda: find(wizard, "check box", "DHCP")), "toggle")
    next_page(wizard, "Names (DNS)")
    type_into(wizard, "Domain", "iso.example")
    next_page(wizard, "Review")
    create(app, wizard, "isonet")
    xml = expect_in("isonet", "<domain name='iso.example' localOnly='yes'/>", "<ip address='192.168.124.1' prefix='24'>")
    if "<forward" in xml or "<dhcp>" in xml:
        fail(f"isonet should have no forward and no DHCP:\n{xml}")
    wait_for("isonet to run", lambda: active("isonet"))
    step("Isolated without DHCP, domain iso.example: defined, started")

    # Open, with IPv6 (the helper's unique local /64) and DHCPv6.
    wizard = start_wizard(app, "opennet", "Open")
    next_page(wizard, "Step 2 of 4: Addresses")
    do(wait_for("the IPv6 switch", lambda: find(wizard, "check box", "IPv6")), "toggle")
    do(wait_for("the DHCPv6 switch", lambda: find(wizard, "check box", "DHCPv6")), "toggle")
    finish(app, wizard, "opennet")
    xml = expect_in("opennet", "<forward mode='open'/>", "<ip family='ipv6' address='fd", "prefix='64'>", "::100'")
    wait_for("opennet to run", lambda: active("opennet"))
    step("Open with IPv6 and DHCPv6 on a unique local /64: defined, started")

    # A subnet that collides with eth0's: the helper refuses to start it, the wizard
    # removes the definition and shows the message on the addresses page.
    wizard = start_wizard(app, "clash", "Isolated")
    next_page(wizard, "Addresses")
    type_into(wizard, "Network (such as 192.168.100.0/24)", "192.168.1.0/24")
    next_page(wizard, "Names (DNS)")
    next_page(wizard, "Review")
    do(wait_for("Create", lambda: find(wizard, "push button", "Create")), "click")
    wait_for("the helper's message", lambda: find(wizard, "label", contains="overlaps the address 192.168.1.20/24 on eth0"))
    on_page(wizard, "Step 2 of 4: Addresses")
    if "clash" in cli("net-list", "--all", "--name").split():
        fail("the failed network is still defined")
    do(find(wizard, "push button", "Cancel"), "click")
    wait_for("the wizard to close", lambda: closed(wizard))
    step("a subnet in use on eth0: the helper's message on the addresses page, nothing defined")
    print("all steps passed", flush=True)


if __name__ == "__main__":
    run(steps)
