//! A throwaway PostgreSQL server for the tests: Debian's `postgresql` package (installed if missing), a
//! cluster made by `initdb` in a temporary directory, listening on a free loopback port, stopped and
//! removed on drop. As root, the server runs as the `postgres` user (initdb refuses root).

use std::{
    fs,
    net::TcpListener,
    path::{Path, PathBuf},
    process::Command,
};

use crate::{Result, apt_install, say};

pub struct Postgres {
    bin: PathBuf,
    dir: PathBuf,
    /// Run the server's commands as this user (`None`: as ourselves).
    user: Option<&'static str>,
    /// `postgres://postgres@127.0.0.1:PORT`: a database name goes after it.
    pub url: String,
}

impl Postgres {
    /// What a test needs to restart this server itself (`tests/instances.rs`): the cluster's directory,
    /// `pg_ctl`'s directory and the user it runs as, as `PORTAL_TEST_POSTGRES_*` variables.
    pub fn restart_env(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "PORTAL_TEST_POSTGRES_DATA",
                self.dir.join("data").to_string_lossy().into_owned(),
            ),
            (
                "PORTAL_TEST_POSTGRES_BIN",
                self.bin.to_string_lossy().into_owned(),
            ),
            (
                "PORTAL_TEST_POSTGRES_USER",
                self.user.unwrap_or_default().to_string(),
            ),
        ]
    }
}

/// The newest installed PostgreSQL's `bin` directory.
fn installed_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// Installs Debian's PostgreSQL where it is missing (on a thread beside the builds).
pub fn ensure_installed() -> Result {
    if installed_bin().is_none() {
        say("installing Debian's postgresql (the API tests run against PostgreSQL too)");
        apt_install(&["postgresql"])?;
    }
    Ok(())
}

impl Postgres {
    /// A server for the tests: durability off (fsync), which they do not check.
    pub fn start() -> Result<Postgres> {
        Self::start_with(false)
    }

    /// A server as a desk runs it (fsync and synchronous commits on), for the benchmarks.
    pub fn start_durable() -> Result<Postgres> {
        Self::start_with(true)
    }

    /// A new empty database on the server; answers its URL.
    pub fn create_database(&self, name: &str) -> Result<String> {
        let port = self.url.rsplit(':').next().unwrap_or_default().to_string();
        self.run(
            "createdb",
            &["-h", "127.0.0.1", "-p", &port, "-U", "postgres", name],
        )?;
        Ok(format!("{}/{name}", self.url))
    }

    fn start_with(durable: bool) -> Result<Postgres> {
        ensure_installed()?;
        let bin =
            installed_bin().ok_or("no PostgreSQL in /usr/lib/postgresql after installing it")?;
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        let user = root.then_some("postgres");
        let dir = std::env::temp_dir().join(format!("portal-test-pg-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if let Some(user) = user {
            run_quiet("chown", &[user, &dir.to_string_lossy()], None)?;
        }
        let data = dir.join("data");
        // A free port (the kernel's choice, let go just before the server takes it).
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("finding a free port: {e}"))?
            .port();
        let pg = Postgres {
            url: format!("postgres://postgres@127.0.0.1:{port}"),
            bin,
            dir,
            user,
        };
        pg.run(
            "initdb",
            &[
                "-D",
                &data.to_string_lossy(),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
        )?;
        // Durability is not what the tests check: fsync off makes the suite's many small databases
        // quick to make.
        let durability = if durable {
            ""
        } else {
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        };
        let options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -k {}{durability} -c max_connections=400",
            pg.dir.display()
        );
        pg.run(
            "pg_ctl",
            &[
                "-D",
                &data.to_string_lossy(),
                "-l",
                &pg.dir.join("server.log").to_string_lossy(),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        )?;
        say(&format!(
            "PostgreSQL started for the tests on 127.0.0.1:{port} ({})",
            pg.dir.display()
        ));
        Ok(pg)
    }

    fn run(&self, program: &str, args: &[&str]) -> Result {
        let exe = self.bin.join(program);
        run_quiet(&exe.to_string_lossy(), args, self.user)
    }
}

/// Runs a command (as `user` through runuser), its output kept unless it fails.
fn run_quiet(program: &str, args: &[&str], user: Option<&str>) -> Result {
    let mut cmd = match user {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--", program]);
            c
        }
        None => Command::new(program),
    };
    let out = cmd
        .args(args)
        .current_dir(Path::new("/"))
        .output()
        .map_err(|e| format!("could not run {program}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} {} failed: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = self.run(
            "pg_ctl",
            &[
                "-D",
                &data.to_string_lossy(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
        let _ = fs::remove_dir_all(&self.dir);
    }
}
