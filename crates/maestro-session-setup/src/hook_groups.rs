//! One event's list of hook groups, in the shape Claude Code's `settings.json` gave the
//! runtimes that copied it: Codex's `hooks.json` and Qwen Code's extension manifest both hold,
//! per event, `[{"matcher"?, "hooks": [{"type", "command", "timeout"}, ...]}, ...]` (Codex
//! hooks reference; Qwen Code 0.24 extensions reference).

use serde_json::{Value, json};

/// Puts our `handler` (a `{"type", "command", "timeout"}` object) into `list`, keeping every
/// other handler and group as it is: the first handler `ours` recognises takes `handler`'s keys
/// (its other keys stay), any further ones of ours go, and a group left empty by that goes
/// too; with none of ours, `handler` is appended in a group of its own. Running it twice
/// changes nothing more.
///
/// Errors: the index of a group whose `hooks` is not a list (nothing is changed then in that
/// group or after it).
pub fn place_ours(
    list: &mut Vec<Value>,
    ours: impl Fn(&Value) -> bool,
    handler: Value,
) -> Result<(), String> {
    let mut placed = false;
    let mut emptied = Vec::new();
    for (i, group) in list.iter_mut().enumerate() {
        let Some(handlers) = group.get_mut("hooks") else {
            continue;
        };
        let handlers = handlers
            .as_array_mut()
            .ok_or_else(|| format!("group {i} has a `hooks` that is not a list"))?;
        let before = handlers.len();
        let mut j = 0;
        while j < handlers.len() {
            if !ours(&handlers[j]) {
                j += 1;
            } else if placed {
                handlers.remove(j);
            } else {
                placed = true;
                if let (Some(h), Value::Object(new)) = (handlers[j].as_object_mut(), &handler) {
                    h.extend(new.clone());
                }
                j += 1;
            }
        }
        if before > 0 && handlers.is_empty() {
            emptied.push(i);
        }
    }
    // Groups that held only extra handlers of ours go with them.
    for i in emptied.into_iter().rev() {
        list.remove(i);
    }
    if !placed {
        list.push(json!({ "hooks": [handler] }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(h: &Value) -> bool {
        h["command"]
            .as_str()
            .is_some_and(|c| c.starts_with("/ours/"))
    }

    #[test]
    fn the_first_of_ours_is_updated_the_rest_removed_and_theirs_kept() {
        let mut list = vec![
            json!({"matcher": "x", "hooks": [{"command": "/theirs/a"}, {"command": "/ours/old", "extra": 1}]}),
            json!({"hooks": [{"command": "/ours/dup"}]}),
        ];
        let new = json!({"type": "command", "command": "/ours/new", "timeout": 5});
        place_ours(&mut list, ours, new.clone()).expect("well-formed list");
        assert_eq!(
            list,
            vec![json!({"matcher": "x", "hooks": [{"command": "/theirs/a"},
                {"command": "/ours/new", "extra": 1, "type": "command", "timeout": 5}]})]
        );
        let once = list.clone();
        place_ours(&mut list, ours, new).expect("well-formed list");
        assert_eq!(list, once, "idempotent");
    }

    #[test]
    fn without_ours_a_group_is_appended_and_a_bad_group_is_named() {
        let mut list = vec![json!({"hooks": [{"command": "/theirs/a"}]})];
        place_ours(&mut list, ours, json!({"command": "/ours/n"})).expect("well-formed list");
        assert_eq!(list[1], json!({"hooks": [{"command": "/ours/n"}]}));
        let mut bad = vec![json!({"hooks": {}})];
        assert_eq!(
            place_ours(&mut bad, ours, json!({})).expect_err("a bad group"),
            "group 0 has a `hooks` that is not a list"
        );
    }
}
