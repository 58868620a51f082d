//! The server-rendered login and consent page of the embedded authorization server. Rendered
//! with `maud`, which escapes every interpolated value: `client_id`, `user_hint` and the rest
//! come from the wallet and must never become markup. No JavaScript; labels for every field.

use maud::{html, Markup, PreEscaped, DOCTYPE};
use oid4vci_issuer::LoginPage;
use oid4vci_types::ErrorResponse;

const STYLE: &str = "\
body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1b1f24;margin:0}\
main{max-width:26rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:.75rem;\
box-shadow:0 1px 4px rgba(0,0,0,.12)}\
h1{font-size:1.35rem;margin:0 0 1rem}\
ul{padding-left:1.2rem}li{margin:.25rem 0}.id{color:#57606a;font-size:.85rem}\
label{display:block;font-weight:600;margin:1rem 0 .3rem}\
input{width:100%;box-sizing:border-box;padding:.55rem;border:1px solid #8c959f;border-radius:.4rem;font-size:1rem}\
input:focus,button:focus{outline:3px solid #0969da;outline-offset:1px}\
.actions{display:flex;gap:.75rem;margin-top:1.5rem}\
button{flex:1;padding:.65rem;font-size:1rem;border-radius:.4rem;border:1px solid #1f6feb;cursor:pointer}\
.approve{background:#1f6feb;color:#fff}.deny{background:#fff;color:#1f6feb}\
.error{background:#ffebe9;border:1px solid #cf222e;color:#82071e;padding:.6rem;border-radius:.4rem}\
.meta{color:#57606a;font-size:.85rem;margin-top:1.5rem;word-break:break-all}\
.destination{background:#fff8c5;border:1px solid #d4a72c;padding:.6rem;border-radius:.4rem;word-break:break-all}\
.unverified{color:#82071e;font-weight:600}";

fn frame(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body { main { (body) } }
        }
    }
}

/// The login and consent page.
pub(crate) fn login(page: &LoginPage) -> String {
    let issuer = page.issuer_name.as_deref().unwrap_or(&page.issuer);
    let (username, password) = page
        .prefill
        .as_ref()
        .map_or(("", ""), |p| (p.username.as_str(), p.password.as_str()));
    let body = html! {
        h1 { "Sign in to " (issuer) }
        p { "The wallet " strong { (page.client_id) }
            @if !page.client_verified { " " span class="unverified" id="client-unverified" { "(unverified: the name is the wallet's own claim)" } }
            " asks " (issuer) " to issue:" }
        p class="destination" id="redirect-origin" {
            "After you sign in, your authorization is sent to " strong { (page.redirect_origin) }
            ". Continue only if you expect your wallet to be there."
        }
        ul aria-label="Requested credentials" {
            @for c in &page.credentials {
                li { (c.name) " " span class="id" { "(" (c.id) ")" } }
            }
        }
        @if let Some(error) = &page.error {
            p class="error" role="alert" id="login-error" { (error) }
        }
        form method="post" action="authorize" {
            input type="hidden" name="request_uri" value=(page.request_uri);
            input type="hidden" name="form_token" value=(page.form_token);
            label for="username" { "User name" }
            input id="username" name="username" type="text" autocomplete="username"
                value=(page.user_hint.as_deref().filter(|_| username.is_empty()).unwrap_or(username))
                required aria-describedby=[page.error.as_ref().map(|_| "login-error")];
            label for="password" { "Password" }
            input id="password" name="password" type="password" autocomplete="current-password"
                value=(password) required;
            div class="actions" {
                button class="approve" type="submit" name="action" value="approve" { "Sign in and share" }
                button class="deny" type="submit" name="action" value="deny" formnovalidate { "Deny" }
            }
        }
        p class="meta" { "Credential issuer: " (page.issuer) }
    };
    frame(&format!("Sign in to {issuer}"), body).into_string()
}

/// A page for an authorization request that cannot be redirected back to the wallet.
pub(crate) fn error(e: &ErrorResponse) -> String {
    let body = html! {
        h1 { "This request cannot be completed" }
        p class="error" role="alert" {
            "Error: " code id="error-code" { (e.error.as_str()) }
        }
        @if let Some(d) = &e.error_description { p id="error-description" { (d) } }
        p { "Go back to your wallet and start again." }
    };
    frame("Authorization error", body).into_string()
}
