//! Search benchmark (`cargo xtask bench search`): builds indexes of generated knowledge-base articles and
//! measures build time, memory and the latency of realistic queries (typos, prefixes, synonyms), in-process
//! on `SearchIndex` and through `GET /api/v1/kb/search` of the real server on a loopback port.
//!
//! `cargo run --release -p portal-api --example bench_search -- [SIZES] [--queries N]`, SIZES like
//! `10000,100000`.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    time::{Duration, Instant},
};

use api_types::ArticleStatus;
use portal_api::{
    AppState, Config, app, db, markdown,
    repo::{Repo, kb::ArticleRecord},
    search::{IndexedArticle, SearchIndex},
};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};

const SYNONYMS: &str = include_str!("../demo/kb/synonyms.json");

// ---------------------------------------------------------------------------------------------------------
// Generated articles: the domain's vocabulary in templates, so the terms' frequencies look like a real FAQ.

const PT_OBJECTS: &[&str] = &[
    "a NF-e",
    "a NFC-e",
    "o SAT",
    "o MF-e",
    "o TEF",
    "o PDV",
    "a sangria",
    "o suprimento",
    "o certificado digital A1",
    "o certificado digital A3",
    "o backup",
    "a carga dos PDVs",
    "o leitor de código de barras",
    "a balança",
    "o pinpad",
    "a promoção",
    "o estoque da loja online",
    "o pedido da loja online",
    "a etiqueta de gôndola",
    "o XML da nota",
    "o DANFE",
    "a contingência offline",
    "a tabela de preços",
    "o cadastro de produtos",
    "a carta de correção",
    "o fechamento do caixa",
    "o pagamento com Pix",
    "a inutilização de numeração",
];
const PT_VERBS: &[&str] = &[
    "emitir",
    "cancelar",
    "configurar",
    "restaurar",
    "instalar",
    "renovar",
    "corrigir",
    "sincronizar",
    "conferir",
    "reimprimir",
    "atualizar",
    "transmitir",
    "consultar",
    "lançar",
    "estornar",
    "ativar",
    "exportar",
    "importar",
];
const PT_PROBLEMS: &[&str] = &[
    "rejeição da SEFAZ",
    "erro de comunicação",
    "certificado vencido",
    "sem conexão com a internet",
    "pinpad não encontrado",
    "venda pendente",
    "caixa travado",
    "diferença no fechamento",
    "produto não encontrado",
    "preço desatualizado no PDV",
    "nota em duplicidade",
    "cupom não transmitido",
    "backup corrompido",
    "estoque negativo",
];
const PT_PLACES: &[&str] = &[
    "na retaguarda",
    "no PDV",
    "no caixa",
    "na loja online",
    "no servidor",
    "no Varejo Plus",
    "no módulo fiscal",
];
const PT_FILLER: &[&str] = &[
    "Antes de começar, confira se o servidor está ligado e se a internet responde.",
    "Se a mensagem continuar, anote o código do erro e abra um chamado com o suporte.",
    "Faça isso fora do horário de pico para não atrasar as vendas.",
    "O procedimento leva poucos minutos e não apaga nenhuma venda.",
    "Guarde o comprovante impresso junto com o fechamento do dia.",
    "Quem não tiver permissão de gerente precisa pedir a senha ao responsável da loja.",
    "Depois de concluir, reinicie o PDV e faça uma venda de teste.",
    "A SEFAZ pode levar alguns minutos para responder em dias de instabilidade.",
];
const EN_OBJECTS: &[&str] = &[
    "an electronic invoice (NF-e)",
    "a consumer invoice (NFC-e)",
    "the SAT device",
    "a card payment (TEF)",
    "the checkout terminal",
    "a cash withdrawal",
    "the digital certificate",
    "a backup",
    "the checkout data load",
    "the barcode scanner",
    "the scale",
    "the pinpad",
    "a promotion",
    "the online store stock",
    "an online order",
    "a shelf label",
];
const EN_VERBS: &[&str] = &[
    "issue",
    "cancel",
    "configure",
    "restore",
    "install",
    "renew",
    "fix",
    "sync",
    "check",
    "reprint",
    "update",
    "refund",
    "export",
];
const EN_PROBLEMS: &[&str] = &[
    "SEFAZ rejection",
    "communication error",
    "expired certificate",
    "no internet connection",
    "pinpad not found",
    "pending sale",
    "frozen checkout",
    "cash difference at closing",
    "product not found",
    "duplicate invoice",
];
const EN_FILLER: &[&str] = &[
    "Before you start, check that the server is on and the internet connection works.",
    "If the message persists, write down the error code and open a ticket with support.",
    "Do it outside peak hours so that sales are not delayed.",
    "It takes a few minutes and no sale is lost.",
    "Restart the checkout afterwards and make a test sale.",
];

struct Generated {
    locale: &'static str,
    title: String,
    body_md: String,
}

fn pick<'a>(rng: &mut StdRng, words: &[&'a str]) -> &'a str {
    words.choose(rng).copied().unwrap_or_default()
}

fn generate(n: usize, seed: u64) -> Vec<Generated> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            // One article in five is in English, as in the demo content.
            let en = i % 5 == 4;
            let (objects, verbs, problems, filler) = if en {
                (EN_OBJECTS, EN_VERBS, EN_PROBLEMS, EN_FILLER)
            } else {
                (PT_OBJECTS, PT_VERBS, PT_PROBLEMS, PT_FILLER)
            };
            let (verb, object, problem) = (
                pick(&mut rng, verbs),
                pick(&mut rng, objects),
                pick(&mut rng, problems),
            );
            let code = rng.gen_range(100..1000);
            let title = match (en, rng.gen_range(0..3)) {
                (false, 0) => format!("Como {verb} {object} {}", pick(&mut rng, PT_PLACES)),
                (false, 1) => format!("{problem} ao {verb} {object} (código {code})"),
                (false, _) => format!("O que fazer quando aparece {problem}"),
                (true, 0) => format!("How to {verb} {object}"),
                (true, 1) => format!("{problem} when you {verb} {object} (code {code})"),
                (true, _) => format!("What to do about a {problem}"),
            };
            let mut body = String::new();
            let steps = rng.gen_range(3..7);
            for step in 1..=steps {
                let (v, o) = (pick(&mut rng, verbs), pick(&mut rng, objects));
                if en {
                    body.push_str(&format!(
                        "{step}. Open **{}** and {v} {o}. {}\n",
                        pick(&mut rng, &["Settings", "Fiscal", "Utilities", "Sales"]),
                        pick(&mut rng, filler)
                    ));
                } else {
                    body.push_str(&format!(
                        "{step}. Abra **{}** e {v} {o} {}. {}\n",
                        pick(
                            &mut rng,
                            &["Configurações", "Fiscal", "Utilitários", "Vendas"]
                        ),
                        pick(&mut rng, PT_PLACES),
                        pick(&mut rng, filler)
                    ));
                }
            }
            body.push('\n');
            for _ in 0..rng.gen_range(2..5) {
                body.push_str(pick(&mut rng, filler));
                body.push(' ');
            }
            Generated {
                locale: if en { "en" } else { "pt-BR" },
                title,
                body_md: body,
            }
        })
        .collect()
}

/// What clients type: accents left out, typos, unfinished last words, acronyms.
const QUERIES: &[(&str, &str)] = &[
    ("emissao nota fsical", "pt-BR"),
    ("sangria caix", "pt-BR"),
    ("certificado vencdo", "pt-BR"),
    ("restaurar bakcup", "pt-BR"),
    ("nfc-e contingencia", "pt-BR"),
    ("pinpad nao encontrado", "pt-BR"),
    ("carga dos pdvs", "pt-BR"),
    ("rejeicao sefaz", "pt-BR"),
    ("como cancelar nfc", "pt-BR"),
    ("cupom fiscal eletronico", "pt-BR"),
    ("leitor codigo de barras", "pt-BR"),
    ("estornar tef", "pt-BR"),
    ("sincronizar estoque loja onl", "pt-BR"),
    ("diferenca fechamento caixa", "pt-BR"),
    ("etiqueta balanca", "pt-BR"),
    ("suprimento", "pt-BR"),
    ("nota em duplicidade", "pt-BR"),
    ("xml danfe", "pt-BR"),
    ("restore backup", "en"),
    ("expired certificat", "en"),
    ("card paymnt pending", "en"),
    ("cash withdrawl", "en"),
    ("checkout offline", "en"),
    ("invoice rejection sefaz", "en"),
];

// ---------------------------------------------------------------------------------------------------------
// Measuring

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

struct Latency {
    p50: Duration,
    p95: Duration,
    p99: Duration,
    mean_hits: f64,
}

fn percentiles(mut samples: Vec<Duration>, hits: usize) -> Latency {
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    Latency {
        p50: at(0.50),
        p95: at(0.95),
        p99: at(0.99),
        mean_hits: hits as f64 / samples.len() as f64,
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn in_process(articles: &[Generated], queries: usize) -> (Duration, u64, Latency) {
    let index = SearchIndex::new().expect("index");
    let groups: Vec<Vec<String>> = serde_json::from_str(SYNONYMS).expect("synonyms");
    index.set_synonyms(&groups);
    let bodies: Vec<String> = articles
        .iter()
        .map(|a| markdown::plain_text(&a.body_md))
        .collect();
    let before = rss_kib().unwrap_or(0);
    let started = Instant::now();
    index
        .rebuild(
            articles
                .iter()
                .zip(&bodies)
                .enumerate()
                .map(|(i, (a, body))| IndexedArticle {
                    id: i as i64 + 1,
                    locale: a.locale,
                    title: &a.title,
                    body,
                }),
        )
        .expect("build");
    let build = started.elapsed();
    let memory = rss_kib().unwrap_or(0).saturating_sub(before);
    for (q, locale) in QUERIES {
        index.search(q, locale, 10).expect("search");
    }
    let mut samples = Vec::with_capacity(queries);
    let mut hits = 0;
    for i in 0..queries {
        let (q, locale) = QUERIES[i % QUERIES.len()];
        let started = Instant::now();
        let (found, _) = index.search(q, locale, 10).expect("search");
        samples.push(started.elapsed());
        hits += found.len();
    }
    if std::env::var_os("BENCH_DETAIL").is_some() {
        let mut snippets = Vec::new();
        for i in 0..200 {
            let (q, locale) = QUERIES[i % QUERIES.len()];
            let (found, _) = index.search(q, locale, 10).expect("search");
            let started = Instant::now();
            for hit in found {
                let text = markdown::plain_text(&articles[hit.id as usize - 1].body_md);
                index.snippet(q, locale, &text, 30);
            }
            snippets.push(started.elapsed());
        }
        let s = percentiles(snippets, 0);
        println!(
            "    snippets of ten hits p50 {} p95 {}",
            ms(s.p50),
            ms(s.p95)
        );
        for (k, (q, _)) in QUERIES.iter().enumerate() {
            let mut mine: Vec<Duration> = samples
                .iter()
                .skip(k)
                .step_by(QUERIES.len())
                .copied()
                .collect();
            mine.sort();
            if let Some(median) = mine.get(mine.len() / 2) {
                println!("    {q:<32} p50 {}", ms(*median));
            }
        }
    }
    (build, memory, percentiles(samples, hits))
}

fn encode(q: &str) -> String {
    let mut out = String::new();
    for b in q.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// One HTTP/1.1 keep-alive connection: sends a GET and reads the whole answer; answers status and hits.
fn get(conn: &mut BufReader<TcpStream>, path: &str) -> (u16, usize) {
    write!(
        conn.get_mut(),
        "GET {path} HTTP/1.1\r\nHost: bench\r\nAccept: application/json\r\n\r\n"
    )
    .expect("write");
    let mut line = String::new();
    conn.read_line(&mut line).expect("status line");
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let (mut length, mut chunked) = (0usize, false);
    loop {
        line.clear();
        conn.read_line(&mut line).expect("header");
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let lower = header.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        } else if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            conn.read_line(&mut line).expect("chunk size");
            let size = usize::from_str_radix(line.trim(), 16).unwrap_or(0);
            let mut chunk = vec![0; size + 2];
            conn.read_exact(&mut chunk).expect("chunk");
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        body.resize(length, 0);
        conn.read_exact(&mut body).expect("body");
    }
    let hits = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["items"].as_array().map(Vec::len))
        .unwrap_or(0);
    (status, hits)
}

/// The real server, on a file database holding the articles, queried over loopback.
fn over_http(articles: &[Generated], queries: usize) -> (Duration, Duration, Latency) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let (addr, import, start) = runtime.block_on(async {
        let pool = db::open(&dir.path().join("bench.db")).await.expect("db");
        let repo = Repo::new(pool.clone());
        let mut categories = Vec::new();
        for locale in ["pt-BR", "en"] {
            categories.push(
                repo.create_category(&format!("geral-{locale}"), locale, "Geral", "", 0)
                    .await
                    .expect("category"),
            );
        }
        let started = Instant::now();
        let slugs: Vec<String> = (0..articles.len()).map(|i| format!("artigo-{i}")).collect();
        let rendered: Vec<(String, String)> = articles
            .iter()
            .map(|a| {
                (
                    markdown::render(&a.body_md),
                    markdown::summary(&a.body_md, 180),
                )
            })
            .collect();
        let tags: Vec<String> = Vec::new();
        let records: Vec<ArticleRecord<'_>> = articles
            .iter()
            .zip(&slugs)
            .zip(&rendered)
            .map(|((a, slug), (html, summary))| ArticleRecord {
                slug,
                locale: a.locale,
                title: &a.title,
                summary,
                body_md: &a.body_md,
                body_html: html,
                category_id: categories[usize::from(a.locale == "en")],
                tags: &tags,
                status: ArticleStatus::Published,
                translation_of: None,
                views: 0,
                author_id: None,
            })
            .collect();
        for batch in records.chunks(5_000) {
            repo.create_articles(batch).await.expect("import");
        }
        let import = started.elapsed();
        let started = Instant::now();
        // The server's own start: the index is rebuilt from the database.
        let state = AppState::new(pool, Config::default()).await.expect("state");
        let start = started.elapsed();
        if std::env::var_os("BENCH_DETAIL").is_some() {
            let mut log = Vec::new();
            for _ in 0..200 {
                let started = Instant::now();
                state.analytics.search("bench", "pt-BR", 1, None);
                log.push(started.elapsed());
            }
            let l = percentiles(log, 0);
            println!(
                "    recording a search (into the analytics queue) p50 {} p95 {}",
                ms(l.p50),
                ms(l.p95)
            );
            let ids: Vec<i64> = (1..=10).collect();
            let mut docs = Vec::new();
            for _ in 0..200 {
                let started = Instant::now();
                state.repo.search_docs_by_id(&ids).await.expect("docs");
                docs.push(started.elapsed());
            }
            let d = percentiles(docs, 0);
            println!(
                "    loading ten hits' texts p50 {} p95 {}",
                ms(d.p50),
                ms(d.p95)
            );
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app(state)).await });
        (addr, import, start)
    });
    let samples = std::thread::scope(|s| {
        s.spawn(|| {
            let mut conn = BufReader::new(TcpStream::connect(addr).expect("connect"));
            conn.get_ref().set_nodelay(true).ok();
            let path = |(q, locale): (&str, &str)| {
                format!("/api/v1/kb/search?q={}&locale={locale}&limit=10", encode(q))
            };
            for query in QUERIES {
                let (status, _) = get(&mut conn, &path(*query));
                assert_eq!(status, 200, "{query:?}");
            }
            let mut samples = Vec::with_capacity(queries);
            let mut hits = 0;
            for i in 0..queries {
                let p = path(QUERIES[i % QUERIES.len()]);
                let started = Instant::now();
                let (status, found) = get(&mut conn, &p);
                samples.push(started.elapsed());
                assert_eq!(status, 200);
                hits += found;
            }
            percentiles(samples, hits)
        })
        .join()
        .expect("client")
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    (import, start, samples)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut sizes = vec![10_000, 100_000];
    let mut queries = 1_000;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--queries" => {
                queries = args
                    .get(i + 1)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(queries);
                i += 1;
            }
            list => {
                sizes = list
                    .split(',')
                    .filter_map(|n| n.trim().parse().ok())
                    .collect()
            }
        }
        i += 1;
    }
    println!(
        "search benchmark: {} query kinds ({queries} timed per run), {} cores",
        QUERIES.len(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    for n in sizes {
        let articles = generate(n, 2026);
        let (build, memory, local) = in_process(&articles, queries);
        println!("\n{n} articles");
        println!(
            "  in-process index build      {:.2} s, RSS +{:.1} MiB",
            build.as_secs_f64(),
            memory as f64 / 1024.0
        );
        println!(
            "  in-process search           p50 {}  p95 {}  p99 {}  ({:.1} hits per query)",
            ms(local.p50),
            ms(local.p95),
            ms(local.p99),
            local.mean_hits
        );
        let (import, start, http) = over_http(&articles, queries);
        println!(
            "  server: database import     {:.2} s, start (index rebuilt from the database) {:.2} s",
            import.as_secs_f64(),
            start.as_secs_f64()
        );
        println!(
            "  GET /api/v1/kb/search       p50 {}  p95 {}  p99 {}  ({:.1} hits per query)",
            ms(http.p50),
            ms(http.p95),
            ms(http.p99),
            http.mean_hits
        );
    }
}
