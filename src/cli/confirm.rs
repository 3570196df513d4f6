//! Asking the person at the terminal before an irreversible step.

use std::io::{BufRead, IsTerminal, Write};

use crate::locale::Locale;
use crate::locale::terminal_safe::escape_line;

use super::error::CliError;

/// Whether the step may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Yes,
    No,
}

/// Asks `question` on stderr and reads the answer from standard input, which
/// must be a terminal: only a yes word of the language (`y`, `yes`; `o`,
/// `oui`…) is a yes; anything else, an empty line or end of input is a no.
/// Without a terminal nobody can answer, and `refusal` is the error.
pub fn ask(locale: &Locale, question: &str, refusal: CliError) -> Result<Answer, CliError> {
    if !std::io::stdin().is_terminal() {
        return Err(refusal);
    }
    let mut stderr = std::io::stderr().lock();
    // The question names a connection, which came from the vault.
    let _ = write!(stderr, "{}", escape_line(question));
    let _ = stderr.flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| {
        CliError::failure(locale.f("cli.terminal_error", &[("error", &e.to_string())]))
    })?;
    Ok(if is_yes(locale, &line) {
        Answer::Yes
    } else {
        Answer::No
    })
}

/// Whether `line` is one of the language's yes words (English ones always count).
fn is_yes(locale: &Locale, line: &str) -> bool {
    let answer = line.trim().to_lowercase();
    !answer.is_empty()
        && locale
            .t("output.yes_words")
            .split(',')
            .chain(["y", "yes"])
            .any(|word| word.trim() == answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locale::Lang;

    #[test]
    fn only_yes_words_say_yes() {
        let fr = Locale::get(Lang::Fr);
        for yes in ["y\n", "YES\n", "o\n", " oui \n"] {
            assert!(is_yes(fr, yes), "{yes:?}");
        }
        for no in ["", "\n", "n\n", "non\n", "yess\n", "o,oui\n"] {
            assert!(!is_yes(fr, no), "{no:?}");
        }
        assert!(is_yes(Locale::get(Lang::Ja), "はい\n"));
        assert!(!is_yes(Locale::get(Lang::En), "oui\n"));
    }
}
