//! The knowledge base for readers: categories, articles, search and votes (public), and synonyms (staff).
//! Staff curation (editing, revisions, categories, analytics) is in `curation`; drafts made from tickets
//! in `drafts`.

pub mod curation;
mod drafts;

use std::sync::Arc;

use api_types::{
    Article, ArticleSummary, Category, NewFeedback, NewSearch, Page, Problem, RecordedSearch,
    SearchHit, SearchResults,
};
use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    AppState, LOCALES,
    auth::{ClientAddr, CurrentUser, Staff},
    error::{Error, Invalid, Result, Validator},
    extract::{Json, JsonList, Path, Query},
    markdown,
    repo::{
        kb::{ArticleListFilter, Helpfulness},
        limits::{Reservation, Window},
    },
    routes::Paging,
    search::{MAX_QUERY_CHARS, ResultsPage, SEARCH_BUDGET, SYNONYM_TERMS_MAX},
};

pub const SYNONYM_GROUPS_MAX: usize = 500;
pub const SYNONYM_TERM_CHARS: usize = 80;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(categories))
        .routes(routes!(articles))
        .routes(routes!(article))
        .routes(routes!(search))
        .routes(routes!(record_search))
        .routes(routes!(feedback))
        .routes(routes!(get_synonyms, put_synonyms))
        .merge(curation::router())
        .merge(drafts::router())
}

pub const COMMENT_MAX: usize = 2000;
/// The deepest page of search results served: 20 pages of 50 hits.
pub const MAX_SEARCH_PAGE: usize = 20;

fn locale_or_default(locale: Option<String>) -> String {
    locale
        .filter(|l| LOCALES.contains(&l.as_str()))
        .unwrap_or_else(|| LOCALES[0].to_string())
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct LocaleQuery {
    locale: Option<String>,
}

#[utoipa::path(get, path = "/kb/categories", tag = "knowledge base", params(LocaleQuery),
    responses((status = 200, body = Vec<Category>, headers(("ETag" = String))),
        (status = 304, description = "`If-None-Match` names the current `ETag`")))]
async fn categories(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LocaleQuery>,
) -> Result<Response> {
    let categories = state.repo.categories(&locale_or_default(q.locale)).await?;
    Ok(categories.body.respond(&headers, false))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ArticleFilter {
    /// A category's slug.
    category: Option<String>,
    locale: Option<String>,
    /// `views`: most viewed first; otherwise by title. (Staff lists: most recently changed first.)
    sort: Option<String>,
    /// Staff only: `draft`, `published`, `archived` or `all`. Without it, published articles only.
    #[param(pattern = "^(draft|published|archived|all)$")]
    status: Option<String>,
    /// Staff only: words of the title.
    q: Option<String>,
    /// Staff only (with `status`), by readers' votes: `low`, the articles voted "not helpful" at least once
    /// and at least as often as "helpful", most "not helpful" votes first; `high`, the articles voted
    /// "helpful" more often than not, most "helpful" votes first. Checked without `status` too (422).
    #[param(pattern = "^(low|high)?$")]
    helpfulness: Option<String>,
    /// From 1.
    #[param(minimum = 1, maximum = 1_000_000)]
    page: Option<u32>,
    /// 1 to 100 (20 by default); outside that, 422.
    #[param(minimum = 1, maximum = 100)]
    per_page: Option<u32>,
}

pub const STATUS_FILTERS: &[&str] = &["draft", "published", "archived", "all"];
pub const HELPFULNESS_FILTERS: &[&str] = &["low", "high"];

#[utoipa::path(get, path = "/kb/articles", tag = "knowledge base", params(ArticleFilter),
    responses((status = 200, body = Page<ArticleSummary>), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
async fn articles(
    State(state): State<AppState>,
    user: Option<CurrentUser>,
    Query(f): Query<ArticleFilter>,
) -> Result<Json<Page<ArticleSummary>>> {
    let paging = Paging {
        page: f.page,
        per_page: f.per_page,
    };
    paging.check()?;
    let locale = f.locale.filter(|l| LOCALES.contains(&l.as_str()));
    // A wrong value is refused even where it would not apply (published articles only).
    let helpfulness = match f.helpfulness.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("low") => Some(Helpfulness::Low),
        Some("high") => Some(Helpfulness::High),
        Some(_) => {
            return Err(Error::invalid(
                "helpfulness",
                Invalid::OneOf(HELPFULNESS_FILTERS),
            ));
        }
    };
    if let Some(status) = f.status.as_deref() {
        // Articles in any state are for staff only.
        match &user {
            None => return Err(Error::Unauthorized),
            Some(u) if !u.is_staff() => return Err(Error::Forbidden),
            Some(_) => {}
        }
        let mut v = Validator::new();
        if !STATUS_FILTERS.contains(&status) {
            v.add("status", Invalid::OneOf(STATUS_FILTERS));
        }
        v.finish()?;
        let q = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        let (items, total) = state
            .repo
            .articles_for_staff(&ArticleListFilter {
                status: (status != "all").then_some(status),
                category: f.category.as_deref(),
                locale: locale.as_deref(),
                q,
                helpfulness,
                limit: i64::from(paging.per_page()),
                offset: paging.offset(),
            })
            .await?;
        return Ok(Json(Page {
            items,
            total: total as u64,
            page: paging.page(),
            per_page: paging.per_page(),
        }));
    }
    let (items, total) = state
        .repo
        .published_articles(
            f.category.as_deref(),
            locale.as_deref(),
            f.sort.as_deref() == Some("views"),
            i64::from(paging.per_page()),
            paging.offset(),
        )
        .await?;
    Ok(Json(Page {
        items,
        total: total as u64,
        page: paging.page(),
        per_page: paging.per_page(),
    }))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ArticleQuery {
    /// The search that led here, for the analytics.
    search_id: Option<i64>,
}

// `{article}` is a slug here and an id in the staff methods of the same path (the router needs one name).
#[utoipa::path(get, path = "/kb/articles/{article}", tag = "knowledge base",
    params(("article" = String, Path, description = "The article's slug"), ArticleQuery),
    responses((status = 200, body = Article, headers(("ETag" = String, description = "Readers' copy only; staff read past the cache"))),
        (status = 304, description = "`If-None-Match` names the current `ETag` (readers' copy)"),
        (status = 404, body = Problem)))]
async fn article(
    State(state): State<AppState>,
    user: Option<CurrentUser>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Query(q): Query<ArticleQuery>,
) -> Result<Response> {
    // Staff read drafts and the latest counters from the database, and their reads are no views.
    if user.as_ref().is_some_and(CurrentUser::is_staff) {
        let article = state.repo.article(&slug, true).await?;
        return Ok(Json(article.ok_or(Error::NotFound)?).into_response());
    }
    // Everyone else reads the cached copy, compressed once.
    let article = state
        .repo
        .published_article(&slug)
        .await?
        .ok_or(Error::NotFound)?;
    state
        .analytics
        .view(article.id, q.search_id, user.map(|u| u.user.id));
    Ok(article.body.respond(&headers, false))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SearchQuery {
    /// At most 300 characters once trimmed (422 past that).
    #[param(max_length = 300)]
    q: Option<String>,
    locale: Option<String>,
    /// Hits per page: 10 by default; any other number is taken into 1 to 50 (search as you type is
    /// forgiving), up to the document's maximum (past it, 400).
    #[param(value_type = Option<i64>, minimum = 0, maximum = 4_294_967_295_i64)]
    limit: Option<u32>,
    /// Which page of `limit` hits, from 1 (the default) to 20 (a larger number is taken as 20, 0 as 1).
    /// Only the first page is recorded as a search.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 4_294_967_295_i64)]
    page: Option<u32>,
    /// `false`: results as the reader types, not recorded (`search_id: null`); the app records the search
    /// the reader settles on with `POST /kb/searches`. By default the first page is recorded, once per
    /// reader and query in 30 minutes, and never for staff.
    record: Option<bool>,
}

/// Who is searching, for counting one reader's repeats once: the user, else the browser's own id, else the
/// address.
fn reader(
    user: Option<&CurrentUser>,
    visitor: Option<&str>,
    address: Option<std::net::IpAddr>,
) -> String {
    match (user, visitor.map(str::trim).filter(|v| !v.is_empty())) {
        (Some(u), _) => format!("user:{}", u.user.id),
        (None, Some(v)) => format!("anon:{v}"),
        (None, None) => format!("addr:{}", crate::auth::address_key(address)),
    }
}

/// The hits of `query` up to `want`, in the requested locale or, when it has none, the other one; with the
/// total and the locale searched.
async fn find(
    state: &AppState,
    query: &str,
    requested: &str,
    want: usize,
) -> Result<(Vec<crate::search::Hit>, usize, String)> {
    let index = state.search.clone();
    let task = {
        let (q1, r1) = (query.to_string(), requested.to_string());
        tokio::task::spawn_blocking(move || -> Result<_> {
            let search = |locale: &str| {
                index
                    .search(&q1, locale, want)
                    .map_err(|e| Error::Internal(e.to_string()))
            };
            let (hits, total) = search(&r1)?;
            if total > 0 {
                return Ok((hits, total, r1));
            }
            // Nothing in the reader's language: the other language may have the answer.
            let other = LOCALES
                .iter()
                .find(|l| **l != r1)
                .copied()
                .unwrap_or("en")
                .to_string();
            let (hits, total) = search(&other)?;
            Ok(if total > 0 {
                (hits, total, other)
            } else {
                (Vec::new(), 0, r1)
            })
        })
    };
    // The expansion caps bound a search's work; the budget bounds its wait, whatever the index holds.
    match tokio::time::timeout(SEARCH_BUDGET, task).await {
        Ok(joined) => joined.map_err(|e| Error::Internal(e.to_string()))?,
        Err(_) => {
            tracing::warn!(query, "search over its time budget");
            Err(Error::SearchTimeout)
        }
    }
}

#[utoipa::path(get, path = "/kb/search", tag = "knowledge base", params(SearchQuery),
    responses((status = 200, body = SearchResults), (status = 422, body = Problem)))]
async fn search(
    State(state): State<AppState>,
    user: Option<CurrentUser>,
    ClientAddr(address): ClientAddr,
    Query(q): Query<SearchQuery>,
) -> Result<Json<SearchResults>> {
    let query = q.q.unwrap_or_default();
    let query = query.trim();
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(Error::invalid("q", Invalid::TooLong(MAX_QUERY_CHARS)));
    }
    let requested = locale_or_default(q.locale);
    let limit = q.limit.unwrap_or(10).clamp(1, 50) as usize;
    let page = (q.page.unwrap_or(1) as usize).clamp(1, MAX_SEARCH_PAGE);
    if query.is_empty() {
        return Ok(Json(SearchResults {
            search_id: None,
            query: String::new(),
            total: 0,
            items: Vec::new(),
            locale: requested,
        }));
    }
    let key = (query.to_string(), requested.clone(), limit, page);
    let found = match state.search.results.get(&key) {
        Ok(found) => found,
        Err(generation) => {
            let found = Arc::new(search_page(&state, query, &requested, limit, page).await?);
            state
                .search
                .results
                .put(generation, key, found.clone(), crate::cache::TTL);
            found
        }
    };
    // The next pages of a search are the same search: recorded once. Staff test and check the search;
    // only readers' searches are analytics.
    let staff = user.as_ref().is_some_and(CurrentUser::is_staff);
    let search_id = (page == 1 && q.record != Some(false) && !staff).then(|| {
        state
            .analytics
            .search_once(
                &reader(user.as_ref(), None, address),
                query,
                &requested,
                found.total as i64,
                user.as_ref().map(|u| u.user.id),
            )
            .0
    });
    Ok(Json(SearchResults {
        search_id,
        query: query.to_string(),
        total: found.total as u64,
        items: found.items.clone(),
        locale: found.locale.clone(),
    }))
}

/// One page of hits for `query`, with their snippets: the index, then the articles' text.
async fn search_page(
    state: &AppState,
    query: &str,
    requested: &str,
    limit: usize,
    page: usize,
) -> Result<ResultsPage> {
    let offset = (page - 1) * limit;
    let (hits, total, locale) = find(state, query, requested, offset + limit).await?;
    let hits: Vec<_> = hits.into_iter().skip(offset).collect();
    let ids: Vec<i64> = hits.iter().map(|h| h.id).collect();
    let mut docs = state.repo.search_docs_by_id(&ids).await?;
    // Hits whose article went away between the search and this read are left out.
    let found: Vec<_> = hits
        .into_iter()
        .filter_map(|hit| docs.remove(&hit.id).map(|doc| (hit, doc)))
        .collect();
    let texts: Vec<String> = found
        .iter()
        .map(|(_, (_, _, body_md))| markdown::plain_text(body_md))
        .collect();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let snippets = state.search.snippets(query, &locale, &texts, 30);
    let items: Vec<SearchHit> = found
        .into_iter()
        .zip(snippets)
        .map(|((hit, (slug, title, _)), snippet)| SearchHit {
            id: hit.id,
            slug,
            title,
            snippet,
            score: hit.score,
            locale: locale.clone(),
        })
        .collect();
    Ok(ResultsPage {
        items,
        total,
        locale,
    })
}

/// Records the search a reader settled on: the query they opened a result from, left the field with, or
/// stopped typing at. Repeats of the same reader's query within 30 minutes answer the first `search_id`.
#[utoipa::path(post, path = "/kb/searches", tag = "knowledge base", request_body = NewSearch,
    responses((status = 200, body = RecordedSearch), (status = 422, body = Problem)))]
async fn record_search(
    State(state): State<AppState>,
    user: Option<CurrentUser>,
    ClientAddr(address): ClientAddr,
    Json(body): Json<NewSearch>,
) -> Result<Json<RecordedSearch>> {
    let query = body.q.trim();
    let mut v = Validator::new();
    if query.is_empty() {
        v.add("q", Invalid::Required);
    } else if query.chars().count() > MAX_QUERY_CHARS {
        v.add("q", Invalid::TooLong(MAX_QUERY_CHARS));
    }
    if body
        .visitor
        .as_ref()
        .is_some_and(|id| id.chars().count() > 64)
    {
        v.add("visitor", Invalid::TooLong(64));
    }
    v.finish()?;
    let requested = locale_or_default(body.locale);
    let (_, total, _) = find(&state, query, &requested, 1).await?;
    if user.as_ref().is_some_and(CurrentUser::is_staff) {
        return Ok(Json(RecordedSearch {
            search_id: None,
            recorded: false,
            total: total as u64,
        }));
    }
    let (id, recorded) = state.analytics.search_once(
        &reader(user.as_ref(), body.visitor.as_deref(), address),
        query,
        &requested,
        total as i64,
        user.as_ref().map(|u| u.user.id),
    );
    Ok(Json(RecordedSearch {
        search_id: Some(id),
        recorded,
        total: total as u64,
    }))
}

#[utoipa::path(post, path = "/kb/articles/{slug}/feedback", tag = "knowledge base", request_body = NewFeedback,
    params(("slug" = String, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn feedback(
    State(state): State<AppState>,
    user: Option<CurrentUser>,
    ClientAddr(address): ClientAddr,
    Path(slug): Path<String>,
    Json(body): Json<NewFeedback>,
) -> Result<StatusCode> {
    let mut v = Validator::new();
    if let Some(c) = &body.comment
        && c.chars().count() > COMMENT_MAX
    {
        v.add("comment", Invalid::TooLong(COMMENT_MAX));
    }
    // One vote per visitor: the signed-in user, else the browser's own random id.
    let visitor = match (&user, &body.visitor) {
        (Some(u), _) => format!("user:{}", u.user.id),
        // 64 characters, as the OpenAPI document counts them (not bytes).
        (None, Some(v)) if !v.trim().is_empty() && v.chars().count() <= 64 => {
            format!("anon:{}", v.trim())
        }
        // Without an id of its own, a visitor is its address: one vote per address and article.
        (None, Some(id)) if id.chars().count() > 64 => {
            v.add("visitor", Invalid::TooLong(64));
            String::new()
        }
        (None, _) => format!("addr:{}", crate::auth::address_key(address)),
    };
    v.finish()?;
    let article = state
        .repo
        .published_article(&slug)
        .await?
        .ok_or(Error::NotFound)?;
    // Anonymous visitors choose their own id: their votes on one article are limited per address.
    if user.is_none() {
        let subject = article.id.to_string();
        let address = crate::auth::address_key(address);
        let r = Reservation {
            kind: "vote",
            subject: &subject,
            address: &address,
            now: crate::db::now_ms(),
            pair: Some(Window {
                max: state.config.vote_limit_address as i64,
                window_ms: 3_600_000,
            }),
            subject_total: None,
            address_total: None,
        };
        if state.repo.reserve(&r).await?.is_none() {
            let wait_ms = state.repo.wait_for_room(&r).await?;
            return Err(Error::TooManyRequests {
                retry_after_secs: (wait_ms as u64).div_ceil(1000),
            });
        }
    }
    let comment = body
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    state
        .repo
        .vote(
            article.id,
            &visitor,
            body.helpful,
            comment,
            body.search_id,
            user.map(|u| u.user.id),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/kb/synonyms", tag = "knowledge base",
    responses((status = 200, body = Vec<Vec<String>>), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn get_synonyms(
    State(state): State<AppState>,
    _staff: Staff,
) -> Result<Json<Vec<Vec<String>>>> {
    Ok(Json(state.repo.synonyms().await?))
}

/// The synonym groups, for the OpenAPI document: at most 500 groups of 2 to 20 terms (counted once
/// trimmed, blank ones dropped) of at most 80 characters.
pub struct SynonymGroups;

impl utoipa::PartialSchema for SynonymGroups {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::{ArrayBuilder, ObjectBuilder, schema::Type};
        let term = ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(SYNONYM_TERM_CHARS))
            .pattern(Some(r"\S"));
        let group = ArrayBuilder::new()
            .items(term)
            .min_items(Some(2))
            .max_items(Some(SYNONYM_TERMS_MAX));
        ArrayBuilder::new()
            .items(group)
            .max_items(Some(SYNONYM_GROUPS_MAX))
            .into()
    }
}

impl utoipa::ToSchema for SynonymGroups {}

#[utoipa::path(put, path = "/kb/synonyms", tag = "knowledge base", request_body = SynonymGroups,
    responses((status = 200, body = Vec<Vec<String>>), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn put_synonyms(
    State(state): State<AppState>,
    _staff: Staff,
    JsonList(groups): JsonList<Vec<Vec<String>>>,
) -> Result<Json<Vec<Vec<String>>>> {
    let mut v = Validator::new();
    if groups.len() > SYNONYM_GROUPS_MAX {
        v.add(
            "groups",
            Invalid::Custom {
                pt: format!("Use no máximo {SYNONYM_GROUPS_MAX} grupos de sinônimos."),
                en: format!("Use at most {SYNONYM_GROUPS_MAX} synonym groups."),
            },
        );
        // Nothing more to check: the list is refused whatever its groups hold.
        return Err(v.finish().unwrap_err());
    }
    let cleaned: Vec<Vec<String>> = groups
        .iter()
        .map(|g| {
            g.iter()
                .map(|w| w.trim().to_lowercase())
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
        })
        .collect();
    for (i, g) in cleaned.iter().enumerate() {
        if g.len() < 2 {
            v.add(
                &format!("groups[{i}]"),
                Invalid::Custom {
                    pt: "Cada grupo precisa de pelo menos dois termos.".into(),
                    en: "Each group needs at least two terms.".into(),
                },
            );
        }
        if g.len() > SYNONYM_TERMS_MAX {
            v.add(
                &format!("groups[{i}]"),
                Invalid::Custom {
                    pt: format!("Use no máximo {SYNONYM_TERMS_MAX} termos por grupo."),
                    en: format!("Use at most {SYNONYM_TERMS_MAX} terms per group."),
                },
            );
        }
        if g.iter().any(|w| w.chars().count() > SYNONYM_TERM_CHARS) {
            v.add(
                &format!("groups[{i}]"),
                Invalid::TooLong(SYNONYM_TERM_CHARS),
            );
        }
    }
    v.finish()?;
    state.repo.set_synonyms(&cleaned).await?;
    state.search.set_synonyms(&cleaned);
    Ok(Json(cleaned))
}
