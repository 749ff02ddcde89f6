//! Staff curation of the knowledge base: writing and revising articles (every save a revision, stale
//! edits refused with the current article), what changed between two revisions, archiving, categories,
//! the preview, and search analytics.
//! Every article change reaches the search index before the answer leaves.

use api_types::{
    Article, ArticleChange, ArticleStatus, Category, DiffLine, DiffOp, KbAnalytics, NewArticle,
    NewCategory, Preview, PreviewRequest, Problem, Revision, RevisionDiff, RevisionSummary,
};
use axum::{extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    AppState, LOCALES,
    auth::Staff,
    db::now_ms,
    error::{Error, Invalid, Result, Validator},
    extract::{Json, Path, Query},
    markdown,
    repo::kb::{ArticleRecord, ArticleUpdate, Saved},
    search::{IndexedArticle, folded_words},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_article))
        .routes(routes!(update_article, archive_article))
        .routes(routes!(revisions))
        .routes(routes!(revision))
        .routes(routes!(diff))
        .routes(routes!(restore_revision))
        .routes(routes!(preview))
        .routes(routes!(create_category))
        .routes(routes!(update_category))
        .routes(routes!(analytics))
}

pub const TITLE_MAX: usize = 200;
pub const BODY_MAX: usize = 100_000;
pub const TAGS_MAX: usize = 20;
pub const TAG_MAX: usize = 40;
pub const SLUG_MAX: usize = 80;
pub const CATEGORY_NAME_MAX: usize = 100;
pub const CATEGORY_DESCRIPTION_MAX: usize = 500;
pub const ANALYTICS_DAYS_MAX: u32 = 365;

/// A slug from a title: folded words (no accents, lower case) joined by dashes, at most `SLUG_MAX` long.
pub fn slugify(text: &str) -> String {
    let mut slug = String::new();
    for word in folded_words(text) {
        let word: String = word.chars().filter(char::is_ascii_alphanumeric).collect();
        if word.is_empty() {
            continue;
        }
        if slug.len() + word.len() + 1 > SLUG_MAX {
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(&word);
    }
    if slug.is_empty() {
        "artigo".into()
    } else {
        slug
    }
}

fn custom(pt: &str, en: &str) -> Invalid {
    Invalid::Custom {
        pt: pt.into(),
        en: en.into(),
    }
}

/// The fields shared by a new article and an edit.
pub(super) struct ArticleInput<'a> {
    pub title: &'a str,
    pub body_md: &'a str,
    pub category_id: i64,
    pub locale: &'a str,
    pub tags: &'a [String],
    pub translation_of: Option<i64>,
}

/// An article input that passed validation, rendered.
struct Checked {
    title: String,
    tags: Vec<String>,
    /// The first article of the translation group this one joins.
    translation_of: Option<i64>,
    body_html: String,
    summary: String,
}

/// Checks every field at once (so the editor shows every problem together) and renders the body.
async fn check(state: &AppState, a: &ArticleInput<'_>, this: Option<i64>) -> Result<Checked> {
    let mut v = Validator::new();
    v.text("title", a.title, TITLE_MAX);
    v.text("body_md", a.body_md, BODY_MAX);
    let locale_ok = LOCALES.contains(&a.locale);
    if !locale_ok {
        v.add("locale", Invalid::OneOf(LOCALES));
    }
    match state.repo.category(a.category_id).await? {
        None => v.add(
            "category_id",
            custom(
                "Esta categoria não existe.",
                "This category does not exist.",
            ),
        ),
        Some(c) if locale_ok && c.locale != a.locale => v.add(
            "category_id",
            Invalid::Custom {
                pt: format!(
                    "Esta categoria é do idioma {}; escolha uma do mesmo idioma do artigo.",
                    c.locale
                ),
                en: format!(
                    "This category is in {}; choose one in the article's language.",
                    c.locale
                ),
            },
        ),
        Some(_) => {}
    }
    // De-duplication compares each tag with those kept: it stops as soon as one too many is kept, so a
    // list of 100 000 tags costs 21 comparisons each, not 100 000.
    let mut tags: Vec<String> = Vec::new();
    for tag in a.tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        if tag.chars().count() > TAG_MAX {
            v.add("tags", Invalid::TooLong(TAG_MAX));
            break;
        }
        if !tags.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
            tags.push(tag.to_string());
            if tags.len() > TAGS_MAX {
                break;
            }
        }
    }
    if tags.len() > TAGS_MAX {
        v.add(
            "tags",
            Invalid::Custom {
                pt: format!("Use no máximo {TAGS_MAX} etiquetas."),
                en: format!("Use at most {TAGS_MAX} tags."),
            },
        );
    }
    let mut translation_of = None;
    if let Some(other) = a.translation_of {
        match state.repo.translation_group(other).await? {
            _ if Some(other) == this => v.add(
                "translation_of",
                custom(
                    "Um artigo não pode ser tradução de si mesmo.",
                    "An article cannot translate itself.",
                ),
            ),
            None => v.add(
                "translation_of",
                custom("Este artigo não existe.", "This article does not exist."),
            ),
            Some((locale, _)) if locale == a.locale => v.add(
                "translation_of",
                custom(
                    "A tradução deve ser de um artigo no outro idioma.",
                    "A translation must be of an article in the other language.",
                ),
            ),
            Some((_, group)) if Some(group) == this => {
                // `other` already translates this article: the link is there, from the other side.
            }
            Some((_, group)) => translation_of = Some(group),
        }
    }
    v.finish()?;
    Ok(Checked {
        title: a.title.trim().to_string(),
        tags,
        translation_of,
        body_html: markdown::render(a.body_md),
        summary: markdown::summary(a.body_md, 180),
    })
}

/// Puts a published article in the search index, takes any other out. The database is the truth (the
/// index is rebuilt from it at start), so a failure here is logged rather than failing a save that is done.
async fn reindex(state: &AppState, article: &Article) {
    let index = state.search.clone();
    let id = article.id;
    let published = article.status == ArticleStatus::Published;
    let (locale, title) = (article.locale.clone(), article.title.clone());
    let body = markdown::plain_text(&article.body_md);
    let outcome = tokio::task::spawn_blocking(move || {
        if published {
            index.upsert(&IndexedArticle {
                id,
                locale: &locale,
                title: &title,
                body: &body,
            })
        } else {
            index.remove(id)
        }
    })
    .await;
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(article = id, error = %e, "search index not updated"),
        Err(e) => tracing::error!(article = id, error = %e, "search index not updated"),
    }
}

async fn load(state: &AppState, id: i64) -> Result<Article> {
    state.repo.article_by_id(id).await?.ok_or(Error::NotFound)
}

/// Loads the article after a change and brings the index along.
async fn changed(state: &AppState, id: i64) -> Result<Article> {
    let article = load(state, id).await?;
    reindex(state, &article).await;
    Ok(article)
}

#[utoipa::path(post, path = "/kb/articles", tag = "knowledge base curation", request_body = NewArticle,
    responses((status = 201, body = Article), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
async fn create_article(
    State(state): State<AppState>,
    Staff(staff): Staff,
    Json(body): Json<NewArticle>,
) -> Result<(StatusCode, Json<Article>)> {
    let input = ArticleInput {
        title: &body.title,
        body_md: &body.body_md,
        category_id: body.category_id,
        locale: &body.locale,
        tags: &body.tags,
        translation_of: body.translation_of,
    };
    let status = body.status.unwrap_or(ArticleStatus::Draft);
    let article = create(&state, &input, status, staff.user.id).await?;
    Ok((StatusCode::CREATED, Json(article)))
}

/// Checks and stores a new article as its revision 1 (the slug made unique), and brings the index along.
/// Every way of making an article goes through here.
pub(super) async fn create(
    state: &AppState,
    input: &ArticleInput<'_>,
    status: ArticleStatus,
    author_id: i64,
) -> Result<Article> {
    let c = check(state, input, None).await?;
    let slug = slugify(&c.title);
    let id = state
        .repo
        .create_article_unique(&ArticleRecord {
            slug: &slug,
            locale: input.locale,
            title: &c.title,
            summary: &c.summary,
            body_md: input.body_md,
            body_html: &c.body_html,
            category_id: input.category_id,
            tags: &c.tags,
            status,
            translation_of: c.translation_of,
            views: 0,
            author_id: Some(author_id),
        })
        .await?;
    changed(state, id).await
}

#[utoipa::path(put, path = "/kb/articles/{article}", tag = "knowledge base curation", request_body = ArticleChange,
    params(("article" = i64, Path, description = "The article's id")),
    responses((status = 200, body = Article), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, body = Problem, description = "A newer revision exists: the problem's `current` holds it, and `changes` the body's lines from it to the text sent"),
        (status = 422, body = Problem)))]
async fn update_article(
    State(state): State<AppState>,
    Staff(staff): Staff,
    Path(id): Path<i64>,
    Json(body): Json<ArticleChange>,
) -> Result<Json<Article>> {
    let current = load(&state, id).await?;
    let input = ArticleInput {
        title: &body.title,
        body_md: &body.body_md,
        category_id: body.category_id,
        locale: &body.locale,
        tags: &body.tags,
        translation_of: body.translation_of,
    };
    // A stale edit is refused before its fields are judged: the editor must first see what changed.
    if body.revision != current.revision {
        let changes = line_diff(&current.body_md, &body.body_md);
        return Err(Error::StaleRevision(Box::new(current), changes));
    }
    let c = check(&state, &input, Some(id)).await?;
    let update = ArticleUpdate {
        locale: &body.locale,
        title: &c.title,
        summary: &c.summary,
        body_md: &body.body_md,
        body_html: &c.body_html,
        category_id: body.category_id,
        tags: &c.tags,
        status: body.status.unwrap_or(current.status),
        translation_of: c.translation_of,
    };
    save(&state, id, &update, body.revision, staff.user.id).await
}

async fn save(
    state: &AppState,
    id: i64,
    update: &ArticleUpdate<'_>,
    expected_revision: i64,
    author_id: i64,
) -> Result<Json<Article>> {
    match state
        .repo
        .update_article(id, update, expected_revision, author_id)
        .await?
    {
        Saved::Saved => Ok(Json(changed(state, id).await?)),
        Saved::NotFound => Err(Error::NotFound),
        Saved::Stale => {
            let current = load(state, id).await?;
            let changes = line_diff(&current.body_md, update.body_md);
            Err(Error::StaleRevision(Box::new(current), changes))
        }
    }
}

#[utoipa::path(delete, path = "/kb/articles/{article}", tag = "knowledge base curation",
    params(("article" = i64, Path, description = "The article's id")),
    responses((status = 204, description = "Archived (never erased; it can be published again)"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn archive_article(
    State(state): State<AppState>,
    Staff(staff): Staff,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    if !state
        .repo
        .set_article_status(id, ArticleStatus::Archived, staff.user.id)
        .await?
    {
        return Err(Error::NotFound);
    }
    changed(&state, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/kb/articles/{id}/revisions", tag = "knowledge base curation",
    params(("id" = i64, Path, description = "The article's id")),
    responses((status = 200, body = Vec<RevisionSummary>), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
async fn revisions(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<Vec<RevisionSummary>>> {
    state
        .repo
        .revisions(id)
        .await?
        .map(Json)
        .ok_or(Error::NotFound)
}

#[utoipa::path(get, path = "/kb/articles/{id}/revisions/{revision}", tag = "knowledge base curation",
    params(("id" = i64, Path, description = "The article's id"), ("revision" = i64, Path)),
    responses((status = 200, body = Revision), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
async fn revision(
    State(state): State<AppState>,
    _staff: Staff,
    Path((id, n)): Path<(i64, i64)>,
) -> Result<Json<Revision>> {
    let mut r = state.repo.revision(id, n).await?.ok_or(Error::NotFound)?;
    r.body_html = markdown::render(&r.body_md);
    Ok(Json(r))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct DiffQuery {
    /// The older revision (the diff's `delete` lines are only in it).
    #[param(value_type = i64, required = true)]
    from: Option<String>,
    /// The newer revision (the diff's `insert` lines are only in it).
    #[param(value_type = i64, required = true)]
    to: Option<String>,
}

/// A required revision number from the query; a field error otherwise (never the router's plain 400).
fn revision_number(v: &mut Validator, field: &str, value: Option<&str>) -> i64 {
    match value.map(str::trim) {
        None | Some("") => {
            v.add(field, Invalid::Required);
            0
        }
        Some(text) => text.parse().unwrap_or_else(|_| {
            v.add(
                field,
                custom(
                    "Informe o número de uma revisão.",
                    "Give a revision number.",
                ),
            );
            0
        }),
    }
}

/// The body's lines from one text to another, in order. Line endings are not content: a last line
/// without its newline, or written with `\r\n`, is the same line.
pub fn line_diff(from: &str, to: &str) -> Vec<DiffLine> {
    let old: Vec<&str> = from.lines().collect();
    let new: Vec<&str> = to.lines().collect();
    similar::TextDiff::configure()
        .algorithm(similar::Algorithm::Patience)
        // A pathological pair of 100 000-character bodies still answers quickly, with a coarser diff.
        .timeout(std::time::Duration::from_secs(1))
        .diff_slices(&old, &new)
        .iter_all_changes()
        .map(|change| DiffLine {
            op: match change.tag() {
                similar::ChangeTag::Equal => DiffOp::Equal,
                similar::ChangeTag::Insert => DiffOp::Insert,
                similar::ChangeTag::Delete => DiffOp::Delete,
            },
            text: change.value().to_string(),
        })
        .collect()
}

#[utoipa::path(get, path = "/kb/articles/{id}/diff", tag = "knowledge base curation",
    params(("id" = i64, Path, description = "The article's id"), DiffQuery),
    responses((status = 200, body = RevisionDiff), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "No such article, or no such revision of it"),
        (status = 422, body = Problem)))]
async fn diff(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<DiffQuery>,
) -> Result<Json<RevisionDiff>> {
    let mut v = Validator::new();
    let from = revision_number(&mut v, "from", q.from.as_deref());
    let to = revision_number(&mut v, "to", q.to.as_deref());
    v.finish()?;
    let old = state
        .repo
        .revision(id, from)
        .await?
        .ok_or(Error::NotFound)?;
    let new = state.repo.revision(id, to).await?.ok_or(Error::NotFound)?;
    Ok(Json(RevisionDiff {
        from,
        to,
        lines: line_diff(&old.body_md, &new.body_md),
        title_from: old.title,
        title_to: new.title,
    }))
}

#[utoipa::path(post, path = "/kb/articles/{id}/revisions/{revision}/restore", tag = "knowledge base curation",
    params(("id" = i64, Path, description = "The article's id"), ("revision" = i64, Path)),
    responses((status = 200, body = Article, description = "The restored text, saved as a new revision"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn restore_revision(
    State(state): State<AppState>,
    Staff(staff): Staff,
    Path((id, n)): Path<(i64, i64)>,
) -> Result<Json<Article>> {
    let old = state.repo.revision(id, n).await?.ok_or(Error::NotFound)?;
    let current = load(&state, id).await?;
    // The text comes back; where the article stands (status, language, translations) stays as it is now.
    let update = ArticleUpdate {
        locale: &current.locale,
        title: &old.title,
        summary: &markdown::summary(&old.body_md, 180),
        body_md: &old.body_md,
        body_html: &markdown::render(&old.body_md),
        category_id: old.category_id,
        tags: &old.tags,
        status: current.status,
        translation_of: state.repo.translation_of(id).await?,
    };
    save(&state, id, &update, current.revision, staff.user.id).await
}

#[utoipa::path(post, path = "/kb/preview", tag = "knowledge base curation", request_body = PreviewRequest,
    responses((status = 200, body = Preview), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
async fn preview(_staff: Staff, Json(body): Json<PreviewRequest>) -> Result<Json<Preview>> {
    if body.body_md.chars().count() > BODY_MAX {
        return Err(Error::invalid("body_md", Invalid::TooLong(BODY_MAX)));
    }
    Ok(Json(Preview {
        html: markdown::render(&body.body_md),
    }))
}

/// Validates a category; answers its slug (given, or made from the name).
fn check_category(body: &NewCategory, keep_slug: Option<&str>) -> Result<String> {
    let mut v = Validator::new();
    v.text("name", &body.name, CATEGORY_NAME_MAX);
    if body.description.chars().count() > CATEGORY_DESCRIPTION_MAX {
        v.add("description", Invalid::TooLong(CATEGORY_DESCRIPTION_MAX));
    }
    if !LOCALES.contains(&body.locale.as_str()) {
        v.add("locale", Invalid::OneOf(LOCALES));
    }
    let slug = match (body.slug.as_deref().map(str::trim), keep_slug) {
        (Some(s), _) if !s.is_empty() => {
            let ok = s.len() <= SLUG_MAX
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !s.starts_with('-')
                && !s.ends_with('-');
            if !ok {
                v.add(
                    "slug",
                    Invalid::Custom {
                        pt: format!("Use só letras minúsculas sem acento, algarismos e hífens (até {SLUG_MAX})."),
                        en: format!("Use only lower-case letters without accents, digits and dashes (up to {SLUG_MAX})."),
                    },
                );
            }
            s.to_string()
        }
        (_, Some(kept)) => kept.to_string(),
        _ => slugify(&body.name),
    };
    v.finish()?;
    Ok(slug)
}

fn taken_slug(e: sqlx::Error) -> Error {
    match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            Error::invalid("slug", Invalid::Taken)
        }
        e => e.into(),
    }
}

#[utoipa::path(post, path = "/kb/categories", tag = "knowledge base curation", request_body = NewCategory,
    responses((status = 201, body = Category), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
async fn create_category(
    State(state): State<AppState>,
    _staff: Staff,
    Json(body): Json<NewCategory>,
) -> Result<(StatusCode, Json<Category>)> {
    let slug = check_category(&body, None)?;
    let id = state
        .repo
        .create_category(
            &slug,
            &body.locale,
            body.name.trim(),
            body.description.trim(),
            body.position,
        )
        .await
        .map_err(taken_slug)?;
    let category = state.repo.category(id).await?.ok_or(Error::NotFound)?;
    Ok((StatusCode::CREATED, Json(category)))
}

#[utoipa::path(put, path = "/kb/categories/{id}", tag = "knowledge base curation", request_body = NewCategory,
    params(("id" = i64, Path, description = "The category's id")),
    responses((status = 200, body = Category), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_category(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<i64>,
    Json(body): Json<NewCategory>,
) -> Result<Json<Category>> {
    let current = state.repo.category(id).await?.ok_or(Error::NotFound)?;
    // Renaming keeps the slug unless a new one is given: links to the category keep working.
    let slug = check_category(&body, Some(&current.slug))?;
    state
        .repo
        .update_category(
            id,
            &slug,
            &body.locale,
            body.name.trim(),
            body.description.trim(),
            body.position,
        )
        .await
        .map_err(taken_slug)?;
    Ok(Json(state.repo.category(id).await?.ok_or(Error::NotFound)?))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AnalyticsQuery {
    /// The period, in days up to now: 1 to 365, 30 by default.
    #[param(minimum = 1, maximum = 365)]
    days: Option<u32>,
}

#[utoipa::path(get, path = "/kb/analytics", tag = "knowledge base curation", params(AnalyticsQuery),
    responses((status = 200, body = KbAnalytics), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
async fn analytics(
    State(state): State<AppState>,
    _staff: Staff,
    Query(q): Query<AnalyticsQuery>,
) -> Result<Json<KbAnalytics>> {
    let days = q.days.unwrap_or(30);
    if !(1..=ANALYTICS_DAYS_MAX).contains(&days) {
        return Err(Error::invalid(
            "days",
            Invalid::Custom {
                pt: format!("Escolha de 1 a {ANALYTICS_DAYS_MAX} dias."),
                en: format!("Choose from 1 to {ANALYTICS_DAYS_MAX} days."),
            },
        ));
    }
    let since = now_ms() - i64::from(days) * 86_400_000;
    // The report counts every event up to now, including those still waiting in the queue.
    state.flush_analytics().await;
    let repo = &state.repo;
    let searches = repo.search_count(since).await?;
    let (top_queries, zero_result_queries) = repo.query_stats(since, 20).await?;
    let (client_searches, followed) = repo.client_searches_and_tickets(since).await?;
    let deflection_percent = (client_searches > 0).then(|| {
        let percent = 100.0 * (client_searches - followed) as f64 / client_searches as f64;
        (percent * 10.0).round() / 10.0
    });
    Ok(Json(KbAnalytics {
        days,
        searches,
        deflection_percent,
        top_queries,
        zero_result_queries,
        articles: repo.article_stats(since, 100).await?,
        unhelpful: repo.unhelpful_articles(since, 10).await?,
    }))
}

#[cfg(test)]
mod tests {
    use super::{line_diff, slugify};
    use api_types::DiffOp::{Delete, Equal, Insert};

    #[test]
    fn diffs_are_line_by_line_in_order() {
        let ops = |from: &str, to: &str| {
            line_diff(from, to)
                .into_iter()
                .map(|l| (l.op, l.text))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ops("a\nb\nc", "a\nB\nc\nd\n"),
            [
                (Equal, "a".into()),
                (Delete, "b".into()),
                (Insert, "B".into()),
                (Equal, "c".into()),
                (Insert, "d".into()),
            ]
        );
        // Line endings are not changes.
        assert_eq!(
            ops("x\r\ny", "x\ny\n"),
            [(Equal, "x".into()), (Equal, "y".into())]
        );
        assert_eq!(ops("", "novo"), [(Insert, "novo".into())]);
    }

    #[test]
    fn slugs_fold_accents_and_punctuation() {
        assert_eq!(
            slugify("Emissão de Nota Fiscal (NF-e) — passo a passo!"),
            "emissao-de-nota-fiscal-nf-e-passo-a-passo"
        );
        assert_eq!(slugify("🙂 ?!"), "artigo");
        assert!(slugify(&"palavra ".repeat(100)).len() <= super::SLUG_MAX);
    }
}
