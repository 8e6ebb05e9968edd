//! The `nodeloss` scenario: chat and a shared document through a gateway in
//! front of several CAAS nodes, while one node is killed (`loadtest/node-loss.sh`
//! runs the nodes, HAProxy and the `kill -9`).
//!
//! - Chat: the `chat` scenario with `--resume` (see `chat/resume.rs`): clients
//!   whose node dies reconnect through the gateway and resume from their last
//!   cursor, retrying unanswered sends with the same `client_msg_id`; at the end
//!   every acknowledged message must have reached every member of its
//!   conversation exactly once.
//! - Collab: `--collab-clients` y-websocket editors of one document (`editor.rs`),
//!   editor 0 placed on `--kill-node` and the others on other nodes (by the
//!   gateway's `X-Caas-Node` header, reconnecting until the round robin puts them
//!   there). After editing stops every replica, and the server's stored state,
//!   must hold the same text and state vector, with every edit in it.
//! - Calls are not part of this load: a call whose node dies is tested by
//!   `api/tests/cluster_call_failover.rs` and `sdk-js/browser/call-cluster.test.ts`.
//!
//! When sending starts, `--started-file` is written: the script kills the node
//! from then on. The report is JSON with `checks` and `passed`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{oneshot, watch};

use crate::chat::{self, ChatArgs, ChatReport, SendWindow};
use crate::error::{ApiError, ConfigError, Error};
use crate::proto;

mod editor;

use editor::Replica;

/// Flags of `caas-loadtest nodeloss` (the chat flags, plus these).
#[derive(Args)]
pub struct NodeLossArgs {
    #[command(flatten)]
    chat: ChatArgs,
    /// Editors of the shared document (at least 2).
    #[arg(long, default_value_t = 3)]
    collab_clients: usize,
    /// Edits per second of each editor.
    #[arg(long, default_value_t = 5.0)]
    collab_rate: f64,
    /// The node that will be killed, as the gateway names it (`X-Caas-Node`, e.g. `n2`):
    /// editor 0 is placed on it, the other editors elsewhere.
    #[arg(long)]
    kill_node: Option<String>,
    /// Written (JSON) when sending starts; the script kills the node after that.
    #[arg(long)]
    started_file: Option<PathBuf>,
}

/// The phases of the editors.
#[derive(Clone, Copy, PartialEq, Debug)]
enum EditPhase {
    Connect,
    Edit { start: Instant, end: Instant },
    Stop,
}

#[derive(Default)]
struct EditorCounters {
    edits: AtomicU64,
    drops: AtomicU64,
    resumed: AtomicU64,
    denied: AtomicU64,
    bad_frames: AtomicU64,
    printed: AtomicU64,
}

/// What the editors share.
struct Editors {
    addr: std::net::SocketAddr,
    n: usize,
    rate: f64,
    counters: EditorCounters,
    replicas: Mutex<Vec<Replica>>,
}

impl Editors {
    fn note(&self, what: &str) {
        if self.counters.printed.fetch_add(1, Ordering::Relaxed) < 10 {
            eprintln!("[nodeloss collab] {what}");
        }
    }
}

/// The collab part of the report.
#[derive(Serialize, Debug, Default)]
pub struct CollabReport {
    doc_id: String,
    editors: usize,
    rate_per_editor: f64,
    /// The node each editor was first placed on.
    placed_on: Vec<Option<String>>,
    /// Editors placed on the killed node.
    on_killed_node: usize,
    edits: u64,
    drops: u64,
    resumed: u64,
    /// From each editor's drop to its next sync, ms (`null`: never back).
    reconnect_ms: Vec<Option<f64>>,
    /// Replicas equal (text and state vector) and synced.
    converged: bool,
    /// From the end of editing until the replicas were equal.
    converged_after_ms: Option<f64>,
    /// The server's stored state (`GET /v1/docs/{id}/state`) equals the replicas.
    server_matches: bool,
    /// Every edit made is in the converged text (its stamp, once).
    all_edits_present: bool,
    text_chars: usize,
    stamps_in_text: usize,
    denied: u64,
    bad_frames: u64,
}

/// The checks of a node-loss run.
#[derive(Serialize, Debug)]
pub struct Checks {
    /// Connections were lost, on the killed node (the run tested something).
    node_loss_observed: bool,
    every_chat_client_resumed: bool,
    no_acknowledged_message_lost: bool,
    no_duplicates: bool,
    every_send_acknowledged: bool,
    /// The replicas and the server converged with every edit, and the editor of the killed node came back.
    collab_converged: bool,
}

/// The figures the node-loss section reports, in one place.
#[derive(Serialize, Debug)]
pub struct Summary {
    clients: usize,
    dropped_clients: u64,
    resumed: u64,
    reconnect_p50_ms: f64,
    reconnect_p99_ms: f64,
    reconnect_max_ms: f64,
    acknowledged: u64,
    delayed: u64,
    delayed_after_ms: u64,
    lost: u64,
    duplicated: u64,
    collab_converged: bool,
    collab_converged_after_ms: Option<f64>,
}

/// The report of `caas-loadtest nodeloss`.
#[derive(Serialize)]
pub struct NodeLossReport {
    scenario: &'static str,
    kill_node: Option<String>,
    summary: Summary,
    checks: Checks,
    passed: bool,
    chat: ChatReport,
    collab: CollabReport,
}

/// A user per editor, a document they all may edit, and the editors connected where asked.
async fn setup_editors(
    args: &NodeLossArgs,
    addr: std::net::SocketAddr,
    key: &str,
    secret: &str,
) -> Result<(Arc<Editors>, String, String, Vec<(String, editor::Ws)>), Error> {
    let base = args.chat.base.trim_end_matches('/');
    let n = args.collab_clients;
    let run = std::process::id();
    let users: Vec<String> = (0..n).map(|i| format!("nle{run}-{i}")).collect();
    let tokens = chat::sessions(base, key, secret, &users).await?;
    let roles: serde_json::Map<String, Value> = users[1..].iter().map(|u| (u.clone(), json!("editor"))).collect();
    let r = reqwest::Client::new()
        .post(format!("{base}/v1/docs"))
        .bearer_auth(&tokens[0])
        .json(&json!({"kind": "doc", "title": "node loss", "roles": roles}))
        .send()
        .await
        .map_err(ApiError::from)?;
    if !r.status().is_success() {
        let status = r.status();
        return Err(ApiError::DocRefused { status, body: r.text().await.unwrap_or_default() }.into());
    }
    let v: Value = r.json().await.map_err(ApiError::from)?;
    let doc_id = v.pointer("/doc/id").and_then(Value::as_str).ok_or(ApiError::NoDocId)?.to_owned();
    let hostport = base.trim_start_matches("http://");
    let editors = Arc::new(Editors {
        addr,
        n,
        rate: args.collab_rate,
        counters: EditorCounters::default(),
        replicas: Mutex::new(vec![Replica::default(); n]),
    });
    // Place: editor 0 on the node to kill, the others on other nodes, distinct while there are some.
    let mut used: Vec<String> = Vec::new();
    let mut connected = Vec::with_capacity(n);
    for (i, token) in tokens.iter().enumerate() {
        let url = format!("ws://{hostport}/v1/collab/{doc_id}?token={token}");
        let mut tries = 0;
        let (ws, node) = loop {
            tries += 1;
            let (ws, node) = editor::connect(addr, &url).await.map_err(|e| {
                eprintln!("[nodeloss] editor {i}: {e}");
                Error::Stalled {
                    done: i as u64,
                    total: n as u64,
                    what: "editors connected through the gateway",
                    secs: 0,
                }
            })?;
            let fits = match (&args.kill_node, &node) {
                (None, _) | (_, None) => true,
                (Some(kill), Some(node)) if i == 0 => node == kill,
                (Some(kill), Some(node)) => node != kill && (!used.contains(node) || tries > 6),
            };
            if fits {
                break (ws, node);
            }
            drop(ws);
            if tries >= 12 {
                return Err(Error::Stalled {
                    done: i as u64,
                    total: n as u64,
                    what: "editors placed on the nodes asked (check the gateway's X-Caas-Node header)",
                    secs: 0,
                });
            }
        };
        if let Some(node) = &node {
            used.push(node.clone());
        }
        if let Ok(mut all) = editors.replicas.lock()
            && let Some(r) = all.get_mut(i)
        {
            r.node = node;
        }
        connected.push((url, ws));
    }
    Ok((editors, doc_id, tokens[0].clone(), connected))
}

/// Polls the replicas after editing ends until they and the server agree, or `until`.
async fn converge(
    editors: &Editors,
    base: &str,
    doc_id: &str,
    token: &str,
    edit_end: Instant,
    until: Instant,
) -> CollabReport {
    let http = reqwest::Client::new();
    let url = format!("{}/v1/docs/{doc_id}/state", base.trim_end_matches('/'));
    tokio::time::sleep_until(edit_end.into()).await;
    let mut r = CollabReport::default();
    loop {
        let replicas = editors.replicas.lock().map(|v| v.clone()).unwrap_or_default();
        let first = replicas.first();
        let agree = first
            .is_some_and(|f| replicas.iter().all(|x| x.synced && x.text == f.text && x.state_vector == f.state_vector));
        if agree && let Some(f) = first {
            if r.converged_after_ms.is_none() {
                r.converged_after_ms = Some(round1(edit_end.elapsed().as_secs_f64() * 1000.0));
            }
            r.converged = true;
            let edits: u64 = replicas.iter().map(|x| x.edits).sum();
            let stamps = crate::collab::stamp::scan(f.text.as_bytes());
            let distinct: std::collections::HashSet<(u32, u64)> = stamps.iter().copied().collect();
            r.stamps_in_text = stamps.len();
            r.text_chars = f.text.chars().count();
            r.all_edits_present = distinct.len() == stamps.len() && stamps.len() as u64 == edits;
            let state = match http.get(&url).bearer_auth(token).send().await {
                Ok(resp) if resp.status().is_success() => resp.bytes().await.ok(),
                _ => None,
            };
            r.server_matches = state
                .as_deref()
                .and_then(editor::read_state)
                .is_some_and(|(text, sv)| text == f.text && sv == f.state_vector);
            if r.server_matches || Instant::now() >= until {
                break;
            }
        } else if Instant::now() >= until {
            r.converged = false;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    r
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Runs the scenario: editors first, then the chat run (which starts the editing
/// and the started file when it starts sending), then the convergence check.
pub async fn nodeloss(mut args: NodeLossArgs) -> Result<NodeLossReport, Error> {
    args.chat.resume = true;
    crate::loopback_only(&args.chat.base)?;
    let addr = proto::target_addr(&args.chat.base)?;
    if args.collab_clients < 2 || !args.collab_rate.is_finite() || args.collab_rate <= 0.0 {
        return Err(ConfigError::OutOfRange("--collab-clients must be at least 2 and --collab-rate positive").into());
    }
    let (Some(key), Some(secret)) = (args.chat.api_key.clone(), args.chat.api_secret.clone()) else {
        return Err(ConfigError::NoCredentials.into());
    };
    let base = args.chat.base.clone();
    let (editors, doc_id, token, connected) = setup_editors(&args, addr, &key, &secret).await?;
    let placed_on: Vec<Option<String>> =
        editors.replicas.lock().map(|v| v.iter().map(|r| r.node.clone()).collect()).unwrap_or_default();
    eprintln!("[nodeloss] document {doc_id}, editors on {placed_on:?}");
    let (phase_tx, phase_rx) = watch::channel(EditPhase::Connect);
    let tasks: Vec<_> = connected
        .into_iter()
        .enumerate()
        .map(|(i, (url, ws))| tokio::spawn(editor::run(editors.clone(), i, url, ws, phase_rx.clone())))
        .collect();
    drop(phase_rx);

    let (started_tx, started_rx) = oneshot::channel::<SendWindow>();
    let drain = args.chat.drain;
    let chat_run = tokio::spawn(chat::chat_with(args.chat, Some(started_tx)));
    let Ok(window) = started_rx.await else {
        // The chat run stopped before sending: its error says why.
        let _ = phase_tx.send(EditPhase::Stop);
        chat_run.await??;
        return Err(Error::Timeout { what: "the chat run ended before sending", secs: 0 });
    };
    let _ = phase_tx.send(EditPhase::Edit { start: window.start, end: window.end });
    if let Some(path) = &args.started_file {
        let note = json!({"send_seconds": (window.end - window.start).as_secs_f64(), "kill_node": args.kill_node});
        // Without it the script kills nothing, and `node_loss_observed` fails the run.
        if let Err(e) = std::fs::write(path, note.to_string()) {
            eprintln!("[nodeloss] cannot write {}: {e}", path.display());
        }
    }
    let until = window.end + Duration::from_secs(drain.max(5));
    let converging = {
        let (editors, base, doc_id, token) = (editors.clone(), base.clone(), doc_id.clone(), token.clone());
        tokio::spawn(async move { converge(&editors, &base, &doc_id, &token, window.end, until).await })
    };
    let chat_report = chat_run.await??;
    let mut collab = converging.await?;
    let _ = phase_tx.send(EditPhase::Stop);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
    }

    let k = &editors.counters;
    let replicas = editors.replicas.lock().map(|v| v.clone()).unwrap_or_default();
    collab.doc_id = doc_id;
    collab.editors = editors.n;
    collab.rate_per_editor = editors.rate;
    collab.on_killed_node = placed_on.iter().filter(|n| n.is_some() && **n == args.kill_node).count();
    collab.placed_on = placed_on;
    collab.edits = k.edits.load(Ordering::Relaxed);
    collab.drops = k.drops.load(Ordering::Relaxed);
    collab.resumed = k.resumed.load(Ordering::Relaxed);
    collab.reconnect_ms = replicas.iter().flat_map(|r| r.reconnects.iter().copied()).collect();
    collab.denied = k.denied.load(Ordering::Relaxed);
    collab.bad_frames = k.bad_frames.load(Ordering::Relaxed);
    Ok(report(args.kill_node, chat_report, collab))
}

fn report(kill_node: Option<String>, chat: ChatReport, collab: CollabReport) -> NodeLossReport {
    let empty = chat::verify::ResumeReport::default();
    let r = chat.resume().unwrap_or(&empty);
    let on_killed = kill_node.as_ref().and_then(|k| r.drops_per_node.get(k)).copied().unwrap_or(0);
    let editor0_back = collab.drops > 0 && collab.reconnect_ms.iter().all(Option::is_some);
    let checks = Checks {
        node_loss_observed: r.drops > 0 && (kill_node.is_none() || on_killed > 0),
        every_chat_client_resumed: r.checks.every_client_resumed,
        no_acknowledged_message_lost: r.checks.no_acknowledged_message_lost,
        no_duplicates: r.checks.no_duplicates,
        every_send_acknowledged: r.checks.every_send_acknowledged,
        collab_converged: collab.converged
            && collab.server_matches
            && collab.all_edits_present
            && (kill_node.is_none() || collab.on_killed_node == 0 || editor0_back),
    };
    let passed = checks.node_loss_observed
        && checks.every_chat_client_resumed
        && checks.no_acknowledged_message_lost
        && checks.no_duplicates
        && checks.every_send_acknowledged
        && checks.collab_converged;
    let summary = Summary {
        clients: r.clients_reported as usize,
        dropped_clients: r.dropped_clients,
        resumed: r.resumed,
        reconnect_p50_ms: r.reconnect_p50_ms,
        reconnect_p99_ms: r.reconnect_p99_ms,
        reconnect_max_ms: r.reconnect_max_ms,
        acknowledged: r.acknowledged,
        delayed: r.delayed,
        delayed_after_ms: r.delayed_after_ms,
        lost: r.lost,
        duplicated: r.duplicated,
        collab_converged: checks.collab_converged,
        collab_converged_after_ms: collab.converged_after_ms,
    };
    NodeLossReport { scenario: "nodeloss", kill_node, summary, checks, passed, chat, collab }
}
