//! Shell completions complete below the top level: the bash script is sourced in a real
//! `bash` and its registered function run as bash would on TAB; the zsh and fish scripts name
//! the nested subcommands (and pass `zsh -n` / `fish -n` where those shells are installed).
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::process::Command;

use e2e_tests::World;

/// The completion script `maestro-session completions <shell>` prints.
fn script(world: &World, shell: &str) -> String {
    let out = world
        .cmd("maestro-session")
        .args(["completions", shell])
        .output()
        .expect("run completions");
    assert!(out.status.success(), "completions {shell}: {out:?}");
    String::from_utf8(out.stdout).expect("utf8 script")
}

/// What bash offers for the command line `words` (the last one is the word being
/// completed): the script is sourced, the function registered for `maestro-session` found
/// with `complete -p`, and called as bash calls it on TAB.
fn bash_complete(world: &World, words: &[&str]) -> Vec<String> {
    let path = world.root().join("tmp/maestro-session.bash");
    std::fs::write(&path, script(world, "bash")).expect("write script");
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        r#"
source "$1" || exit 90
spec=$(complete -p maestro-session) || exit 91
fn=$(printf '%s\n' "$spec" | sed -E 's/.* -F ([^ ]+) .*/\1/')
COMP_WORDS=({words})
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMP_LINE="${{COMP_WORDS[*]}}"
COMP_POINT=${{#COMP_LINE}}
cur="${{COMP_WORDS[COMP_CWORD]}}"
prev="${{COMP_WORDS[COMP_CWORD-1]}}"
"$fn" maestro-session "$cur" "$prev"
printf '%s\n' "${{COMPREPLY[@]}}"
"#,
        words = quoted.join(" ")
    );
    let mut cmd = Command::new("bash");
    world.configure(&mut cmd);
    let out = cmd
        .arg("--norc")
        .arg("-c")
        .arg(program)
        .arg("bash")
        .arg(&path)
        .output()
        .expect("run bash");
    assert!(out.status.success(), "bash: {out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn bash_completes_nested_subcommands_and_their_options() {
    let world = World::new();
    let top = bash_complete(&world, &["maestro-session", ""]);
    assert!(top.contains(&"phase".to_string()), "{top:?}");

    let phase = bash_complete(&world, &["maestro-session", "phase", ""]);
    for sub in ["start", "complete", "fail", "retry", "skip"] {
        assert!(phase.contains(&sub.to_string()), "phase <TAB>: {phase:?}");
    }

    let fail = bash_complete(
        &world,
        &["maestro-session", "phase", "fail", "active", "1", "--t"],
    );
    assert_eq!(fail, vec!["--type".to_string()], "phase fail --t<TAB>");

    // An enum option's values complete, and a hyphenated subcommand's options too.
    let types = bash_complete(
        &world,
        &[
            "maestro-session",
            "phase",
            "fail",
            "active",
            "1",
            "--type",
            "",
        ],
    );
    assert!(types.contains(&"file_conflict".to_string()), "{types:?}");
    let plugin = bash_complete(
        &world,
        &["maestro-session", "setup", "claude-plugin", "--m"],
    );
    assert_eq!(plugin, vec!["--marketplace".to_string()], "{plugin:?}");
}

#[test]
fn zsh_and_fish_scripts_name_nested_subcommands() {
    let world = World::new();
    let zsh = script(&world, "zsh");
    assert!(
        zsh.starts_with("#compdef maestro-session"),
        "{}",
        &zsh[..80]
    );
    assert!(
        zsh.contains("'start:pending -> in_progress"),
        "zsh lacks phase start"
    );
    assert!(
        zsh.contains("'--type=[Error type]"),
        "zsh lacks phase fail --type"
    );
    let fish = script(&world, "fish");
    assert!(
        fish.contains("__fish_maestro_session_using_subcommand phase; and not __fish_seen_subcommand_from start"),
        "fish lacks phase's subcommands"
    );
    assert!(fish.contains("-a \"start\""), "fish lacks phase start");

    for (shell, text) in [("zsh", &zsh), ("fish", &fish)] {
        let path = world.root().join(format!("tmp/maestro-session.{shell}"));
        std::fs::write(&path, text).expect("write script");
        // Only where the shell is installed; nothing is installed for the test.
        let Ok(out) = Command::new(shell).arg("-n").arg(&path).output() else {
            continue;
        };
        assert!(out.status.success(), "{shell} -n: {out:?}");
    }
}
