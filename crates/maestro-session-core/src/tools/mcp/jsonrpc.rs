//! What a line the MCP server reads is, by JSON-RPC 2.0 (<https://www.jsonrpc.org/specification>,
//! section 5.1) and the MCP base protocol (2025-06-18: one message per line on stdio, ids are
//! strings or integers, no batches): every line that is not a well-formed message gets an error
//! response naming what is wrong, so no client waits forever for an answer, and a method that
//! exists is never answered "method not found" because of its params.
//!
//! | the line | the answer | `id` |
//! |---|---|---|
//! | not JSON, not UTF-8, a number out of range (`1e400`) | -32700 parse error | `null` |
//! | longer than [`MAX_LINE_BYTES`] | -32600 invalid request | `null` |
//! | a batch (an array), not an object, no `"jsonrpc": "2.0"`, no or a non-string `method`, an id that is not a string or an integer | -32600 invalid request | the id when it is one, else `null` |
//! | `params` neither an object nor an array | -32600 invalid request | the id |
//! | `initialize`, `ping`, `tools/list`, `tools/call` with params of the wrong shape (`tools/call` with `arguments` an array, `name` missing or not a string) | -32602 invalid params, naming the param in `message` and `data.param` | the id |
//!
//! A well-formed notification (no `id`) is never answered, as JSON-RPC requires. Anything else
//! is handed to the server as it is (an unknown method is the server's -32601). Messages quote
//! nothing of the line but the names of its members.

use serde_json::{Map, Value, json};

/// The largest line read, in bytes (without its `\n`): 16 MiB, the size cap of a session file.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// JSON-RPC 2.0: invalid JSON.
pub const PARSE_ERROR: i64 = -32700;
/// JSON-RPC 2.0: not a valid request object.
pub const INVALID_REQUEST: i64 = -32600;
/// JSON-RPC 2.0: the method does not exist.
pub const METHOD_NOT_FOUND: i64 = -32601;
/// JSON-RPC 2.0: invalid method parameters.
pub const INVALID_PARAMS: i64 = -32602;

/// What to do with one line read from the client.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// A well-formed message, for the server.
    Message(Value),
    /// The error response to write back (the line is not given to the server).
    Reply(Value),
    /// Nothing to do (an empty line).
    Skip,
}

/// A JSON-RPC 2.0 error response: `{"jsonrpc": "2.0", "id": id, "error": {code, message[,
/// data]}}`.
pub fn error_response(id: Value, code: i64, message: &str, data: Option<Value>) -> Value {
    let mut error = json!({"code": code, "message": message});
    if let Some(data) = data {
        error["data"] = data;
    }
    json!({"jsonrpc": "2.0", "id": id, "error": error})
}

/// The answer to a line longer than [`MAX_LINE_BYTES`] (`bytes` long, or more: reading stops
/// counting at the cap).
pub fn oversized(bytes: usize) -> Value {
    error_response(
        Value::Null,
        INVALID_REQUEST,
        &format!(
            "Invalid Request: a message of {bytes} bytes or more is over the limit of {MAX_LINE_BYTES} bytes; it was not read"
        ),
        None,
    )
}

/// A line read from the client (without its `\n`), classified.
pub fn check_line(line: &[u8]) -> Line {
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Line::Skip;
    }
    let value: Value = match serde_json::from_slice(line) {
        Ok(v) => v,
        Err(e) => {
            return Line::Reply(error_response(
                Value::Null,
                PARSE_ERROR,
                &format!("Parse error: {e}"),
                None,
            ));
        }
    };
    match check_message(&value) {
        Ok(()) => Line::Message(value),
        Err(Some(reply)) => Line::Reply(reply),
        Err(None) => Line::Skip,
    }
}

/// Checks a decoded message. `Err(Some(reply))`: answer with `reply`; `Err(None)`: a
/// notification that is not answered.
fn check_message(value: &Value) -> Result<(), Option<Value>> {
    let invalid = |id: &Value, why: &str| {
        Some(error_response(
            id.clone(),
            INVALID_REQUEST,
            &format!("Invalid Request: {why}"),
            None,
        ))
    };
    let Some(msg) = value.as_object() else {
        let why = if value.is_array() {
            "batches are not supported (MCP sends one message per line)"
        } else {
            "a message is a JSON object"
        };
        return Err(invalid(&Value::Null, why));
    };
    let id = match msg.get("id") {
        None => None,
        Some(id) if id.is_string() || id.is_i64() || id.is_u64() => Some(id),
        Some(_) => {
            return Err(invalid(&Value::Null, "`id` must be a string or an integer"));
        }
    };
    let reply_id = id.cloned().unwrap_or(Value::Null);
    if msg.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(invalid(&reply_id, "`jsonrpc` must be \"2.0\""));
    }
    let Some(method) = msg.get("method") else {
        // A response to a request of ours.
        return match (id, msg.contains_key("result") || msg.contains_key("error")) {
            (Some(_), true) => Ok(()),
            _ => Err(invalid(
                &reply_id,
                "a message needs a string `method` (a request or notification) or an `id` with `result` or `error` (a response)",
            )),
        };
    };
    let Some(method) = method.as_str() else {
        return Err(invalid(&reply_id, "`method` must be a string"));
    };
    let params = msg.get("params");
    if params.is_some_and(|p| !p.is_object() && !p.is_array()) {
        return Err(invalid(&reply_id, "`params` must be an object or an array"));
    }
    let Some(id) = id else {
        // A well-formed notification: never answered.
        return Ok(());
    };
    match check_params(method, params) {
        Ok(()) => Ok(()),
        Err((param, why)) => Err(Some(error_response(
            id.clone(),
            INVALID_PARAMS,
            &format!("Invalid params of {method}: `{param}` {why}"),
            Some(json!({"param": param})),
        ))),
    }
}

/// The params the server's methods take (MCP 2025-06-18 schema): `Err((param, why))` names the
/// first that is wrong.
fn check_params(method: &str, params: Option<&Value>) -> Result<(), (String, String)> {
    let empty = Map::new();
    let obj = match params {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(m)) => m,
        Some(other) => {
            return match method {
                "initialize" | "ping" | "tools/list" | "tools/call" => Err((
                    "params".into(),
                    format!("must be an object, not {}", kind(other)),
                )),
                _ => Ok(()),
            };
        }
    };
    let want = |key: &str, ok: fn(&Value) -> bool, what: &str, required: bool| match obj.get(key) {
        None if required => Err((key.to_string(), format!("is required ({what})"))),
        None => Ok(()),
        Some(Value::Null) if !required => Ok(()),
        Some(v) if ok(v) => Ok(()),
        Some(v) => Err((key.to_string(), format!("must be {what}, not {}", kind(v)))),
    };
    match method {
        "tools/call" => {
            want("name", Value::is_string, "a string: the tool's name", true)?;
            want("arguments", Value::is_object, "an object", false)?;
            want("_meta", Value::is_object, "an object", false)
        }
        "tools/list" => {
            want("cursor", Value::is_string, "a string", false)?;
            want("_meta", Value::is_object, "an object", false)
        }
        "ping" => want("_meta", Value::is_object, "an object", false),
        "initialize" => {
            want("protocolVersion", Value::is_string, "a string", true)?;
            want("capabilities", Value::is_object, "an object", true)?;
            want("clientInfo", Value::is_object, "an object", true)?;
            let info = obj.get("clientInfo").and_then(Value::as_object);
            for key in ["name", "version"] {
                match info.and_then(|i| i.get(key)) {
                    Some(v) if v.is_string() => {}
                    Some(v) => {
                        return Err((
                            format!("clientInfo.{key}"),
                            format!("must be a string, not {}", kind(v)),
                        ));
                    }
                    None => {
                        return Err((format!("clientInfo.{key}"), "is required (a string)".into()));
                    }
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// What kind of JSON value `v` is, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(line: &[u8]) -> Value {
        match check_line(line) {
            Line::Reply(v) => v,
            other => panic!("{}: {other:?}", String::from_utf8_lossy(line)),
        }
    }

    fn code_id(v: &Value) -> (i64, Value) {
        (
            v["error"]["code"].as_i64().expect("code"),
            v.get("id").cloned().expect("an id member, null or not"),
        )
    }

    #[test]
    fn undecodable_lines_get_a_parse_error_with_a_null_id() {
        for line in [
            &b"{"[..],
            b"not json",
            br#"{"jsonrpc":"2.0","id":1,"method":"x","params":{"n":1e400}}"#,
            b"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"x\",\"params\":{\"s\":\"\xff\"}}",
        ] {
            assert_eq!(code_id(&reply(line)), (PARSE_ERROR, Value::Null));
        }
        assert_eq!(
            code_id(&oversized(MAX_LINE_BYTES + 1)),
            (INVALID_REQUEST, Value::Null)
        );
    }

    #[test]
    fn invalid_requests_name_what_is_wrong() {
        for (line, id, member) in [
            (
                &br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#[..],
                Value::Null,
                "batch",
            ),
            (br#"5"#, Value::Null, "object"),
            (
                br#"{"jsonrpc":"2.0","id":true,"method":"ping"}"#,
                Value::Null,
                "`id`",
            ),
            (
                br#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#,
                Value::Null,
                "`id`",
            ),
            (
                br#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#,
                json!(1),
                "`jsonrpc`",
            ),
            (
                br#"{"jsonrpc":"2.0","id":"a","method":5}"#,
                json!("a"),
                "`method`",
            ),
            (
                br#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":"x"}"#,
                json!(3),
                "`params`",
            ),
            (
                br#"{"jsonrpc":"2.0","method":1,"params":"bar"}"#,
                Value::Null,
                "`method`",
            ),
            (br#"{"jsonrpc":"2.0","id":4}"#, json!(4), "`method`"),
        ] {
            let r = reply(line);
            assert_eq!(code_id(&r), (INVALID_REQUEST, id), "{r}");
            let message = r["error"]["message"].as_str().expect("message");
            assert!(message.contains(member), "{message}");
        }
    }

    #[test]
    fn wrong_params_of_known_methods_are_invalid_params_naming_the_param() {
        for (line, param) in [
            (&br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"show_session","arguments":[1]}}"#[..], "arguments"),
            (br#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":5}}"#, "name"),
            (br#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{}}"#, "name"),
            (br#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":[1]}"#, "params"),
            (br#"{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"cursor":3}}"#, "cursor"),
            (br#"{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"x","capabilities":{},"clientInfo":{"name":1}}}"#, "clientInfo.name"),
        ] {
            let r = reply(line);
            assert_eq!(r["error"]["code"], INVALID_PARAMS, "{r}");
            assert_eq!(r["error"]["data"]["param"], param, "{r}");
            assert!(r["error"]["message"].as_str().expect("message").contains(&format!("`{param}`")));
            assert!(!r["id"].is_null());
        }
    }

    #[test]
    fn well_formed_messages_pass_and_notifications_are_never_answered() {
        for line in [
            &br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"a":1}}}"#[..],
            br#"{"jsonrpc":"2.0","id":"s","method":"tools/list"}"#,
            br#"{"jsonrpc":"2.0","id":7,"method":"no/such"}"#,
            br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            br#"{"jsonrpc":"2.0","method":"tools/call","params":{"name":5}}"#,
            br#"{"jsonrpc":"2.0","id":9,"result":{}}"#,
            b"\xEF\xBB\xBF{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\r",
        ] {
            assert!(matches!(check_line(line), Line::Message(_)), "{}", String::from_utf8_lossy(line));
        }
        assert_eq!(check_line(b"  "), Line::Skip);
    }
}
