//! Styles as the config file writes them: `"cyan"`, `"bold #ff8800"`,
//! `"black on yellow"`, `"dim"`, `"reverse"`, `"none"`.
//!
//! A style is words separated by spaces: colour names (`red`, `light-blue`,
//! `dark-gray`, `reset`), `#rrggbb`, or a palette index `0`–`255` for the
//! foreground; `on COLOUR` for the background; and the modifiers `bold`,
//! `dim`, `italic`, `underlined`, `reversed`. `none` is no style at all.

use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};

/// The roles of the UI's theme, as the config file names them.
pub const ROLES: [&str; 10] = [
    "text",
    "muted",
    "title",
    "success",
    "warning",
    "error",
    "selected",
    "key",
    "border",
    "focused_border",
];

const MODIFIERS: [(&str, Modifier); 7] = [
    ("bold", Modifier::BOLD),
    ("dim", Modifier::DIM),
    ("italic", Modifier::ITALIC),
    ("underlined", Modifier::UNDERLINED),
    ("underline", Modifier::UNDERLINED),
    ("reversed", Modifier::REVERSED),
    ("reverse", Modifier::REVERSED),
];

/// Parses a style; `None` when a word is neither a colour nor a modifier.
pub fn parse_style(text: &str) -> Option<Style> {
    let mut style = Style::new();
    let mut words = text.split_whitespace().peekable();
    words.peek()?;
    let mut foreground_set = false;
    while let Some(word) = words.next() {
        let lower = word.to_ascii_lowercase();
        if lower == "none" {
            continue;
        }
        if lower == "on" {
            style = style.bg(color(words.next()?)?);
            continue;
        }
        if let Some((_, m)) = MODIFIERS.iter().find(|(name, _)| *name == lower) {
            style = style.add_modifier(*m);
            continue;
        }
        // One foreground: `red blue` is a mistake, not blue.
        if foreground_set {
            return None;
        }
        style = style.fg(color(word)?);
        foreground_set = true;
    }
    Some(style)
}

fn color(word: &str) -> Option<Color> {
    Color::from_str(word).ok()
}

/// A style in the file's own words, so `flowvault config` prints what the
/// file would say: `bold cyan`, `dim`, `none`.
pub fn describe(style: Style) -> String {
    let mut words: Vec<String> = Vec::new();
    for (name, m) in MODIFIERS {
        // The long spellings only.
        if style.add_modifier.contains(m) && !matches!(name, "underline" | "reverse") {
            words.push(name.to_owned());
        }
    }
    if let Some(fg) = style.fg {
        words.push(color_name(fg));
    }
    if let Some(bg) = style.bg {
        words.push(format!("on {}", color_name(bg)));
    }
    if words.is_empty() {
        "none".to_owned()
    } else {
        words.join(" ")
    }
}

fn color_name(color: Color) -> String {
    match color {
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) => i.to_string(),
        // ratatui writes `DarkGray`; the file's spelling is `dark-gray`.
        named => super::file_name(&named.to_string(), '-'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_parse_colours_backgrounds_and_modifiers() {
        assert_eq!(parse_style("gray"), Some(Style::new().fg(Color::Gray)));
        assert_eq!(
            parse_style("#ff8800"),
            Some(Style::new().fg(Color::Rgb(255, 136, 0)))
        );
        assert_eq!(
            parse_style("bold light-blue"),
            Some(
                Style::new()
                    .fg(Color::LightBlue)
                    .add_modifier(Modifier::BOLD)
            )
        );
        assert_eq!(
            parse_style("black on yellow"),
            Some(Style::new().fg(Color::Black).bg(Color::Yellow))
        );
        assert_eq!(
            parse_style("reverse"),
            Some(Style::new().add_modifier(Modifier::REVERSED))
        );
        assert_eq!(
            parse_style("208"),
            Some(Style::new().fg(Color::Indexed(208)))
        );
        assert_eq!(parse_style("none"), Some(Style::new()));
    }

    #[test]
    fn words_that_are_no_colour_are_refused() {
        for bad in [
            "",
            "  ",
            "purplish",
            "red blue",
            "on",
            "#ff88",
            "bold on nothing",
        ] {
            assert_eq!(parse_style(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn described_styles_parse_back_to_themselves() {
        for text in [
            "bold cyan",
            "dim",
            "none",
            "#ff8800",
            "reversed",
            "black on light-yellow",
            "dark-gray",
            "208",
        ] {
            let style = parse_style(text).unwrap();
            assert_eq!(describe(style), text);
            assert_eq!(parse_style(&describe(style)), Some(style));
        }
    }
}
