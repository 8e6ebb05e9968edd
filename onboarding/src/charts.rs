//! Bar charts as inline SVG, drawn on the server: no chart library, no script.
//! Each bar carries its value in `data-value` and a `<title>` tooltip.

use maud::{Markup, html};

/// One bar: a label (a day) and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The x-axis label, e.g. `2026-11-27`.
    pub label: String,
    /// The value.
    pub value: u64,
}

/// A chart to draw.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Stable id (for tests and links), e.g. `messages`.
    pub id: &'static str,
    /// Heading.
    pub title: String,
    /// Formats a value for labels and tooltips.
    pub format: fn(u64) -> String,
    /// The bars, oldest first.
    pub points: Vec<Point>,
}

const W: f64 = 640.0;
const H: f64 = 180.0;
const LEFT: f64 = 72.0;
const BOTTOM: f64 = 26.0;
const TOP: f64 = 10.0;

/// A "nice" upper bound for the axis: 1, 2 or 5 times a power of ten.
fn nice_max(max: u64) -> u64 {
    if max == 0 {
        return 1;
    }
    let mut step = 1u64;
    loop {
        for m in [1u64, 2, 5] {
            let v = step.saturating_mul(m);
            if v >= max {
                return v;
            }
        }
        if step > u64::MAX / 10 {
            return u64::MAX;
        }
        step *= 10;
    }
}

/// A number with thousands separated by commas.
pub fn count(v: u64) -> String {
    let digits = v.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Draws a bar chart with its heading and total.
pub fn bar_chart(chart: &Chart) -> Markup {
    let max = chart.points.iter().map(|p| p.value).max().unwrap_or(0);
    let top = nice_max(max);
    let total: u64 = chart.points.iter().map(|p| p.value).fold(0, u64::saturating_add);
    let n = chart.points.len().max(1) as f64;
    let slot = (W - LEFT) / n;
    let bar_w = (slot * 0.7).max(1.0);
    let plot_h = H - BOTTOM - TOP;
    let label_every = ((chart.points.len() as f64) / 6.0).ceil().max(1.0) as usize;
    html! {
        figure.chart id={ "chart-" (chart.id) } data-total=(total) data-max=(max) {
            figcaption { (chart.title) span.muted { " — peak " ((chart.format)(max)) } }
            svg viewBox={ "0 0 " (W) " " (H) } role="img" aria-label=(chart.title) {
                line x1=(LEFT) y1=(TOP) x2=(LEFT) y2=(H - BOTTOM) class="axis" {}
                line x1=(LEFT) y1=(H - BOTTOM) x2=(W) y2=(H - BOTTOM) class="axis" {}
                @for k in 1..=4u32 {
                    @let y = H - BOTTOM - plot_h * f64::from(k) / 4.0;
                    line x1=(LEFT) y1=(format!("{y:.1}")) x2=(W) y2=(format!("{y:.1}")) class="grid" {}
                }
                @if max > 0 {
                    text x=(LEFT - 6.0) y=(TOP + 5.0) text-anchor="end" class="tick" { ((chart.format)(top)) }
                }
                @if max > 0 && top.is_multiple_of(2) {
                    text x=(LEFT - 6.0) y=(format!("{:.1}", TOP + plot_h / 2.0 + 5.0)) text-anchor="end" class="tick" { ((chart.format)(top / 2)) }
                }
                text x=(LEFT - 6.0) y=(H - BOTTOM) text-anchor="end" class="tick" { "0" }
                @for (i, p) in chart.points.iter().enumerate() {
                    @let h = (p.value as f64 / top as f64) * plot_h;
                    @let x = LEFT + slot * i as f64 + (slot - bar_w) / 2.0;
                    rect.bar x=(format!("{x:.1}")) y=(format!("{:.1}", H - BOTTOM - h)) width=(format!("{bar_w:.1}"))
                        height=(format!("{h:.1}")) data-label=(p.label) data-value=(p.value) {
                        title { (p.label) ": " ((chart.format)(p.value)) }
                    }
                    @if i % label_every == 0 {
                        text x=(format!("{:.1}", x + bar_w / 2.0)) y=(H - 5.0) text-anchor="middle" class="tick" {
                            (if p.label.len() == 10 { p.label.get(5..).unwrap_or(&p.label) } else { &p.label })
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1234567), "1,234,567");
    }

    #[test]
    fn axis_bounds_are_round() {
        assert_eq!(nice_max(0), 1);
        assert_eq!(nice_max(1), 1);
        assert_eq!(nice_max(3), 5);
        assert_eq!(nice_max(7), 10);
        assert_eq!(nice_max(1234), 2000);
        assert_eq!(nice_max(u64::MAX), u64::MAX);
    }

    #[test]
    fn bars_carry_values_and_labels_are_escaped() {
        let chart = Chart {
            id: "messages",
            title: "Messages <per> day".into(),
            format: count,
            points: vec![
                Point { label: "2026-11-26".into(), value: 0 },
                Point { label: "2026-11-27".into(), value: 40 },
            ],
        };
        let svg = bar_chart(&chart).into_string();
        assert!(svg.contains(r#"data-total="40""#));
        assert!(svg.contains(r#"data-value="40""#));
        assert!(svg.contains("Messages &lt;per&gt; day"));
        // The tallest bar is 40 of a 50 axis: 0.8 of the 144 px plot.
        assert!(svg.contains(r#"height="115.2""#), "{svg}");
        // SVG elements are closed explicitly, as foreign content needs.
        assert!(svg.contains("</rect>"));
    }
}
