//! Line reading with bounded memory, for input of any size and any content.
//!
//! `BufRead::read_line` would hold a 1 GB single line in memory and stop at invalid UTF-8;
//! here an over-long line is handed out in `MAX_LINE` pieces, invalid UTF-8 is replaced, and
//! terminal colour codes (CI logs are full of them) are removed so patterns see plain text.

use std::io::{self, Read};

pub const MAX_LINE: usize = 64 * 1024;
const BUF: usize = 4 * MAX_LINE;

pub struct BoundedLines<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    scratch: String,
}

impl<R: Read> BoundedLines<R> {
    pub fn new(inner: R) -> Self {
        BoundedLines {
            inner,
            buf: vec![0; BUF],
            start: 0,
            end: 0,
            eof: false,
            scratch: String::new(),
        }
    }

    pub fn next_line(&mut self) -> io::Result<Option<&str>> {
        loop {
            let window = &self.buf[self.start..self.end];
            let newline = memchr_newline(&window[..window.len().min(MAX_LINE + 1)]);
            let (len, skip) = match newline {
                Some(p) => (p, 1),
                None if window.len() >= MAX_LINE => (MAX_LINE, 0),
                None if self.eof && !window.is_empty() => (window.len(), 0),
                None if self.eof => return Ok(None),
                None => {
                    self.fill()?;
                    continue;
                }
            };
            let (s, e) = (self.start, self.start + len);
            self.start = e + skip;
            return Ok(Some(self.decode(s, e)));
        }
    }

    /// A run of whole lines (ending in `\n`, or at EOF, or a forced `MAX_LINE` piece), raw
    /// bytes, for the fast path that searches many lines at once. Lines are then taken from it
    /// with `decode_line`.
    pub fn next_block(&mut self) -> io::Result<Option<&[u8]>> {
        loop {
            let window = &self.buf[self.start..self.end];
            // A short tail at the end of the input goes with the lines before it: a paste
            // without a final newline stays one block, so wrapped lines can be joined again.
            let tail_fits = self.eof && !window.is_empty() && window.len() <= MAX_LINE;
            let end = match window.iter().rposition(|&b| b == b'\n') {
                _ if tail_fits => window.len(),
                Some(p) => p + 1,
                None if window.len() >= MAX_LINE => MAX_LINE,
                None if self.eof && !window.is_empty() => window.len(),
                None if self.eof => return Ok(None),
                None => {
                    self.fill()?;
                    continue;
                }
            };
            // A block that is much shorter than the buffer could be grown first: fewer, larger
            // searches are faster, until the buffer is full.
            if !self.eof && self.start + end < self.buf.len() / 2 && self.end < self.buf.len() {
                // Read again, and look at the window afresh: at the end of the input the tail
                // joins this block.
                self.fill()?;
                continue;
            }
            let s = self.start;
            self.start += end;
            return Ok(Some(&self.buf[s..s + end]));
        }
    }

    fn fill(&mut self) -> io::Result<()> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn decode(&mut self, s: usize, e: usize) -> &str {
        let (buf, scratch) = (&self.buf, &mut self.scratch);
        decode_line(&buf[s..e], scratch)
    }
}

/// One line's bytes as text: without `\r`, invalid UTF-8 replaced, colour codes removed.
pub fn decode_line<'a>(mut bytes: &'a [u8], scratch: &'a mut String) -> &'a str {
    if let [rest @ .., b'\r'] = bytes {
        bytes = rest;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.contains('\x1b') => text,
        _ => {
            scratch.clear();
            strip_ansi_into(&String::from_utf8_lossy(bytes), scratch);
            scratch
        }
    }
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

/// Drop `ESC [ … final-byte` sequences (colours, cursor moves) and other lone escapes.
fn strip_ansi_into(text: &str, out: &mut String) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        } else {
            chars.next();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &[u8]) -> Vec<String> {
        let mut r = BoundedLines::new(input);
        let mut out = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            out.push(l.to_string());
        }
        out
    }

    #[test]
    fn splits_lines_and_handles_crlf_and_no_final_newline() {
        assert_eq!(all(b"a\r\nb\nc"), vec!["a", "b", "c"]);
        assert_eq!(all(b""), Vec::<String>::new());
        assert_eq!(all(b"\n\n"), vec!["", ""]);
    }

    #[test]
    fn invalid_utf8_and_colours_are_cleaned() {
        let out = all(b"\x1b[31mError:\x1b[0m x509: bad \xff\xfe here\n");
        assert_eq!(out, vec!["Error: x509: bad \u{fffd}\u{fffd} here"]);
    }

    #[test]
    fn blocks_hold_whole_lines_and_cover_the_input() {
        let mut input = Vec::new();
        for i in 0..50_000 {
            input.extend_from_slice(format!("line {i}\n").as_bytes());
        }
        input.extend_from_slice(b"tail");
        let mut r = BoundedLines::new(input.as_slice());
        let mut joined = Vec::new();
        while let Some(b) = r.next_block().unwrap() {
            assert!(b.ends_with(b"\n") || b.ends_with(b"tail"));
            joined.extend_from_slice(b);
        }
        assert_eq!(joined, input);
    }

    #[test]
    fn a_huge_line_comes_out_in_bounded_pieces() {
        let mut input = vec![b'a'; 3 * MAX_LINE + 10];
        input.extend_from_slice(b"\nnext\n");
        let out = all(&input);
        assert_eq!(out.len(), 5);
        assert!(out.iter().all(|l| l.len() <= MAX_LINE));
        assert_eq!(out[3].len(), 10);
        assert_eq!(out[4], "next");
    }
}
