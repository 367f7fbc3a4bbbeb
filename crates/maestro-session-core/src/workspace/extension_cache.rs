//! A runtime's extension or plugin cache is never a project.
//!
//! Runtimes copy extensions and plugins (Maestro among them) into folders of their own; a hook,
//! a command or an MCP server started there (Codex starts a plugin's MCP server in the plugin's
//! folder) would otherwise keep its sessions inside the cache, where the next update deletes
//! them. Maestro 1.6.4 refuses such a workspace (`src/mcp/contracts/cache-path-rejector.js`:
//! two contiguous path segments `.codex/plugins`, `.claude/plugins` or `.gemini/extensions`,
//! anywhere in the path, so `.codex-plugins-research` is no match). We refuse the same
//! segments, plus:
//!
//! - `.qwen/extensions`: Qwen Code 0.24.4's extension folder (`~/.qwen/extensions/<name>`);
//! - the same folders under a moved home: `$CODEX_HOME/plugins` (Codex),
//!   `$QWEN_HOME/extensions` (Qwen Code), `$CLAUDE_CONFIG_DIR/plugins` (Claude Code), as the
//!   variables name them. (Gemini CLI's `$GEMINI_CLI_HOME` keeps the `.gemini/extensions`
//!   segments.)
//!
//! Segments are compared as the file system does: exactly on Linux, ignoring ASCII case on
//! macOS and Windows, whose default file systems do.

use std::path::{Component, Path, PathBuf};

use crate::env::Env;
use crate::env_vars::EnvVars;

/// One kind of cache: the two path segments that mark it, and whose it is, in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheKind {
    /// The two contiguous segments, e.g. `[".gemini", "extensions"]`.
    pub segments: [&'static str; 2],
    /// Whose cache it is, e.g. `Gemini CLI's extension folder`.
    pub what: &'static str,
}

/// The caches found by their segments: Maestro 1.6.4's three (`CACHE_PATH_SEGMENTS`), then
/// ours.
pub const CACHE_KINDS: [CacheKind; 4] = [
    CacheKind {
        segments: [".codex", "plugins"],
        what: "Codex's plugin cache",
    },
    CacheKind {
        segments: [".claude", "plugins"],
        what: "Claude Code's plugin cache",
    },
    CacheKind {
        segments: [".gemini", "extensions"],
        what: "Gemini CLI's extension folder",
    },
    CacheKind {
        segments: [".qwen", "extensions"],
        what: "Qwen Code's extension folder",
    },
];

/// The caches under a moved runtime home: the variable, the folder under it, and whose.
const MOVED_HOMES: [(&str, &str, &str); 3] = [
    (EnvVars::CODEX_HOME, "plugins", "Codex's plugin cache"),
    (
        EnvVars::QWEN_HOME,
        "extensions",
        "Qwen Code's extension folder",
    ),
    (
        EnvVars::CLAUDE_CONFIG_DIR,
        "plugins",
        "Claude Code's plugin cache",
    ),
];

/// A cache a path lies in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The cache folder itself (the path up to and including its marking segments).
    pub cache: PathBuf,
    /// Whose cache it is, in words.
    pub what: &'static str,
}

/// The cache `path` lies in (or is), if any; `path` is taken as given, `.` and `..` resolved
/// lexically (a relative path is compared as it is).
pub fn find(env: &Env, path: &Path) -> Option<Found> {
    let path = lexical(path);
    let parts: Vec<&std::ffi::OsStr> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s),
            _ => None,
        })
        .collect();
    for (i, pair) in parts.windows(2).enumerate() {
        for kind in CACHE_KINDS {
            if same_name(pair[0], kind.segments[0]) && same_name(pair[1], kind.segments[1]) {
                let cache = path
                    .components()
                    .take_while(|c| !matches!(c, Component::Normal(_)))
                    .map(|c| c.as_os_str())
                    .chain(parts[..i + 2].iter().copied())
                    .collect();
                return Some(Found {
                    cache,
                    what: kind.what,
                });
            }
        }
    }
    MOVED_HOMES.iter().find_map(|(var, sub, what)| {
        let home = env
            .get(var)
            .map(PathBuf::from)
            .filter(|h| h.is_absolute())?;
        let cache = lexical(&home.join(sub));
        path.starts_with(&cache).then_some(Found { cache, what })
    })
}

/// `path` with `.` dropped and `..` taken back lexically, as Node's `path.resolve` does.
pub fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn same_name(name: &std::ffi::OsStr, want: &str) -> bool {
    if cfg!(any(target_os = "macos", windows)) {
        name.to_str().is_some_and(|n| n.eq_ignore_ascii_case(want))
    } else {
        name == want
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(path: &str) -> Option<(String, &'static str)> {
        find(&Env::default(), Path::new(path)).map(|f| (f.cache.display().to_string(), f.what))
    }

    /// Maestro 1.6.4 `tests/unit/cache-path-rejector.test.js`: each cache kind is refused, a
    /// path that merely contains the words is not, a project path is not.
    #[test]
    fn maestros_cases_and_ours() {
        assert_eq!(
            found("/Users/me/.codex/plugins/cache/foo/bar"),
            Some(("/Users/me/.codex/plugins".into(), "Codex's plugin cache"))
        );
        assert_eq!(
            found("/Users/me/.claude/plugins/cache/foo"),
            Some((
                "/Users/me/.claude/plugins".into(),
                "Claude Code's plugin cache"
            ))
        );
        assert_eq!(
            found("/Users/me/.gemini/extensions/foo"),
            Some((
                "/Users/me/.gemini/extensions".into(),
                "Gemini CLI's extension folder"
            ))
        );
        assert_eq!(
            found("/home/me/.qwen/extensions/maestro/x"),
            Some((
                "/home/me/.qwen/extensions".into(),
                "Qwen Code's extension folder"
            ))
        );
        // The cache folder itself is inside.
        assert!(found("/home/me/.gemini/extensions").is_some());
        for fine in [
            "/Users/me/dev/my-project/.codex-plugins-research",
            "/Users/me/Development/maestro-orchestrate",
            "/home/me/.gemini",
            "/home/me/.gemini/settings/extensions",
            "/home/me/plugins/.codex",
            "/home/me/.qwen/projects/x",
        ] {
            assert_eq!(found(fine), None, "{fine}");
        }
        // `..` is resolved before the segments are compared, both ways.
        assert!(found("/home/me/.gemini/x/../extensions/m").is_some());
        assert_eq!(found("/home/me/.gemini/extensions/../x"), None);
        assert!(found("relative/.claude/plugins/p").is_some());
    }

    #[test]
    fn moved_homes_count() {
        let env = Env::from_pairs([
            (EnvVars::CODEX_HOME, "/opt/codexhome"),
            (EnvVars::QWEN_HOME, "/srv/q/"),
            (EnvVars::CLAUDE_CONFIG_DIR, "relative/ignored"),
        ]);
        let f = find(&env, Path::new("/opt/codexhome/plugins/cache/maestro")).expect("codex");
        assert_eq!(f.cache, PathBuf::from("/opt/codexhome/plugins"));
        assert_eq!(f.what, "Codex's plugin cache");
        let f = find(&env, Path::new("/srv/q/extensions/m")).expect("qwen");
        assert_eq!(f.what, "Qwen Code's extension folder");
        assert_eq!(find(&env, Path::new("/opt/codexhome/sessions")), None);
        assert_eq!(find(&env, Path::new("/opt/codexhome/pluginsx")), None);
        assert_eq!(find(&env, Path::new("relative/ignored/plugins/x")), None);
    }
}
