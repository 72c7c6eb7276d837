//! A trend chart as inline SVG: geometry from `folio_shared::clinical_view::chart`,
//! drawn with presentation attributes and classes only (the CSP forbids inline styles).

use folio_shared::clinical_view::chart::{HEIGHT, PAD_LEFT, PAD_Y, WIDTH};
use folio_shared::clinical_view::{ChartGeometry, Series};
use leptos::prelude::*;

#[component]
pub fn TrendChart(series: Series) -> impl IntoView {
    let Some(chart) = ChartGeometry::of(&series) else {
        return ().into_any();
    };
    let description = format!(
        "Trend of {}: {} values from {} to {}{}",
        series.name,
        chart.points.len(),
        chart.first_date.as_deref().unwrap_or("an unknown date"),
        chart.last_date.as_deref().unwrap_or("an unknown date"),
        series
            .range
            .as_ref()
            .and_then(|r| r.describe())
            .map(|r| format!(", reference range {r}"))
            .unwrap_or_default()
    );
    let view_box = format!("0 0 {WIDTH} {HEIGHT}");
    let band = chart.band.map(|(y, height)| {
        view! {
            <rect
                class="chart-band"
                x=PAD_LEFT.to_string()
                y=y.to_string()
                width=(WIDTH - PAD_LEFT - 8.0).to_string()
                height=height.to_string()
            />
        }
    });
    let points = chart
        .points
        .iter()
        .map(|p| {
            let class = if p.out_of_range {
                "chart-point chart-point-out"
            } else {
                "chart-point"
            };
            let radius = if p.out_of_range { "4.5" } else { "3.5" };
            view! {
                <circle class=class cx=p.x.to_string() cy=p.y.to_string() r=radius>
                    <title>{p.label.clone()}</title>
                </circle>
            }
        })
        .collect_view();
    let baseline = (HEIGHT - PAD_Y).to_string();
    view! {
        <svg
            class="trend-chart"
            viewBox=view_box
            role="img"
            aria-label=description
            preserveAspectRatio="xMidYMid meet"
        >
            {band}
            <line class="chart-axis" x1=PAD_LEFT.to_string() y1=PAD_Y.to_string() x2=PAD_LEFT.to_string() y2=baseline.clone()/>
            <text class="chart-label" x=(PAD_LEFT - 4.0).to_string() y=(chart.y_max.1 + 4.0).to_string() text-anchor="end">
                {chart.y_max.0.clone()}
            </text>
            <text class="chart-label" x=(PAD_LEFT - 4.0).to_string() y=(chart.y_min.1 + 4.0).to_string() text-anchor="end">
                {chart.y_min.0.clone()}
            </text>
            <polyline class="chart-line" points=chart.polyline.clone() fill="none"/>
            {points}
        </svg>
    }
    .into_any()
}
