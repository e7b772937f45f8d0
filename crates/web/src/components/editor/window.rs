//! Which lines of a long file the editor's `<textarea>` holds. Chromium lays out the
//! whole text of a textarea on every keystroke (≈ 70 ms for 28,754 lines), so a long file
//! is shown as a window of lines around the view, with margins above and below that keep
//! the scroll height and every line's position true. The arithmetic is here, apart from
//! the DOM, so that it can be tested natively.

/// Files with more lines than this are shown through a window; shorter ones whole.
pub const WINDOW_FROM: usize = 3_000;
/// Lines the window holds beyond what is needed (the view or the selection), each side.
pub const MARGIN: usize = 120;
/// The window moves when what is needed comes this close to one of its ends.
pub const EDGE: usize = 50;
/// The window shrinks when it holds this many lines more than it would be made with
/// (after a long paste, or Ctrl+A).
pub const SLACK: usize = 1_000;

/// A window: lines `start..end` (0-based) of the text, which are its bytes `head..tail`
/// (the newline that ends line `end - 1` is not part of it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub head: usize,
    pub tail: usize,
}

/// Lines of a text, as the editor numbers them: an empty text has one, a text ending in
/// a newline has an empty last line.
pub fn line_count(text: &str) -> usize {
    text.bytes().filter(|&b| b == b'\n').count() + 1
}

/// The byte where 0-based line `n` starts (the text's length past its last line).
fn line_start(text: &str, n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    text.match_indices('\n').nth(n - 1).map_or(text.len(), |(i, _)| i + 1)
}

/// The window of lines `start..end` of `text`, clamped to its lines (at least one line).
pub fn span(text: &str, start: usize, end: usize) -> Span {
    let total = line_count(text);
    let start = start.min(total - 1);
    let end = end.clamp(start + 1, total);
    let head = line_start(text, start);
    let tail = if end == total {
        text.len()
    } else {
        line_start(text, end).saturating_sub(1).max(head)
    };
    Span { start, end, head, tail }
}

/// The whole text after the window's text became `window`, and the window over it.
pub fn splice(text: &str, at: Span, window: &str) -> (String, Span) {
    let (before, after) = (text.get(..at.head).unwrap_or(""), text.get(at.tail..).unwrap_or(""));
    let mut next = String::with_capacity(before.len() + window.len() + after.len());
    next.push_str(before);
    next.push_str(window);
    next.push_str(after);
    let span = Span {
        start: at.start,
        end: at.start + line_count(window),
        head: at.head,
        tail: at.head + window.len(),
    };
    (next, span)
}

/// The window to make around lines `first..=last` (the view, or the selection) of a text
/// of `total` lines: the whole text when it is short.
pub fn around(first: usize, last: usize, total: usize) -> (usize, usize) {
    if total <= WINDOW_FROM {
        return (0, total);
    }
    (first.saturating_sub(MARGIN), (last.max(first) + 1 + MARGIN).min(total))
}

/// Whether the window `start..end` can stay for lines `first..=last` of `total`: it holds
/// them with room to move, and is not much larger than one made for them.
pub fn fits(start: usize, end: usize, first: usize, last: usize, total: usize) -> bool {
    let (want_start, want_end) = around(first, last, total);
    let roomy = (start == 0 || start + EDGE <= first) && (end == total || last + EDGE < end);
    roomy && start <= first && last < end && end - start <= want_end - want_start + SLACK
}

/// UTF-16 units of a text (the DOM's selection offsets count these).
pub fn utf16_len(text: &str) -> u32 {
    text.chars().map(|c| c.len_utf16() as u32).sum()
}

/// The 0-based line of the UTF-16 offset `at` in `text` (the last line past the end).
pub fn line_of_utf16(text: &str, at: u32) -> usize {
    let mut units = 0u32;
    let mut line = 0;
    for c in text.chars() {
        if units >= at {
            break;
        }
        units += c.len_utf16() as u32;
        line += usize::from(c == '\n');
    }
    line
}

/// The UTF-16 offsets of the start of 0-based line `n` of `text` and of its end (before
/// its newline).
pub fn utf16_line_range(text: &str, n: usize) -> (u32, u32) {
    let head = line_start(text, n);
    let end = text
        .get(head..)
        .and_then(|rest| rest.find('\n'))
        .map_or(text.len(), |i| head + i);
    let start = utf16_len(text.get(..head).unwrap_or(""));
    (start, start + utf16_len(text.get(head..end).unwrap_or("")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_counted_as_the_gutter_numbers_them() {
        assert_eq!(line_count(""), 1);
        assert_eq!(line_count("a"), 1);
        assert_eq!(line_count("a\n"), 2);
        assert_eq!(line_count("a\nb"), 2);
    }

    #[test]
    fn a_window_is_its_lines_without_the_last_newline() {
        let text = "l0\nl1\nl2\nl3\n";
        let s = span(text, 1, 3);
        assert_eq!(&text[s.head..s.tail], "l1\nl2");
        // The last window reaches the end of the text, its empty last line included.
        let s = span(text, 3, 99);
        assert_eq!((s.start, s.end), (3, 5));
        assert_eq!(&text[s.head..s.tail], "l3\n");
        // Out of range: clamped to the last line, never empty of lines.
        let s = span(text, 40, 2);
        assert_eq!((s.start, s.end, &text[s.head..s.tail]), (4, 5, ""));
    }

    #[test]
    fn an_edit_in_the_window_is_an_edit_of_the_whole_text() {
        let text = "l0\nl1\nl2\nl3";
        let s = span(text, 1, 3);
        // Typing, and a paste of two lines over the window's last line.
        let (next, s2) = splice(text, s, "l1#\nl2");
        assert_eq!(next, "l0\nl1#\nl2\nl3");
        assert_eq!((s2.start, s2.end, &next[s2.head..s2.tail]), (1, 3, "l1#\nl2"));
        let (next, s3) = splice(&next, s2, "l1#\nnew\nlines");
        assert_eq!(next, "l0\nl1#\nnew\nlines\nl3");
        assert_eq!((s3.end, &next[s3.head..s3.tail]), (4, "l1#\nnew\nlines"));
        // The window emptied: its lines become one empty line.
        let (next, s4) = splice(&next, s3, "");
        assert_eq!((next.as_str(), s4.end), ("l0\n\nl3", 2));
    }

    #[test]
    fn short_texts_are_shown_whole_and_long_ones_around_what_is_needed() {
        assert_eq!(around(10, 20, WINDOW_FROM), (0, WINDOW_FROM));
        assert_eq!(around(10, 20, 30_000), (0, 21 + MARGIN));
        assert_eq!(around(1_000, 1_040, 30_000), (1_000 - MARGIN, 1_041 + MARGIN));
        assert_eq!(around(29_990, 29_999, 30_000), (29_990 - MARGIN, 30_000));
    }

    #[test]
    fn the_window_moves_near_its_ends_and_shrinks_when_far_too_large() {
        let total = 30_000;
        let (s, e) = around(1_000, 1_040, total);
        assert!(fits(s, e, 1_000, 1_040, total));
        assert!(fits(s, e, 1_000 - MARGIN + EDGE, 1_040, total));
        assert!(!fits(s, e, 1_000 - MARGIN + EDGE - 1, 1_040, total));
        assert!(!fits(s, e, 1_000, 1_040 + MARGIN - EDGE + 1, total));
        // At the text's ends there is nowhere to move.
        assert!(fits(0, 200, 0, 40, total));
        assert!(fits(29_800, total, 29_950, 29_999, total));
        // The whole text (Ctrl+A) stays while all is needed, not for a few lines.
        assert!(fits(0, total, 0, total - 1, total));
        assert!(!fits(0, total, 1_000, 1_040, total));
        assert!(fits(0, WINDOW_FROM, 1_000, 1_040, WINDOW_FROM));
    }

    #[test]
    fn offsets_count_utf16_units_as_the_dom_does() {
        let text = "é🙂\nb\nc";
        assert_eq!(utf16_len(text), 7);
        assert_eq!(line_of_utf16(text, 0), 0);
        assert_eq!(line_of_utf16(text, 3), 0);
        assert_eq!(line_of_utf16(text, 4), 1);
        assert_eq!(line_of_utf16(text, 99), 2);
        assert_eq!(utf16_line_range(text, 0), (0, 3));
        assert_eq!(utf16_line_range(text, 1), (4, 5));
        assert_eq!(utf16_line_range(text, 2), (6, 7));
    }
}
