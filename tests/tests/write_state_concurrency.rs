//! 32 processes each run `write-state` 50 times on the same file with distinct payloads: the
//! file is always exactly one of the payloads, never a mix, and no temp files remain. Under
//! wine (`scripts/cross.sh`) 8 processes write 20 times each: every wine process start costs
//! about half a second of the wine server, and 1,600 of them starved the tests run beside this
//! one (a hook's output lost under the load); 8 writers still contend for the lock and the
//! replace on every write.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use e2e_tests::{World, run};

/// (writers, writes each): see the module.
fn load() -> (usize, usize) {
    if e2e_tests::bins_for_windows() {
        (8, 20)
    } else {
        (32, 50)
    }
}
const TARGET: &str = "docs/maestro/state/active-session.md";

/// A distinct, valid version of one session, about 64 KiB, so a torn write would be visible.
/// (Writers share the session: writing another session over a live one is refused.)
fn payload(writer: usize, n: usize) -> Vec<u8> {
    let filler = format!("{writer:02}-{n:02} ").repeat(64 * 1024 / 6);
    format!(
        "---\nsession_id: \"2026-12-01-shared\"\nstatus: \"in_progress\"\nwriter: \"w{writer}-{n}\"\n---\n{filler}\n"
    )
    .into_bytes()
}

/// `bytes` without the `revision: N` line every write-state adds (the next revision of the
/// session file).
fn without_revision(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        if !line.starts_with(b"revision: ") {
            out.extend_from_slice(line);
        }
    }
    out
}

#[test]
fn concurrent_writers_never_tear_the_file() {
    let world = Arc::new(World::new());
    std::fs::create_dir_all(world.state()).expect("mkdir");
    let (writers, writes_each) = load();
    let first = payload(99, 99);
    std::fs::write(world.project().join(TARGET), &first).expect("seed");

    let mut valid: HashSet<Vec<u8>> = (0..writers)
        .flat_map(|w| (0..writes_each).map(move |n| payload(w, n)))
        .collect();
    valid.insert(first);
    let valid = Arc::new(valid);
    let done = Arc::new(AtomicBool::new(false));

    let reader = {
        let (world, valid, done) = (world.clone(), valid.clone(), done.clone());
        std::thread::spawn(move || {
            let mut reads = 0;
            while !done.load(Ordering::Relaxed) {
                let bytes =
                    std::fs::read(world.project().join(TARGET)).expect("file always exists");
                let bytes = without_revision(&bytes);
                assert!(
                    valid.contains(&bytes),
                    "torn or unknown content ({} bytes)",
                    bytes.len()
                );
                reads += 1;
                // A pause between reads: a write takes milliseconds, so each version is still
                // read many times, and the reader leaves the writers (and the tests run beside
                // this one) their share of the CPU instead of spinning on a core.
                std::thread::sleep(std::time::Duration::from_micros(500));
            }
            reads
        })
    };

    let threads: Vec<_> = (0..writers)
        .map(|w| {
            let world = world.clone();
            std::thread::spawn(move || {
                for n in 0..writes_each {
                    let mut cmd = world.cmd("write-state");
                    cmd.arg(TARGET);
                    let out = run(cmd, &payload(w, n));
                    assert!(
                        out.status.success(),
                        "writer {w} write {n}: {}, stdout {:?}, stderr {:?}",
                        out.status,
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            })
        })
        .collect();
    for w in threads {
        w.join().expect("writer");
    }
    done.store(true, Ordering::Relaxed);
    let reads = reader.join().expect("reader");
    assert!(reads > 0);

    let last = without_revision(&std::fs::read(world.project().join(TARGET)).expect("read"));
    assert!(valid.contains(&last));
    let leftovers: Vec<String> = std::fs::read_dir(world.state())
        .expect("ls")
        .map(|e| e.expect("entry"))
        .filter(|e| e.file_type().is_ok_and(|t| !t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "active-session.md" && n != ".lock")
        .collect();
    assert!(leftovers.is_empty(), "temp files remain: {leftovers:?}");
}
