//! The geometry of a trend chart: a [`Series`] scaled into a fixed viewBox, with the
//! reference range as a band. The viewer draws it as inline SVG with presentation
//! attributes and classes only (the CSP forbids inline styles).

use chrono::Datelike;

use super::dates::date_text;
use super::fhir::parse_date;
use super::model::{Series, fmt_number};

/// The viewBox: width and height in SVG user units.
pub const WIDTH: f64 = 320.0;
pub const HEIGHT: f64 = 120.0;
/// Room left for the axis labels.
pub const PAD_LEFT: f64 = 36.0;
pub const PAD_RIGHT: f64 = 8.0;
pub const PAD_Y: f64 = 12.0;

/// One plotted value.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartPoint {
    pub x: f64,
    pub y: f64,
    pub out_of_range: bool,
    /// "2024-03-01: 36.3 °C (as recorded: 97.3 °F)", for the point's `<title>`.
    pub label: String,
}

/// Everything the SVG needs.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartGeometry {
    pub points: Vec<ChartPoint>,
    /// The `points` attribute of the polyline.
    pub polyline: String,
    /// The reference band as (y of the top, height), clipped to the plot.
    pub band: Option<(f64, f64)>,
    /// The axis labels: the largest and smallest value shown, with their y.
    pub y_max: (String, f64),
    pub y_min: (String, f64),
    /// First and last dates.
    pub first_date: Option<String>,
    pub last_date: Option<String>,
}

impl ChartGeometry {
    /// The chart of a series with more than one numeric value; `None` otherwise.
    pub fn of(series: &Series) -> Option<Self> {
        let values: Vec<(Option<i64>, f64, &super::model::Point)> = series
            .points
            .iter()
            .filter_map(|p| {
                let day = p
                    .date
                    .as_deref()
                    .and_then(parse_date)
                    .map(|d| i64::from(d.num_days_from_ce()));
                p.value.map(|v| (day, v, p))
            })
            .collect();
        if values.len() < 2 {
            return None;
        }
        let mut low = values.iter().map(|v| v.1).fold(f64::INFINITY, f64::min);
        let mut high = values.iter().map(|v| v.1).fold(f64::NEG_INFINITY, f64::max);
        if let Some(range) = &series.range {
            if let Some(l) = range.low {
                low = low.min(l);
            }
            if let Some(h) = range.high {
                high = high.max(h);
            }
        }
        if (high - low).abs() < f64::EPSILON {
            low -= 1.0;
            high += 1.0;
        }
        let margin = (high - low) * 0.08;
        let (low, high) = (low - margin, high + margin);
        let y_of = |v: f64| PAD_Y + (high - v) / (high - low) * (HEIGHT - 2.0 * PAD_Y);
        // x by date when every value has one and they differ, by position otherwise.
        let days: Option<Vec<i64>> = values.iter().map(|v| v.0).collect();
        let span = days
            .as_ref()
            .and_then(|d| Some((*d.iter().min()?, *d.iter().max()?)))
            .filter(|(a, b)| b > a);
        let plot_width = WIDTH - PAD_LEFT - PAD_RIGHT;
        let points: Vec<ChartPoint> = values
            .iter()
            .enumerate()
            .map(|(i, (day, value, point))| {
                let fraction = match (span, day) {
                    (Some((first, last)), Some(day)) => {
                        (day - first) as f64 / (last - first) as f64
                    }
                    _ => i as f64 / (values.len() - 1) as f64,
                };
                ChartPoint {
                    x: round(PAD_LEFT + fraction * plot_width),
                    y: round(y_of(*value)),
                    out_of_range: point.out_of_range,
                    label: {
                        let date = point.date.as_deref().map_or("undated".into(), date_text);
                        match point.as_recorded() {
                            Some(recorded) => {
                                format!("{date}: {} (as recorded: {recorded})", point.display)
                            }
                            None => format!("{date}: {}", point.display),
                        }
                    },
                }
            })
            .collect();
        let polyline = points
            .iter()
            .map(|p| format!("{},{}", p.x, p.y))
            .collect::<Vec<_>>()
            .join(" ");
        let band = series.range.as_ref().and_then(|range| {
            if range.low.is_none() && range.high.is_none() {
                return None;
            }
            let top = y_of(range.high.unwrap_or(high)).max(PAD_Y);
            let bottom = y_of(range.low.unwrap_or(low)).min(HEIGHT - PAD_Y);
            (bottom > top).then(|| (round(top), round(bottom - top)))
        });
        let shown_high = high - margin;
        let shown_low = low + margin;
        Some(ChartGeometry {
            points,
            polyline,
            band,
            y_max: (fmt_number(round(shown_high)), round(y_of(shown_high))),
            y_min: (fmt_number(round(shown_low)), round(y_of(shown_low))),
            first_date: series.points.first().and_then(|p| p.date.clone()),
            last_date: series.points.last().and_then(|p| p.date.clone()),
        })
    }
}

fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}
