//! The picture of a network in the overview: the uplink (or none when isolated), the
//! mode, the switch (bridge and subnet), and the guests plugged into it (each port,
//! and guests holding leases behind other devices).

use gettextrs::gettext;
use relm4::gtk;
use relm4::gtk::cairo;
use relm4::gtk::prelude::*;

/// What the picture shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Diagram {
    /// `None` for an isolated network; otherwise the uplink's name or "any interface".
    pub uplink: Option<String>,
    pub mode: String,
    pub bridge: String,
    pub subnet: String,
    pub guests: Vec<String>,
    pub active: bool,
    /// Port forwards, for screen readers ("2222/tcp → 192.168.122.10:22")...
    pub forwards: Vec<String>,
    /// ... and as drawn on the uplink's side, short ("2222/tcp → 22").
    pub forward_labels: Vec<String>,
}

impl Diagram {
    /// The same in words, for screen readers.
    pub fn description(&self) -> String {
        let uplink = match &self.uplink {
            Some(uplink) => {
                gettext("connected to {uplink} by {mode}").replace("{uplink}", uplink).replace("{mode}", &self.mode)
            }
            None => gettext("not connected to the outside"),
        };
        let text = gettext("Switch {bridge} ({subnet}), {uplink}, {count} guests plugged in")
            .replace("{bridge}", &self.bridge)
            .replace("{subnet}", &self.subnet)
            .replace("{uplink}", &uplink)
            .replace("{count}", &self.guests.len().to_string());
        if self.forwards.is_empty() {
            return text;
        }
        gettext("{description}; ports forwarded: {forwards}")
            .replace("{description}", &text)
            .replace("{forwards}", &self.forwards.join(", "))
    }
}

const MAX_GUESTS: usize = 4;
/// Forwards listed in the uplink's box; more are counted.
const MAX_FORWARDS: usize = 3;

fn rounded(cr: &cairo::Context, x: f64, y: f64, w: f64, h: f64, r: f64) {
    use std::f64::consts::PI;
    cr.new_sub_path();
    cr.arc(x + w - r, y + r, r, -PI / 2.0, 0.0);
    cr.arc(x + w - r, y + h - r, r, 0.0, PI / 2.0);
    cr.arc(x + r, y + h - r, r, PI / 2.0, PI);
    cr.arc(x + r, y + r, r, PI, 1.5 * PI);
    cr.close_path();
}

/// Draws `text` centred on `cx` with its baseline at `y`, cut with an ellipsis to `max_width`.
fn label(cr: &cairo::Context, text: &str, cx: f64, y: f64, size: f64, max_width: f64) {
    cr.set_font_size(size);
    let width = |t: &str| cr.text_extents(t).map(|e| e.width()).unwrap_or(0.0);
    let mut shown = text.to_owned();
    let mut keep = text.chars().count();
    while keep > 1 && width(&shown) > max_width {
        keep -= 1;
        shown = text.chars().take(keep).collect::<String>() + "…";
    }
    if let Ok(extents) = cr.text_extents(&shown) {
        cr.move_to(cx - extents.width() / 2.0 - extents.x_bearing(), y);
        let _ = cr.show_text(&shown);
    }
}

/// How wide a box must be for its text (at the sizes `node` uses).
fn node_width(cr: &cairo::Context, title: &str, lines: &[&str]) -> f64 {
    let width = |text: &str, size: f64| {
        cr.set_font_size(size);
        cr.text_extents(text).map(|e| e.width()).unwrap_or(0.0)
    };
    let widest = lines.iter().map(|l| width(l, 11.0)).fold(width(title, 13.0), f64::max);
    widest + 24.0
}

/// A box with a title and lines under it, centred on (`cx`, `cy`).
fn node(
    cr: &cairo::Context,
    fg: &gtk::gdk::RGBA,
    (cx, cy): (f64, f64),
    w: f64,
    title: &str,
    lines: &[&str],
    filled: bool,
) {
    let h = 30.0 + 15.0 * lines.len() as f64;
    rounded(cr, cx - w / 2.0, cy - h / 2.0, w, h, 8.0);
    cr.set_source_rgba(
        f64::from(fg.red()),
        f64::from(fg.green()),
        f64::from(fg.blue()),
        if filled { 0.12 } else { 0.05 },
    );
    let _ = cr.fill_preserve();
    cr.set_source_rgba(f64::from(fg.red()), f64::from(fg.green()), f64::from(fg.blue()), 0.5);
    cr.set_line_width(1.0);
    let _ = cr.stroke();
    cr.set_source_rgba(f64::from(fg.red()), f64::from(fg.green()), f64::from(fg.blue()), 1.0);
    let top = cy - h / 2.0;
    label(cr, title, cx, top + 20.0, 13.0, w - 12.0);
    cr.set_source_rgba(f64::from(fg.red()), f64::from(fg.green()), f64::from(fg.blue()), 0.7);
    for (i, line) in lines.iter().enumerate() {
        label(cr, line, cx, top + 36.0 + 15.0 * i as f64, 11.0, w - 12.0);
    }
}

fn link(cr: &cairo::Context, fg: &gtk::gdk::RGBA, x1: f64, y1: f64, x2: f64, y2: f64, dashed: bool) {
    cr.set_source_rgba(f64::from(fg.red()), f64::from(fg.green()), f64::from(fg.blue()), 0.6);
    cr.set_line_width(2.0);
    cr.set_dash(if dashed { &[4.0, 4.0] } else { &[] }, 0.0);
    cr.move_to(x1, y1);
    cr.line_to(x2, y2);
    let _ = cr.stroke();
    cr.set_dash(&[], 0.0);
}

/// Draws the picture into a `width` × `height` area in the widget's colour: three
/// columns (uplink, switch, guests) joined by lines, dashed while the network is down.
pub fn draw(diagram: &Diagram, widget: &gtk::DrawingArea, cr: &cairo::Context, width: i32, height: i32) {
    // Widget::color() needs GTK 4.10; the style context's is the same colour on 4.8.
    #[allow(deprecated)]
    let fg = widget.style_context().color();
    let (w, h) = (f64::from(width), f64::from(height));
    let mid = h / 2.0;
    let margin = 16.0;
    let column = (w - 2.0 * margin) / 3.0;

    let (uplink_title, uplink_line) = match &diagram.uplink {
        Some(uplink) => (gettext("Outside"), uplink.clone()),
        None => (gettext("No uplink"), gettext("isolated")),
    };
    // The forwards come in from the outside: listed in the uplink's box.
    let mut uplink_lines: Vec<String> = vec![uplink_line];
    let forwards = &diagram.forward_labels;
    uplink_lines.extend(forwards.iter().take(MAX_FORWARDS).cloned());
    if forwards.len() > MAX_FORWARDS {
        uplink_lines.push(gettext("and {count} more").replace("{count}", &(forwards.len() - MAX_FORWARDS).to_string()));
    }
    let uplink_lines: Vec<&str> = uplink_lines.iter().map(String::as_str).collect();
    let uplink_w = node_width(cr, &uplink_title, &uplink_lines).min(column - 12.0);
    let uplink_x = margin + uplink_w / 2.0;
    let subnets: Vec<&str> = diagram.subnet.split(", ").filter(|s| !s.is_empty()).collect();
    let switch_w = node_width(cr, &diagram.bridge, &subnets).max(120.0).min(column + 20.0);
    let guests_w = (column - 12.0).min(200.0);
    let guests_x = w - margin - guests_w / 2.0;
    // The switch sits in the middle, or further right when the mode's name (longer in
    // some languages) needs a longer line, as far as the guests' column allows.
    let mode_w = node_width(cr, "", &[&diagram.mode]) - 8.0;
    let wanted_x = uplink_x + uplink_w / 2.0 + mode_w + switch_w / 2.0;
    let switch_x = wanted_x.min(guests_x - guests_w / 2.0 - 24.0 - switch_w / 2.0).max(w / 2.0);

    if diagram.uplink.is_some() {
        let (from, to) = (uplink_x + uplink_w / 2.0, switch_x - switch_w / 2.0);
        link(cr, &fg, from, mid, to, mid, !diagram.active);
        cr.set_source_rgba(f64::from(fg.red()), f64::from(fg.green()), f64::from(fg.blue()), 0.8);
        // The mode's name over the line, if the line is long enough to carry it.
        if to - from > 48.0 {
            label(cr, &diagram.mode, (from + to) / 2.0, mid - 8.0, 11.0, to - from - 8.0);
        }
    }
    node(cr, &fg, (uplink_x, mid), uplink_w, &uplink_title, &uplink_lines, false);
    node(cr, &fg, (switch_x, mid), switch_w, &diagram.bridge, &subnets, diagram.active);

    let shown: Vec<&String> = diagram.guests.iter().take(MAX_GUESTS).collect();
    if shown.is_empty() {
        cr.set_source_rgba(f64::from(fg.red()), f64::from(fg.green()), f64::from(fg.blue()), 0.6);
        let text = if diagram.active { gettext("nothing plugged in") } else { gettext("not running") };
        label(cr, &text, guests_x, mid + 4.0, 11.0, guests_w);
        return;
    }
    let more = diagram.guests.len().saturating_sub(MAX_GUESTS);
    let rows = shown.len() + usize::from(more > 0);
    let step = (h - 20.0) / rows as f64;
    for (i, guest) in shown.iter().enumerate() {
        let y = 10.0 + step * (i as f64 + 0.5);
        link(cr, &fg, switch_x + switch_w / 2.0, mid, guests_x - guests_w / 2.0, y, false);
        let (title, line) = guest.split_once('\n').unwrap_or((guest.as_str(), ""));
        node_small(cr, &fg, guests_x, y, guests_w, title, line);
    }
    if more > 0 {
        cr.set_source_rgba(f64::from(fg.red()), f64::from(fg.green()), f64::from(fg.blue()), 0.7);
        label(
            cr,
            &gettext("and {count} more").replace("{count}", &more.to_string()),
            guests_x,
            10.0 + step * (rows as f64 - 0.3),
            11.0,
            guests_w,
        );
    }
}

fn node_small(cr: &cairo::Context, fg: &gtk::gdk::RGBA, cx: f64, cy: f64, w: f64, title: &str, line: &str) {
    let h = 30.0;
    rounded(cr, cx - w / 2.0, cy - h / 2.0, w, h, 6.0);
    cr.set_source_rgba(f64::from(fg.red()), f64::from(fg.green()), f64::from(fg.blue()), 0.05);
    let _ = cr.fill_preserve();
    cr.set_source_rgba(f64::from(fg.red()), f64::from(fg.green()), f64::from(fg.blue()), 0.4);
    cr.set_line_width(1.0);
    let _ = cr.stroke();
    cr.set_source_rgba(f64::from(fg.red()), f64::from(fg.green()), f64::from(fg.blue()), 1.0);
    let text = if line.is_empty() { title.to_owned() } else { format!("{title} · {line}") };
    label(cr, &text, cx, cy + 4.0, 11.0, w - 10.0);
}

/// How a kind of network connects guests to the LAN, for the wizard's small pictures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Out only, through this computer's address (NAT).
    OutOnly,
    /// Both ways (routed, open).
    BothWays,
    /// No way out (isolated).
    None,
}

/// A small picture for a mode card: LAN — switch — guest, the first link showing the
/// direction traffic may take (or crossed out).
pub fn draw_mode(reach: Reach, widget: &gtk::DrawingArea, cr: &cairo::Context, width: i32, height: i32) {
    #[allow(deprecated)]
    let fg = widget.style_context().color();
    let (w, h) = (f64::from(width), f64::from(height));
    let mid = h / 2.0;
    let box_w = ((w - 40.0) / 3.0).min(90.0);
    let xs = [box_w / 2.0 + 4.0, w / 2.0, w - box_w / 2.0 - 4.0];
    let (lan, switch, guest) = (gettext("LAN"), gettext("Switch"), gettext("Guest"));
    let alpha = |cr: &cairo::Context, a: f64| {
        cr.set_source_rgba(f64::from(fg.red()), f64::from(fg.green()), f64::from(fg.blue()), a);
    };
    let (from, to) = (xs[0] + box_w / 2.0, xs[1] - box_w / 2.0);
    match reach {
        Reach::None => {
            alpha(cr, 0.5);
            cr.set_line_width(2.0);
            let c = (from + to) / 2.0;
            cr.move_to(c - 6.0, mid - 6.0);
            cr.line_to(c + 6.0, mid + 6.0);
            cr.move_to(c + 6.0, mid - 6.0);
            cr.line_to(c - 6.0, mid + 6.0);
            let _ = cr.stroke();
        }
        Reach::OutOnly | Reach::BothWays => {
            link(cr, &fg, from, mid, to, mid, false);
            alpha(cr, 0.8);
            let arrow = |cr: &cairo::Context, tip: f64, dir: f64| {
                cr.move_to(tip, mid);
                cr.line_to(tip + 7.0 * dir, mid - 5.0);
                cr.line_to(tip + 7.0 * dir, mid + 5.0);
                cr.close_path();
                let _ = cr.fill();
            };
            arrow(cr, from + 1.0, 1.0);
            if reach == Reach::BothWays {
                arrow(cr, to - 1.0, -1.0);
            }
        }
    }
    link(cr, &fg, xs[1] + box_w / 2.0, mid, xs[2] - box_w / 2.0, mid, false);
    let faded = reach == Reach::None;
    for (x, title) in xs.iter().zip([&lan, &switch, &guest]) {
        let lan_box = *title == lan;
        rounded(cr, x - box_w / 2.0, mid - 15.0, box_w, 30.0, 6.0);
        alpha(cr, if lan_box && faded { 0.02 } else { 0.08 });
        let _ = cr.fill_preserve();
        alpha(cr, if lan_box && faded { 0.2 } else { 0.5 });
        cr.set_line_width(1.0);
        let _ = cr.stroke();
        alpha(cr, if lan_box && faded { 0.35 } else { 1.0 });
        label(cr, title, *x, mid + 4.0, 11.0, box_w - 8.0);
    }
}
