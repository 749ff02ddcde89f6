//! The counters of the brakes on guessing (`limit_events`) and the addresses accounts signed in from.

use super::Repo;
use crate::db::sql;

/// One limit: at most `max` events within `window_ms`.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub max: i64,
    pub window_ms: i64,
}

/// What a reservation is counted against; `None` skips that count.
pub struct Reservation<'a> {
    pub kind: &'a str,
    pub subject: &'a str,
    pub address: &'a str,
    pub now: i64,
    /// Events of this subject from this address.
    pub pair: Option<Window>,
    /// Events of this subject from every address.
    pub subject_total: Option<Window>,
    /// Events of this kind from this address, whatever the subject.
    pub address_total: Option<Window>,
}

impl Repo {
    /// Records an event if every limit still has room, in one statement of a writing transaction (so
    /// concurrent reservations, from any server on the database, are counted one after another under the
    /// write lock): `Ok(Some(id))`, or `Ok(None)` when a limit is reached.
    pub async fn reserve(&self, r: &Reservation<'_>) -> sqlx::Result<Option<i64>> {
        // A window of 0 events never refuses: a disabled count is written as "fewer than i64::MAX".
        let (pair_max, pair_ms) = r.pair.map_or((i64::MAX, 0), |w| (w.max, w.window_ms));
        let (subj_max, subj_ms) = r
            .subject_total
            .map_or((i64::MAX, 0), |w| (w.max, w.window_ms));
        let (addr_max, addr_ms) = r
            .address_total
            .map_or((i64::MAX, 0), |w| (w.max, w.window_ms));
        let mut tx = self.pool.begin_write().await?;
        let id = sql::query_scalar(
            "INSERT INTO limit_events (kind, subject, address, at)
             SELECT ?1, ?2, ?3, ?4
             WHERE (SELECT count(*) FROM limit_events
                    WHERE kind = ?1 AND subject = ?2 AND address = ?3 AND at > ?4 - ?5) < ?6
               AND (SELECT count(*) FROM limit_events
                    WHERE kind = ?1 AND subject = ?2 AND at > ?4 - ?7) < ?8
               AND (SELECT count(*) FROM limit_events
                    WHERE kind = ?1 AND address = ?3 AND at > ?4 - ?9) < ?10
             RETURNING id",
        )
        .bind(r.kind)
        .bind(r.subject)
        .bind(r.address)
        .bind(r.now)
        .bind(pair_ms)
        .bind(pair_max)
        .bind(subj_ms)
        .bind(subj_max)
        .bind(addr_ms)
        .bind(addr_max)
        .fetch_optional(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Milliseconds until every limit of `r` has room again (after `reserve` refused).
    pub async fn wait_for_room(&self, r: &Reservation<'_>) -> sqlx::Result<i64> {
        let mut wait = 0i64;
        let counts: [(Option<Window>, &str); 3] = [
            (r.pair, "subject = ?2 AND address = ?3"),
            (r.subject_total, "subject = ?2"),
            (r.address_total, "address = ?3"),
        ];
        for (window, filter) in counts {
            let Some(w) = window else { continue };
            // The event whose leaving the window brings the count below the limit.
            let sql = format!(
                "SELECT at FROM limit_events WHERE kind = ?1 AND {filter} AND at > ?4 - ?5
                 ORDER BY at DESC LIMIT 1 OFFSET ?6"
            );
            let at: Option<i64> = sql::query_scalar(&sql)
                .bind(r.kind)
                .bind(r.subject)
                .bind(r.address)
                .bind(r.now)
                .bind(w.window_ms)
                .bind(w.max - 1)
                .fetch_optional(&self.pool)
                .await?;
            if let Some(at) = at {
                wait = wait.max(at + w.window_ms - r.now);
            }
        }
        Ok(wait.max(1000))
    }

    /// Takes back a reserved event (the sign-in succeeded, or was never checked).
    pub async fn release(&self, id: i64) -> sqlx::Result<()> {
        sql::query("DELETE FROM limit_events WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets the failures of a subject (an e-mail after its owner signed in from `address`).
    pub async fn clear_events(&self, kind: &str, subject: &str, address: &str) -> sqlx::Result<()> {
        sql::query("DELETE FROM limit_events WHERE kind = ? AND subject = ? AND address = ?")
            .bind(kind)
            .bind(subject)
            .bind(address)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Whether the account of `email` signed in successfully from `address` since `since`.
    pub async fn known_address(
        &self,
        email: &str,
        address: &str,
        since: i64,
    ) -> sqlx::Result<bool> {
        Ok(sql::query_scalar::<i64>(
            "SELECT count(*) FROM sign_in_addresses WHERE email = ? AND address = ? AND last_at > ?",
        )
        .bind(email)
        .bind(address)
        .bind(since)
        .fetch_one(&self.pool)
        .await?
            > 0)
    }

    pub async fn remember_address(&self, email: &str, address: &str, now: i64) -> sqlx::Result<()> {
        sql::query(
            "INSERT INTO sign_in_addresses (email, address, last_at) VALUES (?, ?, ?)
             ON CONFLICT (email, address) DO UPDATE SET last_at = excluded.last_at",
        )
        .bind(email)
        .bind(address)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Drops events older than `before` (they count in no window any more) and addresses unused since.
    pub async fn purge_limits(
        &self,
        events_before: i64,
        addresses_before: i64,
    ) -> sqlx::Result<()> {
        sql::query("DELETE FROM limit_events WHERE at < ?")
            .bind(events_before)
            .execute(&self.pool)
            .await?;
        sql::query("DELETE FROM sign_in_addresses WHERE last_at < ?")
            .bind(addresses_before)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
