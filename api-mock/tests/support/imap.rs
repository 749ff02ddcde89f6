//! A real IMAP server for the tests: Debian's dovecot-imapd (installed with apt-get on first use, under a
//! lock so that test processes running at once install it once), started as an unprivileged user on a
//! loopback port chosen at run time, with a temporary maildir and one passwd-file user. Mails are
//! delivered as RFC 5322 files into the maildir's `new/`, as a local delivery agent does.

#![allow(dead_code)]

use std::{
    net::TcpListener,
    os::unix::fs::{PermissionsExt, chown},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::atomic::{AtomicU32, Ordering},
    time::{Duration, Instant},
};

pub const USER: &str = "suporte";
pub const PASSWORD: &str = "segredo-de-teste";

const DOVECOT: &str = "/usr/sbin/dovecot";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Installs dovecot-imapd with apt-get when missing. Fails (never skips) when it cannot.
pub fn install() {
    if Path::new(DOVECOT).is_file() {
        return;
    }
    let tools = root().join(".tools");
    std::fs::create_dir_all(&tools).unwrap();
    let script = format!(
        "set -e; if [ ! -x {DOVECOT} ]; then \
           echo 'installing dovecot-imapd with apt-get (the tests real IMAP server)' >&2; \
           export DEBIAN_FRONTEND=noninteractive; \
           apt-get install -y -qq dovecot-imapd >/dev/null 2>&1 || \
           (apt-get update -qq >/dev/null && apt-get install -y -qq dovecot-imapd >/dev/null); fi"
    );
    let status = Command::new("flock")
        .arg(tools.join("dovecot.lock"))
        .args(["sh", "-c", &script])
        .status()
        .expect("flock (util-linux) runs the dovecot install");
    assert!(
        status.success() && Path::new(DOVECOT).is_file(),
        "could not install dovecot-imapd with apt-get (the IMAP tests need it; run them as root or install it)"
    );
}

pub struct Dovecot {
    child: Child,
    pub port: u16,
    /// IMAPS, when started with TLS (0 otherwise).
    pub tls_port: u16,
    pub dir: tempfile::TempDir,
    /// Who the server runs as (uid, gid): the maildir's files are theirs.
    owner: (u32, u32),
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

static DELIVERED: AtomicU32 = AtomicU32::new(0);

impl Dovecot {
    pub fn start() -> Self {
        Self::start_with(false)
    }

    /// With TLS: STARTTLS on the IMAP port and an IMAPS port, under a certificate for 127.0.0.1
    /// signed by a test CA (made with openssl), whose PEM is `ca()`.
    pub fn start_tls() -> Self {
        Self::start_with(true)
    }

    fn start_with(tls: bool) -> Self {
        install();
        let root_user = unsafe_geteuid() == 0;
        // As root the server runs as nobody; otherwise as whoever runs the tests.
        let (user, group, owner) = if root_user {
            ("nobody".to_string(), "nogroup".to_string(), (65534, 65534))
        } else {
            let name = std::env::var("USER").unwrap_or_else(|_| "nobody".into());
            let id = |flag: &str| {
                String::from_utf8(Command::new("id").arg(flag).output().unwrap().stdout)
                    .unwrap()
                    .trim()
                    .to_string()
            };
            let gname = id("-gn");
            let uid: u32 = id("-u").parse().unwrap();
            let gid: u32 = id("-g").parse().unwrap();
            (name, gname, (uid, gid))
        };
        for _ in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            let d = dir.path();
            let port = free_port();
            let tls_port = if tls { free_port() } else { 0 };
            let ssl = if tls {
                // A CA of the test's own, and the server's certificate signed by it (rustls refuses a
                // self-signed CA certificate as the server's own).
                let script = "set -e; \
                    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=Portal test CA' \
                      -keyout ca.key -out ca.pem; \
                    openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout key.pem -out leaf.csr; \
                    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ext.cnf; \
                    openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
                      -extfile ext.cnf -out cert.pem";
                let status = Command::new("sh")
                    .args(["-c", script])
                    .current_dir(d)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .expect("openssl makes the test certificates");
                assert!(status.success(), "openssl could not make a certificate");
                format!(
                    "ssl = yes\nssl_cert = <{d}/cert.pem\nssl_key = <{d}/key.pem",
                    d = d.display()
                )
            } else {
                "ssl = no".to_string()
            };
            for sub in ["run", "state", "mail"] {
                std::fs::create_dir_all(d.join(sub)).unwrap();
            }
            let maildir = d.join("mail").join(USER);
            for sub in ["cur", "new", "tmp"] {
                std::fs::create_dir_all(maildir.join(sub)).unwrap();
            }
            let conf = format!(
                r#"protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
mail_location = maildir:{d}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {d}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    user = {user}
  }}
  unix_listener stats-writer {{
    user = {user}
  }}
}}
"#,
                d = d.display()
            );
            std::fs::write(d.join("dovecot.conf"), conf).unwrap();
            std::fs::write(
                d.join("passwd"),
                format!(
                    "{USER}:{{PLAIN}}{PASSWORD}:{}:{}::{}::\n",
                    owner.0,
                    owner.1,
                    maildir.display()
                ),
            )
            .unwrap();
            if root_user {
                chown_all(d, owner);
            }
            let conf = d.join("dovecot.conf");
            let mut cmd = if root_user {
                let mut c = Command::new("runuser");
                c.args(["-u", &user, "--", DOVECOT, "-F", "-c"]).arg(&conf);
                c
            } else {
                let mut c = Command::new(DOVECOT);
                c.arg("-F").arg("-c").arg(&conf);
                c
            };
            let child = cmd
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("starting dovecot");
            let mut server = Self {
                child,
                port,
                tls_port,
                dir,
                owner,
            };
            let until = Instant::now() + Duration::from_secs(10);
            while Instant::now() < until {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return server;
                }
                if let Ok(Some(_)) = server.child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(30));
            }
            let log =
                std::fs::read_to_string(server.dir.path().join("dovecot.log")).unwrap_or_default();
            eprintln!("dovecot did not start on port {port}, trying another: {log}");
            server.stop();
        }
        panic!("dovecot did not start");
    }

    /// `--imap-url` for this server.
    pub fn url(&self) -> String {
        format!(
            "imap://{USER}:{PASSWORD}@127.0.0.1:{}/INBOX?tls=none",
            self.port
        )
    }

    /// The test CA's certificate, to trust (`start_tls`).
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    pub fn maildir(&self) -> PathBuf {
        self.dir.path().join("mail").join(USER)
    }

    /// Delivers a mail: written into `tmp/`, then moved into `new/` (as maildir wants it).
    pub fn deliver(&self, raw: &[u8]) {
        let n = DELIVERED.fetch_add(1, Ordering::SeqCst);
        let name = format!(
            "{}.P{}Q{n}.portal-test",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
            std::process::id()
        );
        let tmp = self.maildir().join("tmp").join(&name);
        std::fs::write(&tmp, raw).unwrap();
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o644)).unwrap();
        let _ = chown(&tmp, Some(self.owner.0), Some(self.owner.1));
        std::fs::rename(&tmp, self.maildir().join("new").join(&name)).unwrap();
    }

    /// The messages in the mailbox with their flags, from the maildir's file names (`cur/...:2,FS`).
    pub fn files(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            for e in std::fs::read_dir(self.maildir().join(sub)).unwrap() {
                out.push(e.unwrap().file_name().to_string_lossy().into_owned());
            }
        }
        out
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    fn stop(&mut self) {
        // runuser passes the signal on to dovecot, which stops its children.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
    }
}

fn chown_all(dir: &Path, owner: (u32, u32)) {
    let _ = chown(dir, Some(owner.0), Some(owner.1));
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            chown_all(&p, owner);
        } else {
            let _ = chown(&p, Some(owner.0), Some(owner.1));
        }
    }
}

fn unsafe_geteuid() -> u32 {
    // Without libc: `id -u` says it.
    String::from_utf8(Command::new("id").arg("-u").output().unwrap().stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}
