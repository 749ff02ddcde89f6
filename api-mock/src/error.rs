//! The server's one error type, answered as RFC 9457 problem JSON in the user's language.
//!
//! Internal causes are logged, never sent.

use api_types::{FieldError, Problem};
use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::lang::Lang;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a field was refused; rendered in the request's language.
#[derive(Debug, Clone, PartialEq)]
pub enum Invalid {
    Required,
    TooLong(usize),
    TooShort(usize),
    Email,
    OneOf(&'static [&'static str]),
    EndsBeforeStart,
    Taken,
    NotFound,
    WrongPassword,
    Custom { pt: String, en: String },
}

impl Invalid {
    pub fn message(&self, lang: Lang) -> String {
        use Invalid::*;
        match (self, lang) {
            (Required, Lang::PtBr) => "Preencha este campo.".into(),
            (Required, Lang::En) => "This field is required.".into(),
            (TooLong(n), Lang::PtBr) => format!("Use no máximo {n} caracteres."),
            (TooLong(n), Lang::En) => format!("Use at most {n} characters."),
            (TooShort(n), Lang::PtBr) => format!("Use pelo menos {n} caracteres."),
            (TooShort(n), Lang::En) => format!("Use at least {n} characters."),
            (Email, Lang::PtBr) => "Informe um e-mail válido, como nome@empresa.com.br.".into(),
            (Email, Lang::En) => "Enter a valid e-mail address, such as name@company.com.".into(),
            (OneOf(v), Lang::PtBr) => format!("Escolha um destes valores: {}.", v.join(", ")),
            (OneOf(v), Lang::En) => format!("Choose one of: {}.", v.join(", ")),
            (EndsBeforeStart, Lang::PtBr) => "O fim deve ser depois do início.".into(),
            (EndsBeforeStart, Lang::En) => "The end must be after the start.".into(),
            (Taken, Lang::PtBr) => "Este valor já está em uso.".into(),
            (Taken, Lang::En) => "This value is already in use.".into(),
            (NotFound, Lang::PtBr) => "Não encontrado.".into(),
            (NotFound, Lang::En) => "Not found.".into(),
            (WrongPassword, Lang::PtBr) => "A senha atual não confere.".into(),
            (WrongPassword, Lang::En) => "The current password is not correct.".into(),
            (Custom { pt, .. }, Lang::PtBr) => pt.clone(),
            (Custom { en, .. }, Lang::En) => en.clone(),
        }
    }
}

/// Where in the URL a refused value was.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UrlPart {
    Path,
    Query,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("malformed request: {0}")]
    BadRequest(String),
    /// A path segment or query parameter that is not of its type (`/tickets/abc`, `?limit=-1`).
    #[error("malformed {part:?} value {name:?}")]
    BadUrl { part: UrlPart, name: Option<String> },
    /// A JSON body that is valid JSON but not the object the endpoint takes (an array, a string...).
    #[error("the JSON body is not an object")]
    NotAnObject,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("not signed in")]
    Unauthorized,
    #[error("wrong e-mail or password")]
    InvalidCredentials,
    #[error("not allowed")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    /// An edit that started from an older revision: answered with the current article in `current` and
    /// the body's lines from it to the text that was sent in `changes`.
    #[error("stale revision (now {})", .0.revision)]
    StaleRevision(Box<api_types::Article>, Vec<api_types::DiffLine>),
    #[error("request body too large")]
    PayloadTooLarge,
    /// An upload over the attachment size limit (`serve --attachment-max-mb`).
    #[error("file over {limit_bytes} bytes")]
    FileTooLarge { limit_bytes: u64 },
    /// An upload whose bytes are not of an allowed kind (`detected`: what they are, when known).
    #[error("file type not allowed ({detected:?})")]
    FileType { detected: Option<String> },
    #[error("request body must be JSON")]
    UnsupportedMediaType,
    #[error("invalid fields")]
    Invalid(Vec<(String, Invalid)>),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// Every slot for an expensive operation (a password verification) is taken: try again shortly.
    #[error("server busy")]
    Busy { retry_after_secs: u64 },
    /// A search ran past its time budget.
    #[error("search over its time budget")]
    SearchTimeout,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("internal: {0}")]
    Internal(String),
}

impl Error {
    pub fn invalid(field: &str, why: Invalid) -> Self {
        Error::Invalid(vec![(field.to_string(), why)])
    }

    pub fn status_code(&self) -> StatusCode {
        match self {
            Error::BadRequest(_) | Error::BadUrl { .. } | Error::NotAnObject => {
                StatusCode::BAD_REQUEST
            }
            Error::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Error::Busy { .. } | Error::SearchTimeout => StatusCode::SERVICE_UNAVAILABLE,
            Error::Unauthorized | Error::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Error::Forbidden => StatusCode::FORBIDDEN,
            Error::NotFound => StatusCode::NOT_FOUND,
            Error::Conflict(_) | Error::StaleRevision(..) => StatusCode::CONFLICT,
            Error::PayloadTooLarge | Error::FileTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedMediaType | Error::FileType { .. } => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::Database(_) | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A stable code that clients can translate or branch on.
    fn code(&self) -> &'static str {
        match self {
            Error::BadRequest(_) => "bad_request",
            Error::BadUrl { .. } => "bad_url",
            Error::NotAnObject => "not_an_object",
            Error::MethodNotAllowed => "method_not_allowed",
            Error::Busy { .. } => "busy",
            Error::SearchTimeout => "search_timeout",
            Error::Unauthorized => "unauthorized",
            Error::InvalidCredentials => "invalid_credentials",
            Error::Forbidden => "forbidden",
            Error::NotFound => "not_found",
            Error::Conflict(_) => "conflict",
            Error::StaleRevision(..) => "stale_revision",
            Error::PayloadTooLarge => "payload_too_large",
            Error::FileTooLarge { .. } => "file_too_large",
            Error::FileType { .. } => "file_type_not_allowed",
            Error::UnsupportedMediaType => "unsupported_media_type",
            Error::Invalid(_) => "invalid",
            Error::TooManyRequests { .. } => "too_many_requests",
            Error::Database(_) | Error::Internal(_) => "internal",
        }
    }

    fn title(&self, lang: Lang) -> &'static str {
        let pt = lang == Lang::PtBr;
        match self {
            Error::BadRequest(_) | Error::BadUrl { .. } | Error::NotAnObject if pt => {
                "Pedido malformado"
            }
            Error::BadRequest(_) | Error::BadUrl { .. } | Error::NotAnObject => "Malformed request",
            Error::MethodNotAllowed if pt => "Método não permitido",
            Error::MethodNotAllowed => "Method not allowed",
            Error::Busy { .. } if pt => "Servidor ocupado",
            Error::Busy { .. } => "Server busy",
            Error::SearchTimeout if pt => "A busca demorou demais",
            Error::SearchTimeout => "The search took too long",
            Error::Unauthorized if pt => "Entre para continuar",
            Error::Unauthorized => "Sign in to continue",
            Error::InvalidCredentials if pt => "E-mail ou senha incorretos",
            Error::InvalidCredentials => "Wrong e-mail or password",
            Error::Forbidden if pt => "Você não tem permissão para isso",
            Error::Forbidden => "You are not allowed to do this",
            Error::NotFound if pt => "Não encontrado",
            Error::NotFound => "Not found",
            Error::Conflict(_) if pt => "Conflito",
            Error::Conflict(_) => "Conflict",
            Error::StaleRevision(..) if pt => "Alguém salvou este artigo enquanto você editava",
            Error::StaleRevision(..) => "Someone saved this article while you were editing",
            Error::PayloadTooLarge if pt => "Conteúdo grande demais",
            Error::PayloadTooLarge => "Request too large",
            Error::FileTooLarge { .. } if pt => "Arquivo grande demais",
            Error::FileTooLarge { .. } => "File too large",
            Error::FileType { .. } if pt => "Tipo de arquivo não aceito",
            Error::FileType { .. } => "File type not accepted",
            Error::UnsupportedMediaType if pt => "O conteúdo deve ser JSON",
            Error::UnsupportedMediaType => "The request body must be JSON",
            Error::Invalid(_) if pt => "Alguns campos precisam de correção",
            Error::Invalid(_) => "Some fields need correcting",
            Error::TooManyRequests { .. } if pt => "Muitas tentativas",
            Error::TooManyRequests { .. } => "Too many attempts",
            Error::Database(_) | Error::Internal(_) if pt => "Erro interno",
            Error::Database(_) | Error::Internal(_) => "Internal error",
        }
    }

    fn detail(&self, lang: Lang) -> Option<String> {
        let pt = lang == Lang::PtBr;
        match self {
            Error::BadRequest(why) => Some(why.clone()),
            Error::BadUrl { part, name } => Some(match (part, name, pt) {
                (UrlPart::Query, Some(n), true) => format!(
                    "O parâmetro «{n}» do endereço não tem um valor válido. Confira o tipo e os limites na documentação da API."
                ),
                (UrlPart::Query, Some(n), false) => format!(
                    "The address parameter «{n}» has no valid value. Check its type and bounds in the API documentation."
                ),
                (UrlPart::Query, None, true) => {
                    "Os parâmetros do endereço não são válidos.".to_string()
                }
                (UrlPart::Query, None, false) => "The address parameters are not valid.".to_string(),
                (UrlPart::Path, Some(n), true) => {
                    format!("O valor de «{n}» no caminho do endereço não é válido.")
                }
                (UrlPart::Path, Some(n), false) => {
                    format!("The value of «{n}» in the address path is not valid.")
                }
                (UrlPart::Path, None, true) => {
                    "Um valor no caminho do endereço não é válido (por exemplo, um número esperado).".to_string()
                }
                (UrlPart::Path, None, false) => {
                    "A value in the address path is not valid (a number expected, for instance).".to_string()
                }
            }),
            Error::NotAnObject if pt => Some("O corpo deve ser um objeto JSON ({...}).".into()),
            Error::NotAnObject => Some("The body must be a JSON object ({...}).".into()),
            Error::MethodNotAllowed if pt => {
                Some("Este endereço não aceita este método; veja o cabeçalho Allow.".into())
            }
            Error::MethodNotAllowed => {
                Some("This address does not take this method; see the Allow header.".into())
            }
            Error::Busy { retry_after_secs } if pt => Some(format!(
                "Muitas entradas sendo verificadas agora. Tente de novo em {retry_after_secs} segundo(s)."
            )),
            Error::Busy { retry_after_secs } => Some(format!(
                "Too many sign-ins are being checked right now. Try again in {retry_after_secs} second(s)."
            )),
            Error::SearchTimeout if pt => {
                Some("Tente com menos palavras, ou de novo em instantes.".into())
            }
            Error::SearchTimeout => Some("Try fewer words, or again in a moment.".into()),
            Error::Conflict(why) => Some(why.clone()),
            Error::StaleRevision(current, _) if pt => Some(format!(
                "A versão atual é a revisão {}. Compare-a com a sua (campo current) e salve de novo a partir dela.",
                current.revision
            )),
            Error::StaleRevision(current, _) => Some(format!(
                "The current version is revision {}. Compare it with yours (the current field) and save again from it.",
                current.revision
            )),
            Error::PayloadTooLarge if pt => Some("O limite é de 1 MiB.".into()),
            Error::PayloadTooLarge => Some("The limit is 1 MiB.".into()),
            Error::FileTooLarge { limit_bytes } if pt => Some(format!(
                "Cada arquivo pode ter até {} MB. Reduza o arquivo (por exemplo, uma captura de tela em vez de uma foto) ou envie-o em partes.",
                limit_bytes.div_ceil(1024 * 1024)
            )),
            Error::FileTooLarge { limit_bytes } => Some(format!(
                "Each file may be up to {} MB. Make it smaller (a screenshot instead of a photo, for instance) or send it in parts.",
                limit_bytes.div_ceil(1024 * 1024)
            )),
            Error::FileType { .. } if pt => Some(format!(
                "O tipo do arquivo é decidido pelo conteúdo, não pelo nome. Tipos aceitos: {}.",
                crate::attachments::allowed_list()
            )),
            Error::FileType { .. } => Some(format!(
                "A file's type is decided by its content, not its name. Accepted types: {}.",
                crate::attachments::allowed_list()
            )),
            Error::TooManyRequests { retry_after_secs } if pt => Some(format!(
                "Aguarde {} minuto(s) e tente de novo.",
                retry_after_secs.div_ceil(60)
            )),
            Error::TooManyRequests { retry_after_secs } => Some(format!(
                "Wait {} minute(s) and try again.",
                retry_after_secs.div_ceil(60)
            )),
            Error::Database(_) | Error::Internal(_) if pt => {
                Some("Algo deu errado do nosso lado. Tente de novo em instantes.".into())
            }
            Error::Database(_) | Error::Internal(_) => {
                Some("Something went wrong on our side. Try again in a moment.".into())
            }
            _ => None,
        }
    }

    pub fn to_problem(&self, lang: Lang) -> Problem {
        let status = self.status_code();
        Problem {
            kind: format!("https://portal.invalid/problems/{}", self.code()),
            title: self.title(lang).to_string(),
            status: status.as_u16(),
            detail: self.detail(lang),
            errors: match self {
                Error::Invalid(fields) => fields
                    .iter()
                    .map(|(field, why)| FieldError {
                        field: field.clone(),
                        message: why.message(lang),
                    })
                    .collect(),
                _ => Vec::new(),
            },
            code: Some(self.code().to_string()),
            current: match self {
                Error::StaleRevision(article, _) => Some(article.clone()),
                _ => None,
            },
            changes: match self {
                Error::StaleRevision(_, changes) => Some(changes.clone()),
                _ => None,
            },
        }
    }
}

/// Answers a problem document with the right content type.
pub fn problem_response(status: StatusCode, problem: &serde_json::Value) -> Response {
    let mut response = (status, axum::Json(problem)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let problem = serde_json::to_value(self.to_problem(Lang::current()))
            .unwrap_or_else(|_| serde_json::json!({"status": status.as_u16()}));
        let mut response = problem_response(status, &problem);
        let retry_after = match self {
            Error::TooManyRequests { retry_after_secs } | Error::Busy { retry_after_secs } => {
                Some(retry_after_secs)
            }
            Error::SearchTimeout => Some(1),
            _ => None,
        };
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        response
    }
}

/// Collects field errors so that a form gets all of them at once.
#[derive(Default)]
pub struct Validator(Vec<(String, Invalid)>);

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, why: Invalid) {
        self.0.push((field.to_string(), why));
    }

    /// A required text: trimmed, not empty, at most `max` characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) {
        let chars = value.trim().chars().count();
        if chars == 0 {
            self.add(field, Invalid::Required);
        } else if chars > max {
            self.add(field, Invalid::TooLong(max));
        }
    }

    pub fn email(&mut self, field: &str, value: &str) {
        let v = value.trim();
        let ok = v.len() <= 254
            && v.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !v.contains(char::is_whitespace)
            });
        if !ok {
            self.add(field, Invalid::Email);
        }
    }

    pub fn locale(&mut self, field: &str, value: Option<&str>) {
        if let Some(v) = value
            && !crate::LOCALES.contains(&v)
        {
            self.add(field, Invalid::OneOf(crate::LOCALES));
        }
    }

    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(self.0))
        }
    }
}
