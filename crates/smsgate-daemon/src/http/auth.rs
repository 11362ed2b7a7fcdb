//! Bearer tokens: `Authorization: Bearer TOKEN`. No token, or one no
//! `[[http.tokens]]` has, is 401; a known token without the scope the
//! route needs is 403.
//!
//! A presented token is hashed, and its digest compared with every
//! configured one in constant time (subtle), all of them each time: how
//! long the check takes tells nothing of how close a guess was, nor which
//! token it was close to.

use axum::http::HeaderMap;
use subtle::{Choice, ConstantTimeEq as _};

use crate::http::config::{digest_of, Scope, TokenSettings};
use crate::http::error::ApiError;

/// The token that `headers` present, if it is one of `tokens` and has
/// `scope`.
pub(crate) fn authorize<'a>(
    tokens: &'a [TokenSettings],
    headers: &HeaderMap,
    scope: Scope,
) -> Result<&'a TokenSettings, ApiError> {
    let presented = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (kind, token) = value.trim().split_once(' ')?;
            kind.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|token| !token.is_empty())
        .ok_or_else(|| ApiError::unauthorized("an Authorization: Bearer TOKEN header is needed"))?;
    let digest = digest_of(presented.as_bytes());
    let mut found: Option<&TokenSettings> = None;
    for token in tokens {
        let same: Choice = token.digest.ct_eq(&digest);
        if bool::from(same) {
            found = Some(token);
        }
    }
    let token = found.ok_or_else(|| ApiError::unauthorized("the token is not valid"))?;
    if !token.scopes.contains(&scope) {
        return Err(ApiError::forbidden(&format!(
            "token {:?} lacks scope {}",
            token.name,
            scope.name()
        )));
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderValue, StatusCode};

    use super::*;

    fn tokens() -> Vec<TokenSettings> {
        vec![
            TokenSettings {
                name: "shop".into(),
                digest: digest_of(b"s3cret"),
                scopes: vec![Scope::Send],
            },
            TokenSettings {
                name: "ops".into(),
                digest: digest_of(b"other"),
                scopes: vec![Scope::Read, Scope::Admin],
            },
        ]
    }

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn a_known_token_with_the_scope_passes() {
        let tokens = tokens();
        assert_eq!(
            authorize(&tokens, &with("Bearer s3cret"), Scope::Send)
                .unwrap()
                .name,
            "shop"
        );
        assert_eq!(
            authorize(&tokens, &with("bearer  other "), Scope::Admin)
                .unwrap()
                .name,
            "ops"
        );
    }

    #[test]
    fn no_or_a_wrong_token_is_401_and_a_missing_scope_403() {
        let tokens = tokens();
        let status = |headers: &HeaderMap, scope| authorize(&tokens, headers, scope).unwrap_err().status;
        assert_eq!(status(&HeaderMap::new(), Scope::Send), StatusCode::UNAUTHORIZED);
        assert_eq!(
            status(&with("Bearer s3cre"), Scope::Send),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            status(&with("Basic s3cret"), Scope::Send),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(status(&with("Bearer "), Scope::Send), StatusCode::UNAUTHORIZED);
        assert_eq!(status(&with("Bearer s3cret"), Scope::Read), StatusCode::FORBIDDEN);
    }
}
