//! `portal-api ticket ...`: the command line opens and answers tickets through the same rules as the
//! portal (`portal_api::policy`), so what a client may not do in the portal they may not do here either.

use std::{path::Path, process::Command};

use portal_api::{db, demo, repo::Repo};

const BIN: &str = env!("CARGO_BIN_EXE_portal-api");

fn portal(db: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN)
        .args(args)
        .arg("--db")
        .arg(db)
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// A database with the demo data, in a temporary directory (kept while the answer lives).
async fn demo_database() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("portal.db");
    let pool = db::open(&path).await.unwrap();
    let repo = Repo::new(pool.clone());
    assert!(demo::seed(&repo).await.unwrap());
    pool.close().await;
    (dir, path)
}

#[tokio::test]
async fn the_command_line_opens_and_answers_tickets_under_the_portals_rules() {
    let (_dir, path) = demo_database().await;

    // A client opens their own ticket.
    let (ok, out) = portal(
        &path,
        &[
            "ticket",
            "open",
            "--as",
            "rui@mercadobompreco.demo",
            "--subject",
            "Impressora fiscal não imprime",
            "--description",
            "Desde hoje cedo o cupom sai em branco.",
        ],
    );
    assert!(ok, "{out}");
    let id: i64 = out
        .trim()
        .strip_prefix("opened ticket #")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{out}"));

    // ...but not one on a colleague's behalf, nor by phone: only staff log those.
    let (ok, out) = portal(
        &path,
        &[
            "ticket",
            "open",
            "--as",
            "rui@mercadobompreco.demo",
            "--requester",
            "ana@mercadobompreco.demo",
            "--channel",
            "phone",
            "--subject",
            "x",
            "--description",
            "y",
        ],
    );
    assert!(!ok);
    assert!(
        out.contains("requester_id") && out.contains("channel"),
        "{out}"
    );

    // Staff log a phone ticket for a client; without saying for whom, it is refused.
    let (ok, out) = portal(
        &path,
        &[
            "ticket",
            "open",
            "--as",
            "carla@suporte.demo",
            "--requester",
            "ana@mercadobompreco.demo",
            "--channel",
            "phone",
            "--priority",
            "high",
            "--subject",
            "Balança sem comunicação",
            "--description",
            "Ligou às 9h.",
        ],
    );
    assert!(ok, "{out}");
    let (ok, out) = portal(
        &path,
        &[
            "ticket",
            "open",
            "--as",
            "carla@suporte.demo",
            "--subject",
            "x",
            "--description",
            "y",
        ],
    );
    assert!(!ok && out.contains("requester_id"), "{out}");

    // A client may not write an internal note, nor reach another organization's ticket.
    let ticket = id.to_string();
    let (ok, out) = portal(
        &path,
        &[
            "ticket",
            "reply",
            "--as",
            "rui@mercadobompreco.demo",
            "--ticket",
            &ticket,
            "--body",
            "x",
            "--internal",
        ],
    );
    assert!(!ok && out.contains("may not"), "{out}");
    let (ok, out) = portal(
        &path,
        &[
            "ticket",
            "reply",
            "--as",
            "bruno@petfeliz.demo",
            "--ticket",
            &ticket,
            "--body",
            "Posso ver?",
        ],
    );
    assert!(!ok && out.contains("no such ticket"), "{out}");

    // An agent's reply moves the ticket to pending, as in the portal.
    let (ok, out) = portal(
        &path,
        &[
            "ticket",
            "reply",
            "--as",
            "carla@suporte.demo",
            "--ticket",
            &ticket,
            "--body",
            "Troque a bobina, por favor.",
        ],
    );
    assert!(ok, "{out}");
    let pool = db::open(&path).await.unwrap();
    let repo = Repo::new(pool.clone());
    let t = repo.ticket(id, true).await.unwrap().unwrap();
    assert_eq!(t.status, api_types::TicketStatus::Pending);
    assert!(
        t.events.iter().any(|e| e
            .body_html
            .as_deref()
            .is_some_and(|h| h.contains("Troque a bobina"))),
        "{:?}",
        t.events
    );
    pool.close().await;
}

#[tokio::test]
async fn mail_files_are_imported_once_each_under_the_rules_of_the_mailbox() {
    let (dir, path) = demo_database().await;
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
    let known = format!("{corpus}/gmail_new.eml");
    let unknown = format!("{corpus}/unknown.eml");
    let (ok, out) = portal(&path, &["mail", "import", &known, &unknown]);
    assert!(ok, "{out}");
    assert!(out.contains("gmail_new.eml: ticket"), "{out}");
    assert!(out.contains("unknown.eml: review"), "{out}");
    // The same file again is not a second ticket; nor is it from standard input.
    let (ok, out) = portal(&path, &["mail", "import", &known]);
    assert!(ok && out.contains("handled before"), "{out}");
    let again = Command::new(BIN)
        .args(["mail", "import", "-", "--db"])
        .arg(&path)
        .stdin(std::fs::File::open(&known).unwrap())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("-: handled before"));

    let pool = db::open(&path).await.unwrap();
    let by_mail: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM tickets WHERE channel = 'email' AND subject = 'Emissão de nota fiscal travada'",
    )
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(by_mail, 1);
    let waiting: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM inbound_review WHERE status = 'pending'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(waiting, 1);
    // A file that is no mail is said so, and the command goes on.
    let junk = dir.path().join("junk.eml");
    std::fs::write(&junk, b"\x00\x01 not a mail").unwrap();
    let (ok, out) = portal(&path, &["mail", "import", junk.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(out.contains("junk.eml: invalid"), "{out}");
}

#[tokio::test]
async fn user_add_invite_makes_an_invited_account_and_writes_its_invitation() {
    let (_dir, path) = demo_database().await;
    let (ok, out) = portal(
        &path,
        &[
            "user",
            "add",
            "--invite",
            "--email",
            "nova@mercadobompreco.demo",
            "--name",
            "Nova Cliente",
            "--role",
            "client",
            "--organization",
            "Mercado Bom Preço",
        ],
    );
    assert!(ok, "{out}");
    assert!(out.contains("invited user"), "{out}");
    let (ok, list) = portal(&path, &["user", "list"]);
    assert!(ok, "{list}");
    let line = list
        .lines()
        .find(|l| l.contains("nova@mercadobompreco.demo"))
        .unwrap_or_else(|| panic!("{list}"));
    assert!(line.ends_with("invited"), "{line}");
    let pool = db::open(&path).await.unwrap();
    let kinds: Vec<String> = sqlx::query_scalar(
        "SELECT ob.kind FROM outbox ob JOIN users u ON u.id = ob.recipient_id \
         WHERE u.email = 'nova@mercadobompreco.demo'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(kinds, ["invitation"]);
    // Taken already: refused as the portal refuses it.
    let (ok, out) = portal(
        &path,
        &[
            "user",
            "add",
            "--invite",
            "--email",
            "nova@mercadobompreco.demo",
            "--name",
            "Nova",
            "--role",
            "agent",
        ],
    );
    assert!(!ok, "{out}");
}
