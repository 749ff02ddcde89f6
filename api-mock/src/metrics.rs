//! `GET /metrics`: the server's counters in the Prometheus text format (OpenMetrics), for staff or the
//! addresses given with `--metrics-allow` (a Prometheus server scrapes without a session).
//!
//! Requests are counted by route (the route's pattern, never the raw path, so that ids do not make a
//! series each), method and status, with a latency histogram per route. The analytics queue, the read
//! cache and the search index are read at each scrape.

use std::{
    net::{IpAddr, SocketAddr},
    time::Instant,
};

use axum::{
    extract::{ConnectInfo, MatchedPath, Request, State},
    http::{HeaderValue, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

use crate::{AppState, auth::CurrentUser, error::Error};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

fn latency_histogram() -> Histogram {
    // 0.25 ms to about 4 s.
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.000_25, 2.0, 15,
    ))
}

type Latency = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The registry and the series the server updates as it goes.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Latency,
    queue_depth: Gauge,
    dropped: Gauge,
    written: Gauge,
    failed: Gauge,
    cached: Family<RouteLabels, Gauge>,
    index_docs: Gauge,
    index_bytes: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("portal");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route, method and status",
            requests.clone(),
        );
        let latency: Latency = Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time from the request to the response's headers, by route",
            latency.clone(),
        );
        let queue_depth = Gauge::default();
        registry.register(
            "analytics_queue_depth",
            "Analytics events waiting to be written",
            queue_depth.clone(),
        );
        let dropped = Gauge::default();
        registry.register(
            "analytics_events_dropped",
            "Analytics events refused because the queue was full, since start",
            dropped.clone(),
        );
        let written = Gauge::default();
        registry.register(
            "analytics_events_written",
            "Analytics events written to the database, since start",
            written.clone(),
        );
        let failed = Gauge::default();
        registry.register(
            "analytics_events_failed",
            "Analytics events lost because their batch could not be written, since start",
            failed.clone(),
        );
        let cached = Family::<RouteLabels, Gauge>::default();
        registry.register(
            "read_cache_entries",
            "Answers kept in the read cache, by kind",
            cached.clone(),
        );
        let index_docs = Gauge::default();
        registry.register(
            "search_index_documents",
            "Articles in the search index",
            index_docs.clone(),
        );
        let index_bytes = Gauge::default();
        registry.register(
            "search_index_bytes",
            "Size of the search index in memory",
            index_bytes.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            queue_depth,
            dropped,
            written,
            failed,
            cached,
            index_docs,
            index_bytes,
        }
    }
}

impl Metrics {
    fn observe(&self, route: String, method: &str, status: u16, seconds: f64) {
        self.latency
            .get_or_create(&RouteLabels {
                route: route.clone(),
            })
            .observe(seconds);
        self.requests
            .get_or_create(&RequestLabels {
                route,
                method: method.to_string(),
                status,
            })
            .inc();
    }

    /// The text of a scrape, with the state's gauges read now.
    pub fn render(&self, state: &AppState) -> String {
        let to_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        self.queue_depth.set(state.analytics.depth() as i64);
        self.dropped.set(to_i64(state.analytics.dropped()));
        self.written.set(to_i64(state.analytics.written()));
        self.failed.set(to_i64(state.analytics.failed()));
        let cache = &state.repo.cache;
        for (kind, n) in [
            ("article", cache.articles.len()),
            ("categories", cache.categories.len()),
            ("announcements", cache.announcements.len()),
        ] {
            self.cached
                .get_or_create(&RouteLabels { route: kind.into() })
                .set(n as i64);
        }
        let (docs, bytes) = state.search.size();
        self.index_docs.set(to_i64(docs));
        self.index_bytes.set(to_i64(bytes));
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

/// Counts and times every request (a middleware around the whole router).
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = match request.extensions().get::<MatchedPath>() {
        Some(path) => path.as_str().to_string(),
        None if request.uri().path().starts_with("/api/") => "/api/unmatched".to_string(),
        None => "app".to_string(),
    };
    let method = request.method().clone();
    let response = next.run(request).await;
    state.metrics.observe(
        route,
        method.as_str(),
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// `GET /metrics` (outside `/api/v1`, like `/healthz`).
#[utoipa::path(get, path = "/metrics", tag = "health",
    description = "The server's counters in the Prometheus text format (OpenMetrics 1.0): requests by route, method \
        and status, a latency histogram per route, the analytics queue (depth, dropped, written, failed events), the \
        read cache and the search index. For staff, or without a session from an address given with \
        `--metrics-allow`. Served at `/metrics`, outside `/api/v1`.",
    servers((url = "/")),
    responses((status = 200, content_type = "application/openmetrics-text", body = String),
        (status = 401, body = api_types::Problem, content_type = "application/problem+json"),
        (status = 403, body = api_types::Problem, content_type = "application/problem+json")))]
pub async fn scrape(
    State(state): State<AppState>,
    user: Option<CurrentUser>,
    extensions: axum::http::Extensions,
) -> Response {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>();
    let allowed_address = peer.is_some_and(|ConnectInfo(addr)| {
        let ip = match addr.ip() {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        state.config.metrics_allow.contains(&ip)
    });
    if !allowed_address {
        match &user {
            None => return Error::Unauthorized.into_response(),
            Some(u) if !u.is_staff() => return Error::Forbidden.into_response(),
            Some(_) => {}
        }
    }
    let mut response = state.metrics.render(&state).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
