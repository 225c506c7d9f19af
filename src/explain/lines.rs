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

/// What the first bytes of the input say about it, before any line is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// Nothing at all, or only blanks.
    Empty,
    /// Not text; the name of the format when it is a well-known one.
    Binary(&'static str),
    Text(Encoding),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (a byte-order mark, if any, is skipped) or anything close to it.
    Utf8,
    /// What Windows PowerShell 5 `>` writes, with or without a byte-order mark.
    Utf16Le,
    Utf16Be,
}

/// What `sniff` calls bytes that are not text but no format it knows.
pub const UNKNOWN_BINARY: &str = "binary data";

/// How much of the input is looked at to tell text from binary and the encoding.
pub const SNIFF: usize = 8 * 1024;

/// Decide from the first bytes (up to `SNIFF`) what the input is.
pub fn sniff(head: &[u8]) -> InputKind {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"\x7fELF", "an ELF executable"),
        (b"MZ", "a Windows executable"),
        (b"\x1f\x8b", "a gzip archive"),
        (b"PK\x03\x04", "a zip archive"),
        (b"\x89PNG", "a PNG image"),
        (b"%PDF", "a PDF document"),
        (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
        (b"\xfe\xed\xfa\xcf", "a Mach-O executable"),
        (b"\x28\xb5\x2f\xfd", "a zstd archive"),
    ];
    if head.starts_with(b"\xff\xfe") {
        return InputKind::Text(Encoding::Utf16Le);
    }
    if head.starts_with(b"\xfe\xff") {
        return InputKind::Text(Encoding::Utf16Be);
    }
    let body = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return InputKind::Empty;
    }
    if let Some((_, name)) = MAGIC.iter().find(|(m, _)| body.starts_with(m)) {
        // "MZ" alone is too short to trust for text that starts with those letters.
        if *name != "a Windows executable" || body.contains(&0) {
            return InputKind::Binary(name);
        }
    }
    // UTF-16 without a byte-order mark: ASCII text has a zero in every other byte.
    let pairs = body.len() / 2;
    if pairs >= 2 {
        let zeros_at = |parity: usize| {
            body.iter()
                .enumerate()
                .filter(|(i, b)| i % 2 == parity && **b == 0)
                .count()
        };
        let (even, odd) = (zeros_at(0), zeros_at(1));
        if odd * 10 >= pairs * 4 && even * 10 <= pairs {
            return InputKind::Text(Encoding::Utf16Le);
        }
        if even * 10 >= pairs * 4 && odd * 10 <= pairs {
            return InputKind::Text(Encoding::Utf16Be);
        }
    }
    // Text has no NUL and few control characters; a log with colour codes has ESC only.
    let control = body
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x1b | 0x0c))
        .count();
    if body.contains(&0) || control * 20 > body.len() {
        return InputKind::Binary(UNKNOWN_BINARY);
    }
    InputKind::Text(Encoding::Utf8)
}

/// The input as UTF-8: a UTF-8 byte-order mark is skipped, UTF-16 is transcoded as it is
/// read (invalid units become U+FFFD), so the line reader and the patterns see plain text.
pub struct Decoded<R> {
    inner: R,
    encoding: Encoding,
    started: bool,
    /// Bytes read but not yet decoded (an odd byte, a high surrogate waiting for its pair).
    pending: Vec<u8>,
    /// Decoded UTF-8 not yet handed out.
    out: Vec<u8>,
    out_pos: usize,
    eof: bool,
}

impl<R: Read> Decoded<R> {
    pub fn new(inner: R, encoding: Encoding) -> Self {
        Decoded {
            inner,
            encoding,
            started: false,
            pending: Vec::new(),
            out: Vec::new(),
            out_pos: 0,
            eof: false,
        }
    }

    fn refill(&mut self) -> io::Result<()> {
        let mut buf = [0u8; 16 * 1024];
        let n = loop {
            match self.inner.read(&mut buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        if n == 0 {
            self.eof = true;
        }
        self.pending.extend_from_slice(&buf[..n]);
        self.out.clear();
        self.out_pos = 0;
        if !self.started && (self.pending.len() >= 3 || self.eof) {
            self.started = true;
            let bom: &[u8] = match self.encoding {
                Encoding::Utf8 => b"\xef\xbb\xbf",
                Encoding::Utf16Le => b"\xff\xfe",
                Encoding::Utf16Be => b"\xfe\xff",
            };
            if self.pending.starts_with(bom) {
                self.pending.drain(..bom.len());
            }
        }
        if !self.started {
            return Ok(());
        }
        if self.encoding == Encoding::Utf8 {
            self.out = std::mem::take(&mut self.pending);
            return Ok(());
        }
        let usable = self.pending.len() / 2 * 2;
        let mut units: Vec<u16> = self.pending[..usable]
            .chunks_exact(2)
            .map(|p| match self.encoding {
                Encoding::Utf16Be => u16::from_be_bytes([p[0], p[1]]),
                _ => u16::from_le_bytes([p[0], p[1]]),
            })
            .collect();
        let mut keep = self.pending[usable..].to_vec();
        // A high surrogate at the end waits for the next read, unless there is none.
        if !self.eof && units.last().is_some_and(|u| (0xd800..0xdc00).contains(u)) {
            let last = units.pop().unwrap_or_default();
            let bytes = match self.encoding {
                Encoding::Utf16Be => last.to_be_bytes(),
                _ => last.to_le_bytes(),
            };
            keep.splice(0..0, bytes);
        }
        let text: String = char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect();
        self.out = text.into_bytes();
        self.pending = keep;
        if self.eof && !self.pending.is_empty() {
            self.out.extend_from_slice("\u{fffd}".as_bytes());
            self.pending.clear();
        }
        Ok(())
    }
}

impl<R: Read> Read for Decoded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.out_pos >= self.out.len() {
            if self.eof {
                return Ok(0);
            }
            self.refill()?;
        }
        let n = buf.len().min(self.out.len() - self.out_pos);
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
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

    fn decoded(bytes: &[u8]) -> String {
        let InputKind::Text(enc) = sniff(bytes) else {
            panic!("not text: {:?}", sniff(bytes));
        };
        let mut out = String::new();
        // One byte at a time: the worst split of pairs and surrogates.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let Some((first, rest)) = self.0.split_first() else {
                    return Ok(0);
                };
                buf[0] = *first;
                self.0 = rest;
                Ok(1)
            }
        }
        Decoded::new(Trickle(bytes), enc)
            .read_to_string(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn utf16_and_byte_order_marks_are_decoded() {
        let text = "Error response from daemon: x509: 证书 😀\r\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        let with_bom = |bom: &[u8], body: &[u8]| [bom, body].concat();
        assert_eq!(decoded(&with_bom(b"\xff\xfe", &le)), text);
        assert_eq!(decoded(&le), text);
        assert_eq!(decoded(&with_bom(b"\xfe\xff", &be)), text);
        assert_eq!(decoded(&be), text);
        assert_eq!(decoded(&with_bom(b"\xef\xbb\xbf", text.as_bytes())), text);
        assert_eq!(decoded(text.as_bytes()), text);
    }

    #[test]
    fn empty_and_binary_inputs_are_told_apart() {
        assert_eq!(sniff(b""), InputKind::Empty);
        assert_eq!(sniff(b" \n\r\n"), InputKind::Empty);
        assert_eq!(sniff(b"\xef\xbb\xbf\n"), InputKind::Empty);
        assert_eq!(
            sniff(b"\x7fELF\x02\x01\x01\x00\x00\x00"),
            InputKind::Binary("an ELF executable")
        );
        assert_eq!(
            sniff(b"abc\x00\x01\x02\x03def\x00\x00\x00xyz\x00"),
            InputKind::Binary("binary data")
        );
        assert_eq!(sniff(b"MZ is a name\n"), InputKind::Text(Encoding::Utf8));
        assert_eq!(
            sniff(b"\x1b[31mError:\x1b[0m denied\n"),
            InputKind::Text(Encoding::Utf8)
        );
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
