//! Timestamps as session files write them (ISO 8601 UTC to the second, `2026-11-20T09:14:03Z`)
//! and the time expressions the command line accepts.

use jiff::{Timestamp, ToSpan};

use crate::error::{Error, Result};

/// Formats `ts` as a session file does.
pub fn iso(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Now, formatted with [`iso`].
pub fn now_iso() -> String {
    iso(Timestamp::now())
}

/// Parses a session-file timestamp (any RFC 3339 instant); `None` when it is not one.
pub fn parse_iso(s: &str) -> Option<Timestamp> {
    s.parse().ok()
}

/// Parses a point in time given on the command line, relative to `now`: an RFC 3339 instant,
/// a date (`2026-11-20`, midnight UTC), or an age (`90s`, `30m`, `12h`, `7d`, `2w` ago).
///
/// Errors: [`Error::Invalid`] naming the text and the accepted shapes.
pub fn parse_point(text: &str, now: Timestamp) -> Result<Timestamp> {
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Ok(ts);
    }
    if let Ok(date) = text.parse::<jiff::civil::Date>() {
        return date
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|e| Error::Invalid(format!("date {text:?}: {e}")));
    }
    let age = parse_age_secs(text)?;
    now.checked_sub((age as i64).seconds())
        .map_err(|e| Error::Invalid(format!("time {text:?}: {e}")))
}

/// The instant `age_secs` seconds before `now`.
///
/// Errors: [`Error::Invalid`] when that instant is beyond what a timestamp can hold (about
/// year -9999), so a huge age is refused instead of wrapping into the future.
pub fn cutoff_before(now: Timestamp, age_secs: u64) -> Result<Timestamp> {
    let out_of_range = || {
        Error::Invalid(format!(
            "an age of {age_secs} s reaches before the earliest representable time; give a smaller age"
        ))
    };
    let secs = i64::try_from(age_secs).map_err(|_| out_of_range())?;
    now.checked_sub(jiff::SignedDuration::from_secs(secs))
        .map_err(|_| out_of_range())
}

/// Parses an age such as `90s`, `30m`, `12h`, `7d` or `2w` into seconds.
pub fn parse_age_secs(text: &str) -> Result<u64> {
    let bad = || {
        Error::Invalid(format!(
            "{text:?} is not a time: use an RFC 3339 instant, a date (2026-11-20) or an age (90s, 30m, 12h, 7d, 2w)"
        ))
    };
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (num, unit) = text.split_at(split);
    let n: u64 = num.parse().map_err(|_| bad())?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(bad()),
    };
    n.checked_mul(mult).ok_or_else(bad)
}

/// A short human age of `then` relative to `now` (`45s`, `12m`, `3h`, `5d`).
pub fn age(then: Timestamp, now: Timestamp) -> String {
    let secs = now.as_second().saturating_sub(then.as_second()).max(0);
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        let ts: Timestamp = "2026-11-20T09:14:03.5Z".parse().expect("ts");
        assert_eq!(iso(ts), "2026-11-20T09:14:03Z");
        let now: Timestamp = "2026-11-22T00:00:00Z".parse().expect("ts");
        assert_eq!(
            iso(parse_point("2026-11-20", now).expect("date")),
            "2026-11-20T00:00:00Z"
        );
        assert_eq!(
            iso(parse_point("2d", now).expect("age")),
            "2026-11-20T00:00:00Z"
        );
        assert_eq!(
            iso(parse_point("2026-11-21T10:00:00Z", now).expect("instant")),
            "2026-11-21T10:00:00Z"
        );
        assert!(parse_point("yesterday", now).is_err());
        assert_eq!(parse_age_secs("2w").expect("w"), 1_209_600);
        assert!(parse_age_secs("5y").is_err());
        assert_eq!(age(parse_point("3h", now).expect("age"), now), "3h");
    }
}
