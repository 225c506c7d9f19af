//! The exact secrets regdoctor handled, found again in any text in one pass.
//!
//! A config.json may hold a hundred thousand `auth` values, and every string of a report is
//! masked: checking each secret against each string (`contains` per secret) costs their
//! product. Instead each secret is indexed by a hash of its bytes (its first `MAX_KEY` bytes
//! when longer), and the text is scanned once with a rolling hash per distinct key length: the
//! work is linear in the text times the number of distinct lengths (at most `MAX_KEY`), plus
//! linear in the secrets, however many share a prefix (base64 of `user:...` often does).

use std::collections::HashMap;

/// Longer secrets are indexed by this many first bytes, and checked whole on a hit.
const MAX_KEY: usize = 128;
/// Multiplier of the polynomial rolling hash (odd, so powers never collapse to zero mod 2^64).
const BASE: u64 = 0x100_0000_01b3;
/// Size of the bit filter that skips almost every position without a map lookup.
const FILTER_BITS: usize = 1 << 20;

pub struct Known {
    /// Every secret's bytes, one after the other: a hundred thousand small strings cost their
    /// bytes plus 12 bytes each, not an allocation each.
    arena: String,
    /// (start in `arena`, length) per secret.
    spans: Vec<(u32, u32)>,
    /// Key (hash of the key bytes, mixed with the key length) -> first secret of its chain.
    index: HashMap<u64, u32>,
    /// The next secret with the same key, longest first; `NONE` ends a chain. Only secrets
    /// longer than `MAX_KEY` that start alike (or hash collisions) share a chain.
    next: Vec<u32>,
    /// Distinct key lengths, longest first.
    key_lengths: Vec<usize>,
    filter: Vec<u64>,
    /// Hash of the whole secret -> id, for secrets longer than `MAX_KEY`: tokens of one
    /// issuer share long prefixes (a JWT's header), so their chains can be long, and
    /// registering one again must not walk its chain.
    long_seen: HashMap<u64, u32>,
}

const NONE: u32 = u32::MAX;

impl Default for Known {
    fn default() -> Known {
        Known {
            arena: String::new(),
            spans: Vec::new(),
            index: HashMap::new(),
            next: Vec::new(),
            key_lengths: Vec::new(),
            filter: vec![0; FILTER_BITS / 64],
            long_seen: HashMap::new(),
        }
    }
}

fn hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |h, &b| {
        h.wrapping_mul(BASE).wrapping_add(u64::from(b) + 1)
    })
}

fn key(h: u64, len: usize) -> u64 {
    (h ^ (len as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)).rotate_left(17)
}

fn filter_bit(k: u64) -> (usize, u64) {
    let bit = (k as usize) % FILTER_BITS;
    (bit / 64, 1u64 << (bit % 64))
}

impl Known {
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    fn secret(&self, id: u32) -> &[u8] {
        let (start, len) = self.spans[id as usize];
        &self.arena.as_bytes()[start as usize..(start + len) as usize]
    }

    /// The secrets of one chain, longest first.
    fn chain(&self, first: u32) -> impl Iterator<Item = u32> + '_ {
        std::iter::successors(Some(first).filter(|&id| id != NONE), |&id| {
            Some(self.next[id as usize]).filter(|&n| n != NONE)
        })
    }

    /// Add a secret (at least 4 bytes; shorter ones are the caller's business to refuse).
    pub fn insert(&mut self, secret: &str) {
        let (Ok(id), Ok(start), Ok(len)) = (
            u32::try_from(self.spans.len()),
            u32::try_from(self.arena.len()),
            u32::try_from(secret.len()),
        ) else {
            return;
        };
        if secret.is_empty() || id == NONE || start.checked_add(len).is_none() {
            return;
        }
        let kl = secret.len().min(MAX_KEY);
        let k = key(hash(&secret.as_bytes()[..kl]), kl);
        let first = self.index.get(&k).copied();
        // Already known? A short secret's chain holds only hash collisions; a long one's is
        // checked through its whole hash.
        if secret.len() > MAX_KEY {
            let whole = hash(secret.as_bytes());
            if let Some(&o) = self.long_seen.get(&whole) {
                if self.secret(o) == secret.as_bytes() {
                    return;
                }
            }
            self.long_seen.insert(whole, id);
        } else if let Some(first) = first {
            if self
                .chain(first)
                .any(|o| self.secret(o) == secret.as_bytes())
            {
                return;
            }
        }
        self.arena.push_str(secret);
        self.spans.push((start, len));
        self.next.push(NONE);
        let (word, bit) = filter_bit(k);
        self.filter[word] |= bit;
        if let Err(at) = self.key_lengths.binary_search_by(|l| kl.cmp(l)) {
            self.key_lengths.insert(at, kl);
        }
        // Keep the chain longest first, so a secret that contains another is masked whole.
        // Secrets of one length go to the front: inserting stays O(1) for the long chains
        // of same-length tokens sharing a header.
        match first {
            None => {
                self.index.insert(k, id);
            }
            Some(first) if self.secret(first).len() <= secret.len() => {
                self.next[id as usize] = first;
                self.index.insert(k, id);
            }
            Some(first) => {
                let mut at = first;
                loop {
                    let after = self.next[at as usize];
                    if after == NONE || self.secret(after).len() < secret.len() {
                        self.next[id as usize] = after;
                        self.next[at as usize] = id;
                        break;
                    }
                    at = after;
                }
            }
        }
    }

    /// `input` with every known secret replaced by `mask`, or `None` when none occurs.
    pub fn mask(&self, input: &str, mask: &str) -> Option<String> {
        let bytes = input.as_bytes();
        let mut rolling: Vec<Rolling> = self
            .key_lengths
            .iter()
            .filter(|&&w| w <= bytes.len())
            .map(|&w| Rolling::new(w, bytes))
            .collect();
        if rolling.is_empty() {
            return None;
        }
        let mut out: Option<Vec<u8>> = None;
        let mut copied = 0;
        let mut i = 0;
        while i < bytes.len() {
            let step = match self.longest_at(bytes, i, &rolling) {
                Some(len) => {
                    let o = out.get_or_insert_with(|| Vec::with_capacity(bytes.len()));
                    o.extend_from_slice(&bytes[copied..i]);
                    o.extend_from_slice(mask.as_bytes());
                    copied = i + len;
                    len
                }
                None => 1,
            };
            for _ in 0..step {
                for r in &mut rolling {
                    r.advance(bytes, i);
                }
                i += 1;
            }
        }
        let mut o = out?;
        o.extend_from_slice(&bytes[copied..]);
        // Secrets are whole UTF-8 strings, so cuts fall on character boundaries.
        Some(
            String::from_utf8(o)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        )
    }

    fn longest_at(&self, bytes: &[u8], i: usize, rolling: &[Rolling]) -> Option<usize> {
        let rest = &bytes[i..];
        // Longest key lengths first, so the longest secret wins.
        for r in rolling {
            if r.w > rest.len() {
                continue;
            }
            let k = key(r.h, r.w);
            let (word, bit) = filter_bit(k);
            if self.filter[word] & bit == 0 {
                continue;
            }
            let Some(&first) = self.index.get(&k) else {
                continue;
            };
            for id in self.chain(first) {
                let s = self.secret(id);
                if rest.starts_with(s) {
                    return Some(s.len());
                }
            }
        }
        None
    }
}

/// Hash of `bytes[i..i + w]` for the current position `i`.
struct Rolling {
    w: usize,
    h: u64,
    /// BASE^(w-1): the weight of the byte that leaves the window.
    top: u64,
}

impl Rolling {
    fn new(w: usize, bytes: &[u8]) -> Rolling {
        let top = (1..w).fold(1u64, |p, _| p.wrapping_mul(BASE));
        Rolling {
            w,
            h: hash(&bytes[..w]),
            top,
        }
    }

    /// Move the window from `i` to `i + 1`.
    fn advance(&mut self, bytes: &[u8], i: usize) {
        let Some(&incoming) = bytes.get(i + self.w) else {
            // Past the end the window no longer fits; `longest_at` skips it by length.
            return;
        };
        let leaving = u64::from(bytes[i]) + 1;
        self.h = self
            .h
            .wrapping_sub(leaving.wrapping_mul(self.top))
            .wrapping_mul(BASE)
            .wrapping_add(u64::from(incoming) + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(secrets: &[&str]) -> Known {
        let mut k = Known::default();
        for s in secrets {
            k.insert(s);
        }
        k
    }

    #[test]
    fn masks_every_length_and_the_longest_first() {
        let k = known(&[
            "abcd",
            "abcdefgh-long-secret",
            "x".repeat(170).as_str(),
            "été!",
        ]);
        assert_eq!(k.mask("no secret here", "#"), None);
        assert_eq!(k.mask("[abcd]", "#").as_deref(), Some("[#]"));
        assert_eq!(
            k.mask("abcdefgh-long-secret abcd", "#").as_deref(),
            Some("# #")
        );
        let long = format!("<{}>", "x".repeat(171));
        assert_eq!(k.mask(&long, "#").as_deref(), Some("<#x>"));
        assert_eq!(k.mask("déjà été!", "#").as_deref(), Some("déjà #"));
        assert_eq!(k.mask("abc", "#"), None);
    }

    #[test]
    fn a_hundred_thousand_secrets_cost_one_pass() {
        let mut k = Known::default();
        for i in 0..100_000 {
            k.insert(&format!("secret-{i:06}"));
        }
        assert_eq!(k.len(), 100_000);
        let text = "before secret-054321 after secret-099999.";
        assert_eq!(k.mask(text, "#").as_deref(), Some("before # after #."));
    }

    #[test]
    fn long_tokens_sharing_a_header_are_each_masked() {
        let header = format!("eyJ{}", "h".repeat(200));
        let mut k = Known::default();
        for i in 0..20_000 {
            k.insert(&format!("{header}.payload-{i:05}"));
            k.insert(&format!("{header}.payload-{i:05}"));
        }
        assert_eq!(k.len(), 20_000);
        let text = format!("a {header}.payload-01234 b {header}.payload-1999");
        assert_eq!(
            k.mask(&text, "#").as_deref(),
            Some(format!("a # b {header}.payload-1999").as_str())
        );
    }
}
