//! A minimal HTTP/1.1 client on one keep-alive connection, for the tests and benchmarks that drive the real
//! `portal-api` process over TCP (the crash test, `bench_writes`). No client library is in the dependency
//! tree, and this is all they need: JSON bodies, a session cookie, answers with `Content-Length` or chunked.

#![allow(dead_code)]

use std::{
    io,
    net::SocketAddr,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::Value;
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpStream,
};

pub const PASSWORD: &str = "demo-portal-2026";

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&self.body).into_owned()))
    }
}

fn broken(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// One client: one connection (opened on first use, dropped on any error) and the session cookie.
pub struct Client {
    addr: SocketAddr,
    conn: Option<BufReader<TcpStream>>,
    pub cookie: Option<String>,
    /// Each request fails with `TimedOut` after this long.
    pub timeout: Duration,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            conn: None,
            cookie: None,
            timeout: Duration::from_secs(30),
        }
    }

    pub fn with_cookie(addr: SocketAddr, cookie: &str) -> Self {
        let mut c = Self::new(addr);
        c.cookie = Some(cookie.to_string());
        c
    }

    /// Signs in and keeps the session cookie; answers the user (`{"id", "role", ...}`).
    pub async fn login(&mut self, email: &str) -> io::Result<Value> {
        let body = serde_json::json!({"email": email, "password": PASSWORD});
        let r = self
            .request("POST", "/api/v1/auth/login", &[], Some(&body))
            .await?;
        if r.status != 200 {
            return Err(broken(&format!(
                "signing in {email}: {} {}",
                r.status,
                r.json()
            )));
        }
        let cookie = r
            .header("set-cookie")
            .and_then(|c| c.split(';').next())
            .ok_or_else(|| broken("no session cookie"))?;
        self.cookie = Some(cookie.to_string());
        Ok(r.json())
    }

    pub async fn get(&mut self, path: &str) -> io::Result<Response> {
        self.request("GET", path, &[], None).await
    }

    /// Sends one request and reads its answer. Any failure drops the connection: the next request opens a
    /// new one. Nothing is retried here (a write's fate after a failure is the caller's question).
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> io::Result<Response> {
        let body = body.map(|b| ("application/json", b.to_string().into_bytes()));
        self.send(method, path, headers, body).await
    }

    /// `POST /api/v1/attachments` as the portal sends a file: the bytes as the body, its name in
    /// `X-File-Name`.
    pub async fn upload(&mut self, name: &str, bytes: &[u8]) -> io::Result<Response> {
        self.send(
            "POST",
            "/api/v1/attachments",
            &[("X-File-Name", name)],
            Some(("application/octet-stream", bytes.to_vec())),
        )
        .await
    }

    async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> io::Result<Response> {
        let result = tokio::time::timeout(self.timeout, self.exchange(method, path, headers, body))
            .await
            .unwrap_or_else(|_| Err(io::Error::new(io::ErrorKind::TimedOut, "no answer")));
        if result.is_err() {
            self.conn = None;
        }
        result
    }

    async fn exchange(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> io::Result<Response> {
        if self.conn.is_none() {
            let stream = TcpStream::connect(self.addr).await?;
            stream.set_nodelay(true)?;
            self.conn = Some(BufReader::new(stream));
        }
        let conn = self.conn.as_mut().expect("connected");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n",
            self.addr
        );
        if let Some(c) = &self.cookie {
            head.push_str(&format!("Cookie: {c}\r\n"));
        }
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        let payload = match body {
            Some((content_type, bytes)) => {
                head.push_str(&format!(
                    "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
                    bytes.len()
                ));
                bytes
            }
            None => Vec::new(),
        };
        head.push_str("\r\n");
        let mut request = head.into_bytes();
        request.extend(payload);
        conn.get_mut().write_all(&request).await?;

        let mut line = String::new();
        if conn.read_line(&mut line).await? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed before an answer",
            ));
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| broken("bad status line"))?;
        let mut headers = Vec::new();
        let (mut length, mut chunked, mut close) = (0usize, false, false);
        loop {
            line.clear();
            if conn.read_line(&mut line).await? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "connection closed in the headers",
                ));
            }
            let h = line.trim_end();
            if h.is_empty() {
                break;
            }
            let (name, value) = h.split_once(':').ok_or_else(|| broken("bad header"))?;
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_string());
            match name.as_str() {
                "content-length" => length = value.parse().map_err(|_| broken("bad length"))?,
                "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
                "connection" => close = value.eq_ignore_ascii_case("close"),
                _ => {}
            }
            headers.push((name, value));
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                conn.read_line(&mut line).await?;
                let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                    .map_err(|_| broken("bad chunk size"))?;
                let start = body.len();
                body.resize(start + size, 0);
                conn.read_exact(&mut body[start..]).await?;
                line.clear();
                conn.read_line(&mut line).await?;
                if size == 0 {
                    break;
                }
            }
        } else if method != "HEAD" && status != 204 && status != 304 {
            body.resize(length, 0);
            conn.read_exact(&mut body).await?;
        }
        if close {
            self.conn = None;
        }
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// A free port on the loopback interface (free when asked; the server binds it a moment later).
pub fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
}

/// A `portal-api serve` process. Dropping it kills the process.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Server {
    /// Starts `bin serve --demo` on `db` and waits until `/healthz` answers 200. The server's log goes to
    /// `log` (appended), and is shown when the server fails to start.
    pub async fn start(bin: &Path, db: &Path, log: &Path) -> Self {
        Self::start_with(bin, db, log, &[]).await
    }

    /// [`Server::start`] with more `serve` arguments.
    pub async fn start_with(bin: &Path, db: &Path, log: &Path, extra: &[&str]) -> Self {
        let mut last = String::new();
        for _ in 0..3 {
            let addr = free_addr();
            let out = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .expect("server log");
            let child = Command::new(bin)
                .args(["serve", "--demo", "--addr", &addr.to_string(), "--db"])
                .arg(db)
                .args(extra)
                .env("RUST_LOG", "warn")
                .env_remove("PORTAL_DIST")
                .env_remove("PORTAL_BACKUP_DIR")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(out)
                .spawn()
                .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
            let mut server = Server { child, addr };
            let started = Instant::now();
            let mut probe = Client::new(addr);
            probe.timeout = Duration::from_secs(5);
            while started.elapsed() < Duration::from_secs(60) {
                if let Ok(Some(status)) = server.child.try_wait() {
                    last = format!("exited with {status}");
                    break;
                }
                if probe.get("/healthz").await.is_ok_and(|r| r.status == 200) {
                    return server;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            server.kill();
            if last.is_empty() {
                last = "no answer from /healthz within 60 s".into();
            }
        }
        let log = std::fs::read_to_string(log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(30).collect();
        panic!(
            "portal-api did not start ({last}); its log ends with:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }

    /// SIGTERM (a graceful stop), and waits until the process has exited by itself.
    pub fn terminate_and_wait(&mut self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("running kill");
        assert!(sent.success(), "kill -TERM failed");
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(status.success(), "portal-api exited with {status}");
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("portal-api did not stop within 30 s of SIGTERM");
    }

    /// SIGKILL (what `Child::kill` sends on Unix), and waits until the process is gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The `p`th percentile (0..=100) of sorted samples.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}
