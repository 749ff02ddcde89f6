//! A real SMTP server for the tests: `smtp_sink.py` on aiosmtpd (from PyPI, installed on first use into a
//! virtual environment under `.tools/`, under a lock so that test processes running at once install it
//! once). Every mail it accepts is a file the test reads back and parses.

#![allow(dead_code)]

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, Stdio},
    time::{Duration, Instant},
};

pub const AIOSMTPD_VERSION: &str = "1.4.6";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The Python of a virtual environment with aiosmtpd, installing it when missing. Fails (never skips)
/// when it cannot be installed.
pub fn python() -> PathBuf {
    let tools = root().join(".tools");
    let venv = tools.join(format!("aiosmtpd-{AIOSMTPD_VERSION}"));
    let python = venv.join("bin/python");
    let ready = venv.join(".installed");
    if ready.is_file() {
        return python;
    }
    std::fs::create_dir_all(&tools).unwrap();
    // flock(1) holds the lock while one process installs; the others wait, then find it installed. A
    // killed installer leaves no `.installed`, so the next one starts over.
    let script = format!(
        "set -e; if [ ! -f '{ready}' ]; then \
           echo 'installing aiosmtpd {AIOSMTPD_VERSION} from PyPI into {venv} (the tests real SMTP server)' >&2; \
           rm -rf '{venv}'; python3 -m venv '{venv}'; \
           '{venv}/bin/pip' install --quiet 'aiosmtpd=={AIOSMTPD_VERSION}'; touch '{ready}'; fi",
        ready = ready.display(),
        venv = venv.display(),
    );
    let status = Command::new("flock")
        .arg(tools.join("aiosmtpd.lock"))
        .args(["sh", "-c", &script])
        .status()
        .expect("flock (util-linux) runs the aiosmtpd install");
    assert!(
        status.success() && ready.is_file(),
        "could not install aiosmtpd {AIOSMTPD_VERSION} from PyPI (python3 -m venv needs Debian's python3-venv)"
    );
    python
}

/// What the server answers some recipients.
#[derive(Default, Clone)]
pub struct Rules {
    /// 550: permanent.
    pub reject: Vec<String>,
    /// 451: temporary, always or only the first `defer_times` times.
    pub defer: Vec<String>,
    pub defer_times: Option<u32>,
}

pub struct SmtpSink {
    child: Child,
    stdin: Option<ChildStdin>,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

/// A received mail: its headers (unfolded) and its decoded text and HTML parts.
#[derive(Debug, Clone)]
pub struct Mail {
    pub raw: String,
    pub headers: Vec<(String, String)>,
    pub text: String,
    pub html: String,
}

impl Mail {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The subject, decoded from RFC 2047 words when it has them.
    pub fn subject(&self) -> String {
        decode_words(self.header("Subject").unwrap_or_default())
    }

    pub fn to(&self) -> String {
        self.header("To").unwrap_or_default().to_string()
    }
}

impl SmtpSink {
    pub fn start(rules: Rules) -> Self {
        let python = python();
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
        let mut cmd = Command::new(python);
        cmd.arg(script)
            .arg("--dir")
            .arg(dir.path())
            .arg("--reject")
            .arg(rules.reject.join(","))
            .arg("--defer")
            .arg(rules.defer.join(","));
        if let Some(n) = rules.defer_times {
            cmd.arg("--defer-times").arg(n.to_string());
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("starting the SMTP server");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let port = line
            .trim()
            .strip_prefix("READY ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the SMTP server did not start: {line:?}"));
        let stdin = child.stdin.take();
        Self {
            child,
            stdin,
            port,
            dir,
        }
    }

    /// `--smtp-url` for this server.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    /// Every mail received so far, oldest first.
    pub fn mails(&self) -> Vec<Mail> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| parse(&std::fs::read_to_string(p).unwrap()))
            .collect()
    }

    /// Waits until at least `n` mails have arrived (up to `within`), and answers them all.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Mail> {
        let until = Instant::now() + within;
        loop {
            let mails = self.mails();
            if mails.len() >= n || Instant::now() > until {
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The server's answers to recipients (`250 a@b`, `550 c@d`...).
    pub fn log(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Headers and parts of a mail as lettre writes it (multipart/alternative, quoted-printable or base64).
pub fn parse(raw: &str) -> Mail {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
    let headers = unfold(head);
    let content_type = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("Content-Type"))
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let mut text = String::new();
    let mut html = String::new();
    if let Some(boundary) = param(&content_type, "boundary") {
        for part in body.split(&format!("--{boundary}")) {
            let part = part.trim_start_matches('\n');
            let Some((phead, pbody)) = part.split_once("\n\n") else {
                continue;
            };
            let ph = unfold(phead);
            let get = |name: &str| {
                ph.iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.to_lowercase())
                    .unwrap_or_default()
            };
            let decoded = decode(pbody, &get("Content-Transfer-Encoding"));
            if get("Content-Type").starts_with("text/plain") {
                text = decoded;
            } else if get("Content-Type").starts_with("text/html") {
                html = decoded;
            }
        }
    } else {
        text = body.to_string();
    }
    Mail {
        raw,
        headers,
        text,
        html,
    }
}

fn unfold(head: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = headers.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((n, v)) = line.split_once(':') {
            headers.push((n.trim().to_string(), v.trim().to_string()));
        }
    }
    headers
}

fn param(value: &str, name: &str) -> Option<String> {
    value.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        (k.eq_ignore_ascii_case(name)).then(|| v.trim_matches('"').to_string())
    })
}

fn decode(body: &str, encoding: &str) -> String {
    let body = body.trim_end_matches(['\n', '-']);
    match encoding {
        "quoted-printable" => {
            let joined = body.replace("=\n", "");
            let bytes = joined.as_bytes();
            let mut out = Vec::with_capacity(bytes.len());
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'='
                    && i + 2 < bytes.len() + 1
                    && let Some(h) = bytes.get(i + 1..i + 3)
                    && let Ok(b) = u8::from_str_radix(std::str::from_utf8(h).unwrap_or("zz"), 16)
                {
                    out.push(b);
                    i += 3;
                } else {
                    out.push(bytes[i]);
                    i += 1;
                }
            }
            String::from_utf8_lossy(&out).into_owned()
        }
        "base64" => {
            use base64::Engine;
            let clean: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            String::from_utf8_lossy(
                &base64::engine::general_purpose::STANDARD
                    .decode(clean)
                    .unwrap_or_default(),
            )
            .into_owned()
        }
        _ => body.to_string(),
    }
}

/// `=?utf-8?b?...?=` and `=?utf-8?q?...?=` words, as lettre writes non-ASCII subjects.
pub fn decode_words(value: &str) -> String {
    let mut out = String::new();
    for word in value.split_whitespace() {
        let lower = word.to_lowercase();
        if let Some(rest) = lower.strip_prefix("=?utf-8?b?")
            && rest.ends_with("?=")
        {
            let payload = &word["=?utf-8?b?".len()..word.len() - 2];
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(payload)
                .unwrap_or_default();
            out.push_str(&String::from_utf8_lossy(&bytes));
        } else if let Some(rest) = lower.strip_prefix("=?utf-8?q?")
            && rest.ends_with("?=")
        {
            let payload = word["=?utf-8?q?".len()..word.len() - 2].replace('_', " ");
            out.push_str(&decode(&payload, "quoted-printable"));
        } else {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out
}
