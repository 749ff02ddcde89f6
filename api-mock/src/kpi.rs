//! The arithmetic of the KPI report (`GET /reports/kpis`): medians, 90th percentiles, satisfaction,
//! service-target breaches, the daily satisfaction trend and the first-response histogram — pure
//! functions over facts read from storage, so that every figure is proven on hand-computed fixtures.
//!
//! Definitions, for a period `[from, to)`:
//! - *opened*: tickets created in the period; *resolved*: tickets whose `resolved_at` is in the period.
//! - *first response*: business minutes from opening to the first staff reply, over the tickets opened in
//!   the period that have one; *resolution*: business minutes from opening to resolution, over the
//!   tickets resolved in the period.
//! - *breach*: a ticket opened in the period whose first response or resolution came after its due time,
//!   or is still missing when the due time has passed (as of `now`). A ticket counts once.
//! - *satisfaction*: the ratings first given in the period, with their current score.
//! - *median*: the middle value, or the mean of the two middle values; *p90*: nearest rank, the value at
//!   position ⌈0.9 × n⌉ of the sorted values.
//! - An agent's figures are those of the tickets assigned to them.

use api_types::{AgentKpis, CsatDay, CsatStats, HistogramBucket, Kpis, MinutesStats, PersonRef};
use chrono::{Duration, NaiveDate};

use crate::{db::to_time, sla::Policy};

/// The upper bounds of the first-response histogram, in business minutes; one more bucket holds the rest.
pub const HISTOGRAM_BOUNDS: [u32; 6] = [15, 30, 60, 120, 240, 480];

/// What the report needs to know of one ticket (times in Unix milliseconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketFacts {
    pub assignee: Option<i64>,
    pub created_at: i64,
    pub first_response_due_at: i64,
    pub first_responded_at: Option<i64>,
    pub resolution_due_at: i64,
    pub resolved_at: Option<i64>,
}

/// One rating: its ticket's assignee, the score, and when it was first given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatingFacts {
    pub assignee: Option<i64>,
    pub score: u8,
    pub given_at: i64,
}

/// An agent who may appear in the per-agent table: `always` lists them even without figures.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentFacts {
    pub agent: PersonRef,
    pub always: bool,
}

/// Everything the report is computed from.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub from: i64,
    pub to: i64,
    pub now: i64,
    pub open_now: u64,
    /// At least every ticket opened or resolved in the period (others are ignored).
    pub tickets: Vec<TicketFacts>,
    /// At least every rating given in the period (others are ignored).
    pub ratings: Vec<RatingFacts>,
    pub agents: Vec<AgentFacts>,
}

fn round_to(value: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (value * f).round() / f
}

/// The median: the middle value, or the mean of the two middle ones; `None` for no values.
pub fn median(values: &[i64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_unstable();
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2] as f64),
        _ => Some((v[n / 2 - 1] as f64 + v[n / 2] as f64) / 2.0),
    }
}

/// The `p`-th percentile by nearest rank: the value at position ⌈p/100 × n⌉ (1-based) of the sorted values.
pub fn percentile_nearest_rank(values: &[i64], p: u32) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_unstable();
    if v.is_empty() {
        return None;
    }
    // Integer ceiling of p × n / 100, at least rank 1.
    let rank = (u64::from(p) * v.len() as u64).div_ceil(100).max(1) as usize;
    Some(v[rank.min(v.len()) - 1] as f64)
}

pub fn minutes_stats(values: &[i64]) -> MinutesStats {
    MinutesStats {
        median: median(values),
        p90: percentile_nearest_rank(values, 90),
    }
}

/// Average score (2 decimals), responses, and the share of 4 and 5 (1 decimal).
pub fn csat(scores: &[u8]) -> CsatStats {
    let n = scores.len();
    if n == 0 {
        return CsatStats {
            average: None,
            responses: 0,
            satisfied_percent: None,
        };
    }
    let sum: u64 = scores.iter().map(|s| u64::from(*s)).sum();
    let satisfied = scores.iter().filter(|s| **s >= 4).count();
    CsatStats {
        average: Some(round_to(sum as f64 / n as f64, 2)),
        responses: n as u64,
        satisfied_percent: Some(round_to(100.0 * satisfied as f64 / n as f64, 1)),
    }
}

/// Whether a ticket missed a service target, as of `now`.
pub fn breached(t: &TicketFacts, now: i64) -> bool {
    let late = |done: Option<i64>, due: i64| match done {
        Some(at) => at > due,
        None => now > due,
    };
    late(t.first_responded_at, t.first_response_due_at) || late(t.resolved_at, t.resolution_due_at)
}

/// Counts per bucket: `≤ bounds[0]`, `≤ bounds[1]`, …, and one more for the rest (`upper_minutes: None`).
pub fn histogram(values: &[i64], bounds: &[u32]) -> Vec<HistogramBucket> {
    let mut buckets: Vec<HistogramBucket> = bounds
        .iter()
        .map(|b| HistogramBucket {
            upper_minutes: Some(*b),
            count: 0,
        })
        .chain(std::iter::once(HistogramBucket {
            upper_minutes: None,
            count: 0,
        }))
        .collect();
    for v in values {
        let i = bounds
            .iter()
            .position(|b| *v <= i64::from(*b))
            .unwrap_or(bounds.len());
        buckets[i].count += 1;
    }
    buckets
}

/// The local calendar day of an instant, in a fixed offset from UTC.
fn local_day(ms: i64, utc_offset_minutes: i32) -> NaiveDate {
    (to_time(ms) + Duration::minutes(i64::from(utc_offset_minutes))).date_naive()
}

/// Satisfaction per local day, for every day from `from`'s to the day of the period's last instant, with
/// empty days included (`average: None`) so that a chart has an even axis.
pub fn csat_trend(
    ratings: &[(i64, u8)],
    from: i64,
    to: i64,
    utc_offset_minutes: i32,
) -> Vec<CsatDay> {
    if to <= from {
        return Vec::new();
    }
    let first = local_day(from, utc_offset_minutes);
    let last = local_day(to - 1, utc_offset_minutes);
    let mut days = Vec::new();
    let mut day = first;
    while day <= last {
        let scores: Vec<u8> = ratings
            .iter()
            .filter(|(at, _)| (from..to).contains(at) && local_day(*at, utc_offset_minutes) == day)
            .map(|(_, s)| *s)
            .collect();
        let c = csat(&scores);
        days.push(CsatDay {
            date: day,
            average: c.average,
            responses: c.responses,
        });
        day = match day.succ_opt() {
            Some(d) => d,
            None => break,
        };
    }
    days
}

/// The whole report but the escalated list (which does not depend on the period).
pub fn report(facts: &Facts, policy: &Policy) -> Kpis {
    let period = facts.from..facts.to;
    let in_period = |t: Option<i64>| t.is_some_and(|t| period.contains(&t));
    let minutes = |a: i64, b: i64| policy.hours.minutes_between(to_time(a), to_time(b));

    let opened: Vec<&TicketFacts> = facts
        .tickets
        .iter()
        .filter(|t| in_period(Some(t.created_at)))
        .collect();
    let resolved: Vec<&TicketFacts> = facts
        .tickets
        .iter()
        .filter(|t| in_period(t.resolved_at))
        .collect();
    let ratings: Vec<&RatingFacts> = facts
        .ratings
        .iter()
        .filter(|r| in_period(Some(r.given_at)))
        .collect();

    // (assignee, business minutes) of each answered ticket opened in the period.
    let first_responses: Vec<(Option<i64>, i64)> = opened
        .iter()
        .filter_map(|t| {
            t.first_responded_at
                .map(|at| (t.assignee, minutes(t.created_at, at)))
        })
        .collect();
    let resolutions: Vec<i64> = resolved
        .iter()
        .filter_map(|t| t.resolved_at.map(|at| minutes(t.created_at, at)))
        .collect();
    let all_first: Vec<i64> = first_responses.iter().map(|(_, m)| *m).collect();
    let scores: Vec<u8> = ratings.iter().map(|r| r.score).collect();

    let mut by_agent: Vec<AgentKpis> = facts
        .agents
        .iter()
        .filter_map(|a| {
            let id = Some(a.agent.id);
            let resolved = resolved.iter().filter(|t| t.assignee == id).count() as u64;
            let scores: Vec<u8> = ratings
                .iter()
                .filter(|r| r.assignee == id)
                .map(|r| r.score)
                .collect();
            let firsts: Vec<i64> = first_responses
                .iter()
                .filter(|(who, _)| *who == id)
                .map(|(_, m)| *m)
                .collect();
            let c = csat(&scores);
            let any = resolved > 0 || c.responses > 0 || !firsts.is_empty();
            (a.always || any).then(|| AgentKpis {
                agent: a.agent.clone(),
                resolved,
                csat_average: c.average,
                csat_responses: c.responses,
                first_response_median_minutes: median(&firsts),
            })
        })
        .collect();
    by_agent.sort_by(|a, b| {
        a.agent
            .name
            .cmp(&b.agent.name)
            .then(a.agent.id.cmp(&b.agent.id))
    });

    let dated: Vec<(i64, u8)> = ratings.iter().map(|r| (r.given_at, r.score)).collect();
    Kpis {
        from: to_time(facts.from),
        to: to_time(facts.to),
        tickets_opened: opened.len() as u64,
        tickets_resolved: resolved.len() as u64,
        open_now: facts.open_now,
        sla_breaches: opened.iter().filter(|t| breached(t, facts.now)).count() as u64,
        first_response_minutes: minutes_stats(&all_first),
        resolution_minutes: minutes_stats(&resolutions),
        csat: csat(&scores),
        by_agent,
        csat_trend: csat_trend(
            &dated,
            facts.from,
            facts.to,
            policy.hours.utc_offset_minutes,
        ),
        first_response_histogram: histogram(&all_first, &HISTOGRAM_BOUNDS),
        escalated: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::BusinessHours;

    const MIN: i64 = 60_000;

    fn ms(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn medians_of_odd_even_empty_and_tied_sets() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[7]), Some(7.0));
        assert_eq!(median(&[9, 1, 5]), Some(5.0));
        // Even: the mean of the two middle values, which may be a half.
        assert_eq!(median(&[10, 1, 4, 7]), Some(5.5));
        // Ties.
        assert_eq!(median(&[3, 3, 3, 3]), Some(3.0));
        assert_eq!(median(&[1, 2, 2, 2, 9]), Some(2.0));
        assert_eq!(median(&[2, 2, 4, 4]), Some(3.0));
    }

    #[test]
    fn p90_is_the_nearest_rank() {
        assert_eq!(percentile_nearest_rank(&[], 90), None);
        assert_eq!(percentile_nearest_rank(&[42], 90), Some(42.0));
        // n = 10: rank ⌈9⌉ = 9 → the 9th smallest.
        let ten = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
        assert_eq!(percentile_nearest_rank(&ten, 90), Some(90.0));
        // n = 11: rank ⌈9.9⌉ = 10.
        let eleven = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
        assert_eq!(percentile_nearest_rank(&eleven, 90), Some(10.0));
        // n = 4: rank ⌈3.6⌉ = 4, the largest; order of input does not matter.
        assert_eq!(percentile_nearest_rank(&[40, 10, 30, 20], 90), Some(40.0));
        // Ties at the top.
        assert_eq!(percentile_nearest_rank(&[5, 60, 60, 60], 90), Some(60.0));
        // The 50th by nearest rank is the lower middle.
        assert_eq!(percentile_nearest_rank(&[1, 2, 3, 4], 50), Some(2.0));
        assert_eq!(percentile_nearest_rank(&[1, 2, 3], 0), Some(1.0));
    }

    #[test]
    fn satisfaction_counts_four_and_five() {
        assert_eq!(
            csat(&[]),
            CsatStats {
                average: None,
                responses: 0,
                satisfied_percent: None
            }
        );
        // (5 + 4 + 4 + 1) / 4 = 3.5; 3 of 4 satisfied.
        let c = csat(&[5, 4, 4, 1]);
        assert_eq!(c.average, Some(3.5));
        assert_eq!(c.responses, 4);
        assert_eq!(c.satisfied_percent, Some(75.0));
        // 13 / 3 = 4.333… → 4.33; 2 of 3 = 66.666…% → 66.7.
        let c = csat(&[5, 5, 3]);
        assert_eq!(c.average, Some(4.33));
        assert_eq!(c.satisfied_percent, Some(66.7));
        // A 3 is not satisfied.
        assert_eq!(csat(&[3, 3]).satisfied_percent, Some(0.0));
    }

    fn ticket(
        created: i64,
        fr_due: i64,
        fr: Option<i64>,
        res_due: i64,
        res: Option<i64>,
    ) -> TicketFacts {
        TicketFacts {
            assignee: None,
            created_at: created,
            first_response_due_at: fr_due,
            first_responded_at: fr,
            resolution_due_at: res_due,
            resolved_at: res,
        }
    }

    #[test]
    fn breaches_are_late_or_missing_past_due() {
        let now = 1000;
        // On time for both.
        assert!(!breached(&ticket(0, 100, Some(100), 500, Some(500)), now));
        // Late first response.
        assert!(breached(&ticket(0, 100, Some(101), 500, Some(400)), now));
        // Late resolution.
        assert!(breached(&ticket(0, 100, Some(50), 500, Some(501)), now));
        // Missing, due passed.
        assert!(breached(&ticket(0, 100, None, 5000, None), now));
        assert!(breached(&ticket(0, 100, Some(50), 900, None), now));
        // Missing, not due yet.
        assert!(!breached(&ticket(0, 2000, None, 5000, None), now));
    }

    #[test]
    fn histogram_buckets_are_inclusive_upper_bounds() {
        let h = histogram(&[0, 15, 16, 30, 61, 480, 481, 10_000], &HISTOGRAM_BOUNDS);
        let counts: Vec<u64> = h.iter().map(|b| b.count).collect();
        assert_eq!(counts, vec![2, 2, 0, 1, 0, 1, 2]);
        assert_eq!(h[0].upper_minutes, Some(15));
        assert_eq!(h[6].upper_minutes, None);
        let empty = histogram(&[], &HISTOGRAM_BOUNDS);
        assert_eq!(empty.len(), 7);
        assert!(empty.iter().all(|b| b.count == 0));
    }

    #[test]
    fn the_trend_has_every_local_day() {
        // São Paulo (−03:00): 02:00Z on the 24th is still the 23rd.
        let ratings = [
            (ms("2026-11-23T12:00:00Z"), 5),
            (ms("2026-11-24T02:00:00Z"), 2),
            (ms("2026-11-25T12:00:00Z"), 4),
            // Outside the period: ignored.
            (ms("2026-11-26T12:00:00Z"), 1),
        ];
        let t = csat_trend(
            &ratings,
            ms("2026-11-23T03:00:00Z"),
            ms("2026-11-26T03:00:00Z"),
            -180,
        );
        let days: Vec<(String, Option<f64>, u64)> = t
            .iter()
            .map(|d| (d.date.to_string(), d.average, d.responses))
            .collect();
        assert_eq!(
            days,
            vec![
                ("2026-11-23".into(), Some(3.5), 2),
                ("2026-11-24".into(), None, 0),
                ("2026-11-25".into(), Some(4.0), 1),
            ]
        );
        assert!(csat_trend(&ratings, 10, 10, 0).is_empty());
    }

    fn carla() -> PersonRef {
        PersonRef {
            id: 1,
            name: "Carla".into(),
            organization: None,
        }
    }
    fn diego() -> PersonRef {
        PersonRef {
            id: 2,
            name: "Diego".into(),
            organization: None,
        }
    }

    #[test]
    fn an_empty_period_has_zeros_and_nulls() {
        let p = Policy::default();
        let from = ms("2026-11-23T03:00:00Z");
        let facts = Facts {
            from,
            to: from + 2 * 24 * 60 * MIN,
            now: from + 3 * 24 * 60 * MIN,
            open_now: 4,
            agents: vec![
                AgentFacts {
                    agent: carla(),
                    always: true,
                },
                AgentFacts {
                    agent: diego(),
                    always: false,
                },
            ],
            ..Facts::default()
        };
        let k = report(&facts, &p);
        assert_eq!(
            (
                k.tickets_opened,
                k.tickets_resolved,
                k.open_now,
                k.sla_breaches
            ),
            (0, 0, 4, 0)
        );
        assert_eq!(
            k.first_response_minutes,
            MinutesStats {
                median: None,
                p90: None
            }
        );
        assert_eq!(
            k.resolution_minutes,
            MinutesStats {
                median: None,
                p90: None
            }
        );
        assert_eq!(k.csat.responses, 0);
        assert_eq!(k.csat.average, None);
        // Carla is always listed; Diego only with figures.
        assert_eq!(k.by_agent.len(), 1);
        assert_eq!(k.by_agent[0].agent.name, "Carla");
        assert_eq!(k.by_agent[0].first_response_median_minutes, None);
        assert_eq!(k.csat_trend.len(), 2);
        assert_eq!(
            k.first_response_histogram
                .iter()
                .map(|b| b.count)
                .sum::<u64>(),
            0
        );
    }

    /// A hand-computed week, in plain time (support around the clock) so that minutes are obvious.
    #[test]
    fn a_fixture_period() {
        let p = Policy {
            hours: BusinessHours::always(),
            ..Policy::default()
        };
        let from = ms("2026-11-23T00:00:00Z");
        let to = ms("2026-11-30T00:00:00Z");
        let now = ms("2026-12-05T00:00:00Z");
        let at = |minutes: i64| from + minutes * MIN;
        let t = |assignee: i64, created: i64, fr: Option<i64>, res: Option<i64>| TicketFacts {
            assignee: Some(assignee),
            created_at: at(created),
            first_response_due_at: at(created + 60),
            first_responded_at: fr.map(|m| at(created + m)),
            resolution_due_at: at(created + 1000),
            resolved_at: res.map(|m| at(created + m)),
        };
        let facts = Facts {
            from,
            to,
            now,
            open_now: 1,
            tickets: vec![
                // Carla: answered in 10 and 30 minutes, resolved in 100 and 300.
                t(1, 0, Some(10), Some(100)),
                t(1, 100, Some(30), Some(300)),
                // Diego: answered in 30 (a tie with Carla's) and resolved in 500, on time...
                t(2, 200, Some(30), Some(500)),
                // ...answered in 90 (late) and resolved in 2000 (late): one breach, counted once.
                t(2, 300, Some(90), Some(2000)),
                // Not answered, first response due long ago: a breach, no first-response time.
                t(2, 400, None, None),
                // Opened before the period, resolved in it (600 after opening): resolved, not opened.
                t(1, -500, Some(5), Some(600)),
                // Opened in the period, resolved on time after it: opened only.
                t(1, 9800, Some(20), Some(900)),
            ],
            ratings: vec![
                RatingFacts {
                    assignee: Some(1),
                    score: 5,
                    given_at: at(200),
                },
                RatingFacts {
                    assignee: Some(1),
                    score: 4,
                    given_at: at(400),
                },
                RatingFacts {
                    assignee: Some(2),
                    score: 1,
                    given_at: at(3000),
                },
                // Given after the period: ignored.
                RatingFacts {
                    assignee: Some(2),
                    score: 5,
                    given_at: to,
                },
            ],
            agents: vec![
                AgentFacts {
                    agent: diego(),
                    always: true,
                },
                AgentFacts {
                    agent: carla(),
                    always: true,
                },
            ],
        };
        let k = report(&facts, &p);
        assert_eq!(k.tickets_opened, 6);
        // At 100, 400, 700, 2300 and 100 (the one opened before the period).
        assert_eq!(k.tickets_resolved, 5);
        assert_eq!(k.open_now, 1);
        // The late one and the unanswered one.
        assert_eq!(k.sla_breaches, 2);
        // First responses of tickets opened in the period: 10, 30, 30, 90, 20 → sorted 10 20 30 30 90.
        assert_eq!(k.first_response_minutes.median, Some(30.0));
        // n = 5: rank ⌈4.5⌉ = 5 → 90.
        assert_eq!(k.first_response_minutes.p90, Some(90.0));
        // Resolutions in the period: 100, 300, 500, 2000, 600 → sorted 100 300 500 600 2000.
        assert_eq!(k.resolution_minutes.median, Some(500.0));
        assert_eq!(k.resolution_minutes.p90, Some(2000.0));
        // Ratings in the period: 5, 4, 1 → 3.33, 66.7 %.
        assert_eq!(k.csat.average, Some(3.33));
        assert_eq!(k.csat.responses, 3);
        assert_eq!(k.csat.satisfied_percent, Some(66.7));
        // Agents sorted by name.
        let carla = &k.by_agent[0];
        assert_eq!(carla.agent.name, "Carla");
        assert_eq!(carla.resolved, 3);
        assert_eq!(carla.csat_average, Some(4.5));
        assert_eq!(carla.csat_responses, 2);
        // 10, 30, 20 → 20.
        assert_eq!(carla.first_response_median_minutes, Some(20.0));
        let diego = &k.by_agent[1];
        assert_eq!(diego.resolved, 2);
        assert_eq!(diego.csat_average, Some(1.0));
        // 30, 90 → 60.
        assert_eq!(diego.first_response_median_minutes, Some(60.0));
        // Histogram: 10 ≤15; 20, 30, 30 ≤30; 90 ≤120.
        let counts: Vec<u64> = k.first_response_histogram.iter().map(|b| b.count).collect();
        assert_eq!(counts, vec![1, 3, 0, 1, 0, 0, 0]);
        // Seven days in the trend; the first has 5 and 4 (minute 200 and 400), the third the 1 (minute 3000).
        assert_eq!(k.csat_trend.len(), 7);
        assert_eq!(k.csat_trend[0].average, Some(4.5));
        assert_eq!(k.csat_trend[2].responses, 1);
        assert_eq!(k.csat_trend[2].average, Some(1.0));
    }

    #[test]
    fn business_minutes_measure_the_times() {
        // Opened Friday 17:00 local, answered Monday 09:00 local: 120 business minutes, not 64 hours.
        let p = Policy::default();
        let created = ms("2026-11-27T20:00:00Z");
        let facts = Facts {
            from: ms("2026-11-27T00:00:00Z"),
            to: ms("2026-12-01T00:00:00Z"),
            now: ms("2026-12-01T00:00:00Z"),
            tickets: vec![TicketFacts {
                assignee: None,
                created_at: created,
                first_response_due_at: p
                    .due(to_time(created), api_types::Priority::Normal)
                    .first_response
                    .timestamp_millis(),
                first_responded_at: Some(ms("2026-11-30T12:00:00Z")),
                resolution_due_at: p
                    .due(to_time(created), api_types::Priority::Normal)
                    .resolution
                    .timestamp_millis(),
                resolved_at: Some(ms("2026-11-30T13:00:00Z")),
            }],
            ..Facts::default()
        };
        let k = report(&facts, &p);
        assert_eq!(k.first_response_minutes.median, Some(120.0));
        assert_eq!(k.resolution_minutes.median, Some(180.0));
        assert_eq!(k.sla_breaches, 0);
    }
}
