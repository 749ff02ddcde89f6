//! Request extractors of our own, so that every refusal has the problem shape.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request, rejection::PathRejection},
    http::{Method, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde::de::DeserializeOwned;

use crate::error::{Error, Invalid, UrlPart};

/// Like `axum::Json`, but malformed JSON, unknown fields and oversized bodies answer problem JSON, and the
/// body must be a JSON object: serde would otherwise fill a struct from an array of its fields in order.
/// The one endpoint whose body is a list takes [`JsonList`].
pub struct Json<T>(pub T);

/// A JSON body that is an array (the synonym groups); everything else of [`Json`] holds.
pub struct JsonList<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = json_body(req, state).await?;
        if bytes.trim_ascii_start().first() != Some(&b'{')
            && serde_json::from_slice::<serde_json::Value>(&bytes).is_ok()
        {
            return Err(Error::NotAnObject);
        }
        parse(&bytes).map(Json)
    }
}

impl<T, S> FromRequest<S> for JsonList<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        parse(&json_body(req, state).await?).map(JsonList)
    }
}

async fn json_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, Error> {
    if !is_json(req.headers().get(header::CONTENT_TYPE)) {
        return Err(Error::UnsupportedMediaType);
    }
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            Error::PayloadTooLarge
        } else {
            Error::BadRequest(rejection.body_text())
        }
    })
}

/// Like `axum::extract::Query`, but a value of the wrong type answers problem JSON naming the parameter.
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(rejection) => Err(Error::BadUrl {
                part: UrlPart::Query,
                name: query_parameter(&rejection.body_text()),
            }),
        }
    }
}

/// The parameter named in axum's "Failed to deserialize query string: NAME: reason".
fn query_parameter(text: &str) -> Option<String> {
    let rest = text.split_once("query string: ")?.1;
    let (name, _) = rest.split_once(": ")?;
    (!name.is_empty() && name.len() <= 64 && !name.contains(' ')).then(|| name.to_string())
}

/// Like `axum::extract::Path`, but a value of the wrong type (`/tickets/abc`) or not UTF-8 once decoded
/// (`/kb/articles/%FF`) answers problem JSON.
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::path::ErrorKind;
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                let name = match e.kind() {
                    ErrorKind::ParseErrorAtKey { key, .. }
                    | ErrorKind::InvalidUtf8InPathParam { key }
                    | ErrorKind::DeserializeError { key, .. } => Some(key.clone()),
                    _ => None,
                };
                match e.kind() {
                    ErrorKind::UnsupportedType { .. }
                    | ErrorKind::WrongNumberOfParameters { .. } => {
                        Err(Error::Internal(e.body_text()))
                    }
                    _ => Err(Error::BadUrl {
                        part: UrlPart::Path,
                        name,
                    }),
                }
            }
            Err(other) => Err(Error::Internal(other.body_text())),
        }
    }
}

/// Parses a JSON body: a missing field is a field error (422), anything else malformed is a 400.
///
/// A whole number written with a fraction or an exponent (`3.0`, `1e2`) is the same number to JSON and
/// to JSON Schema's `integer`, and some clients write every number so: it is taken where an integer is
/// expected, instead of serde's "invalid type: floating point".
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let parsed = serde_json::from_slice(bytes).or_else(|e| {
        if !e.to_string().starts_with("invalid type: floating point") {
            return Err(e);
        }
        let mut value: serde_json::Value = serde_json::from_slice(bytes)?;
        whole_numbers_as_integers(&mut value);
        serde_json::from_value(value)
    });
    parsed.map_err(|e| {
        let text = e.to_string();
        if let Some(rest) = text.strip_prefix("missing field `")
            && let Some((field, _)) = rest.split_once('`')
        {
            return Error::invalid(field, Invalid::Required);
        }
        Error::BadRequest(text)
    })
}

/// Turns every float that is a whole number an `f64` holds exactly (`3.0`; at most 2^53 either way)
/// into that integer, at any depth. Larger ones stay floats, and refused: `-9223372036854775809` is
/// read as a float that rounds to `i64::MIN`, and must not become it.
fn whole_numbers_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) => {
            if let Some(f) = n.as_f64()
                && !n.is_i64()
                && !n.is_u64()
                && f.fract() == 0.0
                && f.abs() <= 9_007_199_254_740_992.0
            {
                *n = serde_json::Number::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

fn is_json(content_type: Option<&header::HeaderValue>) -> bool {
    content_type
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// Mutating requests accept only JSON, even when they carry no body: a cross-site form can never send
/// `application/json`, so this also closes the door to request forgery.
pub async fn require_json(request: Request, next: Next) -> Response {
    let mutating = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    // The one exception: an upload's body is the file (`POST /attachments`), and must say so with a
    // type that a cross-site form cannot send either.
    let upload = request.method() == Method::POST
        && request
            .uri()
            .path()
            .trim_end_matches('/')
            .ends_with("/attachments")
        && request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case(crate::routes::attachments::UPLOAD_TYPE)
            });
    if mutating && !upload && !is_json(request.headers().get(header::CONTENT_TYPE)) {
        return Error::UnsupportedMediaType.into_response();
    }
    next.run(request).await
}

/// A response that no cache may keep (`Cache-Control: no-store`): who is signed in, staff reports.
pub struct NoStore<T>(pub T);

impl<T: IntoResponse> IntoResponse for NoStore<T> {
    fn into_response(self) -> Response {
        let mut response = self.0.into_response();
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
        response
    }
}
