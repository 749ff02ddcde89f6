//! What the KPI report reads: the facts of the tickets and ratings of a period, the staff, and the
//! escalated tickets. The arithmetic is in `crate::kpi`.

use crate::db::sql::{self};
use api_types::{EscalatedTicket, OrganizationRef, PersonRef, Priority, TicketStatus};

use super::{
    Repo,
    tickets::{parse_priority, parse_status},
};
use crate::{
    db::to_time,
    kpi::{AgentFacts, RatingFacts, TicketFacts},
};

impl Repo {
    /// Every ticket opened or resolved in `[from, to)`.
    pub async fn kpi_tickets(&self, from: i64, to: i64) -> sqlx::Result<Vec<TicketFacts>> {
        let rows = sql::query(
            "SELECT assignee_id, created_at, first_response_due_at, first_responded_at, resolution_due_at, \
             resolved_at FROM tickets \
             WHERE (created_at >= ?1 AND created_at < ?2) OR (resolved_at >= ?1 AND resolved_at < ?2)",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| TicketFacts {
                assignee: r.get("assignee_id"),
                created_at: r.get("created_at"),
                first_response_due_at: r.get("first_response_due_at"),
                first_responded_at: r.get("first_responded_at"),
                resolution_due_at: r.get("resolution_due_at"),
                resolved_at: r.get("resolved_at"),
            })
            .collect())
    }

    /// Every rating first given in `[from, to)`, with its ticket's assignee.
    pub async fn kpi_ratings(&self, from: i64, to: i64) -> sqlx::Result<Vec<RatingFacts>> {
        let rows = sql::query(
            "SELECT t.assignee_id, r.score, r.created_at FROM ticket_ratings r \
             JOIN tickets t ON t.id = r.ticket_id WHERE r.created_at >= ? AND r.created_at < ?",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| RatingFacts {
                assignee: r.get("assignee_id"),
                score: u8::try_from(r.get::<i64, _>("score")).unwrap_or(0),
                given_at: r.get("created_at"),
            })
            .collect())
    }

    /// Tickets open or pending now.
    pub async fn open_ticket_count(&self) -> sqlx::Result<i64> {
        sql::query_scalar("SELECT COUNT(*) FROM tickets WHERE status IN ('open', 'pending')")
            .fetch_one(&self.pool)
            .await
    }

    /// The staff who may have a line in the per-agent table: active agents always, admins and disabled
    /// agents only when they have figures.
    pub async fn kpi_agents(&self) -> sqlx::Result<Vec<AgentFacts>> {
        let rows = sql::query(
            "SELECT id, name, role = 'agent' AND disabled = 0 AS always FROM users \
             WHERE role IN ('agent', 'admin') ORDER BY name, id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| AgentFacts {
                agent: PersonRef {
                    id: r.get("id"),
                    name: r.get("name"),
                    organization: None,
                },
                always: r.get("always"),
            })
            .collect())
    }

    /// Escalated tickets, most recently changed first, with the rating that escalated them.
    pub async fn escalated_tickets(&self, limit: i64) -> sqlx::Result<Vec<EscalatedTicket>> {
        let rows = sql::query(
            "SELECT t.id, t.subject, t.status, t.priority, t.staff_updated_at, \
             r.id AS requester_id, r.name AS requester_name, o.id AS org_id, o.name AS org_name, \
             a.id AS assignee_id, a.name AS assignee_name, tr.score, tr.comment \
             FROM tickets t JOIN users r ON r.id = t.requester_id \
             JOIN organizations o ON o.id = t.organization_id LEFT JOIN users a ON a.id = t.assignee_id \
             LEFT JOIN ticket_ratings tr ON tr.ticket_id = t.id \
             WHERE t.escalated = 1 ORDER BY t.staff_updated_at DESC, t.id DESC LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let assignee: Option<i64> = r.get("assignee_id");
                EscalatedTicket {
                    id: r.get("id"),
                    subject: r.get("subject"),
                    status: parse_status(r.get::<&str, _>("status")).unwrap_or(TicketStatus::Open),
                    priority: parse_priority(r.get::<&str, _>("priority"))
                        .unwrap_or(Priority::Normal),
                    requester: PersonRef {
                        id: r.get("requester_id"),
                        name: r.get("requester_name"),
                        organization: Some(OrganizationRef {
                            id: r.get("org_id"),
                            name: r.get("org_name"),
                        }),
                    },
                    assignee: assignee.map(|id| PersonRef {
                        id,
                        name: r.get("assignee_name"),
                        organization: None,
                    }),
                    score: r
                        .get::<Option<i64>, _>("score")
                        .and_then(|s| u8::try_from(s).ok()),
                    comment: r.get("comment"),
                    updated_at: to_time(r.get("staff_updated_at")),
                }
            })
            .collect())
    }
}
