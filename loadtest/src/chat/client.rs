//! One load-generating client: sessions, connecting, the handshake of each target, and the send/receive loop.

use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::*;

/// One session token per user, from 32 workers (the chat and collab scenarios share it).
pub(crate) async fn sessions(base: &str, key: &str, secret: &str, users: &[String]) -> Result<Vec<String>, ApiError> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(32).build()?;
    let url = format!("{}/v1/admin/sessions", base.trim_end_matches('/'));
    let next = Arc::new(AtomicU64::new(0));
    let users = Arc::new(users.to_vec());
    let mut workers = Vec::new();
    for _ in 0..32 {
        let (client, url, next, users) = (client.clone(), url.clone(), next.clone(), users.clone());
        let (key, secret) = (key.to_owned(), secret.to_owned());
        workers.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(user) = users.get(i) else { break };
                let body = serde_json::json!({"user_id": user, "name": format!("Load {i}")});
                let mut tries = 0;
                let token = loop {
                    tries += 1;
                    let res = client.post(&url).basic_auth(&key, Some(&secret)).json(&body).send().await;
                    let err = match res {
                        Ok(r) if r.status().is_success() => {
                            let v: serde_json::Value = r.json().await?;
                            match v.get("token").and_then(|t| t.as_str()) {
                                Some(t) => break t.to_owned(),
                                None => ApiError::NoToken { user: user.clone() },
                            }
                        }
                        Ok(r) => ApiError::SessionRefused {
                            user: user.clone(),
                            status: r.status(),
                            body: r.text().await.unwrap_or_default(),
                        },
                        Err(source) => ApiError::Session { user: user.clone(), source },
                    };
                    if tries >= 3 {
                        return Err(err);
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                };
                out.push((i, token));
            }
            Ok::<_, ApiError>(out)
        }));
    }
    let mut tokens = vec![String::new(); users.len()];
    for w in workers {
        for (i, t) in w.await?? {
            tokens[i] = t;
        }
    }
    Ok(tokens)
}

pub(super) type Ws = WebSocketStream<TcpStream>;

/// The response header a gateway may set to name the node it chose (HAProxy:
/// `http-response set-header X-Caas-Node %s`, as `loadtest/node-loss.sh` does).
pub(crate) const NODE_HEADER: &str = "x-caas-node";

/// Connects to `url` and upgrades; also returns the node the gateway picked, if it says.
async fn open(sh: &Shared, spec: &Spec, url: &str) -> Result<(Ws, Option<String>), WsError> {
    let socket = if sh.addr.is_ipv4() { TcpSocket::new_v4() } else { TcpSocket::new_v6() }?;
    if let Some(src) = spec.source {
        bind_address_no_port(&socket);
        socket.bind(SocketAddr::new(src, 0)).map_err(|source| WsError::Bind { addr: src, source })?;
    }
    let stream = socket.connect(sh.addr).await.map_err(WsError::Connect)?;
    stream.set_nodelay(true)?;
    // tungstenite reserves a 128 KiB read buffer per connection by default; 8 KiB
    // reads keep the load generator small with tens of thousands of clients
    // (a larger frame still arrives whole, over several reads).
    let config = WebSocketConfig::default().read_buffer_size(8 * 1024);
    let (ws, response) =
        tokio_tungstenite::client_async_with_config(url, stream, Some(config)).await.map_err(WsError::Upgrade)?;
    let node = response.headers().get(NODE_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    Ok((ws, node))
}

/// Lets the kernel pick the source port at `connect` (by the whole address
/// quadruple) instead of at `bind`: a `bind` to port 0 has to skip every port
/// still held on that address, those in TIME_WAIT from an earlier run included,
/// which slows connecting down and caps it at one connection per port.
#[cfg(target_os = "linux")]
fn bind_address_no_port(socket: &TcpSocket) {
    use std::os::fd::AsRawFd;
    let one: libc::c_int = 1;
    // SAFETY: a valid socket descriptor, and a pointer to a c_int of the size given.
    let _ = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_BIND_ADDRESS_NO_PORT,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
}

#[cfg(not(target_os = "linux"))]
fn bind_address_no_port(_: &TcpSocket) {}

fn classify(target: Target, text: &str) -> Inbound {
    match target {
        Target::Caas => proto::caas_frame(text),
        Target::Socketio => proto::sio_frame(text),
    }
}

/// Opens the connection to `url` and waits until the session can be used; with
/// the node the gateway picked and the frame that said so (CAAS: `session.ready`).
pub(super) async fn handshake(sh: &Shared, spec: &Spec, url: &str) -> Result<(Ws, Option<String>, Utf8Bytes), WsError> {
    let (mut ws, node) = open(sh, spec, url).await?;
    loop {
        let frame = match ws.next().await {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Close(f))) => return Err(WsError::ClosedBeforeReady(Some(format!("{f:?}")))),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(WsError::Read(e)),
            None => return Err(WsError::ClosedBeforeReady(None)),
        };
        match classify(sh.target, frame.as_str()) {
            Inbound::Ready => return Ok((ws, node, frame)),
            Inbound::Open => {
                ws.send(Message::Text(proto::SIO_CONNECT.into())).await.map_err(WsError::Send)?;
            }
            Inbound::Ping => {
                ws.send(Message::Text(proto::EIO_PONG.into())).await.map_err(WsError::Send)?;
            }
            Inbound::Error { code, .. } => return Err(WsError::Refused(code)),
            _ => {}
        }
    }
}

pub(super) async fn client(sh: Arc<Shared>, spec: Spec, mut phase: watch::Receiver<Phase>) {
    let c = &sh.counters;
    let ws = {
        let _permit = sh.connect_gate.acquire().await;
        tokio::time::timeout(Duration::from_secs(30), handshake(&sh, &spec, &spec.url)).await
    };
    let mut ws = match ws {
        Ok(Ok((ws, _, _))) => ws,
        Ok(Err(e)) => {
            sh.note(&format!("client {}: {e}", spec.index));
            c.connect_errors.fetch_add(1, Ordering::Relaxed);
            return;
        }
        Err(_) => {
            sh.note(&format!("client {}: no session after 30 s", spec.index));
            c.connect_errors.fetch_add(1, Ordering::Relaxed);
            return;
        }
    };
    c.connected.fetch_add(1, Ordering::Relaxed);

    let room = format!("g{}", spec.group);
    let shard = &sh.hists[spec.index % sh.hists.len()];
    let mut conversation: Option<String> = None;
    let mut grouped = false;
    let mut schedule: Option<(Instant, Instant)> = None;
    let mut k: u64 = 0;
    let mut stopping = false;
    let timer = tokio::time::sleep(Duration::from_secs(86_400));
    tokio::pin!(timer);

    let outcome: Result<(), WsError> = async {
        loop {
            tokio::select! {
                changed = phase.changed() => {
                    if changed.is_err() {
                        stopping = true;
                        return Ok(());
                    }
                    let now = *phase.borrow_and_update();
                    match now {
                        Phase::Connect => {}
                        Phase::Group => match sh.target {
                            Target::Caas => {
                                if let Some(members) = &spec.create_with {
                                    let frame = proto::caas_create_group(0, members);
                                    ws.send(Message::Text(frame.into())).await.map_err(WsError::Send)?;
                                }
                            }
                            Target::Socketio => {
                                ws.send(Message::Text(proto::sio_join(1, &room).into())).await.map_err(WsError::Send)?;
                            }
                        },
                        Phase::Send { start, end } => {
                            schedule = Some((start, end));
                            let at = start + proto::send_offset(spec.index, 0, sh.clients, sh.rate);
                            timer.as_mut().reset(at.into());
                        }
                        Phase::Stop => {
                            stopping = true;
                            return Ok(());
                        }
                    }
                }
                frame = ws.next() => {
                    let text = match frame {
                        Some(Ok(Message::Text(t))) => t,
                        Some(Ok(Message::Close(f))) => {
                            let code = f.map(|f| format!("{} {}", u16::from(f.code), f.reason)).unwrap_or_else(|| "none".into());
                            return Err(WsError::Closed(code));
                        }
                        Some(Ok(_)) => continue,
                        Some(Err(e)) => return Err(WsError::Read(e)),
                        None => return Err(WsError::Closed("eof".into())),
                    };
                    match classify(sh.target, text.as_str()) {
                        Inbound::Delivery { sent_ns } => {
                            let now = sh.now_ns();
                            let micros = now.saturating_sub(sent_ns) / 1000;
                            if let Ok(mut h) = shard.lock() {
                                h.saturating_record(micros.max(1));
                            }
                            c.deliveries.fetch_add(1, Ordering::Relaxed);
                            c.last_delivery_ns.fetch_max(now, Ordering::Relaxed);
                        }
                        Inbound::BadDelivery => {
                            c.bad_deliveries.fetch_add(1, Ordering::Relaxed);
                        }
                        Inbound::GroupCreated { conversation_id } => {
                            if conversation.is_none() {
                                conversation = Some(conversation_id);
                                if !grouped {
                                    grouped = true;
                                    c.grouped.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                        }
                        Inbound::Ack { id } => match sh.target {
                            Target::Caas if id > 0 => { c.acks.fetch_add(1, Ordering::Relaxed); }
                            Target::Socketio if id == 1 && !grouped => {
                                grouped = true;
                                c.grouped.fetch_add(1, Ordering::Relaxed);
                            }
                            _ => {}
                        },
                        Inbound::Error { code, .. } => {
                            c.error_replies.fetch_add(1, Ordering::Relaxed);
                            sh.note(&format!("client {}: error reply `{code}`", spec.index));
                            Shared::count(&sh.error_codes, code);
                        }
                        Inbound::Ping => {
                            ws.send(Message::Text(proto::EIO_PONG.into())).await.map_err(WsError::Send)?;
                        }
                        Inbound::Close => return Err(WsError::EngineClosed),
                        Inbound::Ready | Inbound::Open | Inbound::Other => {}
                    }
                }
                () = &mut timer, if schedule.is_some() => {
                    let Some((start, end)) = schedule else { continue };
                    let due = start + proto::send_offset(spec.index, k, sh.clients, sh.rate);
                    if due >= end {
                        schedule = None;
                        continue;
                    }
                    if due.elapsed() > Duration::from_millis(100) {
                        c.late_sends.fetch_add(1, Ordering::Relaxed);
                    }
                    let sent_ns = sh.now_ns();
                    let frame = match (sh.target, &conversation) {
                        (Target::Caas, Some(conv)) => Some(proto::caas_send(k + 1, conv, sent_ns)),
                        (Target::Caas, None) => None,
                        (Target::Socketio, _) => Some(proto::sio_msg(&room, sent_ns)),
                    };
                    if let Some(frame) = frame {
                        if let Err(e) = ws.send(Message::Text(frame.into())).await {
                            c.send_failures.fetch_add(1, Ordering::Relaxed);
                            return Err(WsError::Send(e));
                        }
                        c.sent.fetch_add(1, Ordering::Relaxed);
                        c.expected.fetch_add(spec.group_len, Ordering::Relaxed);
                    }
                    k += 1;
                    let next = start + proto::send_offset(spec.index, k, sh.clients, sh.rate);
                    if next >= end {
                        schedule = None;
                    } else {
                        timer.as_mut().reset(next.into());
                    }
                }
            }
        }
    }
    .await;

    match outcome {
        Ok(()) => {}
        Err(e) => {
            if !stopping {
                c.disconnects.fetch_add(1, Ordering::Relaxed);
                sh.note(&format!("client {}: {e}", spec.index));
                Shared::count(&sh.close_codes, e.close_code());
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
}
