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

/// Fills an empty database; a database that already has users is left as it is.
pub async fn seed(repo: &Repo) -> Result<bool> {
    if repo.user_count().await? > 0 {
        return Ok(false);
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
