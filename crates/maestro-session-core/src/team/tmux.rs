//! The tmux side of a team (issue 19 item 2): one tmux session per team
//! (`maestro-<project>-<team>`), one window per member, on our own server socket
//! (`MAESTRO_TMUX_SOCKET`, a path; default `-L maestro-session`), so a team never lands in or
//! kills a person's own tmux sessions.
//!
//! Windows keep `remain-on-exit on`: a runtime that ended leaves a dead pane, so a probe tells
//! `stopped` (the window is there, its process ended) from `missing` (no window).
//! Targets use tmux's `=` prefix (exact match: `=review` never means `review-2`).

use std::path::Path;
use std::process::Command;

use crate::env::Env;
use crate::env_vars::EnvVars;
use crate::error::Result;
use crate::team::external;

/// A member window as tmux lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// The window's name (the member's role).
    pub name: String,
    /// Whether its pane's process ended (`#{pane_dead}`).
    pub dead: bool,
    /// Its pane's process id.
    pub pid: Option<u32>,
}

/// One tmux server.
#[derive(Debug, Clone)]
pub struct Tmux {
    socket: Option<String>,
}

impl Tmux {
    /// The server `MAESTRO_TMUX_SOCKET` names, else ours (`-L maestro-session`).
    pub fn from_env(env: &Env) -> Tmux {
        Tmux {
            socket: env
                .get(EnvVars::MAESTRO_TMUX_SOCKET)
                .filter(|s| !s.is_empty()),
        }
    }

    /// The arguments that select the server (`-S path` or `-L maestro-session`).
    pub fn server_args(&self) -> Vec<String> {
        match &self.socket {
            Some(path) => vec!["-S".into(), path.clone()],
            None => vec!["-L".into(), "maestro-session".into()],
        }
    }

    fn command(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(self.server_args());
        c
    }

    fn run(&self, args: &[String]) -> Result<String> {
        let mut c = self.command();
        c.args(args);
        external::run(c, "tmux", args)
    }

    /// Whether the tmux session `session` exists (false when no server runs).
    pub fn has_session(&self, session: &str) -> bool {
        let mut c = self.command();
        c.args(["has-session", "-t", &format!("={session}")]);
        external::succeeds(c)
    }

    /// The windows of `session`; `None` when the session (or the server) does not exist.
    pub fn windows(&self, session: &str) -> Option<Vec<Window>> {
        let mut c = self.command();
        c.args([
            "list-panes",
            "-s",
            "-t",
            &format!("={session}"),
            "-F",
            // Spaces, not tabs: without a UTF-8 locale tmux prints a tab as `_`. The name
            // comes first and may hold spaces (a window not ours), so it is split from the right.
            "#{window_name} #{pane_dead} #{pane_pid}",
        ]);
        let out = external::output(c)?;
        Some(
            out.lines()
                .filter_map(|l| {
                    let mut f = l.rsplitn(3, ' ');
                    let pid = f.next()?.parse().ok();
                    let dead = f.next()? == "1";
                    Some(Window {
                        name: f.next()?.to_string(),
                        dead,
                        pid,
                    })
                })
                .collect(),
        )
    }

    /// Starts `argv` in window `window` of `session`: a new window (creating the session when
    /// it does not exist), or the same window respawned when it is there (its process ended), in
    /// `cwd`, with `env` set in the window only.
    ///
    /// Errors: [`crate::Error::Io`] quoting tmux's message when it refuses.
    pub fn start(
        &self,
        session: &str,
        window: &str,
        cwd: &Path,
        env: &[(String, String)],
        argv: &[String],
    ) -> Result<()> {
        let window_there = self
            .windows(session)
            .is_some_and(|w| w.iter().any(|w| w.name == window));
        // A window whose process ended is respawned in place: killing it first could end the
        // session (and the server with its last session) under the new-session that follows.
        let mut args: Vec<String> = if window_there {
            vec![
                "respawn-window".into(),
                "-k".into(),
                "-t".into(),
                format!("={session}:={window}"),
            ]
        } else if self.has_session(session) {
            vec![
                "new-window".into(),
                "-d".into(),
                "-t".into(),
                format!("={session}:"),
            ]
        } else {
            vec![
                "new-session".into(),
                "-d".into(),
                "-s".into(),
                session.into(),
                "-x".into(),
                "200".into(),
                "-y".into(),
                "50".into(),
            ]
        };
        if !window_there {
            args.extend(["-n".into(), window.into()]);
        }
        args.push("-c".into());
        args.push(cwd.to_string_lossy().into_owned());
        for (k, v) in env {
            args.push("-e".into());
            args.push(format!("{k}={v}"));
        }
        args.push("--".into());
        args.extend(argv.iter().cloned());
        // Chained in the same client call, so the option is set before tmux looks at an ended
        // pane.
        args.extend([
            ";".into(),
            "set-option".into(),
            "-w".into(),
            "-t".into(),
            format!("={session}:={window}"),
            "remain-on-exit".into(),
            "on".into(),
        ]);
        self.run(&args).map(|_| ())
    }

    /// Kills the window `window` of `session`; `Ok(false)` when it was not there.
    pub fn kill_window(&self, session: &str, window: &str) -> Result<bool> {
        if !self
            .windows(session)
            .is_some_and(|w| w.iter().any(|w| w.name == window))
        {
            return Ok(false);
        }
        self.run(&[
            "kill-window".into(),
            "-t".into(),
            format!("={session}:={window}"),
        ])
        .map(|_| true)
    }

    /// Kills the whole tmux session (used by `create --force`).
    pub fn kill_session(&self, session: &str) -> Result<()> {
        if self.has_session(session) {
            self.run(&["kill-session".into(), "-t".into(), format!("={session}")])?;
        }
        Ok(())
    }

    /// The argv that attaches a terminal to the team (at `window` when given).
    pub fn attach_argv(&self, session: &str, window: Option<&str>) -> Vec<String> {
        let mut argv = vec!["tmux".to_string()];
        argv.extend(self.server_args());
        argv.extend(["attach-session".into(), "-t".into()]);
        argv.push(match window {
            Some(w) => format!("={session}:={w}"),
            None => format!("={session}"),
        });
        argv
    }

    /// The text shown in `window`'s pane (its last `lines` lines), for `team health --verbose`
    /// and the tests.
    pub fn capture(&self, session: &str, window: &str) -> Option<String> {
        let mut c = self.command();
        c.args(["capture-pane", "-p", "-t", &format!("={session}:={window}")]);
        external::output(c)
    }
}
