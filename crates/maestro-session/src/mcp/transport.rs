//! The stdio transport of `maestro-session mcp`, in place of rmcp's own: rmcp drops a line it
//! cannot decode without a word (not JSON, not UTF-8, `1e400`, longer than its limit) and
//! answers a `tools/call` with malformed params "-32601 Method not found", so a client waits
//! forever or is told the wrong thing. Here every line is classified first by
//! `maestro_session_core::tools::mcp::jsonrpc` (the rule: which JSON-RPC error, which id), and only a
//! well-formed message reaches rmcp.
//!
//! Three parts, so no read or write is ever cancelled half-way (rmcp polls `receive` inside a
//! `select!`):
//! - a reader thread reads stdin line by line, at most [`jsonrpc::MAX_LINE_BYTES`] of a line
//!   held (the rest of a longer line is skipped, then answered); it sends each message to the
//!   service through a channel, and each error response to the writer;
//! - a writer thread writes whole lines to stdout, one at a time, in the order they come:
//!   rmcp's responses and the reader's error responses never interleave;
//! - [`Stdio`], the rmcp `Transport`: `receive` takes the next message from the channel,
//!   `send` hands a serialised line to the writer.
//!
//! A message rmcp cannot take in its own types (a request whose params do not fit its schema,
//! which the rule did not catch) is answered -32602 naming the path serde reports.

use std::io::{BufRead, Write};
use std::sync::mpsc;
use std::thread::JoinHandle;

use maestro_session_core::tools::mcp::jsonrpc::{self, Line};
use rmcp::RoleServer;
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use serde_json::Value;

/// Messages read and not yet taken by the service.
const QUEUE: usize = 64;

/// rmcp's transport over this process's stdin and stdout.
pub struct Stdio {
    incoming: tokio::sync::mpsc::Receiver<RxJsonRpcMessage<RoleServer>>,
    outgoing: Option<mpsc::Sender<Vec<u8>>>,
}

/// The threads behind a [`Stdio`]; [`Threads::finish`] waits until every line is written.
pub struct Threads {
    writer: JoinHandle<()>,
}

impl Threads {
    /// Waits for the writer to write what it was given (it ends once the transport and the
    /// reader are gone).
    pub fn finish(self) {
        let _ = self.writer.join();
    }
}

/// Starts the reader and writer threads.
pub fn stdio() -> (Stdio, Threads) {
    let (out_tx, out_rx) = mpsc::channel::<Vec<u8>>();
    let writer = std::thread::spawn(move || {
        let stdout = std::io::stdout();
        for line in out_rx {
            let mut out = stdout.lock();
            let written = out
                .write_all(&line)
                .and_then(|()| out.write_all(b"\n"))
                .and_then(|()| out.flush());
            if written.is_err() {
                // The client is gone: nothing more can be said.
                return;
            }
        }
    });
    let (in_tx, in_rx) = tokio::sync::mpsc::channel(QUEUE);
    let replies = out_tx.clone();
    std::thread::spawn(move || read(std::io::stdin().lock(), &in_tx, &replies));
    (
        Stdio {
            incoming: in_rx,
            outgoing: Some(out_tx),
        },
        Threads { writer },
    )
}

/// Reads `input` to its end: each line classified, each message sent to the service, each
/// error response to the writer. Returns when the input ends, fails, or nobody listens.
fn read(
    mut input: impl BufRead,
    messages: &tokio::sync::mpsc::Sender<RxJsonRpcMessage<RoleServer>>,
    replies: &mpsc::Sender<Vec<u8>>,
) {
    let mut line = Vec::new();
    // rmcp's handshake takes `initialize` first and ends the server on anything else; a request
    // before it is answered here instead (MCP: only pings may come before it), a notification
    // dropped.
    let mut initialize_seen = false;
    loop {
        line.clear();
        let (total, ended) = match read_line(&mut input, &mut line) {
            Ok(read) => read,
            Err(_) => return,
        };
        if total == 0 && ended {
            return;
        }
        let reply = if total > jsonrpc::MAX_LINE_BYTES {
            Some(jsonrpc::oversized(total))
        } else {
            match jsonrpc::check_line(&line) {
                Line::Skip => None,
                Line::Reply(reply) => Some(reply),
                Line::Message(value) if !initialize_seen && !is_initialize(&value) => {
                    value.get("id").filter(|_| value.get("method").is_some()).map(|id| {
                        jsonrpc::error_response(
                            id.clone(),
                            jsonrpc::INVALID_REQUEST,
                            "Invalid Request: the server is not initialized; send `initialize` first",
                            None,
                        )
                    })
                }
                Line::Message(value) => match to_rmcp(value) {
                    Ok(Some(message)) => {
                        initialize_seen = true;
                        if messages.blocking_send(message).is_err() {
                            return;
                        }
                        None
                    }
                    Ok(None) => None,
                    Err(reply) => Some(reply),
                },
            }
        };
        if let Some(reply) = reply
            && replies.send(reply.to_string().into_bytes()).is_err()
        {
            return;
        }
        if ended {
            return;
        }
    }
}

/// Whether `message` is an `initialize` request.
fn is_initialize(message: &Value) -> bool {
    message.get("method").and_then(Value::as_str) == Some("initialize")
        && message.get("id").is_some()
}

/// Reads one line into `line` (without its `\n`), keeping at most
/// [`jsonrpc::MAX_LINE_BYTES`] + 1 bytes of it. Returns the line's whole length (counted up
/// to the cap + 1) and whether the input ended.
fn read_line(input: &mut impl BufRead, line: &mut Vec<u8>) -> std::io::Result<(usize, bool)> {
    let cap = jsonrpc::MAX_LINE_BYTES + 1;
    let mut total = 0usize;
    loop {
        let buf = match input.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok((total, true));
        }
        let (chunk, found) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..i], Some(i)),
            None => (buf, None),
        };
        let room = cap.saturating_sub(line.len());
        line.extend_from_slice(&chunk[..chunk.len().min(room)]);
        total = total.saturating_add(chunk.len()).min(cap);
        let used = found.map_or(chunk.len(), |i| i + 1);
        input.consume(used);
        if found.is_some() {
            return Ok((total, false));
        }
    }
}

/// A checked message as rmcp's type. `Ok(None)`: a notification rmcp does not know (ignored,
/// never answered, as rmcp's own transport does); `Err(reply)`: a request it cannot take,
/// answered -32602 naming where.
fn to_rmcp(value: Value) -> Result<Option<RxJsonRpcMessage<RoleServer>>, Value> {
    let id = value.get("id").cloned();
    let method = value
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    match serde_path_to_error::deserialize::<_, RxJsonRpcMessage<RoleServer>>(value) {
        Ok(message) => Ok(Some(message)),
        Err(_) if id.is_none() => Ok(None),
        Err(e) => {
            let path = e.path().to_string();
            let param = path.strip_prefix("params.").unwrap_or(&path).to_string();
            Err(jsonrpc::error_response(
                id.unwrap_or(Value::Null),
                jsonrpc::INVALID_PARAMS,
                &format!("Invalid params of {method}: `{param}`: {}", e.into_inner()),
                Some(serde_json::json!({"param": param})),
            ))
        }
    }
}

impl Transport<RoleServer> for Stdio {
    type Error = std::io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let sent = match (&self.outgoing, serde_json::to_vec(&item)) {
            (Some(out), Ok(line)) => out
                .send(line)
                .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "stdout closed")),
            (None, _) => Err(std::io::Error::new(
                std::io::ErrorKind::NotConnected,
                "transport closed",
            )),
            (_, Err(e)) => Err(std::io::Error::other(e)),
        };
        std::future::ready(sent)
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        self.incoming.recv().await
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.outgoing = None;
        self.incoming.close();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_cut_at_the_cap_and_counted() {
        let long = vec![b'a'; jsonrpc::MAX_LINE_BYTES + 10];
        let mut input = Vec::new();
        input.extend_from_slice(&long);
        input.extend_from_slice(b"\nnext\nlast");
        let mut r = std::io::BufReader::with_capacity(4096, &input[..]);
        let mut line = Vec::new();
        let (total, ended) = read_line(&mut r, &mut line).expect("read");
        assert_eq!((total, ended), (jsonrpc::MAX_LINE_BYTES + 1, false));
        assert_eq!(line.len(), jsonrpc::MAX_LINE_BYTES + 1);
        line.clear();
        assert_eq!(read_line(&mut r, &mut line).expect("read"), (4, false));
        assert_eq!(line, b"next");
        line.clear();
        assert_eq!(read_line(&mut r, &mut line).expect("read"), (4, true));
        assert_eq!(line, b"last");
    }

    #[test]
    fn messages_reach_rmcp_and_notifications_are_never_answered() {
        let call = serde_json::json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call",
            "params": {"name": "show_session", "arguments": {}}});
        assert!(matches!(to_rmcp(call), Ok(Some(_))));
        // A notification is never answered, whatever rmcp makes of it.
        for unknown in [
            serde_json::json!({"jsonrpc": "2.0", "method": "notifications/unknown"}),
            serde_json::json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": []}}),
        ] {
            assert!(to_rmcp(unknown).is_ok());
        }
        // A response to a request the server never made has no `method`: rmcp takes it.
        let response = serde_json::json!({"jsonrpc": "2.0", "id": 9, "result": {}});
        assert!(matches!(to_rmcp(response), Ok(Some(_))));
    }
}
