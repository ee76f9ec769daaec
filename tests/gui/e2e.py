"""What the end-to-end drivers share: waiting, walking the accessibility tree, finding
and using widgets, and asking the helper through the `virtnet` CLI.

Environment: VIRTNET (the CLI binary), VIRTNET_CONNECT (the sandbox's bus).
"""

import os
import subprocess
import sys
import time

import pyatspi

TIMEOUT = 20


def fail(message):
    print("FAIL: " + message, flush=True)
    # For whoever debugs it: what the screen showed (E2E_SCREENSHOT=file.png, needs xwd
    # and netpbm, which the tests themselves do not).
    shot = os.environ.get("E2E_SCREENSHOT")
    if shot:
        subprocess.run(f"xwd -root -silent | xwdtopnm 2>/dev/null | pnmtopng > {shot}", shell=True)
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
    """The node and everything below it. A window just destroyed can linger in the tree
    and fail when asked (GTK 4.8): what fails is skipped, not the whole walk."""
    yield node
    try:
        count = node.childCount
    except Exception:
        return
    for index in range(count):
        try:
            child = node.getChildAtIndex(index)
        except Exception:
            continue
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


def matches(node, role, name, contains):
    try:
        return (
            (role is None or node.getRoleName() == role)
            and (name is None or node.name == name)
            and (contains is None or contains in node.name)
            and shown(node)
        )
    except Exception:  # gone while we looked
        return False


def find(root, role, name=None, contains=None):
    for node in walk(root):
        if matches(node, role, name, contains):
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


def open_network(app, name):
    """Selects the network in the list and waits for its running details (Stop)."""
    listing, index, _ = wait_for(f"{name} in the list", lambda: row_of(app, name))
    listing.querySelection().selectChild(index)
    wait_for(f"{name}'s details", lambda: find(app, "push button", "Stop"))


def info(name):
    """`virtnet net-info NAME` as a dict."""
    lines = cli("net-info", name).splitlines()
    return {k.strip(): v.strip() for k, v in (l.split(":", 1) for l in lines if ":" in l)}


def click_at(node):
    """Clicks the middle of a widget with the pointer, for widgets GTK 4.8 gives no
    accessible action (check buttons). Without a window manager every window sits at
    the screen's origin, so window coordinates are screen coordinates."""
    extents = node.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
    x, y = extents.x + extents.width // 2, extents.y + extents.height // 2
    subprocess.run(["xdotool", "mousemove", str(x), str(y), "click", "1"], check=True)


def run(steps):
    """Starts the window, runs `steps(app)` on it, and closes it whatever happens."""
    window = subprocess.Popen([os.environ["VIRTNET_MANAGER"]])
    try:
        steps(the_app())
    finally:
        if window.poll() is not None:
            print(f"FAIL: the window exited by itself (status {window.returncode})", flush=True)
        window.terminate()
        window.wait()


def window_of(node):
    while node.getRoleName() not in ("frame", "dialog", "alert"):
        node = node.parent
    return node


def scroll_into_view(node, timeout=TIMEOUT):
    """Wheels the scrolled page under a widget until the widget is inside its window
    (a click needs it on screen)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        box = node.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
        frame = window_of(node).queryComponent().getExtents(pyatspi.WINDOW_COORDS)
        # Keep clear of the header bar above and the action bar below.
        top, bottom = frame.y + 70, frame.y + frame.height - 70
        if box.y >= top and box.y + box.height <= bottom:
            return
        wheel = "5" if box.y + box.height > bottom else "4"
        x = box.x + box.width // 2
        subprocess.run(["xdotool", "mousemove", str(x), str((top + bottom) // 2), "click", wheel], check=True)
        time.sleep(0.05)
    fail(f"could not scroll {node.name!r} into view")


def keys(*names):
    """Presses keys one after the other (xdotool key names: BackSpace, End, Return)."""
    subprocess.run(["xdotool", "key", "--delay", "15", *names], check=True)


def type_text(text):
    """Types text key by key, as a person would."""
    subprocess.run(["xdotool", "type", "--delay", "15", text], check=True)


def retype(node, text, longest=40):
    """Clicks into a field, deletes its text key by key (up to `longest` characters;
    GTK 4.8 does not tell the text of an entry row), and types `text` key by key: every
    intermediate state (empty, half-typed) reaches the window."""
    scroll_into_view(node)
    click_at(node)
    keys("End", *["BackSpace"] * longest)
    type_text(text)


def button(root, label):
    """A push button labelled `label`, with or without a mnemonic (GTK 4.8 names a
    button with a mnemonic "_Cancel Cancel" for screen readers)."""
    for node in walk(root):
        try:
            if node.getRoleName() == "push button" and shown(node) and node.name.replace("_", "") in (label, f"{label} {label}"):
                return node
        except Exception:
            continue
    return None


def main_window(app):
    """The main window. Searches start from it, not from the app: GTK 4.8 leaves a
    destroyed window (each finished wizard) in the app's tree, where a question to it can
    go unanswered until D-Bus times out."""
    def look():
        for index in range(app.childCount):
            try:
                window = app.getChildAtIndex(index)
                if window is not None and window.name == "Virtual Networks" and find(window, "list", "Virtual networks"):
                    return window
            except Exception:  # a closed dialog that lingers
                continue
        return None

    return wait_for("the main window", look)


def closed(window):
    """The window is no longer on screen (or no longer exists)."""
    try:
        return not window.getState().contains(pyatspi.STATE_SHOWING)
    except Exception:
        return True
