//! A stand-in for Telegram's Bot API over real HTTP on 127.0.0.1. It
//! records every request, queues updates for long polling, answers the
//! methods the bot uses, and can inject faults: 429 with retry_after, 5xx,
//! slow answers, 403 and "chat not found", group migration, and updates
//! delivered again.

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Notify;

pub const BOT_ID: i64 = 777_000;
pub const BOT_USERNAME: &str = "lsp_test_bot";

/// One request the bot made.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method, lower-case (`sendmessage`).
    pub method: String,
    pub body: Value,
    pub at: Instant,
    /// Answered 429 by the enforced limits.
    pub over_limit: bool,
}

/// What to answer instead of success.
#[derive(Debug, Clone)]
pub enum Fault {
    /// 429 Too Many Requests with retry_after seconds.
    RetryAfter(u32),
    /// 500 Internal Server Error.
    ServerError,
    /// 403: the user blocked the bot.
    Blocked,
    /// 400: chat not found.
    ChatNotFound,
    /// Answer normally, but only after this long.
    Slow(Duration),
    /// 400 with migrate_to_chat_id.
    Migrated(i64),
    /// 403 with this description ("Forbidden: bot was kicked from the group chat").
    Forbidden(&'static str),
    /// 500 with a description this many bytes long.
    HugeError(usize),
}

#[derive(Default)]
struct State {
    requests: Vec<Request>,
    updates: VecDeque<Value>,
    /// Updates handed out again whatever the offset (a re-delivery).
    again: VecDeque<Value>,
    next_update: i64,
    next_message: i64,
    /// Faults for (method, chat), used once each in order.
    faults: HashMap<(String, Option<i64>), VecDeque<Fault>>,
    files: HashMap<String, Vec<u8>>,
    /// Text of every message the bot sent, by (chat, message id), for presses.
    messages: HashMap<(i64, i64), Value>,
    /// Every update ever queued, by id, for re-delivery.
    delivered: HashMap<i64, Value>,
    /// When set, Telegram's limits are enforced on sendMessage.
    limits: Option<Limits>,
    /// The bot's user id: the number before the colon of the token the bot uses.
    bot_id: i64,
    /// Webhook mode: the ids of the updates the service answered 200, in order.
    accepted: Vec<i64>,
    /// Documents and photos the bot sent.
    sent_files: Vec<SentFile>,
}

/// A file the bot sent (sendDocument, sendPhoto), as it arrived.
#[derive(Debug, Clone, Default)]
pub struct SentFile {
    /// `senddocument` or `sendphoto`.
    pub method: String,
    pub chat: i64,
    pub name: String,
    pub caption: String,
    pub bytes: Vec<u8>,
}

/// A multipart/form-data body read with a MIME parser: its text fields as
/// a JSON object (numbers where they are numbers), and its file.
fn form(content_type: &str, body: &[u8]) -> (Vec<u8>, Option<SentFile>) {
    use mail_parser::{MessageParser, MimeHeaders};
    let mut whole = format!("Content-Type: {content_type}\r\n\r\n").into_bytes();
    whole.extend_from_slice(body);
    let Some(message) = MessageParser::default().parse(&whole) else {
        return (b"{}".to_vec(), None);
    };
    let mut fields = serde_json::Map::new();
    let mut file = None;
    for part in message.parts.iter().skip(1) {
        let Some(disposition) = part.content_disposition() else {
            continue;
        };
        let name = disposition
            .attribute("name")
            .unwrap_or_default()
            .to_string();
        match disposition.attribute("filename") {
            Some(file_name) => {
                // The raw bytes between the part's headers and its boundary:
                // a parser's decoded contents may treat a PDF as text.
                let bytes = whole
                    .get(part.offset_body as usize..part.offset_end as usize)
                    .unwrap_or_default()
                    .to_vec();
                fields.insert(name, json!({"file_name": file_name, "size": bytes.len()}));
                file = Some(SentFile {
                    name: file_name.to_string(),
                    bytes,
                    ..SentFile::default()
                });
            }
            None => {
                let text = String::from_utf8_lossy(part.contents()).to_string();
                let value = text.parse::<i64>().map_or(json!(text), |n| json!(n));
                fields.insert(name, value);
            }
        }
    }
    (Value::Object(fields).to_string().into_bytes(), file)
}

/// Telegram's limits as the stand-in enforces them: at most 30 messages in
/// any second overall and one a second per private chat, counted at arrival.
#[derive(Default)]
struct Limits {
    recent: VecDeque<Instant>,
    last: HashMap<i64, Instant>,
    refused: usize,
}

impl Limits {
    /// Whether a message to `chat` arriving `now` is within the limits (and if so, counts it).
    fn admit(&mut self, chat: i64, now: Instant) -> bool {
        let second = Duration::from_secs(1);
        while self
            .recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= second)
        {
            self.recent.pop_front();
        }
        let chat_busy = chat > 0
            && self
                .last
                .get(&chat)
                .is_some_and(|t| now.duration_since(*t) < second);
        if self.recent.len() >= 30 || chat_busy {
            self.refused += 1;
            return false;
        }
        self.recent.push_back(now);
        self.last.insert(chat, now);
        true
    }
}

/// The running stand-in.
#[derive(Clone)]
pub struct FakeTelegram {
    pub url: String,
    state: Arc<Mutex<State>>,
    arrived: Arc<Notify>,
}

impl FakeTelegram {
    /// Starts on a free port of 127.0.0.1.
    pub async fn start() -> FakeTelegram {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let fake = FakeTelegram {
            url,
            state: Arc::new(Mutex::new(State {
                next_update: 1,
                next_message: 100,
                bot_id: BOT_ID,
                ..State::default()
            })),
            arrived: Arc::new(Notify::new()),
        };
        let server = fake.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let server = server.clone();
                tokio::spawn(async move { server.serve(stream).await });
            }
        });
        fake
    }

    async fn serve(&self, stream: tokio::net::TcpStream) {
        let _ = stream.set_nodelay(true);
        let (read, mut write) = stream.into_split();
        let mut reader = BufReader::new(read);
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let mut parts = line.split_whitespace();
            let (verb, path) = (
                parts.next().unwrap_or_default().to_string(),
                parts.next().unwrap_or_default().to_string(),
            );
            let mut length = 0usize;
            let mut content_type = String::new();
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).await.unwrap_or(0) == 0 {
                    return;
                }
                if header.trim().is_empty() {
                    break;
                }
                if let Some(v) = header.to_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if let Some((name, value)) = header.split_once(':')
                    && name.eq_ignore_ascii_case("content-type")
                {
                    content_type = value.trim().to_string();
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).await.is_err() {
                return;
            }
            let (body, file) = if content_type.starts_with("multipart/form-data") {
                form(&content_type, &body)
            } else {
                (body, None)
            };
            let (status, content_type, payload) = self.route(&verb, &path, &body, file).await;
            // One write per answer: a head and a body written apart would
            // meet the client's delayed ACK and cost 40 ms each.
            let mut answer = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: keep-alive\r\n\r\n",
                payload.len()
            )
            .into_bytes();
            answer.extend_from_slice(&payload);
            if write.write_all(&answer).await.is_err() {
                return;
            }
        }
    }

    async fn route(
        &self,
        verb: &str,
        path: &str,
        body: &[u8],
        file: Option<SentFile>,
    ) -> (String, &'static str, Vec<u8>) {
        if verb == "GET" && path.starts_with("/file/bot") {
            // teloxide sends the file path as one (percent-encoded) segment.
            let path = path.replace("%2F", "/");
            let file = path.rsplit('/').next().unwrap_or_default().to_string();
            let bytes = self.state.lock().unwrap().files.get(&file).cloned();
            return match bytes {
                Some(b) => ("200 OK".into(), "application/octet-stream", b),
                None => ("404 Not Found".into(), "text/plain", b"no file".to_vec()),
            };
        }
        let method = path.rsplit('/').next().unwrap_or_default().to_lowercase();
        if let Some(id) = path
            .strip_prefix("/bot")
            .and_then(|rest| rest.split(':').next())
            .and_then(|id| id.parse().ok())
        {
            self.state.lock().unwrap().bot_id = id;
        }
        let body: Value = serde_json::from_slice(body).unwrap_or(json!({}));
        self.state.lock().unwrap().requests.push(Request {
            method: method.clone(),
            body: body.clone(),
            at: Instant::now(),
            over_limit: false,
        });
        self.arrived.notify_waiters();
        let chat = body["chat_id"].as_i64();
        if method == "sendmessage" {
            let mut state = self.state.lock().unwrap();
            let admitted = match &mut state.limits {
                Some(limits) => limits.admit(chat.unwrap_or(0), Instant::now()),
                None => true,
            };
            if !admitted {
                if let Some(last) = state.requests.last_mut() {
                    last.over_limit = true;
                }
                let answer = json!({"ok": false, "error_code": 429,
                    "description": "Too Many Requests: retry after 1", "parameters": {"retry_after": 1}});
                return (
                    "429 Too Many Requests".into(),
                    "application/json",
                    answer.to_string().into_bytes(),
                );
            }
        }
        let fault = {
            let mut state = self.state.lock().unwrap();
            let mut take = |key: (String, Option<i64>)| {
                state.faults.get_mut(&key).and_then(VecDeque::pop_front)
            };
            take((method.clone(), chat)).or_else(|| take((method.clone(), None)))
        };
        let error = |code: u16, description: &str, parameters: Value| {
            let status = match code {
                429 => "429 Too Many Requests",
                403 => "403 Forbidden",
                400 => "400 Bad Request",
                _ => "500 Internal Server Error",
            };
            let mut answer = json!({"ok": false, "error_code": code, "description": description});
            if !parameters.is_null() {
                answer["parameters"] = parameters;
            }
            (
                status.to_string(),
                "application/json",
                answer.to_string().into_bytes(),
            )
        };
        match fault {
            Some(Fault::RetryAfter(s)) => {
                return error(
                    429,
                    &format!("Too Many Requests: retry after {s}"),
                    json!({"retry_after": s}),
                );
            }
            Some(Fault::ServerError) => return error(500, "Internal Server Error", Value::Null),
            Some(Fault::Blocked) => {
                return error(403, "Forbidden: bot was blocked by the user", Value::Null);
            }
            Some(Fault::ChatNotFound) => {
                return error(400, "Bad Request: chat not found", Value::Null);
            }
            Some(Fault::Forbidden(description)) => {
                return error(403, description, Value::Null);
            }
            Some(Fault::HugeError(size)) => {
                return error(500, &"E".repeat(size), Value::Null);
            }
            Some(Fault::Migrated(to)) => {
                return error(
                    400,
                    "Bad Request: group chat was upgraded to a supergroup chat",
                    json!({"migrate_to_chat_id": to}),
                );
            }
            Some(Fault::Slow(d)) => tokio::time::sleep(d).await,
            None => {}
        }
        // Telegram refuses HTML it cannot parse, texts over 4096 characters,
        // keyboards over 100 buttons and pop-ups over 200 characters.
        if matches!(method.as_str(), "sendmessage" | "editmessagetext") {
            let text = body["text"].as_str().unwrap_or_default();
            if body["parse_mode"] == "HTML" && !valid_html(text) {
                return error(
                    400,
                    "Bad Request: can't parse entities: unclosed tag or entity",
                    Value::Null,
                );
            }
            if visible_length(text) > 4096 {
                return error(400, "Bad Request: message is too long", Value::Null);
            }
            let buttons = body["reply_markup"]["inline_keyboard"]
                .as_array()
                .map_or(0, |rows| {
                    rows.iter().filter_map(Value::as_array).map(Vec::len).sum()
                });
            if buttons > 100 {
                return error(400, "Bad Request: reply markup is too long", Value::Null);
            }
        }
        if method == "answercallbackquery"
            && body["text"]
                .as_str()
                .is_some_and(|t| t.chars().count() > 200)
        {
            return error(400, "Bad Request: MESSAGE_TOO_LONG", Value::Null);
        }
        let result = match method.as_str() {
            "getme" => bot_user(self.state.lock().unwrap().bot_id),
            "getupdates" => self.updates(&body).await,
            "sendmessage" => self.sent(&body),
            "senddocument" | "sendphoto" => self.sent_file(&method, &body, file),
            "editmessagetext" => {
                let key = (
                    body["chat_id"].as_i64().unwrap_or(0),
                    body["message_id"].as_i64().unwrap_or(0),
                );
                let mut state = self.state.lock().unwrap();
                if let Some(m) = state.messages.get_mut(&key) {
                    m["text"] = body["text"].clone();
                    m["reply_markup"] = body["reply_markup"].clone();
                    m.clone()
                } else {
                    json!(true)
                }
            }
            "getfile" => {
                let id = body["file_id"].as_str().unwrap_or_default().to_string();
                let size = self
                    .state
                    .lock()
                    .unwrap()
                    .files
                    .get(&id)
                    .map_or(0, Vec::len);
                json!({"file_id": id, "file_unique_id": id, "file_size": size, "file_path": format!("documents/{id}")})
            }
            "getwebhookinfo" => {
                json!({"url": "", "has_custom_certificate": false, "pending_update_count": 0})
            }
            _ => json!(true),
        };
        (
            "200 OK".into(),
            "application/json",
            json!({"ok": true, "result": result})
                .to_string()
                .into_bytes(),
        )
    }

    async fn updates(&self, body: &Value) -> Value {
        let offset = body["offset"].as_i64().unwrap_or(0);
        let timeout =
            Duration::from_secs(body["timeout"].as_u64().unwrap_or(0)).min(Duration::from_secs(2));
        let deadline = Instant::now() + timeout;
        loop {
            let notified = self.arrived.notified();
            {
                let mut state = self.state.lock().unwrap();
                state
                    .updates
                    .retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
                let mut out: Vec<Value> = state.again.drain(..).collect();
                out.extend(state.updates.iter().cloned());
                if !out.is_empty() {
                    return Value::Array(out);
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return json!([]);
            }
            let _ = tokio::time::timeout(left, notified).await;
        }
    }

    fn sent(&self, body: &Value) -> Value {
        let mut state = self.state.lock().unwrap();
        state.next_message += 1;
        let chat = body["chat_id"].as_i64().unwrap_or(0);
        let message = json!({
            "message_id": state.next_message,
            "date": chrono::Utc::now().timestamp(),
            "chat": chat_json(chat),
            "from": bot_user(state.bot_id),
            "text": body["text"],
            "reply_markup": body["reply_markup"],
        });
        let id = state.next_message;
        state.messages.insert((chat, id), message.clone());
        message
    }

    /// A document or photo the bot sent: kept whole for the test to read.
    fn sent_file(&self, method: &str, body: &Value, file: Option<SentFile>) -> Value {
        // Kept apart from the text messages (`sent_to`), which tests read in order.
        let mut state = self.state.lock().unwrap();
        state.next_message += 1;
        let chat = body["chat_id"].as_i64().unwrap_or(0);
        let mut message = json!({
            "message_id": state.next_message,
            "date": chrono::Utc::now().timestamp(),
            "chat": chat_json(chat),
            "from": bot_user(state.bot_id),
        });
        let Some(mut file) = file else {
            return message;
        };
        let id = format!("sent-{}", state.sent_files.len() + 1);
        if method == "sendphoto" {
            message["photo"] =
                json!([{"file_id": id, "file_unique_id": id, "width": 100, "height": 100}]);
        } else {
            message["document"] =
                json!({"file_id": id, "file_unique_id": id, "file_name": file.name});
        }
        message["caption"] = body["caption"].clone();
        file.chat = chat;
        file.caption = body["caption"].as_str().unwrap_or_default().to_string();
        file.method = method.to_string();
        state.sent_files.push(file);
        message
    }

    /// Every file the bot sent (documents and photos), in order.
    pub fn files_sent(&self) -> Vec<SentFile> {
        self.state.lock().unwrap().sent_files.clone()
    }

    // ------------------------------------------------------------ the test's side

    fn push(&self, mut update: Value) -> i64 {
        let id = {
            let mut state = self.state.lock().unwrap();
            let id = state.next_update;
            state.next_update += 1;
            update["update_id"] = json!(id);
            state.delivered.insert(id, update.clone());
            state.updates.push_back(update);
            id
        };
        self.arrived.notify_waiters();
        id
    }

    /// A user writes `text` in `chat` (their private chat when `chat == user`).
    pub fn write(&self, user: i64, chat: i64, text: &str) -> i64 {
        self.push(json!({"message": {
            "message_id": 1,
            "date": chrono::Utc::now().timestamp(),
            "chat": chat_json(chat),
            "from": {"id": user, "is_bot": false, "first_name": format!("User {user}")},
            "text": text,
        }}))
    }

    /// A user presses a button with `data` on the message `(chat, message_id)`.
    pub fn press(&self, user: i64, chat: i64, message_id: i64, data: &str) -> i64 {
        let message = self
            .state
            .lock()
            .unwrap()
            .messages
            .get(&(chat, message_id))
            .cloned()
            .unwrap_or_else(|| json!({"message_id": message_id, "date": 0, "chat": chat_json(chat), "text": "?"}));
        let query = self.state.lock().unwrap().next_update;
        self.push(json!({"callback_query": {
            "id": format!("q{user}-{message_id}-{query}"),
            "from": {"id": user, "is_bot": false, "first_name": format!("User {user}")},
            "chat_instance": "ci",
            "data": data,
            "message": message,
        }}))
    }

    /// A user adds the bot to a group chat.
    pub fn add_bot_to_group(&self, user: i64, group: i64) -> i64 {
        self.push(json!({"message": {
            "message_id": 3,
            "date": chrono::Utc::now().timestamp(),
            "chat": chat_json(group),
            "from": {"id": user, "is_bot": false, "first_name": format!("User {user}")},
            "new_chat_members": [bot_user(self.state.lock().unwrap().bot_id)],
        }}))
    }

    /// Telegram tells the bot that `user` changed its membership of `group`
    /// (`my_chat_member`): `joined` true for added, false for removed.
    pub fn bot_membership(&self, user: i64, group: i64, joined: bool) -> i64 {
        let bot = bot_user(self.state.lock().unwrap().bot_id);
        let (old, new) = if joined {
            ("left", "member")
        } else {
            ("member", "kicked")
        };
        let status = |s: &str| {
            if s == "kicked" {
                json!({"status": s, "user": bot, "until_date": 0})
            } else {
                json!({"status": s, "user": bot})
            }
        };
        self.push(json!({"my_chat_member": {
            "chat": chat_json(group),
            "from": {"id": user, "is_bot": false, "first_name": format!("User {user}")},
            "date": chrono::Utc::now().timestamp(),
            "old_chat_member": status(old),
            "new_chat_member": status(new),
        }}))
    }

    /// A user sends a document (a file the bot may download).
    pub fn send_document(&self, user: i64, chat: i64, name: &str, bytes: Vec<u8>) -> i64 {
        let size = bytes.len();
        self.send_document_claiming(user, chat, name, bytes, size)
    }

    /// A user sends a document that claims to be `claimed` bytes long.
    pub fn send_document_claiming(
        &self,
        user: i64,
        chat: i64,
        name: &str,
        bytes: Vec<u8>,
        claimed: usize,
    ) -> i64 {
        let file_id = format!("file{}", self.requests().len());
        self.add_file(&file_id, bytes);
        self.push(json!({"message": {
            "message_id": 2,
            "date": chrono::Utc::now().timestamp(),
            "chat": chat_json(chat),
            "from": {"id": user, "is_bot": false, "first_name": format!("User {user}")},
            "document": {"file_id": file_id, "file_unique_id": file_id, "file_name": name, "file_size": claimed},
        }}))
    }

    /// Acts as Telegram does for a webhook: posts each queued update, in
    /// order, to `target` (the service's listen address and the URL's
    /// path) with the secret the bot gave to setWebhook, again and again
    /// until it is answered 200 (a service that is down or answers an
    /// error gets it again). Runs until the test ends.
    pub fn post_updates_to(&self, target: String) {
        let fake = self.clone();
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            loop {
                let secret = fake
                    .requests()
                    .iter()
                    .rev()
                    .find(|r| r.method == "setwebhook")
                    .and_then(|r| r.body["secret_token"].as_str().map(str::to_string));
                let next = {
                    let state = fake.state.lock().unwrap();
                    state.again.front().or(state.updates.front()).cloned()
                };
                let (Some(secret), Some(update)) = (secret, next) else {
                    let _ =
                        tokio::time::timeout(Duration::from_millis(20), fake.arrived.notified())
                            .await;
                    continue;
                };
                let posted = client
                    .post(&target)
                    .header("X-Telegram-Bot-Api-Secret-Token", secret)
                    .header("content-type", "application/json")
                    .body(update.to_string())
                    .timeout(Duration::from_secs(10))
                    .send()
                    .await;
                if posted.is_ok_and(|r| r.status() == 200) {
                    let id = update["update_id"].as_i64().unwrap_or(-1);
                    let mut state = fake.state.lock().unwrap();
                    if state.again.front() == Some(&update) {
                        state.again.pop_front();
                    } else if state.updates.front() == Some(&update) {
                        state.updates.pop_front();
                    }
                    state.accepted.push(id);
                } else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        });
    }

    /// Webhook mode: the ids of the updates the service answered 200.
    pub fn accepted(&self) -> Vec<i64> {
        self.state.lock().unwrap().accepted.clone()
    }

    /// Hands out an update that was already delivered, once more.
    pub fn deliver_again(&self, update_id: i64) {
        {
            let mut state = self.state.lock().unwrap();
            let original = state.delivered.get(&update_id).cloned();
            state.again.extend(original);
        }
        self.arrived.notify_waiters();
    }

    /// From now on, sendMessage beyond Telegram's limits (30 a second
    /// overall, one a second per private chat) is answered 429.
    pub fn enforce_limits(&self) {
        self.state.lock().unwrap().limits = Some(Limits::default());
    }

    /// How many sendMessage requests the enforced limits refused.
    pub fn refused_by_limits(&self) -> usize {
        self.state
            .lock()
            .unwrap()
            .limits
            .as_ref()
            .map_or(0, |l| l.refused)
    }

    /// The id of every update queued so far, oldest first.
    pub fn update_ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .state
            .lock()
            .unwrap()
            .delivered
            .keys()
            .copied()
            .collect();
        ids.sort_unstable();
        ids
    }

    /// The next request of `method` (to `chat`, if given) fails with `fault`.
    pub fn fail_next(&self, method: &str, chat: Option<i64>, fault: Fault) {
        self.state
            .lock()
            .unwrap()
            .faults
            .entry((method.to_lowercase(), chat))
            .or_default()
            .push_back(fault);
    }

    /// Makes a document downloadable under `file_id`.
    pub fn add_file(&self, file_id: &str, bytes: Vec<u8>) {
        self.state
            .lock()
            .unwrap()
            .files
            .insert(file_id.into(), bytes);
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    /// The requests from the `from`th on (cheaper than all of them).
    pub fn requests_from(&self, from: usize) -> Vec<Request> {
        let state = self.state.lock().unwrap();
        state
            .requests
            .get(from..)
            .map(<[Request]>::to_vec)
            .unwrap_or_default()
    }

    /// How many requests of `method` there were.
    pub fn count(&self, method: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .requests
            .iter()
            .filter(|r| r.method == method)
            .count()
    }

    /// The messages sent to `chat`, oldest first: (message id, text, reply_markup).
    pub fn sent_to(&self, chat: i64) -> Vec<(i64, String, Value)> {
        let state = self.state.lock().unwrap();
        let mut out: Vec<(i64, String, Value)> = state
            .messages
            .iter()
            .filter(|((c, _), _)| *c == chat)
            .map(|((_, id), m)| {
                (
                    *id,
                    m["text"].as_str().unwrap_or_default().to_string(),
                    m["reply_markup"].clone(),
                )
            })
            .collect();
        out.sort_by_key(|(id, _, _)| *id);
        out
    }

    /// The answers to button presses, in order: (text, show_alert).
    pub fn toasts(&self) -> Vec<(String, bool)> {
        self.requests()
            .iter()
            .filter(|r| r.method == "answercallbackquery")
            .map(|r| {
                (
                    r.body["text"].as_str().unwrap_or_default().to_string(),
                    r.body["show_alert"].as_bool().unwrap_or(false),
                )
            })
            .collect()
    }

    /// Waits (bounded) until `check` holds of the recorded traffic.
    pub async fn until<F: Fn(&FakeTelegram) -> bool>(&self, what: &str, check: F) {
        // A ceiling far above any wait here (a few hundred messages at
        // Telegram's pace): a loaded machine is slow, not wrong.
        let deadline = Instant::now() + Duration::from_secs(180);
        while !check(self) {
            if Instant::now() >= deadline {
                let recent: Vec<String> = self
                    .requests()
                    .iter()
                    .rev()
                    .take(6)
                    .map(|r| {
                        format!(
                            "{} {}",
                            r.method,
                            r.body.to_string().chars().take(300).collect::<String>()
                        )
                    })
                    .collect();
                panic!(
                    "timed out waiting for: {what}; the last requests, newest first: {recent:#?}"
                );
            }
            let notified = self.arrived.notified();
            let _ = tokio::time::timeout(Duration::from_millis(100), notified).await;
        }
    }

    /// The message in `chat` whose keyboard has a button with data starting `prefix`: (message id, data).
    pub fn button(&self, chat: i64, prefix: &str) -> Option<(i64, String)> {
        self.sent_to(chat)
            .into_iter()
            .rev()
            .find_map(|(id, _, markup)| {
                markup["inline_keyboard"]
                    .as_array()?
                    .iter()
                    .filter_map(Value::as_array)
                    .flatten()
                    .find_map(|b| {
                        let data = b["callback_data"].as_str()?;
                        data.starts_with(prefix).then(|| (id, data.to_string()))
                    })
            })
    }
}

fn bot_user(id: i64) -> Value {
    json!({
        "id": id, "is_bot": true, "first_name": "LSP Bot", "username": BOT_USERNAME,
        "can_join_groups": true, "can_read_all_group_messages": false,
        "supports_inline_queries": false, "can_connect_to_business": false, "has_main_web_app": false
    })
}

fn chat_json(chat: i64) -> Value {
    if chat > 0 {
        json!({"id": chat, "type": "private", "first_name": format!("User {chat}")})
    } else {
        json!({"id": chat, "type": "group", "title": "Komite Teknis LSP"})
    }
}

/// Whether Telegram would parse `text` as HTML: every tag closed in order,
/// every `&` the start of a complete entity.
pub fn valid_html(text: &str) -> bool {
    let mut open: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(['<', '&']) {
        rest = &rest[i..];
        if rest.starts_with('<') {
            let Some(end) = rest.find('>') else {
                return false;
            };
            let inner = &rest[1..end];
            if let Some(name) = inner.strip_prefix('/') {
                if open.pop().as_deref() != Some(name.trim()) {
                    return false;
                }
            } else {
                open.push(
                    inner
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_string(),
                );
            }
            rest = &rest[end + 1..];
        } else {
            let Some(end) = rest.find(';') else {
                return false;
            };
            if !matches!(&rest[..=end], "&amp;" | "&lt;" | "&gt;" | "&quot;")
                && !rest[1..end].starts_with('#')
            {
                return false;
            }
            rest = &rest[end + 1..];
        }
    }
    open.is_empty()
}

/// The text's length as Telegram counts it: after tags and entities are parsed.
pub fn visible_length(text: &str) -> usize {
    let mut count = 0;
    let mut in_tag = false;
    let mut in_entity = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            '&' if !in_tag => {
                in_entity = true;
                count += 1;
            }
            ';' if in_entity => in_entity = false,
            _ if in_tag || in_entity => {}
            _ => count += 1,
        }
    }
    count
}
