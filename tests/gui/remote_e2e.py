#!/usr/bin/python3
"""End-to-end test of a window with two hosts, driven through the accessibility tree.

Run by tests/gui_remote.rs inside `xvfb-run` + `dbus-run-session`. Host A is the
sandbox of VIRTNET_CONNECT; host B is a second sandbox reached over real ssh
(REMOTE, with VIRTNET_SSH as the ssh program), which holds `lab` on 192.168.123.0/24.
The window starts with A alone, adds B in the "Add Connection" dialog, and must then
show each host's networks under its heading, follow B's changes made from the CLI over
ssh, create a network on B in the wizard (with a subnet free on B), grey B's networks
while B's virtnetd is stopped and come back when it starts; started again, it must
connect B from its settings by itself, and forget B when removed.

Environment: VIRTNET_MANAGER, VIRTNET (binaries), VIRTNET_CONNECT (A's bus), VIRTNET_SSH,
REMOTE (ssh://root@127.0.0.1), KNOWN_HOSTS (the empty known_hosts the window's ssh
starts with: SANDBOX_SSH_ARGS points there), REMOTE_STOP / REMOTE_START (shell commands that stop and
start B's virtnetd), SETTINGS_FILE (the keyfile GSettings writes), SIDEBAR_SCREENSHOT and
UNREACHABLE_SCREENSHOT, ASKPASS_SCREENSHOT (optional: where to save pictures of the sidebar).
"""

import os
import subprocess
import sys
import time

import pyatspi

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import run, button, cli, closed, do, fail, find, main_window, network_list, row_texts, sensitive, step, wait_for, walk  # noqa: E402
from wizard_e2e import next_page, type_into, choose_mode, wizard_window  # noqa: E402

LOCAL = "This Computer"
REMOTE_LABEL = "root@127.0.0.1"
HOSTS = (LOCAL, REMOTE_LABEL)


def remote_cli(*args):
    # The sandbox's own strict ssh settings, not the window's.
    env = {k: v for k, v in os.environ.items() if k != "SANDBOX_SSH_ARGS"}
    out = subprocess.run([os.environ["VIRTNET"], "-c", os.environ["REMOTE"], *args], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        fail(f"virtnet -c {os.environ['REMOTE']} {' '.join(args)}: {out.stderr.strip()}")
    return out.stdout


def sidebar(app):
    """The sidebar's rows in order: (host, network or None for the heading, texts, node)."""
    rows, host = [], None
    for item in network_list(main_window(app)):
        texts = row_texts(item)
        if not texts:
            continue
        if texts[0] in HOSTS:
            host = texts[0]
            rows.append((host, None, texts, item))
        else:
            rows.append((host, texts[0], texts, item))
    return rows


def row(app, host, name):
    for row_host, row_name, texts, item in sidebar(app):
        if row_host == host and row_name == name:
            return texts, item
    return None


def heading(app, host):
    return row(app, host, None)


def greyed(item):
    """The row is insensitive (GTK 4.8 tells it of the row's own box, not of its labels)."""
    return any(not sensitive(node) for node in walk(item))


def greyed_within(node):
    """The widget or one that holds it is insensitive (GTK 4.8 tells each widget's own)."""
    while node is not None and node.getRoleName() != "frame":
        if not sensitive(node):
            return True
        node = node.parent
    return False


def select(app, host, name):
    listing = network_list(main_window(app))
    for index, (row_host, row_name, _, _) in enumerate(sidebar(app)):
        if row_host == host and row_name == name:
            listing.querySelection().selectChild(index)
            return
    fail(f"no row {name!r} under {host!r}")


def screenshot(variable):
    shot = os.environ.get(variable)
    if shot:
        subprocess.run(f"xwd -root -silent | xwdtopnm 2>/dev/null | pnmtopng > {shot}", shell=True, check=True)


def settings_text():
    try:
        with open(os.environ["SETTINGS_FILE"]) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def add_connection(app):
    def menu_button():
        # GTK 4.8: the menu button holds the button that has the click action.
        outer = find(main_window(app), "push button", "Main Menu")
        return outer and next((n for n in walk(outer) if n is not outer and n.queryAction().nActions), None)

    do(wait_for("the main menu button", menu_button), "click")
    do(wait_for("the Add Connection item", lambda: find(app, "menu item", "Add Connection…")), "click")
    dialog = wait_for("the Add Connection dialog", lambda: find(app, "label", "Add Connection") and find(app, "text", "Host"))
    add = wait_for("the Add button", lambda: button(app, "Add"))
    if sensitive(add):
        fail("Add is offered before a host is typed")
    type_into(app, "Host", "127.0.0.1")
    type_into(app, "Port (empty: 22)", "ssh")
    wait_for("the port to be refused", lambda: find(app, "label", contains="is not a number from 1 to 65535"))
    if sensitive(add):
        fail("Add is offered with the port 'ssh'")
    type_into(app, "Port (empty: 22)", "")
    type_into(app, "User (empty: ssh's default)", "root")
    wait_for("Add to be offered", lambda: sensitive(add))
    do(add, "click")
    return dialog


def trust_host_key(app):
    """ssh does not know B's key yet (SANDBOX_SSH_ARGS: strict checking off, an empty
    known_hosts) and asks through virtnet-manager as its askpass: another process with
    a window of its own. (The window's own process is not searched: GTK 4.8 can crash
    when asked about the dialog it just closed.)"""
    window = app.get_process_id()

    def question():
        for candidate in pyatspi.Registry.getDesktop(0):
            if candidate is not None and candidate.get_process_id() != window and find(candidate, "label", "Unknown Host Key"):
                return candidate
        return None

    asker = wait_for("ssh's host key question in a dialog", question)
    if not find(asker, "label", contains="key fingerprint is SHA256:"):
        fail("the dialog does not show ssh's question with the key's fingerprint")
    # Meanwhile B's page names B (not "this host", which reads as This Computer).
    wait_for("B's page to say it connects over ssh to B",
             lambda: find(main_window(app), "label", "Connecting over ssh to ssh://root@127.0.0.1…"))
    screenshot("ASKPASS_SCREENSHOT")
    do(wait_for("Trust and Connect", lambda: button(asker, "Trust and Connect")), "click")


def steps(app):
    # One connection: the window as it always was, with the first network selected.
    wait_for("default in the list", lambda: row(app, None, "default"))
    wait_for("default's details at start", lambda: find(main_window(app), "push button", "Stop"))
    if heading(app, LOCAL):
        fail("a window with one connection shows a host heading")
    step("one connection: no headings, and the first network (default) is selected at start")

    add_connection(app)
    trust_host_key(app)
    wait_for("both hosts' headings", lambda: heading(app, LOCAL) and heading(app, REMOTE_LABEL))
    wait_for("B's networks under B", lambda: row(app, REMOTE_LABEL, "default") and row(app, REMOTE_LABEL, "lab"))
    if not row(app, LOCAL, "default") or row(app, LOCAL, "lab"):
        fail(f"A's networks are wrong: {[(h, n) for h, n, _, _ in sidebar(app)]}")
    texts, _ = heading(app, REMOTE_LABEL)
    if texts[1] != "Connected · 2 networks":
        fail(f"B's heading says {texts!r}")
    wait_for("the connection to be remembered", lambda: "ssh://root@127.0.0.1" in settings_text())
    if "127.0.0.1 ssh-ed25519" not in open(os.environ["KNOWN_HOSTS"]).read():
        fail("ssh did not record the trusted key")
    step("Add Connection (port 'ssh' refused as typed), B's unknown host key asked and trusted in a dialog: B's heading 'Connected · 2 networks' with default and lab under it, A's under A; remembered")
    screenshot("SIDEBAR_SCREENSHOT")

    # A change made on B from the CLI, over ssh, shows under B and only there.
    remote_cli("net-start", "lab")
    began = time.monotonic()
    # A stall check: a second is the promise, more than 5 s only a hang can take.
    wait_for("lab under B to be active", lambda: row(app, REMOTE_LABEL, "lab")[0][1].startswith("Active"), timeout=5)
    shown_after = time.monotonic() - began
    if row(app, LOCAL, "lab"):
        fail("lab showed up under This Computer")
    step(f"net-start lab over ssh showed as Active under B {shown_after * 1000:.0f} ms after the CLI returned, and not under A")

    # The wizard, from B's page, creates the network on B, on a subnet free there.
    select(app, REMOTE_LABEL, None)
    wait_for("B's page", lambda: find(main_window(app), "label", "Connected over ssh to ssh://root@127.0.0.1."))
    do(wait_for("B's New Network button", lambda: find(main_window(app), "push button", "New Network")), "click")
    wizard = wizard_window(app)
    wait_for("the wizard to name B", lambda: find(wizard, "label", "New Network on root@127.0.0.1"))
    type_into(wizard, "Name", "made-on-b")
    choose_mode(wizard, "Isolated")
    next_page(wizard, "Addresses")
    # B has 192.168.122.0/24 and lab's 192.168.123.0/24: the next free one is B's.
    wait_for("B's free subnet suggested", lambda: find(wizard, "label", "192.168.124.0/24"))
    next_page(wizard, "Names (DNS)")
    next_page(wizard, "Review")
    create_button = wait_for("Create", lambda: (lambda b: b if b and sensitive(b) else None)(find(wizard, "push button", "Create")))
    do(create_button, "click")
    wait_for("the wizard to close", lambda: closed(wizard))
    wait_for("made-on-b under B", lambda: row(app, REMOTE_LABEL, "made-on-b"))
    if "made-on-b" not in remote_cli("net-list", "--all", "--name").split():
        fail("B's virtnetd does not have made-on-b")
    if "made-on-b" in cli("net-list", "--all", "--name").split():
        fail("made-on-b was created on This Computer")
    step("the wizard from B's page created made-on-b on B (suggesting 192.168.124.0/24, free there), not on A")

    # B's virtnetd stops: B says so, its networks are greyed, A's are not.
    subprocess.run(os.environ["REMOTE_STOP"], shell=True, check=True)
    wait_for("B's heading to say unreachable", lambda: heading(app, REMOTE_LABEL)[0][1].startswith("Unreachable: virtnetd is not running on 127.0.0.1"))
    wait_for("B's networks greyed", lambda: greyed(row(app, REMOTE_LABEL, "lab")[1]) and greyed(row(app, REMOTE_LABEL, "default")[1]))
    if greyed(row(app, LOCAL, "default")[1]):
        fail("A's default is greyed while only B is away")
    wait_for("made-on-b's details greyed", lambda: greyed_within(find(main_window(app), "push button", "Stop")))
    step("B's virtnetd stopped: B's heading says 'Unreachable: virtnetd is not running on 127.0.0.1 …', its networks greyed, A's not")
    screenshot("UNREACHABLE_SCREENSHOT")
    subprocess.run(os.environ["REMOTE_START"], shell=True, check=True)
    wait_for("B to be connected again", lambda: heading(app, REMOTE_LABEL)[0][1] == "Connected · 3 networks")
    wait_for("B's networks usable again", lambda: not greyed(row(app, REMOTE_LABEL, "lab")[1]))
    step("B's virtnetd started again: B reconnected by itself (Connected · 3 networks)")


def second_window(app):
    """The window started again: B comes back from the settings, connected by itself."""
    wait_for("B's heading at start, from the settings", lambda: heading(app, REMOTE_LABEL))
    wait_for("B connected at start", lambda: heading(app, REMOTE_LABEL)[0][1] == "Connected · 3 networks")
    wait_for("B's networks under B at start", lambda: row(app, REMOTE_LABEL, "made-on-b") and row(app, REMOTE_LABEL, "lab"))
    if not row(app, LOCAL, "default") or row(app, LOCAL, "made-on-b"):
        fail("A's networks are not A's alone after the restart")
    step("started again: B remembered and connected at start (Connected · 3 networks), its networks under it")

    # Removing B forgets it.
    select(app, REMOTE_LABEL, None)
    do(wait_for("Remove Connection", lambda: find(main_window(app), "push button", "Remove Connection")), "click")
    wait_for("B to leave the list", lambda: not heading(app, REMOTE_LABEL) and not row(app, None, "lab"))
    wait_for("the connection to be forgotten", lambda: "ssh://" not in settings_text())
    if not row(app, None, "default"):
        fail("A's default left with B")
    step("Remove Connection: B and its networks left the list and the settings; one connection, no headings again")


run(steps)
run(second_window)
print("all steps passed", flush=True)
