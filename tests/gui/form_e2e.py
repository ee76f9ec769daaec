#!/usr/bin/python3
"""End-to-end test of the details form, typed key by key (tests/gui_form.rs).

Against a sandbox where `lab` (NAT, DHCP with a static host, domain with localOnly) runs
with one guest, `myvm`, holding a lease. Checks that retyping the address and the domain
keeps DHCP, the static host and localOnly; that a bad static host is refused at its row;
that Stop and Restart Now name the guest first; and the list's search and filter.

Environment: VIRTNET_MANAGER, VIRTNET (binaries), VIRTNET_CONNECT (the sandbox's bus).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import (  # noqa: E402
    run, button, cli, click_at, closed, do, fail, find, info, keys, main_window, window_of, retype, row_of, scroll_into_view, sensitive, step, type_text,
    wait_for,
)


def inactive_xml():
    return cli("net-dumpxml", "--inactive", "lab")


def steps(root):
    app = root
    row = wait_for("lab in the list, with its guest", lambda: row_of(app, "lab"))
    if row[2][1] != "Active · NAT · 1 guest":
        fail(f"lab's row says {row[2][1]!r}")
    subnets = row[2][2].replace("\u2060", "")
    if subnets != "192.168.150.0/24":
        fail(f"lab's subnets read {subnets!r}")
    listing, index, _ = row
    listing.querySelection().selectChild(index)
    wait_for("lab's details", lambda: find(app, "push button", "Stop"))
    step("the list shows lab active with 1 guest, its subnet on a line of its own")

    # Stop with a guest on the network asks first, naming the guest; Cancel keeps it.
    do(find(app, "push button", "Stop"), "click")
    question = wait_for("the question naming myvm", lambda: find(app, "label", "myvm will lose its connection."))
    dialog = window_of(question)
    do(wait_for("Cancel", lambda: button(dialog, "Cancel")), "click")
    wait_for("the question to close", lambda: closed(dialog))
    if info("lab")["Active"] != "yes":
        fail("Cancel stopped the network")
    step("Stop asks first and names the guest (myvm); Cancel leaves lab running")

    # Retype the address key by key: through "", "1", "192.1", "192.168.125.1/2" ...
    # Questions are asked in dialogs; GTK 4.8 keeps a closed one in the app's tree, where
    # questions to it go unanswered: look from the main window from now on.
    app = main_window(app)
    address = wait_for("the IPv4 address field", lambda: find(app, "text", "Host address and prefix"))
    retype(address, "192.168.125.1")
    wait_for("the half-typed address's message",
             lambda: find(app, "label", "Add the prefix length after a slash, such as 192.168.100.1/24"))
    if find(app, "label", "192.168.125.0/32") or find(app, "label", "192.168.125.1/32"):
        fail("a derived row shows a subnet made of the half-typed address")
    type_text("/24")
    wait_for("the network row to follow", lambda: find(app, "label", "192.168.125.0/24"))
    step("the address retyped key by key: the range followed, nothing derived from the half-typed text")

    domain = wait_for("the domain field", lambda: find(app, "text", "Domain"))
    retype(domain, "test.example")
    step("the domain retyped key by key")

    # A static host outside the subnet is refused at its own row, as typed.
    hosts = wait_for("the static hosts", lambda: find(app, "label", "Static hosts"))
    scroll_into_view(hosts)
    click_at(hosts)
    mac = wait_for("the MAC field of the host form", lambda: find(app, "text", "MAC address"))
    retype(mac, "52:54:00:00:00:10")
    ip = wait_for("the IP field of the host form", lambda: find(app, "text", "IP address"))
    retype(ip, "10.0.0.10")
    wait_for("the message at the IP field", lambda: find(app, "label", "IP address is outside 192.168.125.0/24"))
    add = wait_for("Add Host", lambda: find(app, "push button", "Add Host"))
    if sensitive(add):
        fail("Add Host is enabled for a host outside the subnet")
    retype(mac, "52:54:00:00:00:09")
    wait_for("the MAC's message", lambda: find(app, "label", "MAC address is already used by another static host"))
    retype(mac, "52:54:00:00:00:10")
    retype(ip, "192.168.125.10")
    name = wait_for("the name field of the host form", lambda: find(app, "text", "Host name"))
    retype(name, "db")
    wait_for("Add Host to be enabled", lambda: sensitive(find(app, "push button", "Add Host")))
    do(find(app, "push button", "Add Host"), "click")
    wait_for("db in the list of hosts", lambda: find(app, "label", "db"))
    step("a host outside the subnet and a used MAC are refused at their fields; a valid one is added")

    apply = wait_for("Apply", lambda: find(app, "push button", "Apply"))
    wait_for("Apply to be enabled", lambda: sensitive(apply))
    do(apply, "click")

    def applied():
        xml = inactive_xml()
        return all(part in xml for part in [
            "<ip address='192.168.125.1' prefix='24'>",
            "<range start='192.168.125.2' end='192.168.125.254'/>",
            "<host mac='52:54:00:00:00:09' name='web' ip='192.168.125.9'/>",
            "<host mac='52:54:00:00:00:10' name='db' ip='192.168.125.10'/>",
            "<domain name='test.example' localOnly='yes'/>",
        ]) and xml
    wait_for("net-dumpxml --inactive to have the range, both hosts and localOnly", applied)
    step("Apply saved the new address with the range, the static hosts and localOnly (net-dumpxml --inactive)")

    # The notice says which fields wait for the restart (the static host alone would not).
    notice = ("The network runs with its previous settings: the changes to Host address and prefix (IPv4), "
              "DHCP range (IPv4), Static hosts (IPv4), Domain take effect at the next start.")
    wait_for("the notice naming the fields", lambda: find(app, "label", notice))
    step("the restart notice names the fields that wait for the next start")

    # Restart Now also names the guest first.
    restart = wait_for("Restart Now", lambda: find(app, "push button", "Restart Now"))
    do(restart, "click")
    question = wait_for("the question naming myvm",
                        lambda: find(root, "label", "myvm loses its connection while the network restarts."))
    dialog = window_of(question)
    do(wait_for("Restart", lambda: button(dialog, "Restart")), "click")
    wait_for("the question to close", lambda: closed(dialog))
    app = main_window(root)
    wait_for("lab to run on the new address", lambda: "192.168.125.1" in cli("net-dumpxml", "lab"))
    step("Restart Now asks first, naming myvm; confirmed, lab runs with the new address")

    # The search: Enter opens the first match; a filter that hides the shown network
    # leaves nothing acting on it; clearing the filter shows it again.
    search = wait_for("the search field", lambda: find(app, None, "Search networks"))
    click_at(search)
    type_text("def")
    keys("Return")
    # (The list writes subnets with word joiners: this label is the details' Network row.)
    wait_for("default's details", lambda: find(app, "label", "192.168.122.0/24"))
    step("Enter in the search opened the first match (default)")
    type_text("zzz")
    wait_for("the details to empty", lambda: find(app, "label", "No Network Selected"))
    keys("ctrl+a", "BackSpace")
    wait_for("default shown again", lambda: find(app, "label", "192.168.122.0/24"))
    step("a filter hiding the shown network empties the details; clearing it shows the network again")
    print("all steps passed", flush=True)


if __name__ == "__main__":
    run(steps)
