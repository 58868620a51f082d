//! The offer's QR code as inline SVG (the `qrcode` crate renders it; the terminal one of
//! `oid4vci serve` comes from the same crate).

use maud::{html, Markup, PreEscaped};
use qrcode::render::svg;
use qrcode::QrCode;

/// An `<svg>` element showing `text` as a QR code, or a note when it does not fit in one.
pub(crate) fn qr_svg(text: &str) -> Markup {
    match QrCode::new(text.as_bytes()) {
        Ok(code) => {
            let rendered = code
                .render::<svg::Color<'_>>()
                .min_dimensions(240, 240)
                .quiet_zone(true)
                .dark_color(svg::Color("#000000"))
                .light_color(svg::Color("#ffffff"))
                .build();
            // The renderer writes an XML declaration before the element; HTML wants the
            // element alone. What remains is the renderer's own markup (no input text).
            let element = rendered
                .find("<svg")
                .and_then(|start| rendered.get(start..))
                .unwrap_or_default()
                .replacen(
                    "<svg",
                    "<svg role=\"img\" aria-label=\"QR code of the offer\" id=\"offer-qr\"",
                    1,
                );
            html! { (PreEscaped(element)) }
        }
        Err(e) => html! { p class="note" id="offer-qr-missing" { "No QR code: " (e.to_string()) } },
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_qr_code_is_an_svg_element() {
        let svg = super::qr_svg("openid-credential-offer://?credential_offer_uri=x").into_string();
        assert!(svg.starts_with("<svg role=\"img\""), "{svg}");
        assert!(svg.contains("<path") && svg.ends_with("</svg>"), "{svg}");
        let too_long = super::qr_svg(&"x".repeat(8000)).into_string();
        assert!(too_long.contains("No QR code"), "{too_long}");
    }
}
