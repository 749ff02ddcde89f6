//! `cargo xtask`: the project's commands. It installs what is missing (saying what and why), builds the
//! app with Trunk, serves the portal, runs every test and measures.
//!
//! Nothing here downloads from outside the package registries: Trunk runs offline, with wasm-bindgen-cli
//! installed by cargo at the exact version of Cargo.lock and wasm-opt from npm's `binaryen` package.

use std::{
    env,
    ffi::OsString,
    fs,
    io::Write,
    path::{Path, PathBuf},
    process::{Child, Command, ExitCode, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime},
};

const TRUNK_VERSION: &str = "0.21.14";
const BINARYEN_VERSION: &str = "132";
/// First-visit transfer budgets (wasm + js + css, brotli), one per build: the client build that every
/// client downloads, and the staff build, each today's size with headroom: 343 960 B and 494 416 B when
/// the staff pages and controls left the client build (one bundle of 491 853 B before). The goal for the
/// client build is 150 KB (see the README's benchmark section); these only stop a silent growth. The
/// staff build grew to 526 564 B with the people page and the phone ticket's new client (issue 14): its
/// budget is 560 KiB (staff sign in at a desk, once a day; clients are the ones on phones).
const BUDGET_CLIENT_BROTLI_BYTES: u64 = 350 * 1024;
const BUDGET_STAFF_BROTLI_BYTES: u64 = 560 * 1024;

/// Schemathesis from PyPI, pinned; its virtual environment is kept in `.tools/` (named by the version, so a
/// new pin makes a new one).
const SCHEMATHESIS_VERSION: &str = "4.32.5";
/// Test cases per operation and role: enough for every check to see each operation, and short enough for
/// CI (about a minute for the three roles together).
const SCHEMATHESIS_EXAMPLES: &str = "5";

mod postgres;

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("serve") => serve(&args[1..]),
        Some("build") => ensure_build_tools().and_then(|()| build_app()),
        Some("test") => test(&args[1..]),
        Some("bench") => bench(&args[1..]),
        Some("schemathesis") => schemathesis_command(&args[1..]),
        Some("tools") => ensure_build_tools().and_then(|()| ensure_browser_tools()),
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n  serve            build the portal and start it on http://127.0.0.1:8080 with the demo data\n  test             run every test (format, clippy, unit and API tests, release build, schemathesis beside\n                   the browser tests; --no-browser: neither)\n  build            build the app in release mode into dist/\n  schemathesis     fuzz the API from its OpenAPI document as anonymous, client and staff (part of test;\n                   --role R for one role, --logs to keep the reports in files, and after -- more `st run`\n                   options, e.g. --include-path /tickets)\n  bench size       first-visit transfer size of the built app\n  bench search     search index build time, memory and query latency at 10 000 and 100 000 articles\n  bench crash      SIGKILL the server under concurrent writes, restart, check nothing acknowledged is lost (--cycles N)\n  bench writes     durable ticket creations per second from 1, 8 and 32 concurrent clients\n  bench reads      reads per second and p50/p99 per route (oha, 32 connections), then a mixed run at 500/s\n  bench lighthouse Lighthouse mobile on the home page, an article and the new-ticket page, medians of 3 runs\n  tools            install the build and browser-test tools"
            );
            Err("unknown command".into())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is in the workspace")
        .to_path_buf()
}

fn say(msg: &str) {
    println!("xtask: {msg}");
    let _ = std::io::stdout().flush();
}

/// Runs a command in the workspace root with the project's tools first on PATH.
fn run(program: &str, args: &[&str]) -> Result {
    run_in(&root(), program, args, &[])
}

fn run_in(dir: &Path, program: &str, args: &[&str], envs: &[(&str, &str)]) -> Result {
    say(&format!("$ {program} {}", args.join(" ")));
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("PATH", tool_path())
        .envs(envs.iter().copied())
        .status()
        .map_err(|e| format!("could not run {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{program} {} failed ({status})", args.join(" ")))
    }
}

fn output(program: &str, args: &[&str]) -> Option<String> {
    Command::new(program)
        .args(args)
        .env("PATH", tool_path())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| {
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
        })
}

/// `.tools/binaryen/node_modules/.bin` (our wasm-opt) before everything else, so that an older system
/// binaryen is never picked up; then cargo's bin directory.
fn tool_path() -> OsString {
    let mut paths = vec![root().join(".tools/binaryen/node_modules/.bin")];
    if let Some(home) = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
    {
        paths.push(home.join("bin"));
    }
    paths.extend(env::split_paths(&env::var_os("PATH").unwrap_or_default()));
    env::join_paths(paths).unwrap_or_default()
}

/// The wasm-bindgen version of Cargo.lock: wasm-bindgen-cli must be exactly this one.
fn locked_wasm_bindgen() -> Result<String> {
    let lock = fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("reading Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            return Ok(v.trim_end_matches('"').to_string());
        }
    }
    Err("Cargo.lock has no wasm-bindgen".into())
}

fn ensure_build_tools() -> Result {
    let targets = output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !targets
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        say("installing the wasm32-unknown-unknown target (the app compiles to WebAssembly)");
        run("rustup", &["target", "add", "wasm32-unknown-unknown"])?;
    }

    let trunk = output("trunk", &["--version"]).unwrap_or_default();
    if !trunk.contains(TRUNK_VERSION) {
        say(&format!(
            "installing trunk {TRUNK_VERSION} (builds the app; about 13 minutes the first time)"
        ));
        run(
            "cargo",
            &["install", "trunk", "--version", TRUNK_VERSION, "--locked"],
        )?;
    }

    let wb = locked_wasm_bindgen()?;
    let trunk_toml = fs::read_to_string(root().join("Trunk.toml")).unwrap_or_default();
    if !trunk_toml.contains(&format!("wasm_bindgen = \"{wb}\"")) {
        return Err(format!(
            "Trunk.toml's [tools] wasm_bindgen must be \"{wb}\", the version in Cargo.lock"
        ));
    }
    let have = output("wasm-bindgen", &["--version"]).unwrap_or_default();
    if !have.split_whitespace().any(|w| w == wb) {
        say(&format!(
            "installing wasm-bindgen-cli {wb} (must equal the wasm-bindgen of Cargo.lock; a few minutes)"
        ));
        // Not --locked: the registry's lock file of wasm-bindgen-cli may name a crate version it lacks.
        run(
            "cargo",
            &[
                "install",
                "wasm-bindgen-cli",
                "--version",
                &format!("={wb}"),
                "--force",
            ],
        )?;
    }

    let opt = output("wasm-opt", &["--version"]).unwrap_or_default();
    if !opt.contains(&format!("version {BINARYEN_VERSION}")) {
        say(&format!(
            "installing wasm-opt from npm's binaryen@{BINARYEN_VERSION} into .tools/ (shrinks the app; an older system binaryen breaks it)"
        ));
        let dir = root().join(".tools/binaryen");
        fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        run_in(
            &dir,
            "npm",
            &[
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                ".",
                &format!("binaryen@{BINARYEN_VERSION}"),
            ],
            &[],
        )?;
    }
    Ok(())
}

/// Installs Debian packages with apt-get (through sudo unless root).
fn apt_install(packages: &[&str]) -> Result {
    // Tools are installed on threads beside the builds; apt takes one install at a time.
    static APT: Mutex<()> = Mutex::new(());
    let _one_at_a_time = APT.lock().unwrap_or_else(|e| e.into_inner());
    let sudo = output("id", &["-u"]).is_some_and(|u| u.trim() != "0");
    let (program, prefix): (&str, Vec<&str>) = if sudo {
        ("sudo", vec!["apt-get"])
    } else {
        ("apt-get", vec![])
    };
    let mut update = prefix.clone();
    update.extend(["update", "-q"]);
    run(program, &update)?;
    let mut install = prefix;
    install.extend(["install", "-y", "-q"]);
    install.extend(packages);
    run_in(
        &root(),
        program,
        &install,
        &[("DEBIAN_FRONTEND", "noninteractive")],
    )
}

fn ensure_browser_tools() -> Result {
    if !Path::new("/usr/bin/chromium").exists() {
        say(
            "installing Debian's chromium and chromium-driver (the browser tests run in headless Chromium)",
        );
        apt_install(&["chromium", "chromium-driver"])?;
    }
    let tests = root().join("tests");
    if !tests.join("node_modules/playwright-core").exists()
        || newer(
            &tests.join("package-lock.json"),
            &tests.join("node_modules/.package-lock.json"),
        )
    {
        say(
            "installing the browser-test packages (playwright-core, axe-core) from npm, as package-lock.json pins them",
        );
        run_in(&tests, "npm", &["ci", "--no-audit", "--no-fund"], &[])?;
    }
    Ok(())
}

fn mtime(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn newer(a: &Path, b: &Path) -> bool {
    match (mtime(a), mtime(b)) {
        (Some(a), Some(b)) => a > b,
        _ => true,
    }
}

/// The newest modification time below the app's sources.
fn newest_source() -> SystemTime {
    let r = root();
    let mut newest = SystemTime::UNIX_EPOCH;
    let mut stack: Vec<PathBuf> = [
        "src",
        "public",
        "api-types",
        "index.html",
        "staff",
        "Cargo.toml",
        "Cargo.lock",
        "Trunk.toml",
    ]
    .iter()
    .map(|p| r.join(p))
    .collect();
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            if let Ok(entries) = fs::read_dir(&p) {
                stack.extend(entries.filter_map(|e| e.ok()).map(|e| e.path()));
            }
        } else if let Some(t) = mtime(&p) {
            newest = newest.max(t);
        }
    }
    newest
}

const STAMP: &str = "dist/.built";

fn app_is_fresh() -> bool {
    mtime(&root().join(STAMP)).is_some_and(|built| built >= newest_source())
}

/// `trunk build --release` twice: the client build into dist/ and the staff build (`staff/index.html`,
/// `--features staff`) into dist/staff-app/; then brotli and gzip copies of each one's wasm, js and css
/// for the server to send. The second build reuses the first's dependencies: only the portal crate is
/// compiled again.
fn build_app() -> Result {
    let started = Instant::now();
    let env = [("TRUNK_OFFLINE", "true"), ("NO_COLOR", "true")];
    for args in TRUNK_BUILDS {
        run_in(&root(), "trunk", &args, &env)?;
    }
    finish_app_build(started)
}

/// The two Trunk builds, client first (it empties dist/, the staff build then writes its folder).
const TRUNK_BUILDS: [[&str; 7]; 2] = [
    [
        "build",
        "index.html",
        "--release",
        "--dist",
        "dist",
        "--public-url",
        "/",
    ],
    [
        "build",
        "staff/index.html",
        "--release",
        "--dist",
        STAFF_DIST,
        "--public-url",
        "/staff-app/",
    ],
];

/// The precompressed copies and the stamp that says the build is complete.
fn finish_app_build(started: Instant) -> Result {
    compress_dists()?;
    fs::write(root().join(STAMP), b"").map_err(|e| e.to_string())?;
    say(&format!(
        "app built into dist/ (client) and {STAFF_DIST}/ (staff) in {:.0?}",
        started.elapsed()
    ));
    Ok(())
}

const STAFF_DIST: &str = "dist/staff-app";

/// A build of the app that the server serves, with the most its first visit may transfer.
struct Bundle {
    name: &'static str,
    dir: &'static str,
    budget: u64,
}

const BUNDLES: [Bundle; 2] = [
    Bundle {
        name: "client",
        dir: "dist",
        budget: BUDGET_CLIENT_BROTLI_BYTES,
    },
    Bundle {
        name: "staff",
        dir: STAFF_DIST,
        budget: BUDGET_STAFF_BROTLI_BYTES,
    },
];

fn dist_assets(dir: &str) -> Result<Vec<PathBuf>> {
    let dist = root().join(dir);
    let mut files: Vec<PathBuf> = fs::read_dir(&dist)
        .map_err(|e| format!("reading {dir}/: {e}"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "wasm" || e == "js" || e == "css")
        })
        .collect();
    files.sort();
    Ok(files)
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).expect("compressing in memory");
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).expect("compressing in memory");
    encoder.finish().expect("compressing in memory")
}

/// The copies of every file of every build, each file on a thread of its own (brotli at quality 11 on a
/// large wasm file is the long part: the files then share the cores).
fn compress_dists() -> Result {
    let mut files = Vec::new();
    for bundle in &BUNDLES {
        files.extend(dist_assets(bundle.dir)?);
    }
    std::thread::scope(|scope| {
        let jobs: Vec<_> = files
            .iter()
            .map(|file| {
                scope.spawn(move || -> Result {
                    let data = fs::read(file).map_err(|e| e.to_string())?;
                    let name = file
                        .file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned();
                    fs::write(file.with_file_name(format!("{name}.br")), brotli(&data))
                        .map_err(|e| e.to_string())?;
                    fs::write(file.with_file_name(format!("{name}.gz")), gzip(&data))
                        .map_err(|e| e.to_string())
                })
            })
            .collect();
        jobs.into_iter()
            .try_for_each(|job| joined(job.join(), "compressing a file"))
    })
}

struct Sizes {
    raw: u64,
    gzip: u64,
    brotli: u64,
}

fn measure_size(bundle: &Bundle, print: bool) -> Result<Sizes> {
    let mut total = Sizes {
        raw: 0,
        gzip: 0,
        brotli: 0,
    };
    if print {
        println!(
            "{:<44} {:>10} {:>10} {:>10}",
            format!("{} build ({}/)", bundle.name, bundle.dir),
            "raw",
            "gzip",
            "brotli"
        );
    }
    for file in dist_assets(bundle.dir)? {
        let data = fs::read(&file).map_err(|e| e.to_string())?;
        let name = file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        // The copies the build wrote for the server (`compress_dists`), when they are newer than the
        // file: the same bytes the server sends, without compressing again.
        let compressed = |ext: &str, compress: fn(&[u8]) -> Vec<u8>| {
            let copy = file.with_file_name(format!("{name}.{ext}"));
            match fs::metadata(&copy) {
                Ok(m) if !newer(&file, &copy) => m.len(),
                _ => compress(&data).len() as u64,
            }
        };
        let (raw, gz, br) = (
            data.len() as u64,
            compressed("gz", gzip),
            compressed("br", brotli),
        );
        if print {
            println!("  {name:<42} {raw:>10} {gz:>10} {br:>10}");
        }
        total.raw += raw;
        total.gzip += gz;
        total.brotli += br;
    }
    if print {
        println!(
            "  {:<42} {:>10} {:>10} {:>10}",
            "total (first visit)", total.raw, total.gzip, total.brotli
        );
        println!("  budget: {} bytes brotli", bundle.budget);
    }
    Ok(total)
}

fn measure_sizes() -> Result {
    for bundle in &BUNDLES {
        measure_size(bundle, true)?;
    }
    Ok(())
}

/// Each build's first visit within its budget: the client's (what every client downloads) and the
/// staff's.
fn check_budget() -> Result {
    let mut over = Vec::new();
    for bundle in &BUNDLES {
        let sizes = measure_size(bundle, true)?;
        if sizes.brotli > bundle.budget {
            over.push(format!(
                "the {} build's first visit is {} bytes brotli, over its budget of {}",
                bundle.name, sizes.brotli, bundle.budget
            ));
        } else {
            say(&format!(
                "{} build within budget: {} of {} bytes brotli",
                bundle.name, sizes.brotli, bundle.budget
            ));
        }
    }
    if over.is_empty() {
        Ok(())
    } else {
        Err(over.join("; "))
    }
}

fn serve(args: &[String]) -> Result {
    ensure_build_tools()?;
    if app_is_fresh() {
        say("the app in dist/ is up to date");
    } else {
        build_app()?;
    }
    run(
        "cargo",
        &["build", "--release", "--quiet", "--package", "portal-api"],
    )?;
    let addr = env::var("PORTAL_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".into());
    // With no mail server given, the portal's e-mails go to a local catcher (MailDev) whose page shows
    // them: a new user sees the notifications, resets and invitations and can follow their links.
    let smtp_given = env::var_os("PORTAL_SMTP_URL").is_some()
        || args.iter().any(|a| a.starts_with("--smtp-url"));
    let catcher = if smtp_given {
        None
    } else {
        Some(MailCatcher::start()?)
    };
    println!();
    println!("  Portal: http://{addr}/");
    println!("  Data:   data/portal.db (kept between runs)");
    match &catcher {
        Some(c) => println!(
            "  Mail:   http://{}/ shows every e-mail the portal sends (MailDev; give --smtp-url for a real server)",
            c.web
        ),
        None => println!("  Mail:   sent through the --smtp-url given"),
    }
    println!("  Demo accounts, all with the password demo-portal-2026:");
    for (email, what) in [
        (
            "ana@mercadobompreco.demo",
            "client, manager of Mercado Bom Preço",
        ),
        (
            "rui@mercadobompreco.demo",
            "client, member of Mercado Bom Preço",
        ),
        ("bruno@petfeliz.demo", "client, manager of Pet Feliz"),
        ("carla@suporte.demo", "agent"),
        ("diego@suporte.demo", "agent"),
        ("admin@suporte.demo", "admin"),
    ] {
        println!("    {email:<28} {what}");
    }
    println!("  Stop with Ctrl-C.");
    println!();
    let bin = root().join("target/release/portal-api");
    let mut cmd_args = vec![
        "serve",
        "--addr",
        &addr,
        "--db",
        "data/portal.db",
        "--dist",
        "dist",
        "--demo",
    ];
    let public_url = format!("http://{addr}");
    let smtp_url;
    if let Some(c) = &catcher {
        smtp_url = format!("smtp://{}?tls=none", c.smtp);
        cmd_args.extend(["--smtp-url", &smtp_url]);
        if !args.iter().any(|a| a.starts_with("--public-url"))
            && env::var_os("PORTAL_PUBLIC_URL").is_none()
        {
            cmd_args.extend(["--public-url", &public_url]);
        }
    }
    let extra: Vec<&str> = args.iter().map(String::as_str).collect();
    cmd_args.extend(extra);
    let served = run(&bin.to_string_lossy(), &cmd_args);
    drop(catcher);
    served
}

/// MailDev (npm, pinned), the local mail catcher of `cargo xtask serve`: SMTP and its web page on
/// loopback (ports 1025 and 1080, or `PORTAL_MAIL_CATCHER_SMTP` and `PORTAL_MAIL_CATCHER_WEB`), the mails
/// kept in `data/mail/`. Stopped with `serve`.
struct MailCatcher {
    child: Child,
    smtp: String,
    web: String,
}

const MAILDEV_VERSION: &str = "2.2.1";

impl MailCatcher {
    fn start() -> Result<Self> {
        let bin = npm_tool("maildev", MAILDEV_VERSION, "maildev")?;
        let smtp_port = env::var("PORTAL_MAIL_CATCHER_SMTP").unwrap_or_else(|_| "1025".into());
        let web_port = env::var("PORTAL_MAIL_CATCHER_WEB").unwrap_or_else(|_| "1080".into());
        let dir = root().join("data/mail");
        fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let smtp = format!("127.0.0.1:{smtp_port}");
        let web = format!("127.0.0.1:{web_port}");
        for taken in [&smtp, &web] {
            if std::net::TcpStream::connect(taken).is_ok() {
                return Err(format!(
                    "{taken} is in use: stop what listens there, or choose other ports with \
                     PORTAL_MAIL_CATCHER_SMTP and PORTAL_MAIL_CATCHER_WEB (or give --smtp-url)"
                ));
            }
        }
        let child = Command::new(&bin)
            .args([
                "--ip",
                "127.0.0.1",
                "--smtp",
                &smtp_port,
                "--web",
                &web_port,
                "--silent",
            ])
            .arg("--mail-directory")
            .arg(&dir)
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting maildev: {e}"))?;
        let catcher = MailCatcher { child, smtp, web };
        let until = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(&catcher.smtp).is_err() {
            if Instant::now() > until {
                return Err("maildev did not listen within 20 s".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(catcher)
    }
}

impl Drop for MailCatcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn test(args: &[String]) -> Result {
    let started = Instant::now();
    let quick = args.iter().any(|a| a == "--no-browser");
    ensure_build_tools()?;
    run("cargo", &["fmt", "--all", "--check"])?;
    // The app's release build (LTO into one codegen unit: long stretches on one core) runs beside the
    // checks and the tests, in its own target directories; its output is shown if it fails.
    let app_build = spawn_app_build()?;
    // Schemathesis (once per clone: a virtual environment from PyPI) and the browser tests' packages (npm
    // ci, and Chromium where it is missing) are installed beside the builds.
    let st_install = (!quick).then(|| std::thread::spawn(ensure_schemathesis));
    // PostgreSQL, for the API tests' second run.
    let pg_install = std::thread::spawn(postgres::ensure_installed);
    let browser_tools = (!quick).then(|| std::thread::spawn(ensure_browser_tools));
    let checks = (|| -> Result {
        // Both builds of the app: the client's and the staff's (`--features staff`).
        for features in [&[][..], &["--features", "staff"][..]] {
            let mut args = vec![
                "clippy",
                "--package",
                "portal",
                "--target",
                "wasm32-unknown-unknown",
                "--quiet",
            ];
            args.extend(features);
            args.extend(["--", "-D", "warnings"]);
            run("cargo", &args)?;
        }
        // Built, not run yet: the run goes beside the browser tests below. The build is the workspace's
        // clippy too (see `LINTED_BUILD`).
        build_unit_and_api_tests()
    })();
    if let Err(e) = checks {
        app_build.abort();
        return Err(e);
    }
    // The tests just built target/debug/portal-api (the integration tests run it) with the workspace's
    // features and the dev-dependencies' ones, and schemathesis and the browser tests use it: a `cargo
    // build -p portal-api` would unify features differently and compile it and part of its dependencies
    // again (3 minutes).
    if !root().join("target/debug/portal-api").is_file() {
        app_build.abort();
        return Err("the test build made no target/debug/portal-api".into());
    }
    // From here on three things share the two cores, each mostly waiting on something else: the unit and
    // API tests then schemathesis (which needs the server, not the app) on one thread; the end of the
    // app's release build (often a long LTO step on one core), its budgets, then the browser tests on
    // this one.
    // Schemathesis (installed meanwhile, see above) goes to whichever thread is free first.
    type Job = Box<dyn FnOnce() -> Result + Send>;
    let schemathesis: Arc<Mutex<Option<Job>>> = Arc::new(Mutex::new(st_install.map(|install| {
        Box::new(move || -> Result {
            let st = joined(install.join(), "installing schemathesis")?;
            let roles: Vec<&str> = SCHEMATHESIS_ROLES.iter().map(|(r, _)| *r).collect();
            run_schemathesis(&st, &roles, &[], true)
        }) as Job
    })));
    let take = |job: &Arc<Mutex<Option<Job>>>| -> Result {
        let next = job.lock().unwrap_or_else(|e| e.into_inner()).take();
        next.map_or(Ok(()), |run| run())
    };
    let for_server = schemathesis.clone();
    let server_tests = std::thread::spawn(move || -> Result {
        run_unit_and_api_tests()?;
        joined(pg_install.join(), "installing PostgreSQL")?;
        run_api_tests_on_postgres()?;
        take(&for_server)
    });
    let browser = (|| -> Result {
        app_build.finish()?;
        check_budget()?;
        let Some(browser_tools) = browser_tools else {
            return Ok(());
        };
        joined(browser_tools.join(), "installing the browser tools")?;
        let bin = root().join("target/debug/portal-api");
        let dist = root().join("dist");
        // Each test file starts its own server and database, so several run at once: three, as a file
        // spends much of its time waiting (on a debounce, a poll, a timer it tests), and the longest
        // first, so that it does not run alone at the end.
        let files = browser_test_files()?;
        let mut args = vec!["--test", "--test-concurrency=3"];
        args.extend(files.iter().map(String::as_str));
        run_in(
            &root().join("tests"),
            "node",
            &args,
            &[
                ("PORTAL_API_BIN", &bin.to_string_lossy()),
                ("PORTAL_DIST", &dist.to_string_lossy()),
            ],
        )?;
        take(&schemathesis)
    })();
    let server = joined(server_tests.join(), "the unit and API tests' thread");
    match (browser, server) {
        (Ok(()), Ok(())) => {}
        (Err(b), Err(f)) => return Err(format!("{b}; {f}")),
        (Err(e), Ok(())) | (Ok(()), Err(e)) => return Err(e),
    }
    say(&format!("every test passed in {:.0?}", started.elapsed()));
    Ok(())
}

/// What a thread doing `what` answered, or an error if it panicked.
fn joined<T>(answer: std::thread::Result<Result<T>>, what: &str) -> Result<T> {
    answer.unwrap_or_else(|_| Err(format!("{what} panicked")))
}

/// The browser test files that take longest, in that order (the monkey file's three walks: 2 to 3 minutes).
const LONGEST_BROWSER_TESTS: &[&str] = &["monkey.test.mjs"];

/// `e2e/*.test.mjs`, the longest first, then by name.
fn browser_test_files() -> Result<Vec<String>> {
    let mut names: Vec<String> = fs::read_dir(root().join("tests/e2e"))
        .map_err(|e| format!("tests/e2e: {e}"))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".test.mjs"))
        .collect();
    names.sort_by_key(|n| {
        let rank = LONGEST_BROWSER_TESTS.iter().position(|l| l == n);
        (rank.unwrap_or(usize::MAX), n.clone())
    });
    Ok(names.into_iter().map(|n| format!("e2e/{n}")).collect())
}

/// The unit and API tests' build is compiled by clippy-driver, which lints the workspace's crates (every
/// target the tests build: libraries, binaries, tests, examples) with `-D warnings` and then compiles them
/// as rustc would. The same lints as `cargo clippy --workspace --all-targets --all-features -- -D
/// warnings`, without checking every dependency a second time in check mode (6 of the CI's minutes).
/// The run must use the same variables, or cargo would build the workspace again without them.
const LINTED_BUILD: &[(&str, &str)] = &[
    ("RUSTC_WORKSPACE_WRAPPER", "clippy-driver"),
    (
        "CLIPPY_ARGS",
        "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__",
    ),
];

/// Unit and API tests: with cargo-nextest where the machine has it (every test of every binary in one
/// pool, so the long crash test runs beside the others), else `cargo test`.
/// Builds what `run_unit_and_api_tests` runs, without running it.
fn build_unit_and_api_tests() -> Result {
    if output("cargo", &["nextest", "--version"]).is_some() {
        cargo_linted(&[
            "nextest",
            "run",
            "--workspace",
            "--all-features",
            "--no-run",
        ])
    } else {
        cargo_linted(&[
            "test",
            "--workspace",
            "--all-features",
            "--no-run",
            "--quiet",
        ])
    }
}

fn run_unit_and_api_tests() -> Result {
    if output("cargo", &["nextest", "--version"]).is_some() {
        cargo_linted(&[
            "nextest",
            "run",
            "--workspace",
            // The staff build's modules and their tests too (the app's `staff` feature).
            "--all-features",
            "--no-fail-fast",
            "--status-level",
            "fail",
            "--final-status-level",
            "slow",
        ])
        // (nextest runs no doc tests; the workspace has none.)
    } else {
        cargo_linted(&["test", "--workspace", "--all-features", "--quiet"])
    }
}

/// The test binaries that drive the API through `TestApp` (tests/common), run a second time with every
/// test on a PostgreSQL database of its own. The others test what only SQLite has (its backups and
/// migrations, the crash test's and the command line's database files).
const POSTGRES_SUITES: &[&str] = &[
    "api",
    "attachments",
    "authorization",
    "curation",
    "hardening",
    "inbound",
    "kb",
    "mail",
    "migrate",
    "notifications",
    "ratings",
    "reads",
    "tickets",
];

/// The API test suite again, on a PostgreSQL server started for it (`PORTAL_TEST_POSTGRES`), then the
/// several-server tests (`tests/instances.rs`) by themselves, one at a time: one of them restarts the
/// server.
fn run_api_tests_on_postgres() -> Result {
    let pg = postgres::Postgres::start()?;
    let mut envs = LINTED_BUILD.to_vec();
    envs.push(("PORTAL_TEST_POSTGRES", &pg.url));
    let suites = run_postgres_tests(POSTGRES_SUITES, &envs, false);
    let restart = pg.restart_env();
    envs.extend(restart.iter().map(|(k, v)| (*k, v.as_str())));
    let instances = run_postgres_tests(&["instances"], &envs, true);
    suites.and(instances)
}

/// The test binaries `binaries` with `envs`; `alone`: one test at a time.
fn run_postgres_tests(binaries: &[&str], envs: &[(&str, &str)], alone: bool) -> Result {
    if output("cargo", &["nextest", "--version"]).is_some() {
        let filter = binaries
            .iter()
            .map(|b| format!("binary({b})"))
            .collect::<Vec<_>>()
            .join(" | ");
        let mut args = vec![
            "nextest",
            "run",
            "--workspace",
            "--all-features",
            "--no-fail-fast",
            "--status-level",
            "fail",
            "--final-status-level",
            "slow",
            "-E",
            &filter,
        ];
        if alone {
            args.extend(["--test-threads", "1"]);
        }
        run_in(&root(), "cargo", &args, envs)
    } else {
        let mut args = vec![
            "test",
            "--package",
            "portal-api",
            "--all-features",
            "--quiet",
        ];
        for b in binaries {
            args.extend(["--test", b]);
        }
        if alone {
            args.extend(["--", "--test-threads", "1"]);
        }
        run_in(&root(), "cargo", &args, envs)
    }
}

/// `cargo args` with clippy-driver compiling the workspace (see `LINTED_BUILD`).
fn cargo_linted(args: &[&str]) -> Result {
    run_in(&root(), "cargo", args, LINTED_BUILD)
}

/// The app's release build started in the background (see `build_app`), then its compressed copies.
struct AppBuild {
    /// The shell that runs the Trunk builds.
    pid: u32,
    done: std::thread::JoinHandle<Result>,
}

fn spawn_app_build() -> Result<AppBuild> {
    let log = root().join("target/xtask-app-build.log");
    fs::create_dir_all(root().join("target")).map_err(|e| e.to_string())?;
    let file = fs::File::create(&log).map_err(|e| e.to_string())?;
    say(&format!(
        "$ trunk build --release, client then staff (beside the checks; log in {})",
        log.strip_prefix(root()).unwrap_or(&log).display()
    ));
    let script = TRUNK_BUILDS
        .iter()
        .map(|args| format!("trunk {}", args.join(" ")))
        .collect::<Vec<_>>()
        .join(" && ");
    let child = Command::new("sh")
        .args(["-c", &script])
        .current_dir(root())
        .env("PATH", tool_path())
        .env("TRUNK_OFFLINE", "true")
        .env("NO_COLOR", "true")
        .stdout(file.try_clone().map_err(|e| e.to_string())?)
        .stderr(file)
        .spawn()
        .map_err(|e| format!("could not run trunk: {e}"))?;
    let pid = child.id();
    let started = Instant::now();
    // The copies are made as soon as Trunk is done, while the checks may still be running.
    let done = std::thread::spawn(move || -> Result {
        let mut child = child;
        let status = child.wait().map_err(|e| e.to_string())?;
        if !status.success() {
            let text = fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(60).collect();
            eprintln!("{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
            return Err(format!("trunk build --release failed ({status})"));
        }
        finish_app_build(started)
    });
    Ok(AppBuild { pid, done })
}

impl AppBuild {
    fn abort(self) {
        let _ = Command::new("kill").arg(self.pid.to_string()).status();
        let _ = self.done.join();
    }

    fn finish(self) -> Result {
        joined(self.done.join(), "the app build's thread")
    }
}

fn bench(args: &[String]) -> Result {
    match args.first().map(String::as_str) {
        Some("size") => {
            if !app_is_fresh() {
                ensure_build_tools()?;
                build_app()?;
            }
            measure_sizes()
        }
        Some("search") => {
            // Generated articles, 10 000 and 100 000 by default: index build time, memory, and query
            // latency in-process and through the HTTP endpoint (see api-mock/examples/bench_search.rs).
            let mut cargo_args = vec![
                "run",
                "--release",
                "--quiet",
                "--package",
                "portal-api",
                "--example",
                "bench_search",
                "--",
            ];
            cargo_args.extend(args[1..].iter().map(String::as_str));
            run("cargo", &cargo_args)
        }
        Some("crash") => bench_crash(&args[1..]),
        // The backup measurements of api-mock/tests/backup.rs, optimised: 100 000 tickets, and 1 GiB of
        // attachments (BENCH_ATTACHMENT_MB to change it).
        Some("backup") => run(
            "cargo",
            &[
                "test",
                "--release",
                "--quiet",
                "--package",
                "portal-api",
                "--test",
                "backup",
                "--",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
                "measure_",
            ],
        ),
        Some("writes") => bench_writes(&args[1..]),
        Some("reads") => bench_reads(&args[1..]),
        Some("mail") => bench_mail(&args[1..]),
        Some("lighthouse") => bench_lighthouse(&args[1..]),
        _ => Err(
            "usage: cargo xtask bench size | cargo xtask bench search [SIZES, e.g. 10000,100000] [--queries N]\n       \
             | cargo xtask bench crash [--cycles 100] [--clients 4] | cargo xtask bench backup | cargo xtask bench writes [--clients 1,8,32] [--seconds 5]\n       \
             | cargo xtask bench reads [--seconds 10] [--connections 32] [--rate 500] | cargo xtask bench mail [--mails 2000]\n       \
             | cargo xtask bench lighthouse [--runs 3]"
                .into(),
        ),
    }
}

/// The value after `--name` in `args`.
fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

/// The crash test of `cargo xtask test` (api-mock/tests/crash.rs), optimised and with more cycles: SIGKILL
/// under concurrent writes, restart, every acknowledged write there exactly once; prints the figures.
fn bench_crash(args: &[String]) -> Result {
    let cycles = flag(args, "--cycles").unwrap_or("100");
    let clients = flag(args, "--clients").unwrap_or("4");
    for (name, v) in [("--cycles", cycles), ("--clients", clients)] {
        if !matches!(v.parse::<u32>(), Ok(n) if n > 0) {
            return Err(format!("{name} wants a positive number, not {v:?}"));
        }
    }
    run_in(
        &root(),
        "cargo",
        &[
            "test",
            "--release",
            "--quiet",
            "--package",
            "portal-api",
            "--test",
            "crash",
            "--",
            "--nocapture",
        ],
        &[("CRASH_CYCLES", cycles), ("CRASH_CLIENTS", clients)],
    )
}

/// Durable ticket creations per second against the release `portal-api` on a temporary database (see
/// api-mock/examples/bench_writes.rs).
fn bench_writes(args: &[String]) -> Result {
    run(
        "cargo",
        &[
            "build",
            "--release",
            "--quiet",
            "--package",
            "portal-api",
            "--bin",
            "portal-api",
            "--example",
            "bench_writes",
        ],
    )?;
    let release = root().join("target/release");
    let bin = release.join("portal-api");
    // `--postgres`: on a PostgreSQL server started for the run (durable, as a desk runs it).
    let (pg, rest) = on_postgres(args)?;
    let mut bench_args = vec!["--bin", bin.to_str().ok_or("a non-UTF-8 path")?];
    if let Some((_, url)) = &pg {
        bench_args.extend(["--db", url.as_str()]);
    }
    bench_args.extend(rest.iter().map(String::as_str));
    run(
        &release.join("examples/bench_writes").to_string_lossy(),
        &bench_args,
    )
}

/// `args` without `--postgres`, and when it was there a durable PostgreSQL server started with an empty
/// `bench` database (its URL).
#[allow(clippy::type_complexity)]
fn on_postgres(args: &[String]) -> Result<(Option<(postgres::Postgres, String)>, Vec<String>)> {
    let rest: Vec<String> = args
        .iter()
        .filter(|a| *a != "--postgres")
        .cloned()
        .collect();
    if rest.len() == args.len() {
        return Ok((None, rest));
    }
    let pg = postgres::Postgres::start_durable()?;
    let url = pg.create_database("bench")?;
    Ok((Some((pg, url)), rest))
}

/// Notifications per second through the outbox of the release `portal-api` to a local aiosmtpd (see
/// api-mock/examples/bench_mail.rs; aiosmtpd is installed into `.tools/` on first use, as for the tests).
fn bench_mail(args: &[String]) -> Result {
    run(
        "cargo",
        &[
            "build",
            "--release",
            "--quiet",
            "--package",
            "portal-api",
            "--bin",
            "portal-api",
            "--example",
            "bench_mail",
        ],
    )?;
    let release = root().join("target/release");
    let bin = release.join("portal-api");
    let mut bench_args = vec!["--bin", bin.to_str().ok_or("a non-UTF-8 path")?];
    bench_args.extend(args.iter().map(String::as_str));
    run(
        &release.join("examples/bench_mail").to_string_lossy(),
        &bench_args,
    )
}

const OHA_VERSION: &str = "1.16.0";

/// One line of a reads benchmark: what oha measured.
struct Load {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    ok_percent: f64,
}

/// Runs oha with `args` and reads its JSON summary.
fn oha(args: &[String]) -> Result<Load> {
    let out = Command::new("oha")
        .args(["--no-tui", "--output-format", "json"])
        .args(args)
        .env("PATH", tool_path())
        .output()
        .map_err(|e| format!("could not run oha: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "oha {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("oha's JSON: {e}"))?;
    let f = |p: &str| {
        v.pointer(p)
            .and_then(serde_json::Value::as_f64)
            .unwrap_or(0.0)
    };
    let codes = v
        .get("statusCodeDistribution")
        .and_then(serde_json::Value::as_object);
    let (mut good, mut all) = (0.0, 0.0);
    for (code, n) in codes.into_iter().flatten() {
        let n = n.as_f64().unwrap_or(0.0);
        all += n;
        if code.starts_with('2') || code == "304" {
            good += n;
        }
    }
    Ok(Load {
        rps: f("/summary/requestsPerSec"),
        p50_ms: f("/latencyPercentiles/p50") * 1000.0,
        p99_ms: f("/latencyPercentiles/p99") * 1000.0,
        ok_percent: if all > 0.0 { 100.0 * good / all } else { 0.0 },
    })
}

/// A request on a fresh connection with std only; answers the status line's code, the headers and the body.
fn http_once(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<(u16, String, String)> {
    use std::io::Read;
    let mut conn =
        std::net::TcpStream::connect(addr).map_err(|e| format!("connecting to {addr}: {e}"))?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    conn.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    let mut answer = String::new();
    conn.read_to_string(&mut answer)
        .map_err(|e| e.to_string())?;
    let (head, rest) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, head.to_string(), rest.to_string()))
}

/// The release server on a fresh demo database, loaded by oha: each route alone with N connections, then a
/// mix at a fixed rate (80% article and search reads, 15% ticket reads as a signed-in client, 5% ticket
/// creations).
fn bench_reads(args: &[String]) -> Result {
    let seconds = flag(args, "--seconds").unwrap_or("10");
    let connections = flag(args, "--connections").unwrap_or("32");
    let rate: f64 = flag(args, "--rate")
        .unwrap_or("500")
        .parse()
        .map_err(|_| "--rate wants a number of requests per second")?;
    if !output("oha", &["--version"]).is_some_and(|v| v.contains(OHA_VERSION)) {
        say(&format!(
            "installing oha {OHA_VERSION} from crates.io (the HTTP load generator; a few minutes the first time)"
        ));
        run(
            "cargo",
            &["install", "oha", "--version", OHA_VERSION, "--locked"],
        )?;
    }
    // `--postgres [--instances N]`: N servers on one PostgreSQL database, each route's load spread over
    // them as a load balancer would (one oha per server, its share of the connections and the rate).
    let (pg, rest) = on_postgres(args)?;
    let instances: usize = flag(&rest, "--instances")
        .unwrap_or("1")
        .parse()
        .map_err(|_| "--instances wants a number")?;
    if instances > 1 && pg.is_none() {
        return Err("--instances wants --postgres: one server owns a SQLite database".into());
    }
    let db = pg.as_ref().map(|(_, url)| url.as_str());
    let mut others = Vec::new();
    let server = DemoServer::start_on("reads", db)?;
    for i in 1..instances.max(1) {
        others.push(DemoServer::start_on(&format!("reads{i}"), db)?);
    }
    let bases: Vec<String> = std::iter::once(&server)
        .chain(&others)
        .map(|s| format!("http://{}", s.addr))
        .collect();
    match &pg {
        Some(_) => say(&format!(
            "on PostgreSQL (durable), {instances} server{}",
            if instances == 1 { "" } else { "s" }
        )),
        None => say("on SQLite"),
    }
    let addr = server.addr.clone();
    let result = (|| -> Result {
        let cookie = server.sign_in("rui@mercadobompreco.demo")?;
        let cookie_header = format!("Cookie: {cookie}");
        let (_, _, body) = http_once(
            &addr,
            "GET",
            "/api/v1/tickets?per_page=1",
            &[("Cookie", &cookie)],
            "",
        )?;
        let ticket = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.pointer("/items/0/id").and_then(serde_json::Value::as_i64))
            .ok_or("the demo client has no ticket to read")?;
        let slug = server.first_article_slug()?;
        let asset = |ext: &str| {
            dist_assets("dist").ok().and_then(|files| {
                files
                    .iter()
                    .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
                    .find(|n| n.ends_with(ext))
            })
        };
        let base = format!("http://{addr}");
        let article = format!("{base}/api/v1/kb/articles/{slug}");
        let search = format!("{base}/api/v1/kb/search?q=nota%20fiscal");
        let mut routes: Vec<(String, String, Vec<String>)> = vec![
            ("GET /healthz".into(), format!("{base}/healthz"), vec![]),
            (
                "GET /kb/articles/{slug}".to_string(),
                article.clone(),
                vec![],
            ),
            (
                "GET /kb/search?q=nota fiscal".into(),
                search.clone(),
                vec![],
            ),
            (
                "GET /kb/categories".into(),
                format!("{base}/api/v1/kb/categories"),
                vec![],
            ),
            (
                "GET /announcements".into(),
                format!("{base}/api/v1/announcements"),
                vec![],
            ),
            (
                "GET /tickets/{id} (client)".into(),
                format!("{base}/api/v1/tickets/{ticket}"),
                vec!["-H".into(), cookie_header.clone()],
            ),
            (
                "GET / (index.html, br)".into(),
                format!("{base}/"),
                vec!["-H".into(), "Accept-Encoding: br".into()],
            ),
        ];
        for ext in [".css", "_bg.wasm"] {
            if let Some(name) = asset(ext) {
                routes.push((
                    format!("GET /{name} (br)"),
                    format!("{base}/{name}"),
                    vec!["-H".into(), "Accept-Encoding: br".into()],
                ));
            }
        }
        println!(
            "\nEach route alone: {connections} connections for {seconds} s (oha {OHA_VERSION}, release portal-api, demo data)"
        );
        println!(
            "{:<44} {:>10} {:>9} {:>9} {:>6}",
            "route", "req/s", "p50 ms", "p99 ms", "ok %"
        );
        for (name, url, extra) in &routes {
            let mut a: Vec<String> = vec![
                "-z".into(),
                format!("{seconds}s"),
                "-c".into(),
                connections.to_string(),
            ];
            a.extend(extra.iter().cloned());
            a.push(url.clone());
            let l = oha_spread(&a, &bases)?;
            println!(
                "{name:<44} {:>10.0} {:>9.2} {:>9.2} {:>6.1}",
                l.rps, l.p50_ms, l.p99_ms, l.ok_percent
            );
        }
        // The mix: one oha per kind of request, all at once, each at its share of the rate.
        let new_ticket = r#"{"subject":"Impressora fiscal não imprime","description":"Desde a troca da bobina a impressora do caixa 2 não imprime o cupom."}"#;
        let mix: Vec<(&str, f64, Vec<String>)> = vec![
            ("GET /kb/articles/{slug}", 0.40, vec![article.clone()]),
            ("GET /kb/search", 0.40, vec![search.clone()]),
            (
                "GET /tickets/{id} (client)",
                0.15,
                vec![
                    "-H".into(),
                    cookie_header.clone(),
                    format!("{base}/api/v1/tickets/{ticket}"),
                ],
            ),
            (
                "POST /tickets (client)",
                0.05,
                vec![
                    "-m".into(),
                    "POST".into(),
                    "-H".into(),
                    cookie_header.clone(),
                    "-T".into(),
                    "application/json".into(),
                    "-d".into(),
                    new_ticket.into(),
                    format!("{base}/api/v1/tickets"),
                ],
            ),
        ];
        println!(
            "\nMixed: {rate:.0} requests/s in all for {seconds} s (80% article and search reads, 15% ticket reads, 5% ticket creations)"
        );
        println!(
            "{:<44} {:>10} {:>9} {:>9} {:>6}",
            "route", "req/s", "p50 ms", "p99 ms", "ok %"
        );
        let handles: Vec<_> = mix
            .into_iter()
            .map(|(name, share, extra)| {
                let mut a: Vec<String> = vec![
                    "-z".into(),
                    format!("{seconds}s"),
                    "-c".into(),
                    "8".into(),
                    "-q".into(),
                    format!("{:.0}", (rate * share).max(1.0)),
                    "--latency-correction".into(),
                ];
                a.extend(extra);
                let bases = bases.clone();
                (name, std::thread::spawn(move || oha_spread(&a, &bases)))
            })
            .collect();
        for (name, handle) in handles {
            let l = handle.join().map_err(|_| "an oha thread panicked")??;
            println!(
                "{name:<44} {:>10.0} {:>9.2} {:>9.2} {:>6.1}",
                l.rps, l.p50_ms, l.p99_ms, l.ok_percent
            );
        }
        Ok(())
    })();
    drop(others);
    drop(server);
    result
}

/// oha with `args` (written for the first of `bases`) against each server at once, each with its share
/// of the connections (`-c`) and the rate (`-q`); the figures summed (rates) or the worst (latencies).
fn oha_spread(args: &[String], bases: &[String]) -> Result<Load> {
    if bases.len() < 2 {
        return oha(args);
    }
    let n = bases.len();
    let handles: Vec<_> = bases
        .iter()
        .map(|base| {
            let mut a: Vec<String> = args.iter().map(|x| x.replace(&bases[0], base)).collect();
            for flag in ["-c", "-q"] {
                if let Some(i) = a.iter().position(|x| x == flag)
                    && let Some(v) = a.get(i + 1).and_then(|v| v.parse::<f64>().ok())
                {
                    a[i + 1] = format!("{:.0}", (v / n as f64).max(1.0));
                }
            }
            std::thread::spawn(move || oha(&a))
        })
        .collect();
    let mut all = Vec::new();
    for h in handles {
        all.push(h.join().map_err(|_| "an oha thread panicked")??);
    }
    let rps: f64 = all.iter().map(|l| l.rps).sum();
    Ok(Load {
        rps,
        p50_ms: all.iter().map(|l| l.p50_ms).fold(0.0, f64::max),
        p99_ms: all.iter().map(|l| l.p99_ms).fold(0.0, f64::max),
        ok_percent: all.iter().map(|l| l.ok_percent * l.rps).sum::<f64>()
            / rps.max(f64::MIN_POSITIVE),
    })
}

/// Lighthouse from npm, pinned; installed into `.tools/` on first use. It drives Debian's Chromium.
const LIGHTHOUSE_VERSION: &str = "12.8.2";

/// A command-line tool from npm at a pinned version, installed once into `.tools/<package>-<version>/`;
/// answers the path of its `bin`.
fn npm_tool(package: &str, version: &str, bin: &str) -> Result<PathBuf> {
    let tools = root().join(format!(".tools/{package}-{version}"));
    let path = tools.join("node_modules/.bin").join(bin);
    if !path.exists() {
        say(&format!(
            "installing {package} {version} from npm into {}",
            tools.display()
        ));
        fs::create_dir_all(&tools).map_err(|e| e.to_string())?;
        run_in(
            &tools,
            "npm",
            &[
                "install",
                "--no-audit",
                "--no-fund",
                "--no-save",
                &format!("{package}@{version}"),
            ],
            &[],
        )?;
    }
    Ok(path)
}

/// Lighthouse in its default mobile mode (a mid-range phone on a slow 4G link, simulated) against the
/// release server on a fresh demo database: the home page and an article as a reader who is not signed
/// in, the new-ticket page as a signed-in client; `--runs` each (3), the medians printed.
fn bench_lighthouse(args: &[String]) -> Result {
    let runs: usize = flag(args, "--runs")
        .unwrap_or("3")
        .parse()
        .ok()
        .filter(|&n| n > 0)
        .ok_or("--runs wants a number above 0")?;
    let bin = npm_tool("lighthouse", LIGHTHOUSE_VERSION, "lighthouse")?;
    ensure_browser_tools()?;
    let server = DemoServer::start("lighthouse")?;
    let base = format!("http://{}", server.addr);
    let slug = server.first_article_slug()?;
    let client = server.sign_in("rui@mercadobompreco.demo")?;
    let pages = [
        ("home", format!("{base}/"), None),
        ("article", format!("{base}/kb/{slug}"), None),
        (
            "new ticket (client)",
            format!("{base}/tickets/new"),
            Some(client),
        ),
    ];
    let out = server.dir.join("lighthouse.json");
    println!(
        "{:<22} {:>11} {:>13} {:>8} {:>7} {:>7}   (medians of {runs} runs, Lighthouse {LIGHTHOUSE_VERSION} mobile)",
        "page", "performance", "accessibility", "LCP ms", "CLS", "TBT ms"
    );
    for (name, url, cookie) in pages {
        let mut scores: Vec<[f64; 5]> = Vec::new();
        for _ in 0..runs {
            let mut cmd = Command::new(&bin);
            cmd.arg(&url)
                .args([
                    "--quiet",
                    "--output=json",
                    "--only-categories=performance,accessibility",
                    "--chrome-path=/usr/bin/chromium",
                    "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --disable-background-networking --disable-component-update --disable-sync --disable-quic",
                ])
                .arg(format!("--output-path={}", out.display()));
            if let Some(c) = &cookie {
                cmd.arg(format!(
                    "--extra-headers={}",
                    serde_json::json!({ "Cookie": c })
                ));
            }
            let status = cmd
                .status()
                .map_err(|e| format!("running lighthouse: {e}"))?;
            if !status.success() {
                return Err(format!("lighthouse failed on {url} ({status})"));
            }
            let report: serde_json::Value = serde_json::from_slice(
                &fs::read(&out).map_err(|e| format!("reading the report: {e}"))?,
            )
            .map_err(|e| format!("reading the report: {e}"))?;
            let num = |pointer: &str| report.pointer(pointer).and_then(serde_json::Value::as_f64);
            scores.push([
                num("/categories/performance/score").unwrap_or(f64::NAN),
                num("/categories/accessibility/score").unwrap_or(f64::NAN),
                num("/audits/largest-contentful-paint/numericValue").unwrap_or(f64::NAN),
                num("/audits/cumulative-layout-shift/numericValue").unwrap_or(f64::NAN),
                num("/audits/total-blocking-time/numericValue").unwrap_or(f64::NAN),
            ]);
        }
        let median = |i: usize| {
            let mut v: Vec<f64> = scores.iter().map(|s| s[i]).collect();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        println!(
            "{name:<22} {:>11.2} {:>13.2} {:>8.0} {:>7.3} {:>7.0}",
            median(0),
            median(1),
            median(2),
            median(3),
            median(4)
        );
    }
    Ok(())
}

/// The release `portal-api` on a fresh demo database in a temporary directory, serving the built app, on
/// a free loopback port; stopped (and its directory removed) when dropped.
struct DemoServer {
    child: std::process::Child,
    addr: String,
    dir: PathBuf,
}

impl DemoServer {
    /// Builds what is stale (the app, the release server) first.
    fn start(name: &str) -> Result<Self> {
        Self::start_on(name, None)
    }

    /// [`DemoServer::start`] on `db` (a PostgreSQL URL) instead of a new SQLite file.
    fn start_on(name: &str, db: Option<&str>) -> Result<Self> {
        if !app_is_fresh() {
            ensure_build_tools()?;
            build_app()?;
        }
        run(
            "cargo",
            &["build", "--release", "--quiet", "--package", "portal-api"],
        )?;
        let dir = env::temp_dir().join(format!("portal-bench-{name}-{}", std::process::id()));
        let db = db.map_or_else(|| dir.join("portal.db"), PathBuf::from);
        fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let addr = format!("127.0.0.1:{port}");
        let child = Command::new(root().join("target/release/portal-api"))
            .args(["serve", "--demo", "--addr", &addr, "--dist"])
            .arg(root().join("dist"))
            .arg("--db")
            .arg(&db)
            .arg("--data-dir")
            .arg(dir.join("data"))
            .env("RUST_LOG", "warn")
            .spawn()
            .map_err(|e| format!("starting portal-api: {e}"))?;
        let server = Self { child, addr, dir };
        let started = Instant::now();
        while http_once(&server.addr, "GET", "/healthz", &[], "").map(|r| r.0) != Ok(200) {
            if started.elapsed().as_secs() > 60 {
                return Err("portal-api did not answer /healthz within 60 s".into());
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Ok(server)
    }

    /// The slug of the first published article.
    fn first_article_slug(&self) -> Result<String> {
        let (_, _, body) = http_once(&self.addr, "GET", "/api/v1/kb/articles?per_page=1", &[], "")?;
        serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| {
                v.pointer("/items/0/slug")
                    .and_then(|s| s.as_str().map(str::to_string))
            })
            .ok_or_else(|| "the demo has no article".to_string())
    }

    /// Signs a demo user in; answers the session cookie (`name=value`).
    fn sign_in(&self, email: &str) -> Result<String> {
        let body = format!(r#"{{"email":"{email}","password":"demo-portal-2026"}}"#);
        let json = [("Content-Type", "application/json")];
        let (status, head, _) = http_once(&self.addr, "POST", "/api/v1/auth/login", &json, &body)?;
        head.lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("set-cookie")
                    .then(|| value.trim().split(';').next().unwrap_or("").to_string())
            })
            .ok_or(format!(
                "signing in {email} answered {status} without a cookie"
            ))
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The `st` command of the pinned schemathesis, installed into a virtual environment on first use.
fn ensure_schemathesis() -> Result<PathBuf> {
    let venv = root()
        .join(".tools")
        .join(format!("schemathesis-{SCHEMATHESIS_VERSION}"));
    let st = venv.join("bin/st");
    if st.is_file() {
        return Ok(st);
    }
    say(&format!(
        "installing schemathesis {SCHEMATHESIS_VERSION} from PyPI into {} (API fuzzing: `cargo xtask schemathesis`)",
        venv.display()
    ));
    // Debian's python3 makes virtual environments only with python3-venv (ensurepip) installed.
    if output("python3", &["-c", "import ensurepip"]).is_none() {
        say("installing Debian's python3-venv (schemathesis runs in a virtual environment)");
        apt_install(&["python3-venv"])?;
    }
    let venv_arg = venv.to_string_lossy().to_string();
    run("python3", &["-m", "venv", &venv_arg])?;
    let pip = venv.join("bin/pip").to_string_lossy().to_string();
    run(
        &pip,
        &[
            "install",
            "--quiet",
            &format!("schemathesis=={SCHEMATHESIS_VERSION}"),
        ],
    )?;
    Ok(st)
}

/// A minimal HTTP/1.1 exchange on loopback (the xtask has no HTTP client): the status line's code, the
/// headers and the body.
fn http(port: u16, method: &str, path: &str, body: Option<&str>) -> Result<(u16, String)> {
    use std::io::Read;
    let mut stream =
        std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    let body = body.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|e| e.to_string())?;
    let code = answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer: {answer}"))?;
    Ok((code, answer))
}

/// The roles schemathesis runs as: the name, and the demo account to sign in (none: anonymous).
const SCHEMATHESIS_ROLES: [(&str, Option<&str>); 3] = [
    ("anonymous", None),
    ("client", Some("ana@mercadobompreco.demo")),
    ("staff", Some("carla@suporte.demo")),
];

/// `cargo xtask schemathesis [--role anonymous|client|staff] [--logs] [-- more st run options]`: the run
/// of `cargo xtask test`, for one role or all, optionally narrowed; its output on the terminal, or with
/// `--logs` in `target/schemathesis/ROLE.log` as in `cargo xtask test` (only the failures shown).
fn schemathesis_command(args: &[String]) -> Result {
    let (ours, extra) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], &args[i + 1..]),
        None => (args, &[][..]),
    };
    let roles: Vec<&str> = match flag(ours, "--role") {
        Some(role) if SCHEMATHESIS_ROLES.iter().any(|(r, _)| *r == role) => vec![role],
        Some(role) => return Err(format!("unknown role {role}: anonymous, client or staff")),
        None => SCHEMATHESIS_ROLES.iter().map(|(r, _)| *r).collect(),
    };
    let st = ensure_schemathesis()?;
    run("cargo", &["build", "--quiet", "--package", "portal-api"])?;
    run_schemathesis(&st, &roles, extra, ours.iter().any(|a| a == "--logs"))
}

/// Fuzzes the API of a debug `portal-api --demo` (already built) on a free loopback port, with its own
/// database in `target/schemathesis/`, from its own OpenAPI document, with every check, in each role;
/// fails on any failure. `to_files`: each role's report goes to `target/schemathesis/ROLE.log` (and the
/// failures of a failed role to the terminal), so that it can run beside the browser tests.
fn run_schemathesis(st: &Path, roles: &[&str], extra: &[String], to_files: bool) -> Result {
    let started = Instant::now();
    let dir = root().join("target/schemathesis");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let addr = format!("127.0.0.1:{port}");
    let db = dir.join("portal.db");
    say(&format!(
        "schemathesis: starting portal-api --demo on {addr}"
    ));
    let mut server = Command::new(root().join("target/debug/portal-api"))
        .args(["serve", "--addr", &addr, "--demo", "--db"])
        .arg(&db)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(
            fs::File::create(dir.join("server.log"))
                .map(Stdio::from)
                .unwrap_or_else(|_| Stdio::null()),
        )
        .spawn()
        .map_err(|e| format!("starting portal-api: {e}"))?;
    let result = (|| -> Result<Vec<String>> {
        let deadline = Instant::now() + std::time::Duration::from_secs(60);
        while http(port, "GET", "/healthz", None).map(|(c, _)| c) != Ok(200) {
            if Instant::now() > deadline {
                return Err("portal-api did not answer /healthz within 60 s".into());
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        let cookie = |email: &str| -> Result<String> {
            let body = format!(r#"{{"email":"{email}","password":"demo-portal-2026"}}"#);
            let (code, answer) = http(port, "POST", "/api/v1/auth/login", Some(&body))?;
            if code != 200 {
                return Err(format!("signing in {email}: {code}"));
            }
            answer
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("set-cookie")
                        .then(|| value.trim().split(';').next().unwrap_or("").to_string())
                })
                .ok_or_else(|| "no session cookie".to_string())
        };
        // The base URL comes from the document's `servers` (`/api/v1`, resolved against the document's
        // address), not from `--url`: that would also replace the `/` of `GET /metrics`, which is served
        // outside `/api/v1`.
        let schema = format!("http://{addr}/api/v1/openapi.json");
        let config = root().join("xtask/schemathesis.toml");
        let mut failed = Vec::new();
        for (role, account) in SCHEMATHESIS_ROLES {
            if !roles.contains(&role) {
                continue;
            }
            let role_started = Instant::now();
            let report = dir.join(format!("{role}.junit.xml"));
            let mut args = vec![
                "--config-file".to_string(),
                config.to_string_lossy().to_string(),
                "run".to_string(),
                schema.clone(),
                "--checks".into(),
                "all".into(),
                // No DELETE of this API erases anything: `DELETE /kb/articles/{id}` archives ("never
                // erased; it can be published again", its revisions stay readable by staff) and
                // `DELETE /announcements/{id}` ends one (the record stays), so the 404 after a DELETE
                // that use_after_free expects would be wrong. (Given in the configuration file instead,
                // `--checks all` overrides it.)
                "--exclude-checks".into(),
                "use_after_free".into(),
                "--max-examples".into(),
                SCHEMATHESIS_EXAMPLES.into(),
                "--seed".into(),
                "19".into(),
                "--no-shrink".into(),
                "--no-color".into(),
                // One worker: with two, hypothesis on CPython 3.11 sometimes fails inside itself ("AST
                // constructor recursion depth mismatch").
                "--workers".into(),
                "1".into(),
                "--report".into(),
                "junit".into(),
                "--report-junit-path".into(),
                report.to_string_lossy().to_string(),
                // Signing out would end the session the rest of the run signs in with.
                "--exclude-path".into(),
                "/auth/logout".into(),
            ];
            // The portal sends JSON's type on every request, bodyless ones too: the server refuses a
            // mutating request without it (415, the rule against cross-site forms).
            args.push("--header".into());
            args.push("Content-Type: application/json".into());
            if let Some(email) = account {
                args.push("--header".into());
                args.push(format!("Cookie: {}", cookie(email)?));
            }
            args.extend(extra.iter().cloned());
            let ok = if to_files {
                let log = dir.join(format!("{role}.log"));
                let file = fs::File::create(&log).map_err(|e| e.to_string())?;
                let status = Command::new(st)
                    .args(&args)
                    .current_dir(&dir)
                    .stdout(file.try_clone().map_err(|e| e.to_string())?)
                    .stderr(file)
                    .status()
                    .map_err(|e| format!("could not run schemathesis: {e}"))?;
                if !status.success() {
                    let text = fs::read_to_string(&log).unwrap_or_default();
                    let from = text
                        .find("= FAILURES =")
                        .map_or(0, |i| text[..i].rfind('\n').map_or(0, |j| j + 1));
                    eprintln!("{}", &text[from..]);
                }
                status.success()
            } else {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                run_in(&dir, &st.to_string_lossy(), &args, &[]).is_ok()
            };
            say(&format!(
                "schemathesis as {role}: {} in {:.0?}",
                if ok { "0 failures" } else { "FAILED" },
                role_started.elapsed()
            ));
            if !ok {
                failed.push(role.to_string());
            }
        }
        Ok(failed)
    })();
    let _ = server.kill();
    let _ = server.wait();
    let failed = result?;
    if failed.is_empty() {
        say(&format!(
            "schemathesis: 0 failures as {} ({:.0?})",
            roles.join(", "),
            started.elapsed()
        ));
        Ok(())
    } else {
        Err(format!(
            "schemathesis found failures as {} (reports in {})",
            failed.join(", "),
            dir.display()
        ))
    }
}
