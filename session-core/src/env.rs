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

    /// The value of `key`, or `None` when unset, empty, or not valid UTF-8.
    pub fn get(&self, key: &str) -> Option<String> {
        let value = match &self.map {
            Some(map) => map.get(key).cloned(),
            None => std::env::var(key).ok(),
        };
        value.filter(|v| !v.is_empty())
    }
}
