//! The demo data of `--demo`: organizations and accounts of the contract, filled into an empty database.

use api_types::{Channel, EventKind, NewUser, OrgRole, Priority, Role, TicketStatus};

use crate::{
    Result,
    repo::{
        Repo,
        tickets::{EventRecord, TicketRecord},
    },
    routes::accounts::add_user,
};

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

/// Fills an empty database with the demo accounts, knowledge base and tickets; what is already there stays.
pub async fn seed(repo: &Repo) -> Result<bool> {
    let kb = seed_kb(repo).await?;
    let accounts = seed_accounts(repo).await?;
    let tickets = seed_tickets(repo).await?;
    Ok(kb || accounts || tickets)
}

/// The demo accounts, when there are no users at all.
async fn seed_accounts(repo: &Repo) -> Result<bool> {
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

/// One step of a demo ticket's timeline.
enum Step {
    Message(&'static str),
    Note(&'static str),
    Status(TicketStatus),
}

/// A demo ticket: who asked, how, when (hours ago), and its timeline (hours after opening, author, step).
struct DemoTicket {
    requester: &'static str,
    /// The staff member who logged a ticket taken by phone, e-mail, chat or in person.
    logged_by: Option<&'static str>,
    channel: Channel,
    priority: Priority,
    assignee: Option<&'static str>,
    hours_ago: f64,
    subject: &'static str,
    description: &'static str,
    steps: &'static [(f64, &'static str, Step)],
}

const RUI: &str = "rui@mercadobompreco.demo";
const ANA: &str = "ana@mercadobompreco.demo";
const BRUNO: &str = "bruno@petfeliz.demo";
const CARLA: &str = "carla@suporte.demo";
const DIEGO: &str = "diego@suporte.demo";

const TICKETS: &[DemoTicket] = &[
    DemoTicket {
        requester: ANA,
        logged_by: Some(CARLA),
        channel: Channel::Phone,
        priority: Priority::Normal,
        assignee: Some(CARLA),
        hours_ago: 192.0,
        subject: "Balança não lê etiqueta com código iniciado em 2",
        description: "Cliente ligou: as etiquetas da balança do açougue (código começando com 2) não são \
                      reconhecidas no PDV; aparece \"produto não cadastrado\" em todos os caixas.",
        steps: &[
            (
                0.2,
                CARLA,
                Step::Message(
                    "Ana, conforme conversamos por telefone: ajustamos em **Configurações > Balança** o formato \
                     da etiqueta para *preço embutido, código de 5 dígitos*. Teste, por favor, e nos avise. \
                     Detalhes em [Etiquetas de balança](/kb/etiquetas-de-balanca-codigo-iniciado-em-2).",
                ),
            ),
            (0.2, CARLA, Step::Status(TicketStatus::Pending)),
            (
                20.0,
                ANA,
                Step::Message("Funcionou em todos os caixas. Obrigada, Carla!"),
            ),
            (20.0, ANA, Step::Status(TicketStatus::Open)),
            (20.5, CARLA, Step::Status(TicketStatus::Resolved)),
            (48.0, ANA, Step::Status(TicketStatus::Closed)),
        ],
    },
    DemoTicket {
        requester: BRUNO,
        logged_by: None,
        channel: Channel::Portal,
        priority: Priority::Normal,
        assignee: Some(DIEGO),
        hours_ago: 96.0,
        subject: "Certificado digital vence na semana que vem: como renovar?",
        description: "Recebemos o aviso de que o certificado A1 vence no dia 30. Depois de comprar o novo, o que \
                      preciso fazer no sistema para a emissão de notas não parar?",
        steps: &[
            (
                1.0,
                DIEGO,
                Step::Message(
                    "Olá, Bruno! Com o novo arquivo `.pfx` em mãos, vá em **Fiscal > Certificado digital > \
                     Substituir**, escolha o arquivo e digite a senha. O sistema testa a comunicação com a SEFAZ \
                     na hora. O passo a passo está em [Como renovar o certificado digital sem parar a \
                     emissão](/kb/como-renovar-o-certificado-digital-sem-parar-a-emissao).",
                ),
            ),
            (1.0, DIEGO, Step::Status(TicketStatus::Pending)),
            (
                30.0,
                BRUNO,
                Step::Message("Instalei o novo certificado e o teste passou. Obrigado!"),
            ),
            (30.0, BRUNO, Step::Status(TicketStatus::Open)),
            (31.0, DIEGO, Step::Status(TicketStatus::Resolved)),
        ],
    },
    DemoTicket {
        requester: RUI,
        logged_by: None,
        channel: Channel::Portal,
        priority: Priority::Low,
        assignee: Some(DIEGO),
        hours_ago: 72.0,
        subject: "Como cadastrar promoção leve 3 pague 2?",
        description: "Queremos fazer uma promoção de refrigerante 2 L no fim de semana: leve 3 e pague 2. Onde \
                      configuro isso no retaguarda?",
        steps: &[
            (
                2.0,
                DIEGO,
                Step::Message(
                    "Oi, Rui! No retaguarda, vá em **Promoções > Nova promoção**, escolha o tipo *Leve X pague Y*, \
                     informe 3 e 2 e selecione os produtos. O passo a passo completo está em [Como criar uma \
                     promoção](/kb/como-criar-uma-promocao). Depois rode a carga dos PDVs.",
                ),
            ),
            (2.0, DIEGO, Step::Status(TicketStatus::Pending)),
            (
                5.0,
                RUI,
                Step::Message("Deu certo, obrigado! Já apareceu no PDV."),
            ),
            (5.0, RUI, Step::Status(TicketStatus::Open)),
            (
                5.5,
                DIEGO,
                Step::Message(
                    "Que bom! Vou encerrar este chamado; se precisar, é só responder por aqui.",
                ),
            ),
            (5.5, DIEGO, Step::Status(TicketStatus::Resolved)),
        ],
    },
    DemoTicket {
        requester: BRUNO,
        logged_by: Some(DIEGO),
        channel: Channel::Email,
        priority: Priority::High,
        assignee: Some(CARLA),
        hours_ago: 27.0,
        subject: "Pedido pago não aparece no painel de pedidos",
        description: "E-mail do cliente: \"O pedido #10452 foi pago por Pix às 14h10, o cliente recebeu a \
                      confirmação, mas o pedido não aparece no painel para separarmos.\"",
        steps: &[
            (
                1.5,
                CARLA,
                Step::Note(
                    "Webhook do Pix chegou durante a janela de manutenção da loja; pedido ficou retido na fila.",
                ),
            ),
            (
                1.5,
                CARLA,
                Step::Message(
                    "Bruno, localizamos o pedido #10452: o aviso de pagamento do Pix chegou, mas a loja estava em \
                     manutenção e o pedido ficou retido. Já o liberamos; confira se agora aparece no painel.",
                ),
            ),
            (1.5, CARLA, Step::Status(TicketStatus::Pending)),
        ],
    },
    DemoTicket {
        requester: ANA,
        logged_by: None,
        channel: Channel::Portal,
        priority: Priority::Urgent,
        assignee: Some(CARLA),
        hours_ago: 26.0,
        subject: "Rejeição 539 ao emitir NFC-e no caixa 2",
        description: "Desde hoje cedo o caixa 2 recebe **Rejeição 539: Duplicidade de NF-e com diferença na chave \
                      de acesso** em todas as vendas. Estamos vendendo em contingência.\n\nPrecisamos de ajuda \
                      urgente.",
        steps: &[
            (
                0.3,
                CARLA,
                Step::Note(
                    "A série da NFC-e do caixa 2 parece ter sido reiniciada depois da troca do SSD. Conferir a \
                     numeração na SEFAZ.",
                ),
            ),
            (
                0.5,
                CARLA,
                Step::Message(
                    "Olá, Ana! Isso costuma acontecer quando a numeração da NFC-e volta para um número já usado. \
                     Pode nos enviar o XML de uma das notas rejeitadas (**Fiscal > NFC-e > Rejeitadas > Exportar \
                     XML**)? Enquanto isso, mantenha o caixa em contingência: as vendas serão transmitidas depois.",
                ),
            ),
            (0.5, CARLA, Step::Status(TicketStatus::Pending)),
        ],
    },
    DemoTicket {
        requester: BRUNO,
        logged_by: None,
        channel: Channel::Portal,
        priority: Priority::Normal,
        assignee: Some(DIEGO),
        hours_ago: 5.0,
        subject: "Estoque da loja virtual não sincroniza com o PDV",
        description: "Vendemos ração no balcão e o estoque da loja virtual não baixa. Hoje vendemos online 4 sacos \
                      de um produto que já tinha acabado na loja física. A sincronização funcionava até a semana \
                      passada.",
        steps: &[
            (
                0.5,
                DIEGO,
                Step::Note(
                    "O log da integração mostra erro 401 do marketplace desde o dia 18: token provavelmente \
                     expirado. Pedir ao cliente para reautorizar a integração.",
                ),
            ),
            (
                1.0,
                BRUNO,
                Step::Message(
                    "Entrou mais um pedido de produto sem estoque. Conseguem olhar com prioridade?",
                ),
            ),
        ],
    },
    DemoTicket {
        requester: RUI,
        logged_by: None,
        channel: Channel::Portal,
        priority: Priority::High,
        assignee: None,
        hours_ago: 3.0,
        subject: "PDV 3 não imprime o cupom depois da atualização",
        description: "Depois da atualização de ontem, o caixa 3 finaliza a venda, mas a impressora não imprime o \
                      cupom. Os outros caixas estão normais. Já reiniciei o computador e a impressora (Bematech \
                      MP-4200).\n\nA venda aparece no relatório, só não sai o papel.",
        steps: &[],
    },
];

/// A few tickets per demo organization, in every status, when there are no tickets and the demo accounts exist.
pub async fn seed_tickets(repo: &Repo) -> Result<bool> {
    if repo.ticket_count().await? > 0 {
        return Ok(false);
    }
    let mut ids = std::collections::HashMap::new();
    for (email, ..) in ACCOUNTS {
        match repo.account_by_email(email).await? {
            Some(a) => ids.insert(*email, a.user),
            None => return Ok(false),
        };
    }
    let policy = crate::sla::Policy::default();
    let now = crate::db::now_ms();
    let hours = |h: f64| (h * 3_600_000.0) as i64;
    for t in TICKETS {
        let requester = &ids[t.requester];
        let Some(organization) = &requester.organization else {
            continue;
        };
        let created_at = now - hours(t.hours_ago);
        let due = policy.due(crate::db::to_time(created_at), t.priority);
        let mut status = TicketStatus::Open;
        let mut first_responded_at = None;
        let mut resolved_at = None;
        let mut updated_at = created_at;
        let mut htmls = Vec::new();
        for (_, _, step) in t.steps {
            htmls.push(match step {
                Step::Message(md) | Step::Note(md) => Some(crate::markdown::render(md)),
                Step::Status(_) => None,
            });
        }
        let mut events = Vec::new();
        for ((after, author, step), html) in t.steps.iter().zip(&htmls) {
            let at = created_at + hours(*after);
            let author = &ids[author];
            let (kind, body_md, from, to) = match step {
                Step::Message(md) => {
                    if author.role.is_staff() && first_responded_at.is_none() {
                        first_responded_at = Some(at);
                    }
                    updated_at = at;
                    (EventKind::Message, Some(*md), None, None)
                }
                Step::Note(md) => (EventKind::Note, Some(*md), None, None),
                Step::Status(to) => {
                    let from = status;
                    status = *to;
                    resolved_at = match to {
                        TicketStatus::Resolved | TicketStatus::Closed => resolved_at.or(Some(at)),
                        _ => None,
                    };
                    updated_at = at;
                    (EventKind::StatusChange, None, Some(from), Some(*to))
                }
            };
            events.push(EventRecord {
                kind,
                author_id: author.id,
                body_md,
                body_html: html.as_deref(),
                from,
                to,
                created_at: at,
            });
        }
        let html = crate::markdown::render(t.description);
        repo.import_ticket(
            &TicketRecord {
                subject: t.subject,
                description_md: t.description,
                description_html: &html,
                status,
                priority: t.priority,
                channel: t.channel,
                category: None,
                requester_id: requester.id,
                organization_id: organization.id,
                assignee_id: t.assignee.map(|a| ids[a].id),
                created_by: ids[t.logged_by.unwrap_or(t.requester)].id,
                search_id: None,
                created_at,
                updated_at,
                first_response_due_at: due.first_response.timestamp_millis(),
                first_responded_at,
                resolution_due_at: due.resolution.timestamp_millis(),
                resolved_at,
            },
            &events,
            false,
        )
        .await?;
    }
    seed_history(repo, &ids, now, &policy).await?;
    Ok(true)
}

/// A resolved ticket of the demo's history, most of them rated: the dashboard's figures on first start.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryTicket {
    pub requester: &'static str,
    pub agent: &'static str,
    pub priority: Priority,
    pub channel: Channel,
    pub subject: &'static str,
    /// Working days before today (0: today), and the local minute of the day it was opened.
    pub days_ago: i64,
    pub open_minute: i64,
    /// Business minutes from opening to the first reply, and to the resolution.
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
    /// Closed by the requester after being resolved.
    pub closed: bool,
    /// Score and comment, given this many hours after the resolution.
    pub rating: Option<(u8, Option<&'static str>)>,
    pub rated_after_hours: i64,
}

/// How many history tickets the demo has.
pub const HISTORY_LEN: usize = 96;

const HISTORY_SUBJECTS: &[&str] = &[
    "Relatório de vendas do mês não fecha com o caixa",
    "Como cadastrar um novo operador de caixa?",
    "Balança não comunica com o PDV",
    "Cupom de desconto não aplica na loja virtual",
    "Erro ao importar XML de compra",
    "Leitor de código de barras lê números trocados",
    "Como alterar a alíquota de ICMS de um produto?",
    "Boleto gerado com vencimento errado",
    "Frete grátis não aparece no checkout",
    "Backup automático não rodou esta noite",
    "Desconto acima do permitido precisa de senha do gerente",
    "Pedido duplicado no painel da loja virtual",
    "TEF recusa cartão de débito em um dos caixas",
    "Etiqueta de gôndola sai com preço antigo",
    "Integração com o marketplace parou de enviar pedidos",
    "Senha do retaguarda expirou",
];

const HISTORY_REPLIES: &[&str] = &[
    "Olá! Verificamos a configuração e fizemos o ajuste necessário. Pode conferir, por favor?",
    "Oi! Esse comportamento tem correção simples; já aplicamos do nosso lado. Confirme se voltou ao normal.",
    "Olá! Encontramos a causa e corrigimos o cadastro. O passo a passo para evitar que se repita está na base \
     de conhecimento.",
    "Oi! Atualizamos o parâmetro no servidor. Reinicie o programa no caixa e teste de novo, por favor.",
];

const COMMENTS_HIGH: &[&str] = &[
    "Resolveram rapidinho, obrigado!",
    "Atendimento excelente, muito atenciosos.",
    "Explicação clara, consegui fazer sozinho depois.",
];
const COMMENTS_MID: &[&str] = &[
    "Resolvido, mas demorou um pouco.",
    "Precisei explicar o problema duas vezes.",
];
const COMMENTS_LOW: &[&str] = &[
    "Fiquei quase dois dias esperando uma resposta.",
    "O problema voltou no dia seguinte e ninguém retornou.",
    "Perdemos vendas enquanto esperávamos. Inaceitável.",
];

/// A small fixed pseudo-random sequence (a 64-bit LCG), so that the demo is the same on every start.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// The demo's history: [`HISTORY_LEN`] tickets over about the last 60 days (42 working days), for
/// the demo clients and both agents. Carla answers faster and is rated higher than Diego; a few clients
/// were unhappy.
pub fn history() -> Vec<HistoryTicket> {
    let mut rng = Lcg(0x5eed_2026);
    (0..HISTORY_LEN as i64)
        .map(|i| {
            let requester = match rng.below(10) {
                0..=3 => ANA,
                4..=6 => RUI,
                _ => BRUNO,
            };
            let carla = rng.below(100) < 55;
            let agent = if carla { CARLA } else { DIEGO };
            let priority = match rng.below(10) {
                0 | 1 => Priority::Low,
                2..=6 => Priority::Normal,
                7 | 8 => Priority::High,
                _ => Priority::Urgent,
            };
            let channel = match rng.below(10) {
                0..=6 => Channel::Portal,
                7 => Channel::Email,
                8 => Channel::Phone,
                _ => Channel::Chat,
            };
            // Slower answers for Diego: a shifted draw.
            let r = rng.below(100) + if carla { 0 } else { 12 };
            let (low, high) = match r {
                0..=29 => (3, 15),
                30..=54 => (16, 30),
                55..=74 => (31, 60),
                75..=86 => (61, 120),
                87..=94 => (121, 240),
                95..=99 => (241, 480),
                _ => (481, 900),
            };
            let first_response_minutes = low + rng.below((high - low + 1) as u64) as i64;
            let resolution_minutes = first_response_minutes + 20 + rng.below(1500) as i64;
            // Scores: mostly 4 and 5, lower for Diego; the unhappy ones have something to say.
            let s = rng.below(100) + if carla { 0 } else { 10 };
            let score: u8 = match s {
                0..=49 => 5,
                50..=81 => 4,
                82..=92 => 3,
                93..=99 => 2,
                _ => 1,
            };
            let comments = match score {
                5 | 4 => COMMENTS_HIGH,
                3 => COMMENTS_MID,
                _ => COMMENTS_LOW,
            };
            let comment = (score <= 2 || rng.below(3) == 0).then(|| rng.pick(comments));
            let rated = rng.below(100) < 85;
            HistoryTicket {
                requester,
                agent,
                priority,
                channel,
                subject: rng.pick(HISTORY_SUBJECTS),
                // Spread evenly over 42 working days (60 calendar days), the most recent last.
                days_ago: (HISTORY_LEN as i64 - 1 - i) * 42 / HISTORY_LEN as i64,
                open_minute: 8 * 60 + rng.below(9 * 60) as i64,
                first_response_minutes,
                resolution_minutes,
                closed: rng.below(10) < 4,
                rating: rated.then_some((score, comment)),
                rated_after_hours: 1 + rng.below(30) as i64,
            }
        })
        .collect()
}

/// Stores [`history`], placing each ticket on a working day in business hours and early enough that
/// everything it records has already happened.
async fn seed_history(
    repo: &Repo,
    ids: &std::collections::HashMap<&str, api_types::User>,
    now: i64,
    policy: &crate::sla::Policy,
) -> Result<()> {
    use chrono::{Datelike, Duration, NaiveTime, Weekday};
    let offset = Duration::minutes(i64::from(policy.hours.utc_offset_minutes));
    let today = (crate::db::to_time(now) + offset).date_naive();
    let hour = 3_600_000;
    let working = |d: chrono::NaiveDate| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
    for (n, h) in history().iter().enumerate() {
        let requester = &ids[h.requester];
        let agent = &ids[h.agent];
        let Some(organization) = &requester.organization else {
            continue;
        };
        // The working day `days_ago` working days back, moved further back until the whole story is past.
        let mut day = today;
        let mut back = h.days_ago;
        loop {
            if working(day) {
                if back == 0 {
                    break;
                }
                back -= 1;
            }
            day = day.pred_opt().unwrap_or(day);
        }
        let (created_at, first_at, resolved_at, closed_at, rated_at) = loop {
            let local = day.and_time(NaiveTime::MIN) + Duration::minutes(h.open_minute);
            let created = (local - offset).and_utc();
            let first_at = policy
                .hours
                .add(created, h.first_response_minutes)
                .timestamp_millis();
            let resolved_at = policy
                .hours
                .add(created, h.resolution_minutes)
                .timestamp_millis();
            let rated_at = resolved_at + h.rated_after_hours * hour;
            let closed_at = h.closed.then_some(rated_at + hour);
            let last = closed_at.unwrap_or(rated_at);
            if last < now - hour / 6 {
                break (
                    created.timestamp_millis(),
                    first_at,
                    resolved_at,
                    closed_at,
                    rated_at,
                );
            }
            day = day.pred_opt().unwrap_or(day);
            while !working(day) {
                day = day.pred_opt().unwrap_or(day);
            }
        };
        let due = policy.due(crate::db::to_time(created_at), h.priority);
        let description = format!(
            "{}. Acontece desde hoje cedo; já reiniciamos o computador e continua igual.",
            h.subject.trim_end_matches('?')
        );
        let description_html = crate::markdown::render(&description);
        let reply = HISTORY_REPLIES[n % HISTORY_REPLIES.len()];
        let reply_html = crate::markdown::render(reply);
        let mut events = vec![
            EventRecord {
                kind: EventKind::Message,
                author_id: agent.id,
                body_md: Some(reply),
                body_html: Some(&reply_html),
                from: None,
                to: None,
                created_at: first_at,
            },
            EventRecord {
                kind: EventKind::StatusChange,
                author_id: agent.id,
                body_md: None,
                body_html: None,
                from: Some(TicketStatus::Open),
                to: Some(TicketStatus::Pending),
                created_at: first_at,
            },
            EventRecord {
                kind: EventKind::StatusChange,
                author_id: agent.id,
                body_md: None,
                body_html: None,
                from: Some(TicketStatus::Pending),
                to: Some(TicketStatus::Resolved),
                created_at: resolved_at,
            },
        ];
        if let Some(at) = closed_at {
            events.push(EventRecord {
                kind: EventKind::StatusChange,
                author_id: requester.id,
                body_md: None,
                body_html: None,
                from: Some(TicketStatus::Resolved),
                to: Some(TicketStatus::Closed),
                created_at: at,
            });
        }
        let logged_by = if h.channel == Channel::Portal {
            requester.id
        } else {
            agent.id
        };
        let rated_at = h.rating.map(|_| rated_at);
        // Low scores of the last few weeks still wait for staff; older ones were followed up.
        let escalated =
            h.rating.is_some_and(|(score, _)| score <= 2) && now - created_at < 21 * 24 * hour;
        let id = repo
            .import_ticket(
                &TicketRecord {
                    subject: h.subject,
                    description_md: &description,
                    description_html: &description_html,
                    status: if h.closed {
                        TicketStatus::Closed
                    } else {
                        TicketStatus::Resolved
                    },
                    priority: h.priority,
                    channel: h.channel,
                    category: None,
                    requester_id: requester.id,
                    organization_id: organization.id,
                    assignee_id: Some(agent.id),
                    created_by: logged_by,
                    search_id: None,
                    created_at,
                    updated_at: closed_at.or(rated_at).unwrap_or(resolved_at),
                    first_response_due_at: due.first_response.timestamp_millis(),
                    first_responded_at: Some(first_at),
                    resolution_due_at: due.resolution.timestamp_millis(),
                    resolved_at: Some(resolved_at),
                },
                &events,
                escalated,
            )
            .await?;
        if let (Some((score, comment)), Some(at)) = (h.rating, rated_at) {
            repo.import_rating(id, requester.id, score, comment, at)
                .await?;
        }
    }
    Ok(())
}
