//! From rounds to figures: the medians, the ratio, the spread over the rounds, the goal
//! and its verdict; the Markdown table and `target/bench.json`.

use std::fmt::Write as _;

use crate::{Row, Sample};

/// What a row must reach.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Goal {
    /// Our time over the anchor's at most this (1.0: at least as fast).
    RatioAtMost(f64),
    /// Our figure at most this, in the row's unit.
    ValueAtMost(f64),
    /// Our figure at most this much above the anchor's, in the row's unit.
    OverAnchorAtMost(f64),
    /// Reported only.
    Report,
}

impl Goal {
    /// The figure the goal is about, for one round.
    fn metric(self, sample: Sample) -> f64 {
        match (self, sample.anchor) {
            (Goal::ValueAtMost(_), _) | (_, None) => sample.ours,
            (Goal::OverAnchorAtMost(_), Some(anchor)) => sample.ours - anchor,
            (Goal::RatioAtMost(_) | Goal::Report, Some(anchor)) => sample.ours / anchor,
        }
    }

    fn limit(self) -> Option<f64> {
        match self {
            Goal::RatioAtMost(x) | Goal::ValueAtMost(x) | Goal::OverAnchorAtMost(x) => Some(x),
            Goal::Report => None,
        }
    }

    fn describe(self, unit: &str) -> String {
        match self {
            Goal::RatioAtMost(x) => format!("≤ {x:.2}×"),
            Goal::ValueAtMost(x) => format!("≤ {x} {unit}"),
            Goal::OverAnchorAtMost(x) => format!("≤ +{x} {unit}"),
            Goal::Report => "report".into(),
        }
    }
}

/// One row's figures over all rounds.
pub(crate) struct Summary {
    name: &'static str,
    anchor: &'static str,
    unit: &'static str,
    goal: Goal,
    outcome: Result<Figures, String>,
}

struct Figures {
    ours: f64,
    anchor: Option<f64>,
    /// The goal's figure (ratio, value or difference): median over the rounds.
    metric: f64,
    /// Its spread: the largest round's minus the smallest's.
    spread: f64,
    rounds: Vec<Sample>,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

impl Summary {
    pub(crate) fn new(row: &Row, samples: Result<Vec<Sample>, String>) -> Summary {
        let outcome = samples.map(|rounds| {
            let metrics: Vec<f64> = rounds.iter().map(|s| row.goal.metric(*s)).collect();
            let lo = metrics.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = metrics.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let anchors: Vec<f64> = rounds.iter().filter_map(|s| s.anchor).collect();
            Figures {
                ours: median(rounds.iter().map(|s| s.ours).collect()),
                anchor: (!anchors.is_empty()).then(|| median(anchors)),
                metric: median(metrics),
                spread: hi - lo,
                rounds,
            }
        });
        Summary {
            name: row.name,
            anchor: row.anchor,
            unit: row.unit,
            goal: row.goal,
            outcome,
        }
    }

    /// Some(true) when the goal is met, Some(false) when missed; None for a report.
    fn met(&self, with_noise: bool) -> Option<bool> {
        let limit = self.goal.limit()?;
        let figures = self.outcome.as_ref().ok()?;
        let slack = if with_noise { figures.spread } else { 0.0 };
        Some(figures.metric <= limit + slack)
    }
}

fn figure(value: f64, unit: &str) -> String {
    match value {
        v if v >= 100.0 => format!("{v:.0} {unit}"),
        v if v >= 10.0 => format!("{v:.1} {unit}"),
        v => format!("{v:.2} {unit}"),
    }
}

/// The goal's figure as the table shows it.
fn metric_text(goal: Goal, figures: &Figures, unit: &str) -> String {
    match (goal, figures.anchor) {
        (Goal::OverAnchorAtMost(_), Some(_)) => format!("+{}", figure(figures.metric, unit)),
        (Goal::RatioAtMost(_) | Goal::Report, Some(_)) => format!("{:.2}×", figures.metric),
        _ => "—".into(),
    }
}

/// The Markdown table (as README shows it).
pub(crate) fn table(rows: &[Summary], rounds: usize) -> String {
    let mut out = format!(
        "\n| row | ours | anchor | ratio (± spread over {rounds} rounds) | goal | met |\n\
         |---|---|---|---|---|---|\n"
    );
    for row in rows {
        let anchor_name = if row.anchor.is_empty() {
            String::new()
        } else {
            format!("{}: ", row.anchor)
        };
        let _ = match &row.outcome {
            Ok(f) => writeln!(
                out,
                "| {} | {} | {}{} | {} ± {} | {} | {} |",
                row.name,
                figure(f.ours, row.unit),
                anchor_name,
                f.anchor.map_or("—".into(), |a| figure(a, row.unit)),
                metric_text(row.goal, f, row.unit),
                match (row.goal, f.anchor) {
                    (Goal::RatioAtMost(_) | Goal::Report, Some(_)) => format!("{:.2}", f.spread),
                    _ => figure(f.spread, row.unit),
                },
                row.goal.describe(row.unit),
                match row.met(false) {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "",
                },
            ),
            Err(e) => writeln!(
                out,
                "| {} | not measured: {e} | {anchor_name} | | {} | no |",
                row.name,
                row.goal.describe(row.unit)
            ),
        };
    }
    out
}

/// `target/bench.json`: every row with its medians, ratio, spread, goal and rounds.
pub(crate) fn json(rows: &[Summary], rounds: usize) -> String {
    let rows: Vec<serde_json::Value> = rows
        .iter()
        .map(|row| {
            let mut value = serde_json::json!({
                "row": row.name,
                "anchor": row.anchor,
                "unit": row.unit,
                "goal": row.goal.describe(row.unit),
                "met": row.met(false),
                "met_within_noise": row.met(true),
            });
            match &row.outcome {
                Ok(f) => {
                    value["ours_median"] = f.ours.into();
                    value["anchor_median"] = f.anchor.into();
                    value["ratio"] = f.anchor.map(|a| f.ours / a).into();
                    value["goal_figure"] = f.metric.into();
                    value["spread"] = f.spread.into();
                    value["rounds"] = f
                        .rounds
                        .iter()
                        .map(|s| serde_json::json!({ "ours": s.ours, "anchor": s.anchor }))
                        .collect::<Vec<_>>()
                        .into();
                }
                Err(e) => value["error"] = e.as_str().into(),
            }
            value
        })
        .collect();
    let doc = serde_json::json!({ "rounds": rounds, "rows": rows });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// True unless a row failed to measure, or (`check`) a goal is missed by more than the
/// row's spread over the rounds. Says which on stderr.
pub(crate) fn verdict(rows: &[Summary], check: bool) -> bool {
    let mut ok = true;
    for row in rows {
        match &row.outcome {
            Err(e) => {
                eprintln!("FAILED {}: {e}", row.name);
                ok = false;
            }
            Ok(f) if check && row.met(true) == Some(false) => {
                eprintln!(
                    "FAILED {}: {} against the goal {}, beyond the noise (spread {:.3})",
                    row.name,
                    metric_text(row.goal, f, row.unit),
                    row.goal.describe(row.unit),
                    f.spread
                );
                ok = false;
            }
            Ok(_) => {}
        }
    }
    if check && ok {
        eprintln!("bench --check: every goal is met within the noise");
    }
    ok
}
