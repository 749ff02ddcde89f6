//! The language of the current request, for error messages written in the user's language.
//!
//! A middleware reads `Accept-Language` and runs the rest of the request inside a task-local, so that an
//! error turned into a response deep in a handler still knows whom it speaks to.

use axum::{extract::Request, middleware::Next, response::Response};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    PtBr,
    En,
}

impl Lang {
    /// The best of our two languages for an `Accept-Language` value; Portuguese is the default.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(header) = header else {
            return Lang::PtBr;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = if tag == "pt" || tag.starts_with("pt-") {
                Lang::PtBr
            } else if tag == "en" || tag.starts_with("en-") {
                Lang::En
            } else {
                continue;
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::PtBr, |(_, l)| l)
    }

    pub fn tag(self) -> &'static str {
        match self {
            Lang::PtBr => "pt-BR",
            Lang::En => "en",
        }
    }

    /// The language of the request being served (Portuguese outside of one).
    pub fn current() -> Lang {
        LANG.try_with(|l| *l).unwrap_or(Lang::PtBr)
    }
}

tokio::task_local! {
    static LANG: Lang;
}

pub async fn middleware(request: Request, next: Next) -> Response {
    let lang = Lang::from_accept_language(
        request
            .headers()
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    LANG.scope(lang, next.run(request)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_preferred_known_language() {
        assert_eq!(Lang::from_accept_language(None), Lang::PtBr);
        assert_eq!(Lang::from_accept_language(Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(
            Lang::from_accept_language(Some("fr, en;q=0.5, pt-BR;q=0.8")),
            Lang::PtBr
        );
        assert_eq!(Lang::from_accept_language(Some("de")), Lang::PtBr);
        assert_eq!(
            Lang::from_accept_language(Some("pt-PT;q=0.2, en;q=0.3")),
            Lang::En
        );
    }
}
