//! virsh's table layout: a header, a line of dashes two longer than the widest row
//! could be, each cell padded to its column's width with three spaces between columns
//! (the last one not padded), one space before each line, and an empty line after.
//! Cells carry names from guests and other users: control and bidi characters are
//! shown as U+FFFD, so no cell can move the cursor, retitle the terminal or reorder a
//! line.

use crate::model::syntax::shown_text;

pub fn render(headers: &[&str], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows.iter().map(|row| row.iter().map(|cell| shown_text(cell)).collect()).collect();
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| rows.iter().map(|r| r[i].chars().count()).chain([h.chars().count()]).max().unwrap_or(0))
        .collect();
    let line = |cells: Vec<&str>| {
        let mut out = String::from(" ");
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(cell);
                out.push_str(&" ".repeat(widths[i] - cell.chars().count() + 3));
            }
        }
        out
    };
    let header = line(headers.to_vec());
    let full_width = 1 + widths.iter().sum::<usize>() + 3 * widths.len().saturating_sub(1);
    let mut out = format!("{header}\n{}\n", "-".repeat(full_width + 2));
    for row in &rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_drive_the_terminal() {
        let rows = vec![vec!["<b>x</b>&\u{1b}]0;pwned\u{7}".to_owned(), "a\u{202e}b\u{9b}c\u{7f}".to_owned()]];
        let out = render(&["Hostname", "Other"], &rows);
        assert!(out.contains("<b>x</b>&\u{fffd}]0;pwned\u{fffd}"), "{out}");
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
        assert!(out.contains("a\u{fffd}b\u{fffd}c\u{fffd}"), "{out}");
    }

    #[test]
    fn matches_virsh() {
        // Captured from virsh 9.0's net-list --all.
        let rows = vec![vec!["lvtest".to_owned(), "inactive".to_owned(), "no".to_owned(), "yes".to_owned()]];
        assert_eq!(
            render(&["Name", "State", "Autostart", "Persistent"], &rows),
            " Name     State      Autostart   Persistent\n---------------------------------------------\n lvtest   inactive   no          yes\n\n"
        );
        // virsh 9.0's net-dhcp-leases with one lease.
        let lease = vec![
            ["2026-11-28 00:19:21", "52:54:00:11:22:33", "ipv4", "192.168.160.220/24", "-", "01:52:54:00:11:22:33"]
                .map(str::to_owned)
                .to_vec(),
        ];
        assert_eq!(
            render(&["Expiry Time", "MAC address", "Protocol", "IP address", "Hostname", "Client ID or DUID"], &lease),
            include_str!("../../tests/data/cli/virsh-9.0-net-dhcp-leases.txt")
        );
        assert_eq!(
            render(&["Name", "State", "Autostart", "Persistent"], &[]),
            " Name   State   Autostart   Persistent\n----------------------------------------\n\n"
        );
    }
}
