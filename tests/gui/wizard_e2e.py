#!/usr/bin/python3
"""End-to-end test of the new-network wizard, driven through the accessibility tree.

Run by tests/gui_wizard.rs inside `xvfb-run` + `dbus-run-session`, against a helper in a
sandbox whose namespace has an uplink `eth0` (192.168.1.20/24). Creates one network per
mode, then checks with `virtnet net-dumpxml` and `net-list` that the helper has what was
chosen and runs it; then a subnet that collides with eth0's is flagged as typed with a
free one offered, and one taken after the addresses page is refused at Create.

Environment: VIRTNET_MANAGER, VIRTNET (binaries), VIRTNET_CONNECT (the sandbox's bus),
E2E_TMP (a folder for definitions).
"""

import os
import sys

import pyatspi

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import run, cli, click_at, closed, do, fail, find, main_window, matches, sensitive, shown, step, row_of, wait_for, walk  # noqa: E402


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


def write_definition(name, xml):
    path = os.path.join(os.environ["E2E_TMP"], f"{name}.xml")
    with open(path, "w") as f:
        f.write(xml)
    return path


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
    suggested = wait_for("the suggested subnet", lambda: find(wizard, "label", "192.168.123.0/24"))
    if suggested is None:
        fail("no network shown for the suggested subnet")
    finish(app, wizard, "natnet")
    expect_in("natnet", "<forward dev='eth0' mode='nat'>", "<ip address='192.168.123.1' prefix='24'>",
              "<range start='192.168.123.2' end='192.168.123.254'/>", "<domain name='natnet' localOnly='yes'/>")
    wait_for("natnet to run", lambda: active("natnet"))
    step("NAT to eth0 on the suggested 192.168.123.0/24: defined, started (net-dumpxml, net-list)")

    # Routed: a subnet typed without a prefix is refused at the field and blocks Next;
    # the route the LAN's router needs shows once the subnet is chosen, and on review.
    wizard = start_wizard(app, "routednet", "Routed")
    next_page(wizard, "Connection to the Outside")
    next_page(wizard, "Addresses")
    type_into(wizard, "Host address and prefix", "10.77.0.1")
    wait_for("the message at the field", lambda: find(wizard, "label", contains="Add the prefix length"))
    if sensitive(find(wizard, "push button", "Next")):
        fail("Next is enabled with a subnet that does not parse")
    type_into(wizard, "Host address and prefix", "10.77.0.1/24")
    wait_for("the network", lambda: find(wizard, "label", "10.77.0.0/24"))
    wait_for("the route for the router", lambda: find(wizard, "label", "10.77.0.0/24 via 192.168.1.20"))
    next_page(wizard, "Names (DNS)")
    next_page(wizard, "Review")
    wait_for("the route on the review page",
             lambda: find(wizard, "label", contains="Your router needs the route 10.77.0.0/24 via 192.168.1.20."))
    create(app, wizard, "routednet")
    expect_in("routednet", "<forward mode='route'/>", "<ip address='10.77.0.1' prefix='24'>",
              "<range start='10.77.0.2' end='10.77.0.254'/>")
    wait_for("routednet to run", lambda: active("routednet"))
    step("Routed on 10.77.0.0/24 (route shown on the addresses and review pages: 10.77.0.0/24 via 192.168.1.20): defined, started")

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
    do(wait_for("the IPv6 switch", lambda: find(wizard, "check box", "Use IPv6")), "toggle")
    # The IPv6 section has the same rows as the IPv4 one: its DHCP switch is the second.
    wait_for("the IPv6 address", lambda: find(wizard, "label", contains="::/64"))
    dhcp = [n for n in walk(wizard) if matches(n, "check box", "DHCP", None)]
    if len(dhcp) != 2:
        fail(f"expected the DHCP switches of IPv4 and IPv6, found {len(dhcp)}")
    do(dhcp[1], "toggle")
    finish(app, wizard, "opennet")
    xml = expect_in("opennet", "<forward mode='open'/>", "<ip family='ipv6' address='fd", "prefix='64'>", "::100'")
    wait_for("opennet to run", lambda: active("opennet"))
    step("Open with IPv6 and DHCPv6 on a unique local /64: defined, started")

    # A subnet that collides with eth0's is flagged as it is typed, with the free one
    # offered; using it clears the message.
    wizard = start_wizard(app, "clash", "Isolated")
    next_page(wizard, "Addresses")
    type_into(wizard, "Host address and prefix", "192.168.1.1/24")
    wait_for("the overlap at the field",
             lambda: find(wizard, "label", contains="192.168.1.0/24 overlaps the address 192.168.1.20/24 on eth0;"))
    if sensitive(find(wizard, "push button", "Next")):
        fail("Next is enabled with a subnet eth0 uses")
    use = wait_for("the offer of a free subnet", lambda: find(wizard, "push button", contains="Use 192.168."))
    free = use.name.replace("Use ", "")
    do(use, "click")
    wait_for("the message to go", lambda: find(wizard, "label", contains="overlaps the address") is None)
    wait_for("the free network", lambda: find(wizard, "label", free))
    step(f"a subnet eth0 uses is flagged as typed, Next disabled; Use {free} fixes it")

    # Taken meanwhile, with Start now off: refused at Create, nothing defined.
    next_page(wizard, "Names (DNS)")
    next_page(wizard, "Review")
    taker = free.replace(".0/24", ".1")
    cli("net-define", write_definition("taker", f"<network><name>taker</name><ip address='{taker}' prefix='24'/></network>"))
    do(wait_for("the Start now switch", lambda: find(wizard, "check box", "Start now")), "toggle")
    do(wait_for("Create", lambda: find(wizard, "push button", "Create")), "click")
    wait_for("the refusal", lambda: find(wizard, "label", contains=f"overlaps {free} of network “taker”"))
    on_page(wizard, "Step 2 of 4: Addresses")
    if "clash" in cli("net-list", "--all", "--name").split():
        fail("the refused network was defined")
    do(find(wizard, "push button", "Cancel"), "click")
    wait_for("the wizard to close", lambda: closed(wizard))
    step("a subnet taken after the addresses page, with Start now off: refused at Create, nothing defined")
    print("all steps passed", flush=True)


if __name__ == "__main__":
    run(steps)
