//! Process identity and liveness across real processes, on every platform the suite runs
//! (Linux natively, Windows under wine: `scripts/cross.sh`): this executable starts copies of
//! itself and checks that each names the other by (pid, start time, name), that the ancestry
//! walk goes through two generations, and that an exited process is no longer found.
//!
//! `harness = false`: with no argument it runs the checks; with `ancestry` or `relay` or
//! `wait` it is one of the processes the checks start.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

use maestro_session_fs::durable::process_alive;
use maestro_session_fs::process::{self, ProcStat};

/// One process as a line: `pid start comm`.
fn line(p: &ProcStat) -> String {
    format!("{} {} {}", p.pid, p.start_ticks, p.comm)
}

fn me() -> ProcStat {
    process::stat(std::process::id())
        .expect("read this process")
        .expect("this process runs")
}

/// Starts this executable as `role`, stdout piped.
fn spawn(role: &str) -> std::process::Child {
    Command::new(std::env::current_exe().expect("own path"))
        .arg(role)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn a copy of this test")
}

/// The stdout lines of `role` run to its end.
fn lines_of(role: &str) -> Vec<String> {
    let out = spawn(role).wait_with_output().expect("wait");
    assert!(out.status.success(), "{role}: {:?}", out.status);
    String::from_utf8(out.stdout)
        .expect("utf8")
        .lines()
        .map(str::to_string)
        .collect()
}

fn this_process_is_named_by_a_stable_start() {
    let a = me();
    assert_eq!(a.pid, std::process::id());
    assert!(!a.comm.is_empty(), "{a:?}");
    assert!(a.start_ticks > 0, "{a:?}");
    assert_eq!(me().start_ticks, a.start_ticks, "the start time is stable");
    assert!(process_alive(a.pid as i32));
    assert_eq!(process::stat(u32::MAX - 1).expect("no such pid"), None);
    assert!(!process_alive(0));
    assert!(!process_alive(-1));
    let boot = process::boot_id().expect("boot id");
    assert_eq!(process::boot_id().expect("again"), boot);
    if cfg!(target_os = "linux") {
        assert!(!boot.is_empty(), "Linux names the boot");
    }
}

fn a_child_names_this_process_as_its_parent() {
    let me = me();
    let got = lines_of("ancestry");
    assert_eq!(got.first(), Some(&line(&me)), "{got:?}");
}

fn the_walk_goes_through_two_generations() {
    let me = me();
    // relay prints itself, then what its child (ancestry) printed: relay, then this process.
    let got = lines_of("relay");
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[1], got[0], "the grandchild's parent is the relay");
    assert_eq!(got[2], line(&me), "and its grandparent this process");
}

fn an_exited_process_is_no_longer_found() {
    let mut child = spawn("wait");
    let pid = child.id();
    let running = process::stat(pid).expect("read").expect("the child runs");
    assert_eq!(running.ppid, std::process::id());
    assert!(process_alive(pid as i32));
    drop(child.stdin.take());
    let status = child.wait().expect("wait");
    assert!(status.success());
    // The child's handle is still open here on Windows (its object outlives it): it must
    // still read as gone.
    let after = process::stat(pid).expect("read");
    assert!(
        after
            .as_ref()
            .is_none_or(|p| p.start_ticks != running.start_ticks),
        "{after:?}"
    );
    drop(child);
    if after.is_none() {
        assert!(
            !process_alive(pid as i32),
            "pid {pid} still reads as running"
        );
    }
}

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("ancestry") => {
            for p in process::ancestors(2).expect("ancestry") {
                println!("{}", line(&p));
            }
        }
        Some("relay") => {
            println!("{}", line(&me()));
            let mut out = String::new();
            spawn("ancestry")
                .stdout
                .take()
                .expect("stdout")
                .read_to_string(&mut out)
                .expect("read");
            print!("{out}");
        }
        Some("wait") => {
            let _ = BufReader::new(std::io::stdin()).lines().count();
        }
        Some(other) if !other.starts_with('-') => panic!("unknown role {other}"),
        // No role (cargo test passes options such as --nocapture or a filter): the checks.
        _ => {
            let checks: [(&str, fn()); 4] = [
                (
                    "this_process_is_named_by_a_stable_start",
                    this_process_is_named_by_a_stable_start,
                ),
                (
                    "a_child_names_this_process_as_its_parent",
                    a_child_names_this_process_as_its_parent,
                ),
                (
                    "the_walk_goes_through_two_generations",
                    the_walk_goes_through_two_generations,
                ),
                (
                    "an_exited_process_is_no_longer_found",
                    an_exited_process_is_no_longer_found,
                ),
            ];
            for (name, check) in checks {
                check();
                println!("test process_identity::{name} ... ok");
            }
            let _ = std::io::stdout().flush();
        }
    }
}
