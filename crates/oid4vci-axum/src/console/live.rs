//! Live updates: Server-Sent Events that carry a page's live part, re-rendered whenever the
//! issuer stores an event ([`ConsoleFeed`](super::ConsoleFeed)) and at least every 2 s (a session page) or 10 s
//! (the session list), for changes made by other instances sharing the store. An update is sent only when the part changed; the
//! stream ends when the sign-in does.

use super::state::Console;
use super::{handlers, pages, session_page};
use crate::admin::ListSessionsQuery;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use oid4vci_issuer::{CredentialMinter, SessionStore};
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How often a session page looks again without being told (one read by id).
const SESSION_POLL: Duration = Duration::from_secs(2);
/// How often the session list looks again without being told (a query that may scan every
/// session: changes made by this process arrive at once through the feed, those of other
/// instances sharing the store within this time).
const LIST_POLL: Duration = Duration::from_secs(10);

/// An event stream of `render`'s output: first at once, then whenever it changes; `render`
/// returning `None` ends it.
fn live<F, Fut>(changes: watch::Receiver<u64>, poll: Duration, render: F) -> Response
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Option<String>> + Send,
{
    let start = (changes, render, None::<String>, true);
    let updates = stream::unfold(
        start,
        move |(mut changes, mut render, last, first)| async move {
            if !first {
                wait(&mut changes, poll).await;
            }
            loop {
                let html = render().await?;
                if last.as_deref() != Some(html.as_str()) {
                    let event = SseEvent::default().event("update").data(&html);
                    return Some((
                        Ok::<_, Infallible>(event),
                        (changes, render, Some(html), false),
                    ));
                }
                wait(&mut changes, poll).await;
            }
        },
    );
    Sse::new(updates)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// Resolves at the next change or after `poll`, whichever comes first.
async fn wait(changes: &mut watch::Receiver<u64>, poll: Duration) {
    match tokio::time::timeout(poll, changes.changed()).await {
        Ok(Ok(())) | Err(_) => {}
        // The feed is gone: poll.
        Ok(Err(_)) => tokio::time::sleep(poll).await,
    }
}

/// `GET /console/live/sessions?…`: the rows of the session list.
pub(crate) async fn sessions<S: SessionStore, M: CredentialMinter>(
    State(console): State<Arc<Console<S, M>>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    if console.sign_ins.current(&headers).is_none() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Ok(query) = ListSessionsQuery::parse(query.as_deref()) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let changes = console.config.feed.subscribe();
    live(changes, LIST_POLL, move || {
        let (console, headers, query) = (console.clone(), headers.clone(), query.clone());
        async move {
            console.sign_ins.current(&headers)?;
            let rows = handlers::session_rows(&console, &query).await;
            Some(rows.into_string())
        }
    })
}

/// `GET /console/live/sessions/{id}`: the live part of a session page.
pub(crate) async fn session<S: SessionStore, M: CredentialMinter>(
    State(console): State<Arc<Console<S, M>>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if console.sign_ins.current(&headers).is_none() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let changes = console.config.feed.subscribe();
    live(changes, SESSION_POLL, move || {
        let (console, headers, id) = (console.clone(), headers.clone(), id.clone());
        async move {
            let signed_in = console.sign_ins.current(&headers)?;
            let live = match console.issuer.inspect(&id).await {
                Ok(summary) => session_page::live_part(&summary, &signed_in),
                Err(e) => pages::gone(&e.to_string()),
            };
            Some(live.into_string())
        }
    })
}

/// `GET /console/live/refused`: the rows of the refused wallet requests.
pub(crate) async fn refused<S: SessionStore, M: CredentialMinter>(
    State(console): State<Arc<Console<S, M>>>,
    headers: HeaderMap,
) -> Response {
    let Some(log) = console.config.wallet_debug.clone() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if console.sign_ins.current(&headers).is_none() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let changes = log.subscribe();
    live(changes, SESSION_POLL, move || {
        let (console, headers, log) = (console.clone(), headers.clone(), log.clone());
        async move {
            console.sign_ins.current(&headers)?;
            Some(pages::refused_rows(&log.entries()).into_string())
        }
    })
}
