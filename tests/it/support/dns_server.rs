//! A tiny authoritative DNS responder on 127.0.0.1 (UDP), for NXDOMAIN, SERVFAIL, timeouts
//! and answers the tests choose. Enough of RFC 1035 for A/AAAA questions, nothing more.

use std::collections::HashMap;
use std::net::{Ipv4Addr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

#[derive(Clone, Debug)]
pub enum Answer {
    A(Ipv4Addr),
    NxDomain,
    ServFail,
    Refused,
    /// Never answer: the client times out.
    Silent,
}

pub struct DnsServer {
    pub addr: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Names not in `zone` get NXDOMAIN.
pub fn start(zone: &[(&str, Answer)]) -> DnsServer {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("timeout");
    let addr = socket.local_addr().expect("addr").to_string();
    let zone: HashMap<String, Answer> = zone
        .iter()
        .map(|(n, a)| (n.trim_end_matches('.').to_ascii_lowercase(), a.clone()))
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let thread = std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        let mut served = 0;
        while !stop2.load(Ordering::SeqCst) && served < 10_000 {
            let Ok((n, peer)) = socket.recv_from(&mut buf) else {
                continue;
            };
            served += 1;
            if let Some(reply) = respond(&buf[..n], &zone) {
                let _ = socket.send_to(&reply, peer);
            }
        }
    });
    DnsServer {
        addr,
        stop,
        thread: Some(thread),
    }
}

fn respond(query: &[u8], zone: &HashMap<String, Answer>) -> Option<Vec<u8>> {
    if query.len() < 12 {
        return None;
    }
    // Question name: labels until a zero byte.
    let mut i = 12;
    let mut labels = Vec::new();
    while i < query.len() && query[i] != 0 {
        let len = query[i] as usize;
        labels.push(String::from_utf8_lossy(query.get(i + 1..i + 1 + len)?).to_ascii_lowercase());
        i += 1 + len;
    }
    let qtype = u16::from_be_bytes([*query.get(i + 1)?, *query.get(i + 2)?]);
    let question_end = i + 5;
    let name = labels.join(".");
    let answer = zone.get(&name).cloned().unwrap_or(Answer::NxDomain);
    let rcode = match answer {
        Answer::Silent => return None,
        Answer::A(_) => 0,
        Answer::NxDomain => 3,
        Answer::ServFail => 2,
        Answer::Refused => 5,
    };
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&query[0..2]); // id
    out.push(0x84 | (query[2] & 0x01)); // QR, AA, copy RD
    out.push(0x80 | rcode); // RA + rcode
    let an_count: u16 = matches!(answer, Answer::A(_)) as u16 * (qtype == 1) as u16;
    out.extend_from_slice(&[0, 1]);
    out.extend_from_slice(&an_count.to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(query.get(12..question_end)?);
    if let (Answer::A(ip), 1) = (answer, an_count) {
        out.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
        out.extend_from_slice(&ip.octets());
    }
    Some(out)
}
