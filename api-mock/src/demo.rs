//! The demo data of `--demo`: organizations and accounts of the contract, filled into an empty database.

use api_types::{NewUser, OrgRole, Role};

use crate::{Result, repo::Repo, routes::accounts::add_user};

pub const PASSWORD: &str = "demo-portal-2026";

/// A demo account: e-mail, name, role, organization and role in it.
pub type DemoAccount = (
    &'static str,
    &'static str,
    Role,
    Option<&'static str>,
    Option<OrgRole>,
);

pub const ACCOUNTS: &[DemoAccount] = &[
    (
        "ana@mercadobompreco.demo",
        "Ana Souza",
        Role::Client,
        Some("Mercado Bom Preço"),
        Some(OrgRole::Manager),
    ),
    (
        "rui@mercadobompreco.demo",
        "Rui Almeida",
        Role::Client,
        Some("Mercado Bom Preço"),
        Some(OrgRole::Member),
    ),
    (
        "bruno@petfeliz.demo",
        "Bruno Lima",
        Role::Client,
        Some("Pet Feliz"),
        Some(OrgRole::Manager),
    ),
    (
        "carla@suporte.demo",
        "Carla Mendes",
        Role::Agent,
        None,
        None,
    ),
    (
        "diego@suporte.demo",
        "Diego Ferreira",
        Role::Agent,
        None,
        None,
    ),
    (
        "admin@suporte.demo",
        "Admin Suporte",
        Role::Admin,
        None,
        None,
    ),
];

/// Fills an empty database with the demo accounts and knowledge base; what is already there stays.
pub async fn seed(repo: &Repo) -> Result<bool> {
    let kb = seed_kb(repo).await?;
    if repo.user_count().await? > 0 {
        return Ok(kb);
    }
    for (email, name, role, org, org_role) in ACCOUNTS {
        let organization_id = match org {
            None => None,
            Some(org) => Some(match repo.create_organization(org).await? {
                Some(o) => o.id,
                None => repo
                    .organizations()
                    .await?
                    .into_iter()
                    .find(|o| o.name == *org)
                    .map(|o| o.id)
                    .unwrap_or_default(),
            }),
        };
        add_user(
            repo,
            NewUser {
                email: (*email).into(),
                name: (*name).into(),
                role: *role,
                organization_id,
                org_role: *org_role,
                password: PASSWORD.into(),
                locale: None,
            },
        )
        .await?;
    }
    Ok(true)
}

mod kb_files {
    include!(concat!(env!("OUT_DIR"), "/demo_kb.rs"));
}

#[derive(serde::Deserialize)]
struct DemoCategory {
    slug: String,
    locale: String,
    name: String,
    description: String,
    position: i64,
}

/// A demo article file: `---`, `key: value` lines, `---`, then the Markdown body.
struct DemoArticle<'a> {
    slug: &'a str,
    title: &'a str,
    category: &'a str,
    tags: Vec<String>,
    translation_of: Option<&'a str>,
    views: i64,
    body: &'a str,
}

fn parse_article<'a>(file: &'a str, text: &'a str) -> Option<DemoArticle<'a>> {
    let rest = text.strip_prefix("---\n")?;
    let (front, body) = rest.split_once("\n---\n")?;
    let field = |key: &str| {
        front
            .lines()
            .find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix(':')))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    Some(DemoArticle {
        slug: file.strip_suffix(".md")?,
        title: field("title")?,
        category: field("category")?,
        tags: field("tags")
            .map(|t| {
                t.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        translation_of: field("translation_of"),
        views: field("views").and_then(|v| v.parse().ok()).unwrap_or(0),
        body: body.trim(),
    })
}

/// Fills an empty knowledge base with the demo categories, articles and synonyms.
pub async fn seed_kb(repo: &Repo) -> Result<bool> {
    if repo.article_count().await? > 0 {
        return Ok(false);
    }
    let categories: Vec<DemoCategory> = serde_json::from_str(kb_files::CATEGORIES)
        .map_err(|e| crate::Error::Internal(format!("demo categories: {e}")))?;
    for c in &categories {
        repo.create_category(&c.slug, &c.locale, &c.name, &c.description, c.position)
            .await?;
    }
    // Originals first, so that translations can name them.
    let mut files: Vec<_> = kb_files::ARTICLES.to_vec();
    files.sort_by_key(|(locale, _, _)| *locale != "pt-BR");
    for (locale, file, text) in files {
        let a = parse_article(file, text).ok_or_else(|| {
            crate::Error::Internal(format!("demo article {file}: bad front matter"))
        })?;
        let category_id = repo.category_id_by_slug(a.category).await?.ok_or_else(|| {
            crate::Error::Internal(format!("demo article {file}: no category {}", a.category))
        })?;
        let translation_of = match a.translation_of {
            Some(slug) => repo.article_id_by_slug(slug).await?,
            None => None,
        };
        let html = crate::markdown::render(a.body);
        let summary = crate::markdown::summary(a.body, 180);
        repo.create_article(&crate::repo::kb::ArticleRecord {
            slug: a.slug,
            locale,
            title: a.title,
            summary: &summary,
            body_md: a.body,
            body_html: &html,
            category_id,
            tags: &a.tags,
            status: api_types::ArticleStatus::Published,
            translation_of,
            views: a.views,
            author_id: None,
        })
        .await?;
    }
    let synonyms: Vec<Vec<String>> = serde_json::from_str(kb_files::SYNONYMS)
        .map_err(|e| crate::Error::Internal(format!("demo synonyms: {e}")))?;
    repo.set_synonyms(&synonyms).await?;
    Ok(true)
}
