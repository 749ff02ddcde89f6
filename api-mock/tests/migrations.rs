//! Migrations that rebuild a table keep what was written under the old schema.

use std::path::Path;

use portal_api::db;
use sqlx::{Row, SqlitePool, migrate::Migrator, sqlite::SqliteConnectOptions};

/// A database migrated up to (not including) `version`, from a copy of the earlier migration files.
async fn migrated_before(dir: &Path, version: i64) -> SqlitePool {
    let earlier = dir.join("migrations");
    std::fs::create_dir_all(&earlier).unwrap();
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let n: i64 = name.split('_').next().unwrap().parse().unwrap();
        if n < version {
            std::fs::copy(&path, earlier.join(name)).unwrap();
        }
    }
    let options = SqliteConnectOptions::new()
        .filename(dir.join("portal.db"))
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = SqlitePool::connect_with(options).await.unwrap();
    Migrator::new(earlier)
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    pool
}

#[tokio::test]
async fn the_event_kinds_rebuild_keeps_every_event_and_the_keys_pointing_at_them() {
    let tmp = tempfile::tempdir().unwrap();
    let old = migrated_before(tmp.path(), 8).await;
    sqlx::raw_sql(
        "INSERT INTO organizations (id, name, created_at) VALUES (1, 'Mercado', 0);
         INSERT INTO users (id, email, name, role, organization_id, org_role, password_hash, locale, created_at)
           VALUES (1, 'rui@example.com', 'Rui', 'client', 1, 'member', 'x', 'pt-BR', 0),
                  (2, 'carla@example.com', 'Carla', 'agent', NULL, NULL, 'x', 'pt-BR', 0);
         INSERT INTO tickets (id, subject, description_md, description_html, status, priority, channel,
             requester_id, organization_id, created_by, created_at, updated_at, staff_updated_at,
             first_response_due_at, resolution_due_at, search_text)
           VALUES (7, 'Balança', 'd', '<p>d</p>', 'pending', 'normal', 'portal', 1, 1, 1, 0, 0, 0, 1, 2, 'balanca');
         INSERT INTO ticket_events (id, ticket_id, kind, author_id, body_md, body_html, search_text, created_at)
           VALUES (40, 7, 'message', 2, 'Olá', '<p>Olá</p>', 'ola', 1);
         INSERT INTO ticket_events (id, ticket_id, kind, author_id, from_status, to_status, created_at)
           VALUES (41, 7, 'status_change', 2, 'open', 'pending', 1);
         INSERT INTO idempotency_keys (user_id, key, request_hash, ticket_id, event_id, created_at)
           VALUES (2, 'k1', x'00', 7, 40, 1);",
    )
    .execute(&old)
    .await
    .unwrap();
    old.close().await;

    // The server's own opening runs what is left (0008 and later).
    let pool = db::open(&tmp.path().join("portal.db")).await.unwrap();
    let events = sqlx::query("SELECT id, kind, body_md, to_status FROM ticket_events ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    let got: Vec<(i64, String, Option<String>, Option<String>)> = events
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(
        got,
        vec![
            (40, "message".into(), Some("Olá".into()), None),
            (41, "status_change".into(), None, Some("pending".into())),
        ]
    );
    let key: i64 = sqlx::query_scalar("SELECT event_id FROM idempotency_keys WHERE key = 'k1'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(key, 40);
    // The keys refer to the new table (a key to a missing event is refused), and nothing to the old one.
    let schema: String =
        sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE name = 'idempotency_keys'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(schema.contains("REFERENCES ticket_events(id)"), "{schema}");
    let missing = sqlx::query(
        "INSERT INTO idempotency_keys (user_id, key, request_hash, event_id, created_at) VALUES (2, 'k2', x'00', 999, 1)",
    )
    .execute(&pool)
    .await;
    assert!(missing.is_err());
    let violations = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(violations.is_empty());
    // The new kinds are accepted, and their shape checked.
    sqlx::query(
        "INSERT INTO ticket_events (ticket_id, kind, author_id, from_priority, to_priority, created_at) \
         VALUES (7, 'priority_change', 2, 'normal', 'high', 2)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let shapeless = sqlx::query(
        "INSERT INTO ticket_events (ticket_id, kind, author_id, created_at) VALUES (7, 'priority_change', 2, 2)",
    )
    .execute(&pool)
    .await;
    assert!(shapeless.is_err());
}

#[tokio::test]
async fn the_outbox_rebuild_keeps_events_keys_and_attachments_pointing_at_them() {
    let tmp = tempfile::tempdir().unwrap();
    let old = migrated_before(tmp.path(), 10).await;
    sqlx::raw_sql(
        "INSERT INTO organizations (id, name, created_at) VALUES (1, 'Mercado', 0);
         INSERT INTO users (id, email, name, role, organization_id, org_role, password_hash, locale, created_at)
           VALUES (1, 'rui@example.com', 'Rui', 'client', 1, 'member', 'x', 'pt-BR', 0),
                  (2, 'carla@example.com', 'Carla', 'agent', NULL, NULL, 'x', 'pt-BR', 0);
         INSERT INTO tickets (id, subject, description_md, description_html, status, priority, channel,
             requester_id, organization_id, created_by, created_at, updated_at, staff_updated_at,
             first_response_due_at, resolution_due_at, search_text)
           VALUES (7, 'Balança', 'd', '<p>d</p>', 'pending', 'normal', 'portal', 1, 1, 1, 0, 0, 0, 1, 2, 'balanca');
         INSERT INTO ticket_events (id, ticket_id, kind, author_id, body_md, body_html, search_text, created_at)
           VALUES (40, 7, 'message', 2, 'Olá', '<p>Olá</p>', 'ola', 1);
         INSERT INTO ticket_events (id, ticket_id, kind, author_id, assignee_id, created_at)
           VALUES (41, 7, 'assignment', 2, 2, 1);
         INSERT INTO idempotency_keys (user_id, key, request_hash, ticket_id, event_id, created_at)
           VALUES (2, 'k1', x'00', 7, 40, 1);
         INSERT INTO attachments (id, sha256, name, content_type, size, uploader_id, ticket_id, event_id,
             created_at, attached_at)
           VALUES (5, printf('%064d', 0), 'a.png', 'image/png', 3, 2, 7, 40, 1, 1);",
    )
    .execute(&old)
    .await
    .unwrap();
    old.close().await;

    let pool = db::open(&tmp.path().join("portal.db")).await.unwrap();
    let kinds: Vec<(i64, String, Option<i64>)> =
        sqlx::query_as("SELECT id, kind, assignee_id FROM ticket_events ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        kinds,
        vec![
            (40, "message".into(), None),
            (41, "assignment".into(), Some(2))
        ]
    );
    let file: (i64, i64) =
        sqlx::query_as("SELECT ticket_id, event_id FROM attachments WHERE id = 5")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(file, (7, 40));
    for table in ["idempotency_keys", "attachments"] {
        let schema: String = sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE name = ?")
            .bind(table)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert!(schema.contains("REFERENCES ticket_events(id)"), "{schema}");
    }
    assert!(
        sqlx::query("PRAGMA foreign_key_check")
            .fetch_all(&pool)
            .await
            .unwrap()
            .is_empty()
    );
    // The new kind, with its shape checked.
    sqlx::query(
        "INSERT INTO ticket_events (ticket_id, kind, author_id, mail_to, created_at) \
         VALUES (7, 'mail', 1, 'rui@example.com', 2)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let shapeless = sqlx::query(
        "INSERT INTO ticket_events (ticket_id, kind, author_id, created_at) VALUES (7, 'mail', 1, 2)",
    )
    .execute(&pool)
    .await;
    assert!(shapeless.is_err());
}

#[tokio::test]
async fn the_0013_rebuilds_keep_the_outbox_and_the_links_and_accounts_get_their_defaults() {
    let tmp = tempfile::tempdir().unwrap();
    let old = migrated_before(tmp.path(), 13).await;
    sqlx::raw_sql(
        "INSERT INTO organizations (id, name, created_at) VALUES (1, 'Mercado', 0);
         INSERT INTO users (id, email, name, role, organization_id, org_role, password_hash, locale, created_at)
           VALUES (1, 'rui@example.com', 'Rui', 'client', 1, 'member', 'x', 'pt-BR', 0);
         INSERT INTO tickets (id, subject, description_md, description_html, status, priority, channel,
             requester_id, organization_id, created_by, created_at, updated_at, staff_updated_at,
             first_response_due_at, resolution_due_at, search_text)
           VALUES (7, 'Balança', 'd', '<p>d</p>', 'open', 'normal', 'portal', 1, 1, 1, 0, 0, 0, 1, 2, 'balanca');
         INSERT INTO outbox (id, kind, ticket_id, recipient_id, address, locale, message_id, status,
             attempts, next_attempt_at, created_at)
           VALUES (3, 'mail_too_large', NULL, 1, 'rui@example.com', 'pt-BR', 'a1.x', 'sent', 1, 5, 5),
                  (4, 'reply', 7, 1, 'rui@example.com', 'pt-BR', 't7.y', 'pending', 0, 6, 6);
         INSERT INTO mail_links (token_hash, user_id, purpose, ticket_id, created_at, expires_at)
           VALUES (x'01', 1, 'ticket', 7, 1, 99), (x'02', 1, 'reset', NULL, 1, 99);",
    )
    .execute(&old)
    .await
    .unwrap();
    old.close().await;

    let pool = db::open(&tmp.path().join("portal.db")).await.unwrap();
    let outbox: Vec<(i64, String, String, Option<String>)> =
        sqlx::query_as("SELECT id, kind, message_id, detail FROM outbox ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        outbox,
        [
            (3, "mail_too_large".into(), "a1.x".into(), None),
            (4, "reply".into(), "t7.y".into(), None)
        ]
    );
    let links: Vec<(Vec<u8>, String)> =
        sqlx::query_as("SELECT token_hash, purpose FROM mail_links ORDER BY token_hash")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        links,
        [(vec![1], "ticket".into()), (vec![2], "reset".into())]
    );
    let row = sqlx::query(
        "SELECT invited, notify_own, notify_assigned, notify_org, notify_digest, digest_day FROM users",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(row.get::<i64, _>("invited"), 0);
    assert_eq!(row.get::<i64, _>("notify_own"), 1);
    assert_eq!(row.get::<i64, _>("notify_assigned"), 1);
    assert_eq!(row.get::<i64, _>("notify_org"), 0);
    assert_eq!(row.get::<i64, _>("notify_digest"), 0);
    assert_eq!(row.get::<Option<String>, _>("digest_day"), None);
    // The new kinds and purpose are accepted now.
    sqlx::raw_sql(
        "INSERT INTO outbox (kind, recipient_id, address, locale, message_id, next_attempt_at, created_at)
           VALUES ('invitation', 1, 'rui@example.com', 'pt-BR', 'a1.z', 7, 7);
         INSERT INTO mail_links (token_hash, user_id, purpose, created_at, expires_at)
           VALUES (x'03', 1, 'invite', 1, 99);",
    )
    .execute(&pool)
    .await
    .unwrap();
    let fk: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(fk.is_empty(), "{fk:?}");
}
