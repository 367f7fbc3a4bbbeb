//! A read-only view of environment variables, so resolution rules can be tested without
//! touching the process environment.

use std::collections::HashMap;

/// Where variables come from: the live process environment or a fixed map (tests).
#[derive(Debug, Clone, Default)]
pub struct Env {
    map: Option<HashMap<String, String>>,
}

impl Env {
    /// The process environment.
    pub fn process() -> Self {
        Env { map: None }
    }

    /// A fixed set of variables, nothing else.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Env {
            map: Some(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            ),
        }
    }

    /// The value of `key` parsed as `T`, or `default` when unset or empty.
    ///
    /// Errors: [`crate::Error::Invalid`] naming the variable and its value when it does not
    /// parse, so a typo is never silently replaced by the default.
    pub fn parse_or<T: std::str::FromStr>(&self, key: &str, default: T) -> crate::Result<T> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v.trim().parse().map_err(|_| {
                crate::Error::Invalid(format!(
                    "environment variable {key}={v:?} is not a valid {}",
                    std::any::type_name::<T>()
                ))
            }),
        }
    }

    /// How long a command waits for the state lock: `MAESTRO_LOCK_TIMEOUT_MS`, else
    /// [`maestro_session_fs::lock::DEFAULT_LOCK_TIMEOUT_MS`] (10 s).
    ///
    /// Errors: [`crate::Error::Invalid`] when the variable is not a number.
    pub fn lock_timeout(&self) -> crate::Result<std::time::Duration> {
        self.parse_or(
            crate::EnvVars::MAESTRO_LOCK_TIMEOUT_MS,
            maestro_session_fs::lock::DEFAULT_LOCK_TIMEOUT_MS,
        )
        .map(std::time::Duration::from_millis)
    }

    /// The value of `key`, or `None` when unset, empty, or not valid UTF-8.
    pub fn get(&self, key: &str) -> Option<String> {
        let value = match &self.map {
            Some(map) => map.get(key).cloned(),
            None => std::env::var(key).ok(),
        };
        value.filter(|v| !v.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::Env;

    #[test]
    fn parse_or_defaults_and_refuses_malformed_values() {
        let env = Env::from_pairs([("N", " 5 "), ("BAD", "five"), ("EMPTY", "")]);
        assert_eq!(env.parse_or("N", 2u32).expect("parses"), 5);
        assert_eq!(env.parse_or("UNSET", 2u32).expect("default"), 2);
        assert_eq!(env.parse_or("EMPTY", 2u32).expect("default"), 2);
        let err = env.parse_or("BAD", 2u32).expect_err("malformed");
        assert_eq!(
            err.to_string(),
            "environment variable BAD=\"five\" is not a valid u32"
        );
    }
}
