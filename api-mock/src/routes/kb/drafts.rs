//! Turning a solved ticket into a knowledge-base draft: the question and the staff answers, for an editor
//! to finish. The draft is an ordinary article (revision 1, unique slug) made by the same code as any other.
//! A ticket has at most one: asking again answers the article already made (200), whatever became of it.

use api_types::{Article, ArticleDraftRequest, ArticleStatus, Problem};
use axum::{extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::curation::{self, ArticleInput};
use crate::{
    AppState, LOCALES,
    auth::Staff,
    error::{Error, Invalid, Result},
    extract::{Json, Path},
    repo::tickets::TicketForArticle,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(article_draft))
}

/// The draft's Markdown: a section with the question, a section with the answers, headed in the article's
/// language.
fn draft_body(ticket: &TicketForArticle, locale: &str) -> String {
    let (question, answer) = if locale == "en" {
        ("Question", "Answer")
    } else {
        ("Pergunta", "Resposta")
    };
    let mut body = format!(
        "## {question}\n\n{}\n\n## {answer}\n",
        ticket.question_md.trim()
    );
    for text in ticket
        .answers_md
        .iter()
        .map(|a| a.trim())
        .filter(|a| !a.is_empty())
    {
        body.push('\n');
        body.push_str(text);
        body.push('\n');
    }
    body
}

#[utoipa::path(post, path = "/tickets/{id}/article-draft", tag = "knowledge base curation",
    request_body = ArticleDraftRequest,
    params(("id" = i64, Path, description = "The ticket's id")),
    responses((status = 201, body = Article, description = "A draft made from the ticket's question and the staff answers (never internal notes)"),
        (status = 200, body = Article, description = "The article already made from this ticket (no second draft)"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn article_draft(
    State(state): State<AppState>,
    Staff(staff): Staff,
    Path(id): Path<i64>,
    Json(body): Json<ArticleDraftRequest>,
) -> Result<(StatusCode, Json<Article>)> {
    let ticket = state
        .repo
        .ticket_for_article(id)
        .await?
        .ok_or(Error::NotFound)?;
    if let Some(article_id) = ticket.article_id
        && let Some(article) = state.repo.article_by_id(article_id).await?
    {
        return Ok((StatusCode::OK, Json(article)));
    }
    let locale = body
        .locale
        .as_deref()
        .map(str::trim)
        .unwrap_or(&ticket.requester_locale);
    let category_id = match body.category_id {
        Some(id) => id,
        // A given category is checked with the article's other fields, below.
        None if !LOCALES.contains(&locale) => {
            return Err(Error::invalid("locale", Invalid::OneOf(LOCALES)));
        }
        // The category the client picked for the ticket, when the article's language has it; else the first.
        None => {
            let all = state.repo.categories(locale).await?;
            let picked = all
                .iter()
                .find(|c| ticket.category.as_deref() == Some(c.slug.as_str()))
                .or(all.first());
            match picked {
                Some(c) => c.id,
                None => {
                    return Err(Error::invalid(
                        "category_id",
                        Invalid::Custom {
                            pt: format!("Não há categoria no idioma {locale}; crie uma antes."),
                            en: format!("There is no category in {locale}; create one first."),
                        },
                    ));
                }
            }
        }
    };
    let body_md = draft_body(&ticket, locale);
    let input = ArticleInput {
        title: &ticket.subject,
        body_md: &body_md,
        category_id,
        locale,
        tags: &[],
        translation_of: None,
    };
    let article = curation::create(&state, &input, ArticleStatus::Draft, staff.user.id).await?;
    state.repo.link_ticket_article(id, article.id).await?;
    Ok((StatusCode::CREATED, Json(article)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_draft_has_the_question_then_the_answers_in_the_articles_language() {
        let ticket = TicketForArticle {
            subject: "PDV travado".into(),
            question_md: "O caixa não abre.\n".into(),
            requester_locale: "pt-BR".into(),
            category: None,
            article_id: None,
            answers_md: vec![
                "Reinicie o serviço.".into(),
                " ".into(),
                "Depois, abra o caixa.".into(),
            ],
        };
        assert_eq!(
            draft_body(&ticket, "pt-BR"),
            "## Pergunta\n\nO caixa não abre.\n\n## Resposta\n\nReinicie o serviço.\n\nDepois, abra o caixa.\n"
        );
        assert!(draft_body(&ticket, "en").starts_with("## Question\n"));
        assert!(draft_body(&ticket, "en").contains("\n## Answer\n"));
    }
}
