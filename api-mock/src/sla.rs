//! Service targets: when a ticket's first response and resolution are due, counted in business time.
//!
//! Business hours are a daily window (08:00–18:00 by default) on chosen weekdays (Monday to Friday), in a
//! fixed offset from UTC (−03:00, São Paulo, by default: Brazil has had no daylight saving time since
//! 2019, so no time-zone database is needed). Holidays are not counted.
//!
//! A "business day" of a resolution target is one whole window of business hours (10 hours by default),
//! so "3 days" from Monday 10:00 is Thursday 10:00, and from Saturday is Wednesday at closing time.

use api_types::Priority;
use chrono::{DateTime, Datelike, Duration, NaiveDateTime, NaiveTime, Utc};

/// When support works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessHours {
    /// Minutes east of UTC of the local time the window is written in (−180 for São Paulo).
    pub utc_offset_minutes: i32,
    /// Opening and closing, in minutes after local midnight (`close` at most 24 × 60).
    pub open_minute: u32,
    pub close_minute: u32,
    /// Working days, Monday first.
    pub weekdays: [bool; 7],
}

impl Default for BusinessHours {
    fn default() -> Self {
        Self {
            utc_offset_minutes: -180,
            open_minute: 8 * 60,
            close_minute: 18 * 60,
            weekdays: [true, true, true, true, true, false, false],
        }
    }
}

impl BusinessHours {
    /// Around the clock, every day: business time is plain time.
    pub fn always() -> Self {
        Self {
            utc_offset_minutes: 0,
            open_minute: 0,
            close_minute: 24 * 60,
            weekdays: [true; 7],
        }
    }

    /// The length of one business day, in minutes.
    pub fn day_minutes(&self) -> i64 {
        i64::from(
            self.close_minute
                .min(24 * 60)
                .saturating_sub(self.open_minute),
        )
    }

    /// The instant `minutes` of business time after `start`. Time outside the window does not count, so a
    /// ticket opened at night starts its clock when support opens.
    pub fn add(&self, start: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
        let offset = Duration::minutes(i64::from(self.utc_offset_minutes));
        if self.day_minutes() <= 0 || !self.weekdays.iter().any(|d| *d) {
            // No business time at all: count plain time rather than never.
            return start + Duration::minutes(minutes.max(0));
        }
        let mut left = Duration::minutes(minutes.max(0));
        let mut t: NaiveDateTime = start.naive_utc() + offset;
        loop {
            let day = t.date();
            let open =
                day.and_time(NaiveTime::MIN) + Duration::minutes(i64::from(self.open_minute));
            let close =
                day.and_time(NaiveTime::MIN) + Duration::minutes(i64::from(self.close_minute));
            let working = self.weekdays[day.weekday().num_days_from_monday() as usize];
            if !working || t >= close {
                t = match day.succ_opt() {
                    Some(next) => next.and_time(NaiveTime::MIN),
                    None => return start + left,
                };
                continue;
            }
            if t < open {
                t = open;
            }
            let available = close - t;
            if left <= available {
                return (t + left - offset).and_utc();
            }
            left -= available;
            t = close;
        }
    }

    /// The business time between `start` and `end`, in whole minutes (0 when `end` is not after `start`):
    /// the inverse of [`BusinessHours::add`], so that a response 4 business hours after a ticket was opened
    /// measures 240 whatever nights and weekends lie between.
    pub fn minutes_between(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> i64 {
        if end <= start {
            return 0;
        }
        if self.day_minutes() <= 0 || !self.weekdays.iter().any(|d| *d) {
            return (end - start).num_minutes();
        }
        let offset = Duration::minutes(i64::from(self.utc_offset_minutes));
        let (s, e) = (start.naive_utc() + offset, end.naive_utc() + offset);
        let mut total = Duration::zero();
        let mut day = s.date();
        while day <= e.date() {
            if self.weekdays[day.weekday().num_days_from_monday() as usize] {
                let midnight = day.and_time(NaiveTime::MIN);
                let open = midnight + Duration::minutes(i64::from(self.open_minute));
                let close = midnight + Duration::minutes(i64::from(self.close_minute));
                let (from, to) = (open.max(s), close.min(e));
                if to > from {
                    total += to - from;
                }
            }
            day = match day.succ_opt() {
                Some(next) => next,
                None => break,
            };
        }
        total.num_minutes()
    }
}

/// The business minutes between two instants under `policy`'s hours (see [`BusinessHours::minutes_between`]).
pub fn business_minutes_between(start: DateTime<Utc>, end: DateTime<Utc>, policy: &Policy) -> i64 {
    policy.hours.minutes_between(start, end)
}

/// A target per priority, in the unit its field says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    pub low: i64,
    pub normal: i64,
    pub high: i64,
    pub urgent: i64,
}

impl Targets {
    pub fn get(&self, priority: Priority) -> i64 {
        match priority {
            Priority::Low => self.low,
            Priority::Normal => self.normal,
            Priority::High => self.high,
            Priority::Urgent => self.urgent,
        }
    }
}

/// The service targets of the contract, configurable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub hours: BusinessHours,
    /// First response, in business minutes.
    pub first_response_minutes: Targets,
    /// Resolution, in business days (each one whole window of business hours).
    pub resolution_days: Targets,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            hours: BusinessHours::default(),
            first_response_minutes: Targets {
                low: 8 * 60,
                normal: 4 * 60,
                high: 2 * 60,
                urgent: 60,
            },
            resolution_days: Targets {
                low: 3,
                normal: 3,
                high: 3,
                urgent: 1,
            },
        }
    }
}

/// When a ticket's targets fall due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueTimes {
    pub first_response: DateTime<Utc>,
    pub resolution: DateTime<Utc>,
}

impl Policy {
    /// The due times of a ticket of `priority` opened at `created`.
    pub fn due(&self, created: DateTime<Utc>, priority: Priority) -> DueTimes {
        DueTimes {
            first_response: self
                .hours
                .add(created, self.first_response_minutes.get(priority)),
            resolution: self.hours.add(
                created,
                self.resolution_days.get(priority) * self.hours.day_minutes(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    // 2026-11-23 is a Monday. São Paulo is UTC−3: 08:00 local = 11:00Z, 18:00 local = 21:00Z.

    #[test]
    fn within_one_business_day() {
        let h = BusinessHours::default();
        // Monday 10:00 local + 4 h = 14:00 local.
        assert_eq!(
            h.add(at("2026-11-23T13:00:00Z"), 240),
            at("2026-11-23T17:00:00Z")
        );
        // Exactly at closing time is still that day.
        assert_eq!(
            h.add(at("2026-11-23T17:00:00Z"), 240),
            at("2026-11-23T21:00:00Z")
        );
    }

    #[test]
    fn the_evening_carries_over_to_the_next_morning() {
        let h = BusinessHours::default();
        // Monday 16:00 local + 4 h: 2 h on Monday, 2 h on Tuesday from 08:00 → Tuesday 10:00 local.
        assert_eq!(
            h.add(at("2026-11-23T19:00:00Z"), 240),
            at("2026-11-24T13:00:00Z")
        );
        // Monday 20:00 local (after closing) + 1 h → Tuesday 09:00 local.
        assert_eq!(
            h.add(at("2026-11-23T23:00:00Z"), 60),
            at("2026-11-24T12:00:00Z")
        );
    }

    #[test]
    fn before_opening_starts_at_opening() {
        let h = BusinessHours::default();
        // 10:15Z is 07:15 local: the clock starts at 08:00 local.
        assert_eq!(
            h.add(at("2026-11-23T10:15:00Z"), 120),
            at("2026-11-23T13:00:00Z")
        );
        // 02:00Z Tuesday is still Monday 23:00 local: the offset decides the day.
        assert_eq!(
            h.add(at("2026-11-24T02:00:00Z"), 60),
            at("2026-11-24T12:00:00Z")
        );
    }

    #[test]
    fn weekends_do_not_count() {
        let h = BusinessHours::default();
        // Friday 17:00 local + 2 h: 1 h on Friday, 1 h on Monday → Monday 09:00 local.
        assert_eq!(
            h.add(at("2026-11-27T20:00:00Z"), 120),
            at("2026-11-30T12:00:00Z")
        );
        // Saturday noon + 1 h → Monday 09:00 local.
        assert_eq!(
            h.add(at("2026-11-28T15:00:00Z"), 60),
            at("2026-11-30T12:00:00Z")
        );
    }

    #[test]
    fn targets_of_the_contract() {
        let p = Policy::default();
        let monday_10 = at("2026-11-23T13:00:00Z");
        let due = |prio| p.due(monday_10, prio);
        assert_eq!(
            due(Priority::Urgent).first_response,
            at("2026-11-23T14:00:00Z")
        );
        assert_eq!(
            due(Priority::High).first_response,
            at("2026-11-23T15:00:00Z")
        );
        assert_eq!(
            due(Priority::Normal).first_response,
            at("2026-11-23T17:00:00Z")
        );
        // Low: 8 h from 10:00 is 18:00 on the dot.
        assert_eq!(
            due(Priority::Low).first_response,
            at("2026-11-23T21:00:00Z")
        );
        // Resolution: three business days → Thursday 10:00 local; urgent one → Tuesday 10:00 local.
        assert_eq!(due(Priority::Normal).resolution, at("2026-11-26T13:00:00Z"));
        assert_eq!(due(Priority::Urgent).resolution, at("2026-11-24T13:00:00Z"));
        // Opened on Saturday: three whole days from Monday 08:00 → Wednesday 18:00 local.
        assert_eq!(
            p.due(at("2026-11-28T15:00:00Z"), Priority::Normal)
                .resolution,
            at("2026-12-02T21:00:00Z")
        );
    }

    #[test]
    fn configurable_hours() {
        let always = BusinessHours::always();
        let t = at("2026-11-28T23:30:00Z");
        assert_eq!(always.add(t, 90), at("2026-11-29T01:00:00Z"));
        assert_eq!(always.day_minutes(), 24 * 60);
        // A Saturday morning shift in UTC+1.
        let saturday = BusinessHours {
            utc_offset_minutes: 60,
            open_minute: 9 * 60,
            close_minute: 13 * 60,
            weekdays: [false, false, false, false, false, true, false],
        };
        // Monday → next Saturday 09:00 local (08:00Z) + 3 h = 11:00Z.
        assert_eq!(
            saturday.add(at("2026-11-23T12:00:00Z"), 180),
            at("2026-11-28T11:00:00Z")
        );
        // 5 h on a 4-hour shift: one week later, 10:00 local.
        assert_eq!(
            saturday.add(at("2026-11-23T12:00:00Z"), 300),
            at("2026-12-05T09:00:00Z")
        );
        // No working day at all: plain time rather than an endless search.
        let never = BusinessHours {
            weekdays: [false; 7],
            ..BusinessHours::default()
        };
        assert_eq!(never.add(t, 60), at("2026-11-29T00:30:00Z"));
    }

    #[test]
    fn business_minutes_between_skips_nights_and_weekends() {
        let p = Policy::default();
        let m = |a: &str, b: &str| business_minutes_between(at(a), at(b), &p);
        // Monday 10:00 → 14:00 local.
        assert_eq!(m("2026-11-23T13:00:00Z", "2026-11-23T17:00:00Z"), 240);
        // Monday 16:00 → Tuesday 10:00 local: 2 h + 2 h.
        assert_eq!(m("2026-11-23T19:00:00Z", "2026-11-24T13:00:00Z"), 240);
        // Friday 17:00 → Monday 09:00 local: 1 h + 1 h.
        assert_eq!(m("2026-11-27T20:00:00Z", "2026-11-30T12:00:00Z"), 120);
        // Opened Saturday, answered Sunday: no business time at all.
        assert_eq!(m("2026-11-28T15:00:00Z", "2026-11-29T15:00:00Z"), 0);
        // Before opening to after closing on one day: the whole window.
        assert_eq!(m("2026-11-23T09:00:00Z", "2026-11-24T01:00:00Z"), 600);
        // A whole week: five windows.
        assert_eq!(m("2026-11-23T00:00:00Z", "2026-11-30T00:00:00Z"), 3000);
        // Seconds are dropped, and the end before the start is nothing.
        assert_eq!(m("2026-11-23T13:00:00Z", "2026-11-23T13:00:59Z"), 0);
        assert_eq!(m("2026-11-23T17:00:00Z", "2026-11-23T13:00:00Z"), 0);
        // Around the clock: plain minutes.
        let always = BusinessHours::always();
        assert_eq!(
            always.minutes_between(at("2026-11-28T23:30:00Z"), at("2026-11-29T01:00:00Z")),
            90
        );
    }

    #[test]
    fn minutes_between_undoes_add() {
        let h = BusinessHours::default();
        for start in [
            "2026-11-23T13:00:00Z",
            "2026-11-23T23:00:00Z",
            "2026-11-27T20:00:00Z",
            "2026-11-28T15:00:00Z",
        ] {
            // Counted from the moment the clock starts (opening time when outside hours).
            let start = h.add(at(start), 0);
            for minutes in [0, 1, 59, 240, 600, 1800, 4321] {
                assert_eq!(h.minutes_between(start, h.add(start, minutes)), minutes);
            }
        }
    }

    #[test]
    fn zero_and_negative_targets_stay_put_within_hours() {
        let h = BusinessHours::default();
        let t = at("2026-11-23T13:00:00Z");
        assert_eq!(h.add(t, 0), t);
        assert_eq!(h.add(t, -5), t);
    }
}
