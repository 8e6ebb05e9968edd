//! Integer-only formatting of quantities and money for invoice descriptions.

use crate::Metric;

/// Groups digits by thousands with spaces: `1250000` → `"1 250 000"`.
pub(crate) fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// Formats cents as dollars: `10` → `"$0.10"`, `123456` → `"$1 234.56"`.
pub(crate) fn format_cents(cents: u64) -> String {
    format!("${}.{:02}", group_digits(cents / 100), cents % 100)
}

/// Formats bytes with decimal (SI) units, truncated to two decimals without trailing zeros:
/// `1_000_000_000` → `"1 GB"`, `2_500_000_000` → `"2.5 GB"`, `999` → `"999 B"`.
pub(crate) fn format_bytes(bytes: u64) -> String {
    const UNITS: [(u64, &str); 6] = [
        (1_000_000_000_000_000_000, "EB"),
        (1_000_000_000_000_000, "PB"),
        (1_000_000_000_000, "TB"),
        (1_000_000_000, "GB"),
        (1_000_000, "MB"),
        (1_000, "KB"),
    ];
    for (size, name) in UNITS {
        if bytes >= size {
            let whole = bytes / size;
            // `bytes % size < size`, so `* 100` fits in u128 with room to spare.
            let hundredths = (u128::from(bytes % size) * 100 / u128::from(size)) as u64;
            return match hundredths {
                0 => format!("{} {name}", group_digits(whole)),
                h if h % 10 == 0 => format!("{}.{} {name}", group_digits(whole), h / 10),
                h => format!("{}.{h:02} {name}", group_digits(whole)),
            };
        }
    }
    format!("{bytes} B")
}

/// Formats a quantity of `metric` in its base unit: bytes with units, everything else as a grouped count.
pub(crate) fn format_quantity(metric: Metric, n: u64) -> String {
    if metric.is_bytes() { format_bytes(n) } else { group_digits(n) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits() {
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(1000), "1 000");
        assert_eq!(group_digits(1_250_000), "1 250 000");
        assert_eq!(group_digits(u64::MAX), "18 446 744 073 709 551 615");
    }

    #[test]
    fn cents() {
        assert_eq!(format_cents(0), "$0.00");
        assert_eq!(format_cents(10), "$0.10");
        assert_eq!(format_cents(9900), "$99.00");
        assert_eq!(format_cents(123_456), "$1 234.56");
    }

    #[test]
    fn bytes() {
        assert_eq!(format_bytes(0), "0 B");
        assert_eq!(format_bytes(999), "999 B");
        assert_eq!(format_bytes(1_000_000_000), "1 GB");
        assert_eq!(format_bytes(2_500_000_000), "2.5 GB");
        assert_eq!(format_bytes(52_345_000_000), "52.34 GB");
        assert_eq!(format_bytes(1_000_000_000_000), "1 TB");
        assert_eq!(format_bytes(u64::MAX), "18.44 EB");
        assert_eq!(format_quantity(Metric::Messages, 1_000_000_000), "1 000 000 000");
        assert_eq!(format_quantity(Metric::EgressBytes, 1_000_000_000), "1 GB");
    }
}
