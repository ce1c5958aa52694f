//! Webhook mode: Telegram posts each update to the LSP's public HTTPS
//! address, a reverse proxy passes it to this server on a local address,
//! and the server answers 200 only after the update is committed to the
//! inbox (Telegram posts an update again until it gets a 200, so a crash
//! before the commit loses nothing).
//!
//! Every request must carry the secret given to `setWebhook` in
//! `X-Telegram-Bot-Api-Secret-Token`, compared in constant time; without it
//! the answer is 401 and the body is never read. Bodies over
//! [`MAX_UPDATE`] get 413, anything that is not an update (or a body cut
//! short, or not all there within ten seconds) 400. Refusals
//! are audited (what and from where, never the body), at most
//! [`AUDIT_BURST`] of each kind per [`AUDIT_WINDOW`] so that a flood
//! costs no rows; later ones in the window are counted into the next row.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{Request, StatusCode};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use teloxide::prelude::*;
use tokio::sync::{Notify, watch};

use super::{Fetched, MAX_UPDATE};
use crate::app::App;
use crate::budget::RefusalBudget;
use crate::config::WebhookConfig;

/// The header Telegram sends the webhook's secret in.
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";
/// How long one audit row stands for all refusals of its kind.
pub const AUDIT_WINDOW: Duration = Duration::from_secs(10 * 60);
/// How many refusals of one kind per window are audited one by one.
pub const AUDIT_BURST: u32 = 5;
/// At most this many requests are posted at once (Telegram's default).
const MAX_CONNECTIONS: u8 = 40;
/// How long a request's body may take to arrive: an update is a few
/// kilobytes, and a sender that dribbles holds a task.
const BODY_WITHIN: Duration = Duration::from_secs(10);

/// Binds the listen address, then returns the server's task: it registers
/// the webhook with Telegram (again and again, gently, until Telegram
/// takes it) and serves until the stop, finishing the requests in hand.
///
/// # Errors
/// When the listen address cannot be bound (in use, not this machine's).
pub(super) async fn serve(
    app: Arc<App>,
    bot: Bot,
    config: &WebhookConfig,
    stop: watch::Receiver<bool>,
    arrived: Arc<Notify>,
) -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot listen for Telegram's webhook on {}: {e}",
                config.listen
            )
        })?;
    let path = config.url.path().to_string();
    let receiver = Arc::new(Receiver {
        app,
        secret: Sha256::digest(config.secret.expose_secret().as_bytes()).into(),
        arrived,
        budget: Mutex::new(RefusalBudget::new(AUDIT_WINDOW, AUDIT_BURST, 16)),
    });
    let router = axum::Router::new()
        .route(&path, axum::routing::post(receive))
        .with_state(receiver);
    let registration = tokio::spawn(register(bot, config.clone(), stop.clone()));
    tracing::info!(listen = %config.listen, path = %path, "the bot receives updates by webhook");
    Ok(async move {
        let stopping = stop;
        super::connections::serve(listener, router, stopping).await;
        registration.abort();
    })
}

/// Tells Telegram where to post (with the secret and the updates sertibot
/// reads), trying again from 1 s doubling to a minute until it is taken.
async fn register(bot: Bot, config: WebhookConfig, mut stop: watch::Receiver<bool>) {
    let mut failures = crate::logging::FailureLog::new("registering the webhook with Telegram");
    loop {
        let pause = match set_webhook(&bot, &config).await {
            Ok(()) => {
                failures.recovered();
                tracing::info!(url = %config.url, "Telegram posts updates to the webhook");
                return;
            }
            Err(e) => failures.failed(&format!("{e:#}")),
        };
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = stop.changed() => return,
        }
    }
}

/// `setWebhook` with the URL, the secret, the updates sertibot reads and
/// at most [`MAX_CONNECTIONS`] requests at once.
async fn set_webhook(bot: &Bot, config: &WebhookConfig) -> anyhow::Result<()> {
    let body = serde_json::json!({
        "url": config.url.as_str(),
        "secret_token": config.secret.expose_secret(),
        "allowed_updates": super::ALLOWED_UPDATES,
        "max_connections": MAX_CONNECTIONS,
    });
    let answer = super::call(bot, "setWebhook", &body, Duration::from_secs(30), 64 * 1024).await?;
    #[derive(serde::Deserialize)]
    struct Answer {
        ok: bool,
        description: Option<String>,
    }
    let answer: Answer = serde_json::from_slice(&answer)
        .map_err(|e| anyhow::anyhow!("Telegram's answer to setWebhook is not JSON: {e}"))?;
    if !answer.ok {
        anyhow::bail!(
            "Telegram refused setWebhook: {}",
            answer.description.unwrap_or_default()
        );
    }
    Ok(())
}

/// What the server's requests share.
struct Receiver {
    app: Arc<App>,
    /// The secret's SHA-256: compared digest to digest, so neither the
    /// time taken nor an early exit tells anything about its length or
    /// its first differing byte.
    secret: [u8; 32],
    arrived: Arc<Notify>,
    budget: Mutex<RefusalBudget<&'static str>>,
}

/// Why a request was refused: its status and the audit action.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    NoSecret,
    WrongSecret,
    TooLarge,
    CutShort,
    NotAnUpdate,
}

impl Refusal {
    fn status(self) -> StatusCode {
        match self {
            Refusal::NoSecret | Refusal::WrongSecret => StatusCode::UNAUTHORIZED,
            Refusal::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::CutShort | Refusal::NotAnUpdate => StatusCode::BAD_REQUEST,
        }
    }

    fn action(self) -> &'static str {
        match self {
            Refusal::NoSecret | Refusal::WrongSecret => "webhook_unauthorized",
            Refusal::TooLarge => "webhook_too_large",
            Refusal::CutShort | Refusal::NotAnUpdate => "webhook_malformed",
        }
    }

    fn reason(self) -> &'static str {
        match self {
            Refusal::NoSecret => "no secret token",
            Refusal::WrongSecret => "wrong secret token",
            Refusal::TooLarge => "body over the limit",
            Refusal::CutShort => "body cut short or too slow",
            Refusal::NotAnUpdate => "not a Telegram update",
        }
    }
}

/// One posted request: the secret, then the body within [`MAX_UPDATE`],
/// then the inbox; 200 only once the update is committed.
async fn receive(
    State(receiver): State<Arc<Receiver>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request<Body>,
) -> StatusCode {
    let given = request
        .headers()
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes().to_vec());
    let refusal = match given {
        None => Some(Refusal::NoSecret),
        Some(given) if !receiver.secret_matches(&given) => Some(Refusal::WrongSecret),
        Some(_) => None,
    };
    if let Some(refusal) = refusal {
        return receiver.refuse(refusal, peer, None).await;
    }
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_UPDATE as u64) {
        return receiver.refuse(Refusal::TooLarge, peer, declared).await;
    }
    // A body that outgrows the limit, is cut short or dribbles is not read further.
    let body = match tokio::time::timeout(
        BODY_WITHIN,
        axum::body::to_bytes(request.into_body(), MAX_UPDATE),
    )
    .await
    {
        Ok(Ok(body)) => body,
        Ok(Err(_)) if declared.is_none() => {
            return receiver.refuse(Refusal::TooLarge, peer, None).await;
        }
        Ok(Err(_)) | Err(_) => return receiver.refuse(Refusal::CutShort, peer, declared).await,
    };
    let Some(update) = read_update(&body) else {
        return receiver
            .refuse(Refusal::NotAnUpdate, peer, Some(body.len() as u64))
            .await;
    };
    match receiver.app.store_posted(&update).await {
        Ok(()) => {
            receiver.arrived.notify_one();
            StatusCode::OK
        }
        Err(e) => {
            // Telegram posts it again later; nothing is lost.
            tracing::error!(update = update.update_id, error = %format!("{e:#}"), "cannot keep a posted update; Telegram will post it again");
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

/// The update in a posted body: a JSON object with a numeric `update_id`.
fn read_update(body: &[u8]) -> Option<Fetched> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let update_id = value.as_object()?.get("update_id")?.as_i64()?;
    Some(Fetched {
        update_id,
        body: value.to_string(),
    })
}

impl Receiver {
    fn secret_matches(&self, given: &[u8]) -> bool {
        let given: [u8; 32] = Sha256::digest(given).into();
        given
            .iter()
            .zip(self.secret.iter())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
    }

    /// Answers a refused request, auditing it within the budget.
    async fn refuse(&self, refusal: Refusal, peer: SocketAddr, bytes: Option<u64>) -> StatusCode {
        if let Some(passed_over) = self.within_budget(refusal.action()) {
            let detail = serde_json::json!({
                "reason": refusal.reason(),
                "peer": peer.ip().to_string(),
                "bytes": bytes,
                "passed_over_before": passed_over,
            });
            if let Err(e) = self.app.webhook_refused(refusal.action(), detail).await {
                tracing::warn!(error = %format!("{e:#}"), "cannot audit a refused webhook request");
            }
            // Logged within the same budget, so a flood fills no log either.
            tracing::warn!(reason = refusal.reason(), peer = %peer.ip(), passed_over, "a webhook request was refused");
        }
        refusal.status()
    }

    /// Whether this refusal gets its own audit row, and if so how many of
    /// its kind were passed over before it.
    fn within_budget(&self, action: &'static str) -> Option<u64> {
        self.budget
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .admit(action, Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_object_with_a_numeric_update_id_is_an_update() {
        let read = read_update(br#"{"update_id": 7, "message": {"text": "hi"}}"#).unwrap();
        assert_eq!(read.update_id, 7);
        assert!(read.body.contains("\"hi\""));
        for bad in [
            &b"not json"[..],
            b"[1,2]",
            b"{\"update_id\": \"7\"}",
            b"{\"message\": {}}",
            b"",
        ] {
            assert!(
                read_update(bad).is_none(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
