//! The CAAS client console's presentation: server-rendered HTML pages (maud
//! escapes every interpolated value), SVG charts drawn on the server, and the
//! stylesheet and script compiled into the binary — no front-end build, no CDN.
//!
//! This crate does no I/O: the server's handlers gather data into the view
//! models below and call a page function; each returns the whole document.

#![deny(missing_docs)]

pub mod charts;
mod layout;
pub mod pages;

pub use layout::{Flash, Frame, Section, TeamChoice, UserBar, document};
pub use maud::Markup;

/// The console's stylesheet, served at `/console/assets/console.css`.
pub const CSS: &str = include_str!("../assets/console.css");
/// The console's icon, served at `/console/assets/favicon.svg`.
pub const FAVICON: &str = include_str!("../assets/favicon.svg");
/// The console's script (copy buttons, confirmations), served at `/console/assets/console.js`.
pub const JS: &str = include_str!("../assets/console.js");

/// Formats cents as dollars, e.g. `$12.05`.
pub fn money(cents: u64) -> String {
    format!("${}.{:02}", cents / 100, cents % 100)
}

/// Formats a byte count with a binary-free, decimal unit (kB, MB, GB).
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    match unit {
        0 => format!("{n} B"),
        _ => format!("{v:.1} {}", UNITS[unit]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(money(0), "$0.00");
        assert_eq!(money(1205), "$12.05");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1_500_000), "1.5 MB");
        assert_eq!(bytes(u64::MAX), "18446744.1 TB");
    }
}
