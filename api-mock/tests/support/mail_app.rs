//! What the e-mail tests (`mail.rs`, `notifications.rs`) share: a server that sends to the test's SMTP
//! sink, the links in its mails, and the ticket calls that make mails.

#![allow(dead_code)]

use std::time::Duration;

use axum::http::{Method, StatusCode};
use portal_api::{Config, mail::MailConfig};
use serde_json::{Value, json};

use crate::{
    common::TestApp,
    smtp::{self, SmtpSink},
};

pub const PUBLIC: &str = "https://suporte.example.com";
pub const WAIT: Duration = Duration::from_secs(10);

pub fn config(sink: &SmtpSink) -> Config {
    Config {
        public_url: Some(PUBLIC.into()),
        mail: MailConfig {
            smtp_url: Some(sink.url()),
            from: Some("Suporte <suporte@example.com>".into()),
            backoff: vec![Duration::from_millis(100); 4],
            poll: Duration::from_millis(30),
            ..MailConfig::default()
        },
        ..Config::default()
    }
}

/// The token in a mail's link `…?{param}=TOKEN`.
pub fn token_after(mail: &smtp::Mail, param: &str) -> String {
    let key = format!("?{param}=");
    let at = mail.text.find(&key).expect("a link");
    mail.text[at + key.len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

pub async fn post(app: &TestApp, cookie: &str, ticket: i64, body: Value) {
    let a = app
        .call(
            Method::POST,
            &format!("/api/v1/tickets/{ticket}/messages"),
            Some(cookie),
            Some(body),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
}

pub async fn patch(app: &TestApp, cookie: &str, ticket: i64, body: Value) {
    let a = app
        .call(
            Method::PATCH,
            &format!("/api/v1/tickets/{ticket}"),
            Some(cookie),
            Some(body),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
}

pub async fn open_ticket(app: &TestApp, cookie: &str, subject: &str) -> i64 {
    let a = app
        .call(
            Method::POST,
            "/api/v1/tickets",
            Some(cookie),
            Some(json!({"subject": subject, "description": "A balança não pesa."})),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    a.body["id"].as_i64().unwrap()
}

pub async fn set_locale(app: &TestApp, email: &str, locale: &str) {
    portal_api::db::sql::query("UPDATE users SET locale = ? WHERE email = ?")
        .bind(locale)
        .bind(email)
        .execute(&app.repo.pool)
        .await
        .unwrap();
}
