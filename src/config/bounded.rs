//! Reading local files with a size cap enforced while reading. A path given on the command line
//! (or found in a config tree) may name /dev/zero, a 50 GB log or a pipe: `metadata().len()` is
//! 0 for devices and pipes, so checking the size first is not enough, and `fs::read` would fill
//! memory.

use std::io::{self, Read};
use std::path::Path;

/// The most files read from one drop-in or certificate directory. Real ones hold a handful;
/// a directory of a million files must not cost a million reads (the rest is reported).
pub const MAX_DIR_FILES: usize = 256;

/// The whole file, or an error when it holds more than `cap` bytes.
pub fn read(path: &Path, cap: u64) -> io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let mut buf = Vec::new();
    file.take(cap.saturating_add(1)).read_to_end(&mut buf)?;
    if buf.len() as u64 > cap {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {}", human_size(cap)),
        ));
    }
    Ok(buf)
}

/// The same, as UTF-8 text (an error otherwise, like `fs::read_to_string`).
pub fn read_to_string(path: &Path, cap: u64) -> io::Result<String> {
    String::from_utf8(read(path, cap)?).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "not UTF-8 text (a binary file?)",
        )
    })
}

fn human_size(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{} MiB", n >> 20)
    } else {
        format!("{} KiB", n >> 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_that_never_ends_is_cut_at_the_cap() {
        let err = read(Path::new("/dev/zero"), 1 << 16).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("64 KiB"), "{err}");
    }

    #[test]
    fn small_files_and_empty_devices_read_whole() {
        assert_eq!(read(Path::new("/dev/null"), 10).unwrap(), Vec::<u8>::new());
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x");
        std::fs::write(&f, b"0123456789").unwrap();
        assert_eq!(read(&f, 10).unwrap().len(), 10);
        assert!(read(&f, 9).is_err());
        std::fs::write(&f, b"\xff\xfe").unwrap();
        assert!(read_to_string(&f, 10).is_err());
    }
}
