//! Word wrapping by display width, so a report fits the terminal it is read on. Chinese text
//! has no spaces and each character takes two columns: it may break between any two characters.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Display columns of `s` (CJK counts two).
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `text` as lines no wider than `max` columns, each starting with `indent` (the first line
/// too). Without a width, one line per input line. A word longer than the room is cut.
pub fn wrap(text: &str, indent: &str, max: Option<usize>) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.lines() {
        let Some(max) = max else {
            lines.push(format!("{indent}{para}"));
            continue;
        };
        // Too narrow a terminal still gets at least 20 columns of text per line.
        let room = max.saturating_sub(width(indent)).max(20);
        let mut line = String::new();
        let mut used = 0;
        for piece in pieces(para) {
            let w = width(piece);
            // Closing punctuation never starts a line: the character before it goes along.
            let closing = piece.chars().all(|c| "。，、；：！？）」』》".contains(c));
            if used + w > room && used > 0 && closing {
                if let Some(last) = line.pop() {
                    lines.push(format!("{indent}{}", line.trim_end()));
                    line.clear();
                    line.push(last);
                    line.push_str(piece);
                    used = width(&line);
                    continue;
                }
            }
            if used + w > room && used > 0 {
                lines.push(format!("{indent}{}", line.trim_end()));
                line.clear();
                used = 0;
                if piece == " " {
                    continue;
                }
            }
            if w > room {
                // A long unbreakable word (a URL): cut it by columns.
                for c in piece.chars() {
                    let cw = c.width().unwrap_or(0);
                    if used + cw > room {
                        lines.push(format!("{indent}{line}"));
                        line.clear();
                        used = 0;
                    }
                    line.push(c);
                    used += cw;
                }
                continue;
            }
            line.push_str(piece);
            used += w;
        }
        lines.push(format!("{indent}{}", line.trim_end()));
    }
    if lines.is_empty() {
        lines.push(indent.trim_end().to_string());
    }
    lines
}

/// Words, single spaces, and single wide characters: the units a line may break between.
fn pieces(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        let wide = c.width().unwrap_or(0) > 1;
        if c == ' ' || wide {
            if start < i {
                out.push(&text[start..i]);
            }
            out.push(&text[i..i + c.len_utf8()]);
            start = i + c.len_utf8();
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_fit_and_keep_every_word() {
        let text = "The host answered the TCP handshake with a reset: it is reachable, but no process listens on that port.";
        let lines = wrap(text, "   ", Some(40));
        assert!(lines.len() > 2);
        assert!(lines.iter().all(|l| width(l) <= 40), "{lines:#?}");
        assert!(lines.iter().all(|l| l.starts_with("   ")));
        let joined: Vec<&str> = lines.iter().map(|l| l.trim()).collect();
        assert_eq!(joined.join(" "), text);
    }

    #[test]
    fn chinese_breaks_between_characters_by_width() {
        let text =
            "主机以复位回应了TCP握手：主机可达，但该端口上没有进程监听，或者防火墙直接拒绝了连接。";
        let lines = wrap(text, "", Some(30));
        assert!(lines.len() >= 3);
        assert!(lines.iter().all(|l| width(l) <= 30), "{lines:#?}");
        assert_eq!(lines.concat(), text);
    }

    #[test]
    fn closing_punctuation_never_starts_a_line() {
        let text = "主机是通的但这个端口上没有进程在监听。";
        for w in 20..40 {
            let lines = wrap(text, "", Some(w));
            assert!(lines.iter().all(|l| !l.starts_with('。')), "{w}: {lines:?}");
            assert!(
                lines.iter().all(|l| width(l) <= w.max(20)),
                "{w}: {lines:?}"
            );
            assert_eq!(lines.concat(), text);
        }
    }

    #[test]
    fn no_width_means_no_wrapping_and_long_words_are_cut() {
        assert_eq!(wrap("a b\nc", "  ", None), vec!["  a b", "  c"]);
        let url = "https://registry.example.com/".repeat(4);
        let lines = wrap(&url, "", Some(30));
        assert!(lines.iter().all(|l| width(l) <= 30));
        assert_eq!(lines.concat(), url);
    }
}
