//! Timestamps as session files write them (ISO 8601 UTC to the second, `2026-11-20T09:14:03Z`)
//! and the time expressions the command line accepts.

use jiff::{SignedDuration, Timestamp};

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
/// Errors: [`Error::Invalid`] naming the text and the accepted shapes; for an age whose instant
/// lies before the earliest time `jiff` represents, naming the text and the largest accepted
/// age (see [`parse_age`]).
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
    let age = parse_age(text, now)?;
    cutoff(now, age).ok_or_else(|| age_too_large(text, now))
}

/// Parses an age such as `90s`, `30m`, `12h`, `7d` or `2w` into seconds, and checks that the
/// instant that long before `now` can be represented (see [`max_age_secs`]), so every age it
/// returns has a [`cutoff`]. An age of `0s` is accepted (its cutoff is `now`).
///
/// Errors: [`Error::Invalid`] naming the text: the accepted shapes when it is not an age, the
/// largest accepted age (in seconds) when it is too large.
pub fn parse_age(text: &str, now: Timestamp) -> Result<u64> {
    match parse_age_parts(text) {
        AgeText::Secs(secs) if cutoff(now, secs).is_some() => Ok(secs),
        AgeText::Secs(_) | AgeText::TooLarge => Err(age_too_large(text, now)),
        AgeText::Malformed => Err(not_a_time(text)),
    }
}

/// Parses an age such as `90s`, `30m`, `12h`, `7d` or `2w` into seconds, checking only that it
/// fits a `u64`; [`parse_age`] also checks that its instant can be represented.
///
/// Errors: [`Error::Invalid`] naming the text: the accepted shapes when it is not an age, or
/// that it does not fit 64 bits of seconds.
pub fn parse_age_secs(text: &str) -> Result<u64> {
    match parse_age_parts(text) {
        AgeText::Secs(secs) => Ok(secs),
        AgeText::TooLarge => Err(Error::Invalid(format!(
            "age {text:?} is too large: it does not fit 64 bits of seconds"
        ))),
        AgeText::Malformed => Err(not_a_time(text)),
    }
}

/// The largest age, in whole seconds, whose instant before `now` `jiff` can represent
/// ([`Timestamp::MIN`], in the year -9999): about 3.8e11 s (627 000 weeks) for a present-day
/// `now`.
pub fn max_age_secs(now: Timestamp) -> u64 {
    u64::try_from(now.duration_since(Timestamp::MIN).as_secs()).unwrap_or(0)
}

/// The instant `age_secs` seconds before `now` (the cutoff of an age filter), or `None` when it
/// lies before [`Timestamp::MIN`] (an age over [`max_age_secs`]). Never wraps nor panics.
pub fn cutoff(now: Timestamp, age_secs: u64) -> Option<Timestamp> {
    let secs = i64::try_from(age_secs).ok()?;
    now.checked_sub(SignedDuration::from_secs(secs)).ok()
}

/// Whether `then` (Unix seconds) is at least `age_secs` seconds before `now` (Unix seconds),
/// computed without overflow for every input: a `then` after `now` is never old, and an age
/// longer than any representable span is never reached.
pub fn is_older_than(then: i64, now: i64, age_secs: u64) -> bool {
    i128::from(now) - i128::from(then) >= i128::from(age_secs)
}

/// How an age's text parsed.
enum AgeText {
    /// This many seconds.
    Secs(u64),
    /// Digits and a unit, but over `u64::MAX` seconds.
    TooLarge,
    /// Not `<digits><unit>`.
    Malformed,
}

fn parse_age_parts(text: &str) -> AgeText {
    let text = text.trim();
    let Some(split) = text.find(|c: char| !c.is_ascii_digit()) else {
        return AgeText::Malformed;
    };
    let (num, unit) = text.split_at(split);
    let mult: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return AgeText::Malformed,
    };
    if num.is_empty() {
        return AgeText::Malformed;
    }
    // Only ASCII digits are left, so a parse error is an overflow.
    match num.parse::<u64>().ok().and_then(|n| n.checked_mul(mult)) {
        Some(secs) => AgeText::Secs(secs),
        None => AgeText::TooLarge,
    }
}

fn not_a_time(text: &str) -> Error {
    Error::Invalid(format!(
        "{text:?} is not a time: use an RFC 3339 instant, a date (2026-11-20) or an age (90s, 30m, 12h, 7d, 2w)"
    ))
}

fn age_too_large(text: &str, now: Timestamp) -> Error {
    let max = max_age_secs(now);
    Error::Invalid(format!(
        "age {text:?} is too large: it reaches before {}, the earliest time that can be represented; the largest accepted age is {max}s ({}w)",
        Timestamp::MIN,
        max / 604_800
    ))
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

    #[test]
    fn ages_beyond_jiff_are_usage_errors_naming_text_and_largest_age() {
        let now: Timestamp = "2026-11-22T00:00:00.5Z".parse().expect("ts");
        let max = max_age_secs(now);
        assert_eq!(
            max as i64,
            now.as_second() - Timestamp::MIN.as_second(),
            "whole seconds back to the earliest instant"
        );
        let earliest = cutoff(now, max).expect("the largest age has a cutoff");
        assert!(earliest >= Timestamp::MIN);
        assert_eq!(cutoff(now, max + 1), None);
        assert_eq!(parse_age(&format!("{max}s"), now).expect("max"), max);
        for text in [
            "20000000000000w",
            "9223372036854775808s",
            "1000000000000s",
            &format!("{}s", max + 1),
            "18446744073709551615s",
            "18446744073709551616s",
            "99999999999999999999999w",
        ] {
            for err in [
                parse_age(text, now).expect_err(text),
                parse_point(text, now).expect_err(text),
            ] {
                assert!(matches!(err, Error::Invalid(_)), "{text}: {err:?}");
                let msg = err.to_string();
                assert!(msg.contains(&format!("{text:?}")), "{msg}");
                assert!(
                    msg.contains(&format!("largest accepted age is {max}s")),
                    "{msg}"
                );
            }
        }
        assert!(matches!(
            parse_age_secs("18446744073709551616s"),
            Err(Error::Invalid(m)) if m.contains("64 bits")
        ));
        assert_eq!(
            parse_age_secs("9223372036854775808s").expect("fits u64"),
            1 << 63
        );
        for text in ["", "s", "5", "5y", "-5s", "+5s", "5 s", "٣s"] {
            let err = parse_age(text, now).expect_err(text);
            assert!(err.to_string().contains("is not a time"), "{text}: {err}");
        }
    }

    #[test]
    fn zero_age_is_now_and_cutoffs_never_wrap() {
        let now: Timestamp = "2026-11-22T00:00:00Z".parse().expect("ts");
        assert_eq!(parse_age("0s", now).expect("0s"), 0);
        assert_eq!(parse_point("0s", now).expect("0s"), now);
        assert_eq!(cutoff(now, 0), Some(now));
        assert_eq!(cutoff(Timestamp::MIN, 0), Some(Timestamp::MIN));
        assert_eq!(cutoff(Timestamp::MIN, 1), None);
        assert_eq!(cutoff(now, u64::MAX), None);
        assert_eq!(cutoff(now, 1 << 63), None);
        assert_eq!(max_age_secs(Timestamp::MIN), 0);
    }

    #[test]
    fn older_than_is_exact_and_total() {
        assert!(
            is_older_than(100, 100, 0),
            "a cutoff of 0 s takes everything up to now"
        );
        assert!(is_older_than(40, 100, 60));
        assert!(!is_older_than(41, 100, 60));
        assert!(!is_older_than(200, 100, 0), "the future is never old");
        for age in [u64::MAX, 1 << 63, (1 << 63) - 1] {
            assert!(!is_older_than(0, 1_800_000_000, age), "{age}");
        }
        assert!(is_older_than(i64::MIN, i64::MAX, u64::MAX));
        assert!(!is_older_than(i64::MAX, i64::MIN, 0));
    }
}
